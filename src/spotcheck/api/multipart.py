"""Multipart forms whose text fields must be UTF-8, as a fileName in the path must.

Starlette reads a text field that is not UTF-8 as Latin-1: ``ab\\xff.jpg`` became ``abÿ.jpg`` and
was stored, while ``/images/ab%FF.jpg`` is refused. Here such a field is refused with the same rule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException, MultiPartParser

from spotcheck.images import InvalidFileNameError

__all__ = ["utf8_form"]


class _Utf8MultiPartParser(MultiPartParser):
    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            try:
                bytes(part.data).decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = bytes(part.data[exc.start : exc.end]).hex(" ").upper()
                message = f"{part.field_name} must be UTF-8 text; byte {bad} is not UTF-8"
                if part.field_name == "fileName":
                    raise InvalidFileNameError(message) from None
                raise MultiPartException(message) from None
        super().on_part_end()


@asynccontextmanager
async def utf8_form(request: Request, *, max_files: int, max_fields: int) -> AsyncIterator[FormData]:
    """``request.form()``, but a multipart text field that is not UTF-8 is refused (400)."""
    content_type, _ = parse_options_header(request.headers.get("Content-Type"))
    if content_type != b"multipart/form-data":
        async with request.form(max_files=max_files, max_fields=max_fields) as form:
            yield form
        return
    parser = _Utf8MultiPartParser(request.headers, request.stream(), max_files=max_files, max_fields=max_fields)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, detail=exc.message) from None
    try:
        yield form
    finally:
        await form.close()
