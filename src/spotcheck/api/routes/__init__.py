"""The API's routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from spotcheck.api.routes import (
    account,
    auth,
    detect,
    direct_uploads,
    health,
    images,
    model,
    oidc,
    reminders,
    session,
    shared,
    spots,
)

__all__ = ["API_ROUTERS"]

# In the order the app includes them: PUT /images/{fileName}/answers comes before the image
# routes, where it would be an upload. GET /metrics is apart (the settings may turn it off).
API_ROUTERS: tuple[APIRouter, ...] = (
    spots.answers_router,
    auth.router,
    oidc.router,
    session.router,
    images.router,
    direct_uploads.router,
    detect.router,
    health.router,
    model.router,
    spots.router,
    shared.router,
    reminders.router,
    account.router,
)
