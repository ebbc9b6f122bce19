"""A classifier behind a SageMaker endpoint that runs the model server's image (``InvokeEndpoint``).

The endpoint answers each photo with the JSON `spotcheck classify` prints for one file
(``POST /invocations`` of ``spotcheck model-server``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from spotcheck.classifier.base import Assessment, ModelServerUnavailableError
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.remote import UNKNOWN_VERSION, ModelServerError, encode_photo
from spotcheck.classifier.report import ReportError, assessment_from_report

__all__ = ["SageMakerClassifier"]

# What SageMaker answers while an endpoint is being created, scaled from zero, or overloaded.
_OUTAGE_CODES = frozenset({"ModelNotReadyException", "ServiceUnavailable", "ThrottlingException", "InternalFailure"})


class SageMakerClassifier:
    """One ``InvokeEndpoint`` call per photo; an endpoint that cannot answer is an outage."""

    # The metadata file stays with the server: its answers carry the version only.
    metadata: ModelMetadata | None = None

    def __init__(
        self,
        endpoint_name: str,
        *,
        region: str,
        timeout: float = 30.0,
        client: Any = None,
        endpoint_url: str | None = None,
    ) -> None:
        self.endpoint_name = endpoint_name
        self._client = client or boto3.client(
            "sagemaker-runtime",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(connect_timeout=2.0, read_timeout=timeout, retries={"max_attempts": 2}),
        )
        self._version: str | None = None

    @property
    def version(self) -> str:
        return self._version or UNKNOWN_VERSION

    def _invoke(self, photo: bytes) -> Assessment:
        try:
            answer = self._client.invoke_endpoint(
                EndpointName=self.endpoint_name, ContentType="image/png", Accept="application/json", Body=photo
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if error.get("Code") in _OUTAGE_CODES or status >= 500 or status == 429:
                raise ModelServerUnavailableError(f"SageMaker endpoint {self.endpoint_name}: {exc}") from exc
            raise ModelServerError(f"SageMaker endpoint {self.endpoint_name} refused the photo: {exc}") from exc
        except BotoCoreError as exc:  # no connection, or a timeout
            raise ModelServerUnavailableError(f"SageMaker endpoint {self.endpoint_name} unreachable: {exc}") from exc
        try:
            return assessment_from_report(json.loads(answer["Body"].read()))
        except (ReportError, ValueError) as exc:
            raise ModelServerError(f"SageMaker endpoint {self.endpoint_name} answered out of contract: {exc}") from exc

    def classify(self, images: Sequence[Image.Image]) -> list[Assessment]:
        assessments = [self._invoke(encode_photo(image)) for image in images]
        if assessments:
            self._version = assessments[-1].model_version
        return assessments
