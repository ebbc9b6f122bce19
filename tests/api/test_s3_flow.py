"""The whole API flow with ``SPOTCHECK_STORAGE_BACKEND=s3`` against a real SeaweedFS.

Besides the API's answers, each test looks at the bucket with a plain boto3 client: the label
must be on the object itself as ``x-amz-meta-*`` metadata, where any S3 tool can read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from pydantic import SecretStr

import s3_server
from conftest import TEST_SECRET, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from s3_server import S3Endpoint
from spotcheck.api import create_app
from spotcheck.runtime import build_runtime
from spotcheck.storage.keys import object_key_for, thumbnail_key_for
from tiny_model import TINY_MODEL_VERSION

pytestmark = pytest.mark.s3

s3_endpoint = s3_server.s3_endpoint  # the session's one SeaweedFS, shared with tests/storage

PASSWORD = "correct horse battery"


bucket = s3_server.uncreated_bucket  # a name SpotCheck's S3 store creates at start-up


@pytest.fixture
def raw(s3_endpoint: S3Endpoint) -> Any:
    return s3_endpoint.client()


@pytest.fixture
def s3_client(s3_endpoint: S3Endpoint, bucket: str, tmp_path: Path, tiny_model_path: Path) -> Iterator[TestClient]:
    settings = s3_endpoint.settings(
        bucket, data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=SecretStr(TEST_SECRET)
    )
    with TestClient(create_app(build_runtime(settings))) as client:
        yield client


def _register(client: TestClient | httpx.Client, email: str) -> tuple[str, dict[str, str]]:
    """The new account's id (its objects live under ``users/{id}/``) and its auth header."""
    registered = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    access_token = token.json()["access_token"]
    # Registration does not say the id (its answer is the same for taken addresses); the token's sub does.
    account_id = jwt.decode(access_token, options={"verify_signature": False})["sub"]
    return str(account_id), {"Authorization": f"Bearer {access_token}"}


def _detection(client: TestClient | httpx.Client, auth: dict[str, str], file_name: str) -> httpx.Response:
    """GET /detect/{file_name} once it stops answering 202."""

    def get() -> httpx.Response:
        # TestClient answers with httpx2's Response, which wait_for_label's annotation does not name.
        return cast(httpx.Response, client.get(f"/detect/{file_name}", headers=auth))

    return wait_for_label(get)


def _label_of(raw: Any, bucket: str, key: str) -> dict[str, str]:
    return dict(raw.head_object(Bucket=bucket, Key=key)["Metadata"])


def test_upload_label_replace_and_delete_on_s3(s3_client: TestClient, raw: Any, bucket: str) -> None:
    user_id, auth = _register(s3_client, "ada@example.org")
    key = object_key_for(user_id, "mole.jpg")

    assert s3_client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    first = _detection(s3_client, auth, "mole.jpg")
    assert first.status_code == 200, first.text
    assert first.json()["classification"] == "MALIGNANT"

    metadata = _label_of(raw, bucket, key)
    assert metadata["classification"] == "MALIGNANT"
    assert metadata["model-version"] == TINY_MODEL_VERSION
    assert float(metadata["malignant-probability"]) == pytest.approx(first.json()["malignantProbability"], abs=1e-6)
    assert float(metadata["threshold"]) == first.json()["threshold"]
    assert metadata["classified-at"]
    first_upload = metadata["upload-id"]
    stored = raw.get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "image/jpeg"
    assert s3_client.get("/images/mole.jpg", headers=auth).content == stored["Body"].read()

    # The same name again, now a benign-looking image: a new upload, classified afresh.
    assert s3_client.put("/images/mole.jpg", content=image_bytes(BLUE), headers=auth).status_code == 202
    second = _detection(s3_client, auth, "mole.jpg")
    assert second.status_code == 200, second.text
    assert second.json()["classification"] == "BENIGN"
    metadata = _label_of(raw, bucket, key)
    assert metadata["classification"] == "BENIGN"
    assert metadata["upload-id"] != first_upload

    assert s3_client.delete("/images/mole.jpg", headers=auth).status_code == 204
    with pytest.raises(ClientError) as missing:
        raw.head_object(Bucket=bucket, Key=key)
    assert missing.value.response["Error"]["Code"] in {"404", "NoSuchKey"}
    assert raw.list_objects_v2(Bucket=bucket, Prefix=f"users/{user_id}/").get("KeyCount", 0) == 0
    assert s3_client.get("/detect/mole.jpg", headers=auth).status_code == 404


