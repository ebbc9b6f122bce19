"""Why an upload cannot be stored, as a small hierarchy the API maps to HTTP statuses.

ImageRejectedError
├── UnsupportedMediaError   not an accepted format, judged by content (415)
├── CorruptImageError       looks like an accepted format but does not decode completely (422)
├── ImageTooLargeError      more pixels than the limit, or a decompression bomb (422)
├── ImageTooSmallError      shorter side under the minimum (422)
├── UnusualJpegError        a JPEG built to keep a decoder busy: too many scans (422)
└── DecodeTimeoutError      decoding ran over its time budget (422)
DecodersBusyError           too many uploads already wait for a decode slot (503, try again)

Every message is written for the person who uploaded: it names the offending value and what
would be accepted, and never carries a decoder's exception text (which can hold object reprs
and heap addresses).
"""

from __future__ import annotations

__all__ = [
    "CorruptImageError",
    "DecodeTimeoutError",
    "DecodersBusyError",
    "ImageRejectedError",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "UnsupportedMediaError",
    "UnusualJpegError",
]


class ImageRejectedError(ValueError):
    """The upload cannot be stored; the message tells the user why."""


class UnsupportedMediaError(ImageRejectedError):
    """Not an image of an accepted format, judged by its content (HTTP 415)."""


class CorruptImageError(ImageRejectedError):
    """Looks like an accepted image but cannot be decoded completely (HTTP 422)."""


class ImageTooLargeError(ImageRejectedError):
    """Too many pixels: a decompression bomb or simply too big to analyse (HTTP 422)."""


class ImageTooSmallError(ImageRejectedError):
    """Too few pixels on the shorter side to judge anything (HTTP 422)."""


class UnusualJpegError(ImageRejectedError):
    """A JPEG whose layout would keep a decoder busy far beyond any photo's (HTTP 422)."""


class DecodeTimeoutError(ImageRejectedError):
    """Decoding ran over its time budget and was abandoned (HTTP 422)."""


class DecodersBusyError(Exception):
    """Too many uploads already wait for a decode slot; ``retry_after`` says when to try again (HTTP 503)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
