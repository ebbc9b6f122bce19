"""Spots: create, read, rename, move and delete them, and read one back as a timeline with its summary."""

from __future__ import annotations

import logging
import unicodedata
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from spotcheck.clock import as_utc, utc_now
from spotcheck.db.tables import ImageStatus, image_answers, image_measures, spots
from spotcheck.gallery.rows import ImageSummary
from spotcheck.gallery.service import Gallery, ImageNotFoundError
from spotcheck.spots.answers import QUESTIONS, Answers
from spotcheck.spots.changes import Change, MeasuredPhoto, notable_changes
from spotcheck.spots.measures import Measures, measure_image
from spotcheck.spots.summary import Summary, summarise
from spotcheck.storage.base import ObjectNotFoundError, ObjectStore
from spotcheck.storage.keys import object_key_for
from spotcheck.unicode_text import first_refused

__all__ = [
    "MAX_NAME_LENGTH",
    "BodySite",
    "BodyView",
    "InvalidSpotError",
    "NoAnswersError",
    "Spot",
    "SpotNotFoundError",
    "SpotQuotaError",
    "SpotService",
    "SpotView",
    "TimelineEntry",
]

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 80


class SpotNotFoundError(LookupError):
    def __init__(self, spot_id: str) -> None:
        super().__init__(f"No spot with id {spot_id!r} among your spots.")
        self.spot_id = spot_id


class NoAnswersError(LookupError):
    def __init__(self, file_name: str) -> None:
        super().__init__(f"No answers stored for {file_name!r} yet: PUT them first.")


class SpotQuotaError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"This account has {limit:,} spots, the most it may keep: delete one before adding another.")


class InvalidSpotError(ValueError):
    """A spot's name breaks a rule; the message names it."""


class BodyView(StrEnum):
    FRONT = "front"
    BACK = "back"


@dataclass(frozen=True, slots=True)
class BodySite:
    """Where the spot is on the body map: a view and a point on it, 0..1 across and down."""

    view: BodyView
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Spot:
    id: str
    owner_id: str
    name: str
    body_site: BodySite | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    image: ImageSummary
    answers: Answers | None
    measures: Measures | None


@dataclass(frozen=True, slots=True)
class SpotView:
    """A spot with its photos (oldest first), the notable changes between them and its summary."""

    spot: Spot
    photos: list[TimelineEntry]
    changes: list[Change]
    summary: Summary

    @property
    def latest(self) -> ImageSummary | None:
        return self.photos[-1].image if self.photos else None


