"""Stores under test: every implementation of ``ObjectStore``, S3 against a real SeaweedFS."""

from __future__ import annotations

from pathlib import Path

import pytest

import s3_server
from s3_server import S3Endpoint
from spotcheck.storage import LocalObjectStore, MemoryObjectStore, ObjectStore, S3ObjectStore

# The session's one SeaweedFS (shared with other test folders) and a fresh bucket per test.
s3_endpoint = s3_server.s3_endpoint
s3_bucket = s3_server.s3_bucket


@pytest.fixture
def s3_store(s3_endpoint: S3Endpoint, s3_bucket: str) -> S3ObjectStore:
    """An ``S3ObjectStore`` on a fresh bucket of the session's SeaweedFS."""
    return s3_endpoint.open_store(s3_bucket)


@pytest.fixture(params=["memory", "local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each implementation in turn, empty."""
    if request.param == "memory":
        return MemoryObjectStore()
    if request.param == "local":
        return LocalObjectStore(tmp_path / "store")
    s3: S3ObjectStore = request.getfixturevalue("s3_store")
    return s3
