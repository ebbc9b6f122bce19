"""Request and response bodies of the HTTP API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from spotcheck.classifier.labels import Classification

__all__ = [
    "AccountPublic",
    "DetectionPending",
    "DetectionResult",
    "ErrorBody",
    "ImageItem",
    "ImageList",
    "RegisterRequest",
    "TokenResponse",
    "UploadAccepted",
]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RegisterRequest(_Camel):
    email: str = Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["ada@example.org"])
    password: str = Field(max_length=256, examples=["a long and varied pass phrase"])


class AccountPublic(_Camel):
    id: str
    email: str


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


class DetectionResult(_Camel):
    file_name: str
    classification: Classification
    recommendation: str
    malignant_probability: float
    model_version: str
    classified_at: datetime
    disclaimer: str


class ImageItem(_Camel):
    file_name: str
    status: Literal["pending", "done", "failed"]
    size: int
    uploaded_at: datetime
    classification: Classification | None
    malignant_probability: float | None
    model_version: str | None
    classified_at: datetime | None
    error: str | None


class ImageList(_Camel):
    items: list[ImageItem]
    total: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    detail: str
