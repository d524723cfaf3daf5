"""A training's filed documents; the filing is complete once notice, schedule and sign-in are in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from tracker import clock
from tracker.auth import Principal
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import TrainingMaterial
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.trainings.listing import FILING_MATERIALS, held_training
from tracker.services.uploads import Upload, stored


@dataclass(frozen=True)
class MaterialView:
    """A filed document of a training."""

    id: int
    training_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    stored_name: str = field(repr=False, default="")


def _material_view(material: TrainingMaterial) -> MaterialView:
    return MaterialView(
        id=material.id,
        training_id=material.training_id,
        kind=material.kind,
        filename=material.filename,
        content_type=material.content_type,
        size=material.size,
        uploaded_at=material.uploaded_at,
        stored_name=material.stored_name,
    )


def add_material(principal: Principal, training_id: int, kind: str, upload: Upload) -> MaterialView:
    """File a document; the filing is complete once notice, schedule and sign-in are in."""
    with stored(upload, f"trainings/{training_id}") as relative, transaction():
        training = held_training(principal, training_id, lock=True)
        material = TrainingMaterial(
            training_id=training.id,
            kind=kind,
            filename=upload.filename,
            stored_name=relative,
            content_type=upload.content_type,
            size=upload.size,
            uploaded_by=principal.id,
            uploaded_at=clock.now(),
        )
        db.session.add(material)
        db.session.flush()
        if training.filed_at is None and not _missing_materials(training.id):
            training.filed_at = clock.now()
        log_action(
            principal.id,
            "training.material",
            "training",
            training.id,
            material_id=material.id,
            kind=kind,
            filename=upload.filename,
        )
        return _material_view(material)


def _missing_materials(training_id: int) -> set[str]:
    present = set(
        db.session.scalars(
            select(TrainingMaterial.kind).where(TrainingMaterial.training_id == training_id)
        )
    )
    return set(FILING_MATERIALS) - present


def list_materials(principal: Principal, training_id: int) -> list[MaterialView]:
    """The documents of a training `principal` holds, oldest first."""
    held_training(principal, training_id)
    return [
        _material_view(m)
        for m in db.session.scalars(
            select(TrainingMaterial)
            .where(TrainingMaterial.training_id == training_id)
            .order_by(TrainingMaterial.id)
        )
    ]


def get_material(principal: Principal, training_id: int, material_id: int) -> MaterialView:
    """One document of a training `principal` holds."""
    held_training(principal, training_id)
    material = db.session.get(TrainingMaterial, material_id)
    if material is None or material.training_id != training_id:
        fail("material_not_found")
    return _material_view(material)
