"""Start-up failures an operator fixes (a bad setting, a server out of reach, a folder that is a file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from spotcheck.error_text import first_line

if TYPE_CHECKING:
    from spotcheck.config import Settings

__all__ = ["explained_startup_failures", "read_settings", "startup_failure"]


def read_settings(*, data_dir: Path | None = None) -> Settings:
    """The settings from the environment (``data_dir`` from a command-line flag wins); exit 2 with one
    ``spotcheck: …`` line per refused variable."""
    from pydantic import ValidationError

    from spotcheck.config import Settings, explain_settings_error

    try:
        return Settings() if data_dir is None else Settings(data_dir=data_dir)
    except ValidationError as exc:
        typer.echo(f"spotcheck: invalid configuration:\n{explain_settings_error(exc)}", err=True)
        raise typer.Exit(2) from None


def startup_failure(exc: Exception) -> str | None:
    """What an operator must fix, in a line, for a start-up failure that settings validation cannot
    see (a server out of reach, a folder that is a file); None for anything else (a bug: traceback)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from spotcheck.storage import StorageError

    if isinstance(exc, ArgumentError):
        return f"the database URL cannot be read: {first_line(exc)}"
    if isinstance(exc, NoSuchModuleError | ModuleNotFoundError):
        return (
            f"a module it needs is not installed (a database driver, or an extra such as [scaled]): {first_line(exc)}"
        )
    if isinstance(exc, DBAPIError):
        return f"cannot reach the database: {first_line(exc.orig) if exc.orig else first_line(exc)}"
    if isinstance(exc, StorageError):
        return f"cannot use the object store: {first_line(exc)}"
    if isinstance(exc, OSError):
        return f"cannot use {exc.filename or 'a file'}: {exc.strerror or first_line(exc)}"
    return None


@contextmanager
def explained_startup_failures() -> Iterator[None]:
    """Turn a start-up failure an operator fixes into one ``spotcheck: …`` line and exit 2."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as exc:
        reason = startup_failure(exc)
        if reason is None:
            raise
        typer.echo(f"spotcheck: {reason}", err=True)
        raise typer.Exit(2) from None
