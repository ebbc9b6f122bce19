"""The scaled stack on one machine (``scripts/serve-scaled.sh``)."""

from spotcheck.scaled.stack import Stack, main

__all__ = ["Stack", "main"]
