"""Where bucket events come from: each source yields S3 event notification documents."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any, Protocol

__all__ = ["EventSource", "JsonLinesSource"]


class EventSource(Protocol):
    """An endless (or, for a file, finite) stream of S3 event notifications."""

    def __iter__(self) -> Iterator[Mapping[str, Any] | str]: ...

    def close(self) -> None:
        """Stop: a blocked iteration ends soon after."""
        ...


class JsonLinesSource:
    """One S3 event notification per line, e.g. ``aws sqs receive-message ... | jq -c '.Messages[].Body'``."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[str]:
        for line in self._stream:
            line = line.strip()
            if line:
                yield line

    def close(self) -> None:
        self._stream.close()