def clean_name(name: str) -> str:
    """The name trimmed; InvalidSpotError when it is empty, too long or holds control or invisible characters."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise InvalidSpotError("A spot needs a name: type a few words such as 'Left shoulder mole'.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSpotError(f"The spot's name is {len(name)} characters long; at most {MAX_NAME_LENGTH} fit.")
    if refused := first_refused(name):
        raise InvalidSpotError(
            f"The spot's name holds an invisible or control character (U+{ord(refused[1]):04X}); use plain text."
        )
    return name


def _spot(row: Any) -> Spot:
    site = BodySite(BodyView(row.body_view), row.body_x, row.body_y) if row.body_view else None
    return Spot(row.id, row.owner_id, row.name, site, as_utc(row.created_at))


def _site_values(site: BodySite | None) -> dict[str, object]:
    if site is None:
        return {"body_view": None, "body_x": None, "body_y": None}
    return {"body_view": site.view.value, "body_x": site.x, "body_y": site.y}


class SpotService:
    def __init__(self, *, engine: Engine, gallery: Gallery, store: ObjectStore, max_spots: int = 500) -> None:
        self._engine = engine
        self._gallery = gallery
        self._store = store
        self._max_spots = max_spots

    def create(self, *, owner_id: str, name: str, body_site: BodySite | None) -> Spot:
        """A new spot; SpotQuotaError when the owner has as many as they may."""
        spot = Spot(uuid.uuid4().hex, owner_id, clean_name(name), body_site, utc_now())
        if self.count(owner_id=owner_id) >= self._max_spots:
            raise SpotQuotaError(self._max_spots)
        with self._engine.begin() as conn:
            conn.execute(
                insert(spots).values(
                    id=spot.id, owner_id=owner_id, name=spot.name, created_at=spot.created_at, **_site_values(body_site)
                )
            )
        return spot

    def get(self, *, owner_id: str, spot_id: str) -> Spot:
        """The owner's spot; SpotNotFoundError for an unknown id or another person's spot."""
        with self._engine.connect() as conn:
            row = conn.execute(select(spots).where(spots.c.id == spot_id, spots.c.owner_id == owner_id)).first()
        if row is None:
            raise SpotNotFoundError(spot_id)
        return _spot(row)

    def by_id(self, spot_id: str) -> Spot:
        """Whoever's spot it is (for a share link, which already proved access to it)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(spots).where(spots.c.id == spot_id)).first()
        if row is None:
            raise SpotNotFoundError(spot_id)
        return _spot(row)

    def list(self, *, owner_id: str, limit: int | None = None, offset: int = 0) -> list[Spot]:
        """The owner's spots, oldest first; ``limit`` of them from ``offset`` when given."""
        query = select(spots).where(spots.c.owner_id == owner_id).order_by(spots.c.created_at, spots.c.id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_spot(r) for r in rows]

    def count(self, *, owner_id: str) -> int:
        with self._engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(spots).where(spots.c.owner_id == owner_id))
            return int(total.scalar_one())

    def update(
        self,
        *,
        owner_id: str,
        spot_id: str,
        name: str | None = None,
        body_site: BodySite | None = None,
        clear_body_site: bool = False,
    ) -> Spot:
        """Rename and/or move the spot; ``clear_body_site`` forgets where it is."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = clean_name(name)
        if body_site is not None or clear_body_site:
            values.update(_site_values(body_site))
        self.get(owner_id=owner_id, spot_id=spot_id)
        if values:
            with self._engine.begin() as conn:
                conn.execute(update(spots).where(spots.c.id == spot_id, spots.c.owner_id == owner_id).values(**values))
        return self.get(owner_id=owner_id, spot_id=spot_id)

    def delete(self, *, owner_id: str, spot_id: str) -> None:
        """The spot, its photos with their objects, labels and jobs, and its share links."""
        self.get(owner_id=owner_id, spot_id=spot_id)
        for photo in self._gallery.in_spot(owner_id=owner_id, spot_id=spot_id):
            with suppress(ImageNotFoundError):  # deleted meanwhile
                self._gallery.delete(owner_id=owner_id, file_name=photo.file_name)
        with self._engine.begin() as conn:  # its shares go with it (ON DELETE CASCADE)
            conn.execute(delete(spots).where(spots.c.id == spot_id, spots.c.owner_id == owner_id))

    def file_photo(self, *, owner_id: str, file_name: str, spot_id: str | None) -> ImageSummary:
        """Move one of the owner's photos into one of their spots, or out of any spot with None.

        SpotNotFoundError for a spot that is not the owner's, ImageNotFoundError for a photo that is not.
        Nothing about the photo is lost: its upload, result, answers and measures stay with it, and the
        spots' timelines, changes, summaries and reminders follow on their next reading.
        """
        if spot_id is not None:
            spot_id = self.get(owner_id=owner_id, spot_id=spot_id).id
        return self._gallery.file_under(owner_id=owner_id, file_name=file_name, spot_id=spot_id)

    def set_answers(self, *, owner_id: str, file_name: str, answers: Answers) -> Answers:
        """Store the patient's answers about one photo (replacing earlier ones)."""
        image = self._gallery.summary(owner_id=owner_id, file_name=file_name)
        key = {"owner_id": owner_id, "file_name": image.file_name}
        values = {q: getattr(answers, q) for q in QUESTIONS}
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    delete(image_answers).where(
                        image_answers.c.owner_id == owner_id, image_answers.c.file_name == image.file_name
                    )
                )
                conn.execute(insert(image_answers).values(**key, **values, answered_at=utc_now()))
        except IntegrityError:  # the image was deleted meanwhile
            raise ImageNotFoundError(file_name) from None
        return answers

    def answers_of(self, *, owner_id: str, file_name: str) -> Answers:
        """The answers stored for one photo; NoAnswersError when there are none (ImageNotFoundError: no photo)."""
        image = self._gallery.summary(owner_id=owner_id, file_name=file_name)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(image_answers).where(
                    image_answers.c.owner_id == owner_id, image_answers.c.file_name == image.file_name
                )
            ).first()
        if row is None:
            raise NoAnswersError(image.file_name)
        return Answers(**{q: getattr(row, q) for q in QUESTIONS})

    def forget_answers(self, *, owner_id: str, file_name: str) -> None:
        """Remove the answers stored for one photo (ImageNotFoundError: no such photo)."""
        image = self._gallery.summary(owner_id=owner_id, file_name=file_name)
        with self._engine.begin() as conn:
            conn.execute(
                delete(image_answers).where(
                    image_answers.c.owner_id == owner_id, image_answers.c.file_name == image.file_name
                )
            )

    def answers(self, *, owner_id: str) -> dict[str, Answers]:
        """Every answered photo of the owner, by fileName."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(image_answers).where(image_answers.c.owner_id == owner_id)).all()
        return {r.file_name: Answers(**{q: getattr(r, q) for q in QUESTIONS}) for r in rows}

    def view(self, spot: Spot, *, now: datetime | None = None, zone: tzinfo = UTC) -> SpotView:
        """The spot's timeline (measuring photos not measured yet), its notable changes and summary,
        their sentences giving times in ``zone``."""
        photos = self._gallery.in_spot(owner_id=spot.owner_id, spot_id=spot.id)
        answered = self.answers(owner_id=spot.owner_id) if photos else {}
        measured = [MeasuredPhoto(p, self._measures(spot.owner_id, p)) for p in photos]
        changes = notable_changes(measured, zone=zone)
        timeline = [TimelineEntry(m.image, answered.get(m.image.file_name), m.measures) for m in measured]
        summary = summarise(photos, changes, answers=answered, now=now or utc_now(), zone=zone)
        return SpotView(spot, timeline, changes, summary)

    def _measures(self, owner_id: str, photo: ImageSummary) -> Measures | None:
        """Measured once per upload and kept (image_measures); None for a photo the model did not judge."""
        if photo.status is not ImageStatus.DONE:
            return None
        where = (image_measures.c.owner_id == owner_id) & (image_measures.c.file_name == photo.file_name)
        with self._engine.connect() as conn:
            row = conn.execute(select(image_measures).where(where)).first()
        if row is not None and row.upload_id == photo.upload_id:
            return Measures(row.area_fraction, (row.lab_l, row.lab_a, row.lab_b))
        try:
            body = self._store.get(object_key_for(owner_id, photo.file_name)).body
            found = measure_image(body)
        except ObjectNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # an image the worker could judge but Pillow cannot re-read
            log.warning("could not measure %s: %s", photo.file_name, exc)
            return None
        l_, a_, b_ = found.mean_colour
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(image_measures).where(where))
                conn.execute(
                    insert(image_measures).values(
                        owner_id=owner_id,
                        file_name=photo.file_name,
                        upload_id=photo.upload_id,
                        area_fraction=found.area_fraction,
                        lab_l=l_,
                        lab_a=a_,
                        lab_b=b_,
                    )
                )
        except IntegrityError:  # deleted meanwhile: nothing to keep
            pass
        return found
