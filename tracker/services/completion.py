"""What a person has finished: courseware whose hours are fully credited, trainings attended."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from tracker.core.rules import hours_to_ms
from tracker.extensions import db
from tracker.models import Courseware, ItemProgress, TrainingParticipant


def completed_courseware(user_id: int, courseware_ids: Collection[int]) -> set[int]:
    """Those of the items on which the user has been credited the item's full hours."""
    if not courseware_ids:
        return set()
    rows = db.session.execute(
        select(Courseware.id, Courseware.hours_limit, ItemProgress.credited_ms)
        .join(ItemProgress, ItemProgress.courseware_id == Courseware.id)
        .where(ItemProgress.user_id == user_id, Courseware.id.in_(list(courseware_ids)))
    )
    # The cap in whole milliseconds, as the player computes it.
    return {item for item, limit, ms in rows if ms >= hours_to_ms(float(limit))}


def attended_trainings(user_id: int, training_ids: Collection[int]) -> set[int]:
    """Those of the trainings whose attendance by the user an admin has confirmed."""
    if not training_ids:
        return set()
    return set(
        db.session.scalars(
            select(TrainingParticipant.training_id).where(
                TrainingParticipant.user_id == user_id,
                TrainingParticipant.training_id.in_(list(training_ids)),
                TrainingParticipant.status == "confirmed",
            )
        )
    )
