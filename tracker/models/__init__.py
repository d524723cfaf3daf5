"""Persistence models (SQLAlchemy 2, typed). State only: the rules live in `tracker.core`."""

from tracker.models.accounts import ROLES, SignIn, Unit, User
from tracker.models.audit import AuditEntry
from tracker.models.base import Base, utcnow
from tracker.models.certificates import Certificate
from tracker.models.courseware import Courseware
from tracker.models.evaluations import Evaluation
from tracker.models.exams import Exam, ExamAttempt, ExamChoice, ExamQuestion
from tracker.models.ledger import ItemProgress, OnlineYearTotal, SessionCredit, WatchSession
from tracker.models.notices import Notice
from tracker.models.records import RECORD_KINDS, LearningRecord, RecordEvidence
from tracker.models.trainings import Training, TrainingMaterial, TrainingParticipant

__all__ = [
    "RECORD_KINDS",
    "ROLES",
    "AuditEntry",
    "Base",
    "Certificate",
    "Courseware",
    "Evaluation",
    "Exam",
    "ExamAttempt",
    "ExamChoice",
    "ExamQuestion",
    "ItemProgress",
    "LearningRecord",
    "Notice",
    "OnlineYearTotal",
    "RecordEvidence",
    "SessionCredit",
    "SignIn",
    "Training",
    "TrainingMaterial",
    "TrainingParticipant",
    "Unit",
    "User",
    "WatchSession",
    "utcnow",
]
