"""Request and response bodies of the HTTP API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.images.names import MAX_FILE_NAME_LENGTH
from spotcheck.photocheck.reasons import RefusalReason, guidance_for

__all__ = [
    "SIGNED_IN_ERRORS",
    "DetectionPending",
    "DetectionRefused",
    "DetectionResult",
    "DirectUploadGrant",
    "DirectUploadRequest",
    "ErrorBody",
    "ImageItem",
    "ImageList",
    "ModelFacts",
    "PasswordChange",
    "RefusalPublic",
    "RegisterAccepted",
    "RegisterRequest",
    "TokenResponse",
    "UploadAccepted",
]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class _CamelRequest(_Camel):
    """A request body: an unknown field is a 422, never dropped unread (a misspelt answer would erase it)."""

    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_CamelRequest):
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["ada@example.org"])
    password: str = Field(max_length=256, examples=["a long and varied pass phrase"])


class PasswordChange(_CamelRequest):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256, examples=["a longer and more varied pass phrase"])


class RegisterAccepted(_Camel):
    """The same answer whether or not the address already had an account: who has one is private."""

    email: str = Field(description="The address as SpotCheck stores it: Unicode NFC, lower case.")
    message: str


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UploadAccepted(_Camel):
    file_name: str
    status: Literal["pending"] = "pending"


class DetectionPending(_Camel):
    file_name: str
    status: Literal["pending"] = "pending"
    spot_id: str | None = None


class DetectionResult(_Camel):
    file_name: str
    status: Literal["done"] = "done"
    classification: Classification
    recommendation: str
    malignant_probability: float
    threshold: float | None = Field(
        default=None,
        description=(
            "The score from which this photo was flagged (MALIGNANT): the model's threshold for its kind of photo "
            "when it was judged. Null for a label from before SpotCheck kept it."
        ),
    )
    model_version: str
    classified_at: datetime
    disclaimer: str
    spot_id: str | None = None


class RefusalPublic(_Camel):
    """Why the photo gate gave no BENIGN/MALIGNANT answer, and how to take a photo that works."""

    reason: RefusalReason
    message: str
    tip: str

    @classmethod
    def of(cls, reason: RefusalReason) -> RefusalPublic:
        guidance = guidance_for(reason)
        return cls(reason=reason, message=guidance.message, tip=guidance.tip)


class DetectionRefused(_Camel):
    """A photo SpotCheck cannot judge: never a classification or a recommendation."""

    file_name: str
    status: Literal["refused"] = "refused"
    reason: RefusalReason
    message: str
    tip: str
    model_version: str
    checked_at: datetime
    disclaimer: str
    spot_id: str | None = None


class ImageItem(_Camel):
    file_name: str
    status: ImageStatus
    size: int
    uploaded_at: datetime
    classification: Classification | None
    malignant_probability: float | None
    model_version: str | None
    classified_at: datetime | None
    refusal: RefusalPublic | None
    error: str | None
    spot_id: str | None = None


class ImageList(_Camel):
    items: list[ImageItem]
    total: int
    limit: int
    offset: int


class ModelFacts(_Camel):
    """The serving model, for explaining a result: figures per kind of photo ("dermatoscopic", "smartphone")."""

    version: str
    threshold: float | None = Field(description="Estimates at or above this are flagged for a closer look")
    dermatoscopic_threshold: float | None = Field(
        default=None,
        description=(
            "The threshold of a photo the model takes for a dermatoscope's image, where it has one of its own "
            "(such photos are judged by a second network as well); other photos use threshold"
        ),
    )
    flagged_harmless_share: dict[str, float] = Field(
        description="Share of harmless spots in the model's test set that it flags (1 - specificity)"
    )
    sensitivity: dict[str, float] = Field(description="Share of skin cancers in the model's test set that it flags")


class ErrorBody(BaseModel):
    detail: str


# What every route behind the sign-in may answer before it does anything else.
SIGNED_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Not signed in, or the token or session expired or was signed out"},
    403: {"model": ErrorBody, "description": "Signed in by the web page's cookie without its X-CSRF-Token header"},
}


class DirectUploadRequest(_CamelRequest):
    # No length limits here: the naming rule itself answers a name that breaks it (400 naming the
    # rule), as PUT /images/{fileName} does.
    file_name: str = Field(
        description=(
            f"The image's name, by the same rules as PUT /images/{{fileName}} (1-{MAX_FILE_NAME_LENGTH} characters)"
        ),
        examples=["mole.jpg"],
    )


class DirectUploadGrant(_Camel):
    """Send the photo to ``uploadUrl`` as a multipart/form-data POST: every entry of ``fields``, then ``file``."""

    file_name: str
    object_key: str = Field(description="Where the photo lands in the bucket")
    upload_url: str
    method: Literal["POST"] = "POST"
    fields: dict[str, str]
    expires_at: datetime