def test_thumbnails_are_cached_in_the_bucket_and_deleted_with_their_image(
    s3_client: TestClient, raw: Any, bucket: str
) -> None:
    user_id, auth = _register(s3_client, "thumbs@example.org")
    assert s3_client.put("/images/mole.jpg", content=image_bytes(RED, size=(800, 600)), headers=auth).status_code == 202
    assert _detection(s3_client, auth, "mole.jpg").status_code == 200
    thumbnail = s3_client.get("/images/mole.jpg/thumbnail", headers=auth)
    assert thumbnail.status_code == 200
    key = thumbnail_key_for(user_id, "mole.jpg")
    cached = raw.get_object(Bucket=bucket, Key=key)
    assert cached["Body"].read() == thumbnail.content
    assert cached["ContentType"] == "image/jpeg"
    # The label stays on the image's own object; the rendition is no image of its own.
    assert _label_of(raw, bucket, object_key_for(user_id, "mole.jpg"))["classification"] == "MALIGNANT"
    assert s3_client.get("/images", headers=auth).json()["total"] == 1

    assert s3_client.delete("/images/mole.jpg", headers=auth).status_code == 204
    assert raw.list_objects_v2(Bucket=bucket, Prefix="thumbnails/").get("KeyCount", 0) == 0


def test_each_user_writes_under_their_own_prefix(s3_client: TestClient, raw: Any, bucket: str) -> None:
    ada, ada_auth = _register(s3_client, "ada@example.org")
    grace, grace_auth = _register(s3_client, "grace@example.org")
    for auth, colour in ((ada_auth, RED), (grace_auth, BLUE)):
        assert s3_client.put("/images/spot 1.jpg", content=image_bytes(colour), headers=auth).status_code == 202
    for auth in (ada_auth, grace_auth):
        assert _detection(s3_client, auth, "spot 1.jpg").status_code == 200

    keys = sorted(item["Key"] for item in raw.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted([f"users/{ada}/spot 1.jpg", f"users/{grace}/spot 1.jpg"])
    assert _label_of(raw, bucket, f"users/{ada}/spot 1.jpg")["classification"] == "MALIGNANT"
    assert _label_of(raw, bucket, f"users/{grace}/spot 1.jpg")["classification"] == "BENIGN"


def test_a_file_name_over_255_utf8_bytes_is_refused_before_storage(s3_client: TestClient) -> None:
    # S3-compatible stores such as SeaweedFS refuse key segments over 255 bytes: the name rule says so first.
    _, auth = _register(s3_client, "ada@example.org")
    name = "ほくろ" * 29 + ".jpg"  # 91 characters, 265 bytes in UTF-8
    response = s3_client.put(f"/images/{name}", content=image_bytes(RED), headers=auth)
    assert response.status_code == 400
    assert "255 bytes" in response.json()["detail"]
    fits = "ほくろ" * 27 + ".jpg"  # 85 characters, 247 bytes
    assert s3_client.put(f"/images/{fits}", content=image_bytes(RED), headers=auth).status_code == 202


@pytest.mark.slow
def test_a_served_process_labels_uploads_in_s3(
    s3_endpoint: S3Endpoint, bucket: str, raw: Any, tmp_path: Path, tiny_model_path: Path
) -> None:
    """`spotcheck serve` configured only through SPOTCHECK_S3_* environment variables."""
    server = LiveServer(
        data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=s3_endpoint.env(bucket)
    )
    with server, httpx.Client(base_url=server.url, timeout=30) as client:
        user_id, auth = _register(client, "ada@example.org")
        assert client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth).status_code == 202
        result = _detection(client, auth, "mole.jpg")
        assert result.status_code == 200, result.text
        assert result.json()["classification"] == "MALIGNANT"
    assert _label_of(raw, bucket, object_key_for(user_id, "mole.jpg"))["classification"] == "MALIGNANT"
    assert not (tmp_path / "data" / "objects").exists()  # nothing went to the local store
