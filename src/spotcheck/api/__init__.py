"""The HTTP API."""

from spotcheck.api.app import create_app

__all__ = ["create_app"]
