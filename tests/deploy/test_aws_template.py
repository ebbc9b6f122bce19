"""deploy/aws/template.yaml: lints clean, and what it names exists in the package."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from cfnlint.api import lint_file

TEMPLATE = Path(__file__).parents[2] / "deploy" / "aws" / "template.yaml"
DOCKERFILE = TEMPLATE.with_name("Dockerfile")


def test_the_template_lints_clean() -> None:
    assert [str(match) for match in lint_file(TEMPLATE)] == []


def test_the_lambda_handlers_named_exist() -> None:
    named = set(re.findall(r"spotcheck\.[\w.]+\.handler", TEMPLATE.read_text() + DOCKERFILE.read_text()))
    assert named == {"spotcheck.ingest.aws_lambda.handler"}
    for dotted in named:
        module, _, function = dotted.rpartition(".")
        assert callable(getattr(importlib.import_module(module), function))


def test_the_bucket_notifies_the_queue_for_uploads_only() -> None:
    text = TEMPLATE.read_text()
    assert "Event: s3:ObjectCreated:*" in text
    assert re.search(r"Name: prefix\s+Value: users/", text)
    assert "ReportBatchItemFailures" in text
