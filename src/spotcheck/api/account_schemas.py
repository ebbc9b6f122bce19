"""Request and response bodies of the account's own data (camelCase)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from spotcheck.accounts import SignInMethod
from spotcheck.api.schemas import _Camel, _CamelRequest

__all__ = ["AccountDeleteRequest", "AccountPublic"]


class AccountPublic(_Camel):
    email: str | None  # an account from an identity provider may have no address
    created_at: datetime
    sign_in_method: SignInMethod


class AccountDeleteRequest(_CamelRequest):
    password: str | None = Field(default=None, max_length=256)
