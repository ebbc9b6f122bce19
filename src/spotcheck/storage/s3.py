"""Objects in AWS S3 or any S3-compatible store, through boto3."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from spotcheck.clock import utc_now
from spotcheck.storage.base import (
    ObjectInfo,
    ObjectNotFoundError,
    PreconditionFailedError,
    PresignedUpload,
    StorageError,
    StorageUnavailableError,
    StoredObject,
)
from spotcheck.storage.outage import OutageWindow

__all__ = ["S3ObjectStore"]

log = logging.getLogger(__name__)

_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
_PRECONDITION = {"412", "PreconditionFailed"}
_BUCKET_EXISTS = {"BucketAlreadyOwnedByYou"}
# us-east-1 is the one region where CreateBucket must not name a location constraint.
_DEFAULT_REGION = "us-east-1"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _etag(value: object) -> str:
    """An ETag without its quotes: AWS quotes it everywhere, SeaweedFS not in CopyObjectResult."""
    return str(value or "").strip('"')


class S3ObjectStore:
    """User metadata travels as ``x-amz-meta-*`` headers; changing it copies the object onto itself.

    Every call is bounded (connect and read timeouts, ``max_attempts`` tries). Once a call finds the
    store unreachable, calls fail at once with ``StorageUnavailableError`` for ``cooldown`` seconds:
    requests that queue up behind an outage answer quickly instead of each waiting out the timeouts.
    With ``outage_file``, every store that names the same file fails fast with this one (``OutageWindow``).
    """

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        create_bucket: bool = False,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        max_attempts: int = 2,
        cooldown: float = 5.0,
        outage_file: Path | None = None,
    ) -> None:
        self._bucket = bucket
        self._region = region
        self._cooldown = cooldown
        self._outage = OutageWindow(cooldown, shared_file=outage_file)
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                s3={"addressing_style": "path"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            ),
        )
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self._bucket)
            return
        except ClientError as error:
            if _code(error) not in _NOT_FOUND | {"NoSuchBucket"}:
                raise StorageError(f"cannot reach bucket {self._bucket!r}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"cannot reach the S3 endpoint: {error}") from error
        location: dict[str, Any] = {}
        if self._region != _DEFAULT_REGION:
            location["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self._client.create_bucket(Bucket=self._bucket, **location)
        except ClientError as error:
            # Another process (the API and a worker start together) may have created it just now.
            if _code(error) not in _BUCKET_EXISTS:
                raise StorageError(f"cannot create bucket {self._bucket!r}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"cannot reach the S3 endpoint: {error}") from error

    @staticmethod
    def _info(key: str, response: Mapping[str, Any]) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(response.get("ContentLength", 0)),
            etag=_etag(response.get("ETag")),
            content_type=str(response.get("ContentType", "application/octet-stream")),
            metadata={str(k).lower(): str(v) for k, v in response.get("Metadata", {}).items()},
        )

    def _unreachable(self, error: Exception) -> StorageUnavailableError:
        if self._outage.open():  # one line per outage, not one per request
            log.warning("S3 store unreachable (%s); failing fast for %.0f s", error, self._cooldown)
        return StorageUnavailableError(f"the S3 store did not answer: {error}")

    def _available(self) -> None:
        if self._outage.is_open():
            raise StorageUnavailableError("the S3 store was unreachable moments ago")

    def _call(self, key: str, operation: str, **params: Any) -> Any:
        self._available()
        try:
            return getattr(self._client, operation)(Bucket=self._bucket, Key=key, **params)
        except (BotoConnectionError, HTTPClientError) as error:
            raise self._unreachable(error) from error
        except ClientError as error:
            code = _code(error)
            if code in _NOT_FOUND:
                raise ObjectNotFoundError(key) from error
            if code in _PRECONDITION:
                raise PreconditionFailedError(f"{key!r} changed since it was read") from error
            raise StorageError(f"S3 {operation} of {key!r} failed: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"S3 {operation} of {key!r} failed: {error}") from error

    def put(self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]) -> ObjectInfo:
        response = self._call(key, "put_object", Body=body, ContentType=content_type, Metadata=dict(metadata))
        return ObjectInfo(key, len(body), _etag(response.get("ETag")), content_type, dict(metadata))

    def get(self, key: str) -> StoredObject:
        response = self._call(key, "get_object")
        return StoredObject(self._info(key, response), response["Body"].read())

    def head(self, key: str) -> ObjectInfo:
        return self._info(key, self._call(key, "head_object"))

    def set_metadata(self, key: str, metadata: Mapping[str, str], *, if_match: str | None = None) -> ObjectInfo:
        current = self.head(key)
        if if_match is not None and current.etag != if_match:
            raise PreconditionFailedError(f"{key!r} changed (ETag {current.etag}, expected {if_match})")
        # The server re-checks the ETag, so a write between the HEAD above and the copy still fails.
        condition = {} if if_match is None else {"CopySourceIfMatch": f'"{if_match}"'}
        response = self._call(
            key,
            "copy_object",
            CopySource={"Bucket": self._bucket, "Key": key},
            MetadataDirective="REPLACE",
            ContentType=current.content_type,
            Metadata=dict(metadata),
            **condition,
        )
        # A copy may get a new ETag (multipart or SSE-KMS objects on AWS): report the one it has now.
        etag = _etag(response.get("CopyObjectResult", {}).get("ETag")) or current.etag
        return ObjectInfo(key, current.size, etag, current.content_type, dict(metadata))

    def delete(self, key: str) -> None:
        self._call(key, "delete_object")

    @property
    def upload_signer(self) -> S3ObjectStore:
        return self

    def remove_stale_temporaries(self) -> int:
        return 0  # a PUT is atomic: nothing half-written stays behind

    def presign_upload(self, key: str, *, max_bytes: int, expires_in_seconds: int) -> PresignedUpload:
        # Signing is local (no request): it cannot fail on an unreachable store.
        expires_at = utc_now() + timedelta(seconds=expires_in_seconds)
        form = self._client.generate_presigned_post(
            self._bucket,
            key,
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in_seconds,
        )
        return PresignedUpload(url=str(form["url"]), fields=dict(form["fields"]), expires_at=expires_at)

    def check(self) -> None:
        self._available()
        try:
            self._client.head_bucket(Bucket=self._bucket)
        except (BotoConnectionError, HTTPClientError) as error:
            raise self._unreachable(error) from error
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"bucket {self._bucket!r} is not usable: {error}") from error

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"],
                        size=int(item["Size"]),
                        etag=_etag(item.get("ETag")),
                        content_type="",
                        metadata={},
                    )
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"S3 list of {prefix!r} failed: {error}") from error
