"""The API description names the errors every signed-in route can answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from spotcheck.api import deps
from spotcheck.api.routes import API_ROUTERS


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_every_route_behind_the_sign_in_documents_401_and_403(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    signed_in = [
        route
        for router in API_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        and route.include_in_schema
        and deps._current_principal in _calls(route.dependant)
    ]
    assert len(signed_in) > 20
    for route in signed_in:
        path = route.path_format.replace(":image", "").replace(":path", "")
        for method in route.methods:
            responses = schema["paths"][path][method.lower()]["responses"]
            assert {"401", "403"} <= set(responses), f"{method} {path}"
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
