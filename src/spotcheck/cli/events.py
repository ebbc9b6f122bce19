"""``spotcheck events``: take in the objects that reach the bucket directly, from its own events."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

__all__ = ["events_command"]


def events_command(
    filer: Annotated[
        str | None,
        typer.Option(
            envvar="SPOTCHECK_EVENTS_FILER",
            help="SeaweedFS filer whose metadata stream carries the bucket's events: host:port[.grpcPort].",
        ),
    ] = None,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read S3 event notifications from standard input, one JSON per line.")
    ] = False,
    reconcile_seconds: Annotated[
        float, typer.Option(min=0, help="Seconds between reconciliation passes (listing the bucket); 0: once.")
    ] = 300.0,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep", help="Reconciliation also re-checks objects that have a row (one HEAD each), not only new ones."
        ),
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Overrides SPOTCHECK_DATA_DIR.")] = None,
) -> None:
    """Record and classify objects put straight into the S3 bucket (presigned uploads, `aws s3 cp`)."""
    from spotcheck.cli.main import _load_runtime
    from spotcheck.ingest import EventConsumer, EventSource, FilerMetaTail, JsonLinesSource
    from spotcheck.ingest.seaweedfs import WeedNotFoundError
    from spotcheck.observability.logs import configure_logging

    configure_logging("text")
    if (filer is None) == (not stdin):
        typer.echo("spotcheck events: give exactly one source: --filer HOST:PORT[.GRPC] or --stdin", err=True)
        raise typer.Exit(2)
    runtime = _load_runtime(data_dir, concurrency=0)
    bucket = runtime.bucket_events
    if bucket is None:
        typer.echo("spotcheck events: bucket events need SPOTCHECK_STORAGE_BACKEND=s3", err=True)
        raise typer.Exit(2)
    source: EventSource
    try:
        source = JsonLinesSource(sys.stdin) if filer is None else FilerMetaTail(filer=filer, bucket=bucket.bucket)
    except WeedNotFoundError as exc:
        typer.echo(f"spotcheck events: {exc}", err=True)
        raise typer.Exit(2) from None
    consumer = EventConsumer(
        source=source,
        ingestor=bucket.ingestor,
        reconciler=bucket.reconciler,
        reconcile_seconds=reconcile_seconds,
        deep_reconcile=deep,
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # leaves the blocked read of the source; `finally` below stops the rest

    signal.signal(signal.SIGTERM, stop)
    typer.echo(f"SpotCheck events consumer on bucket {bucket.bucket!r} ({'stdin' if filer is None else filer})")
    try:
        consumer.run()
    except KeyboardInterrupt:
        pass
    finally:
        consumer.stop()
        runtime.stop()
