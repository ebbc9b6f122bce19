"""Requests that put a control character into each path and query parameter of an app's API."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI

__all__ = ["parameter_probes"]

_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def parameter_probes(app: FastAPI, value: str = "a%00b") -> Iterator[tuple[str, str]]:
    """(method, url) pairs: every path parameter of every operation as ``value``, then every query
    parameter as ``value`` with the path parameters plain."""
    schema = app.openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            if _PARAMETER.search(path):
                yield method.upper(), _PARAMETER.sub(value, path)
            plain = _PARAMETER.sub("x", path)
            for parameter in parameters:
                if parameter["in"] == "query":
                    yield method.upper(), f"{plain}?{parameter['name']}={value}"
