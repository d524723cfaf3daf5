"""Training projects: filing, listing, enrolment and attendance (one by one or from CSV),
and the documents filed with them."""

from tracker.services.trainings.attendance import (
    AttendanceView,
    attendance,
    confirm_attendance,
    enrol,
    import_attendance,
    void_attendance,
)
from tracker.services.trainings.filing import create_training, update_training
from tracker.services.trainings.listing import (
    PARTICIPANT_CATEGORIES,
    FilingView,
    TrainingView,
    categories,
    get_training,
    list_trainings,
    training_to_edit,
)
from tracker.services.trainings.materials import (
    MaterialView,
    add_material,
    get_material,
    list_materials,
)

__all__ = [
    "PARTICIPANT_CATEGORIES",
    "AttendanceView",
    "FilingView",
    "MaterialView",
    "TrainingView",
    "add_material",
    "attendance",
    "categories",
    "confirm_attendance",
    "create_training",
    "enrol",
    "get_material",
    "get_training",
    "import_attendance",
    "list_materials",
    "list_trainings",
    "training_to_edit",
    "update_training",
    "void_attendance",
]
