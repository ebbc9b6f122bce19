"""An exception's message in one line, for a log line or an operator's message."""

from __future__ import annotations

__all__ = ["first_line"]


def first_line(exc: BaseException) -> str:
    """The message's first line (a database driver's runs to many), or the type's name when it is empty."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
