"""A person's data as theirs: what the account is, everything in one zip, and the account's deletion."""

from __future__ import annotations

import json
import tempfile
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO

from sqlalchemy import Engine, delete, select

from spotcheck.auth import AccountService, SessionService, WrongPasswordError
from spotcheck.clock import as_utc, utc_now
from spotcheck.db.tables import spots, users
from spotcheck.gallery.rows import ImageSummary
from spotcheck.gallery.service import Gallery, ImageNotFoundError
from spotcheck.spots.answers import QUESTIONS, Answers
from spotcheck.spots.service import Spot, SpotService
from spotcheck.spots.shares import ShareService
from spotcheck.storage.base import ObjectNotFoundError, ObjectStore
from spotcheck.storage.keys import owner_prefix

__all__ = [
    "EXPORT_JSON",
    "AccountData",
    "AccountProfile",
    "PasswordNeededError",
    "SignInMethod",
]

EXPORT_JSON = "spotcheck-export.json"


class PasswordNeededError(ValueError):
    def __init__(self) -> None:
        super().__init__("Type your password to delete an account that signs in with one.")


class SignInMethod(StrEnum):
    PASSWORD = "password"
    OIDC = "oidc"


@dataclass(frozen=True, slots=True)
class AccountProfile:
    id: str
    email: str | None
    created_at: datetime
    sign_in_method: SignInMethod


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _image_record(image: ImageSummary, answers: Answers | None) -> dict[str, Any]:
    return {
        "fileName": image.file_name,
        "spotId": image.spot_id,
        "status": image.status.value,
        "size": image.size,
        "uploadedAt": _iso(image.uploaded_at),
        "classification": image.classification.value if image.classification else None,
        "malignantProbability": image.malignant_probability,
        "modelVersion": image.model_version,
        "classifiedAt": _iso(image.classified_at),
        "refusal": image.refusal.value if image.refusal else None,
        "error": image.error,
        "answers": {q: getattr(answers, q) for q in QUESTIONS} if answers else None,
    }


def _spot_record(spot: Spot) -> dict[str, Any]:
    site = spot.body_site
    return {
        "id": spot.id,
        "name": spot.name,
        "bodySite": {"view": site.view.value, "x": site.x, "y": site.y} if site else None,
        "createdAt": _iso(spot.created_at),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountData:
    engine: Engine
    store: ObjectStore
    gallery: Gallery
    spots: SpotService
    shares: ShareService
    accounts: AccountService
    sessions: SessionService

    def profile(self, *, user_id: str) -> AccountProfile:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).one()
        # An account made by single sign-on has no password of its own (an empty hash).
        method = SignInMethod.PASSWORD if row.password_hash else SignInMethod.OIDC
        return AccountProfile(row.id, row.email, as_utc(row.created_at), method)

    def export(self, *, user_id: str) -> BinaryIO:
        """A zip: ``images/<fileName>`` (the stored bytes) and ``spotcheck-export.json`` (everything else).

        Written to a temporary file, one photo in memory at a time, and returned open at its start
        (the caller closes it, which deletes it): an export of thousands of photos, or several at
        once, costs disk space for a while, not memory.
        """
        profile = self.profile(user_id=user_id)
        own_spots = self.spots.list(owner_id=user_id)
        answers = self.spots.answers(owner_id=user_id)
        photos = self.gallery.all_of(owner_id=user_id)
        record = {
            "exportedAt": _iso(utc_now()),
            "account": {
                "email": profile.email,
                "createdAt": _iso(profile.created_at),
                "signInMethod": profile.sign_in_method.value,
            },
            "spots": [_spot_record(s) for s in own_spots],
            "images": [_image_record(p, answers.get(p.file_name)) for p in photos],
            "shares": [
                {
                    "id": s.id,
                    "spotId": s.spot_id,
                    "createdAt": _iso(s.created_at),
                    "expiresAt": _iso(s.expires_at),
                    "revokedAt": _iso(s.revoked_at),
                }
                for s in self.shares.of_spots(s.id for s in own_spots)
            ],
        }
        out = tempfile.TemporaryFile()  # noqa: SIM115  (returned open; the caller closes it)
        try:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for photo in photos:
                    with suppress(ImageNotFoundError):  # deleted meanwhile
                        body, _ = self.gallery.content(owner_id=user_id, file_name=photo.file_name)
                        # JPEG is compressed already: stored as is.
                        archive.writestr(f"images/{photo.file_name}", body, compress_type=zipfile.ZIP_STORED)
                        del body
                archive.writestr(EXPORT_JSON, json.dumps(record, indent=2, ensure_ascii=False))
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out

    def delete(self, *, user_id: str, password: str | None) -> None:
        """Delete the account and all it holds: sessions first (every token stops working), then each
        image with its object, labels and jobs, any object left under the account's prefix, the spots
        with their share links, and the account itself."""
        profile = self.profile(user_id=user_id)
        if profile.sign_in_method is SignInMethod.PASSWORD:
            if not password:
                raise PasswordNeededError
            try:
                self.accounts.verify_password(user_id=user_id, password=password)
            except WrongPasswordError:
                raise WrongPasswordError("That password is not right.") from None
        self.sessions.end_all(user_id=user_id)
        for photo in self.gallery.all_of(owner_id=user_id):
            with suppress(ImageNotFoundError):
                self.gallery.delete(owner_id=user_id, file_name=photo.file_name)
        # Whatever else was stored for the account (renditions, leftovers of an interrupted upload).
        for info in list(self.store.list(prefix=owner_prefix(user_id))):
            with suppress(ObjectNotFoundError):
                self.store.delete(info.key)
        with self.engine.begin() as conn:
            conn.execute(delete(spots).where(spots.c.owner_id == user_id))
        self.accounts.delete(user_id=user_id)
