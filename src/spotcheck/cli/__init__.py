"""The ``spotcheck`` command."""

from spotcheck.cli.main import app

__all__ = ["app"]
