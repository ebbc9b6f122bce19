"""``spotcheck`` subcommands: serve, worker, model-server, events, db, classify, train, ensemble, evaluate."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from spotcheck.cli.classify import classify_command
from spotcheck.cli.database import db_app
from spotcheck.cli.events import events_command
from spotcheck.cli.failures import explained_startup_failures, read_settings
from spotcheck.cli.serving import model_server_command
from spotcheck.cli.training import ensemble_command, evaluate_command, gate_command, train_command
from spotcheck.hardware import usable_cores

if TYPE_CHECKING:  # the server's modules stay out of `spotcheck classify`'s start-up
    from spotcheck.config import JobSettings

app = typer.Typer(
    help="SpotCheck: skin-lesion self-screening. A screening aid, never a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("classify")(classify_command)
app.command("train")(train_command)
app.command("ensemble")(ensemble_command)
app.command("evaluate")(evaluate_command)
app.command("gate")(gate_command)
app.command("events")(events_command)
app.command("model-server")(model_server_command)
app.add_typer(db_app, name="db")


def _load_runtime(  # type: ignore[no-untyped-def]
    data_dir: Path | None, concurrency: int | None = None, handoff_dir: Path | None = None, *, serving: bool = False
):
    from spotcheck.classifier.base import ModelUnavailableError
    from spotcheck.config import DeploymentError
    from spotcheck.db import SchemaError
    from spotcheck.observability.logs import configure_logging
    from spotcheck.runtime import build_runtime

    settings = read_settings(data_dir=data_dir)
    if serving:
        settings = settings.with_worker_layout(cores=usable_cores())
    configure_logging(settings.monitoring.log_format)
    try:
        with explained_startup_failures():
            return build_runtime(settings, concurrency=concurrency, handoff_dir=handoff_dir)
    except ModelUnavailableError as exc:
        typer.echo(f"spotcheck: cannot start without a model: {exc}", err=True)
        typer.echo("Train one with `spotcheck train` or point SPOTCHECK_MODEL_PATH at an exported model.", err=True)
        raise typer.Exit(2) from None
    except (SchemaError, DeploymentError) as exc:
        typer.echo(f"spotcheck: {exc}", err=True)
        raise typer.Exit(2) from None


def _worker_layout(jobs: JobSettings) -> str:
    if jobs.threads == 0:
        return "no workers: `spotcheck worker` labels"
    threads = f"{jobs.threads} worker thread{'s' if jobs.threads > 1 else ''}"
    return f"{threads} in a labelling process" if jobs.worker_process else f"{threads} in this process"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="Overrides SPOTCHECK_DATA_DIR.")] = None,
) -> None:
    """Run the HTTP API and web UI with their classification workers (in a labelling process on 2+ cores)."""
    import uvicorn

    from spotcheck.api import create_app
    from spotcheck.api.server import guarded_protocol
    from spotcheck.observability.logs import configure_logging

    configure_logging("text")  # until the settings name the format
    runtime = _load_runtime(data_dir, serving=True)
    settings = runtime.settings
    # Embedded: this host alone serves the data, so its workers may take over what a crash interrupted.
    sole_worker = settings.deployment == "embedded" and settings.jobs.threads > 0
    typer.echo(
        f"SpotCheck on http://{host}:{port} (data in {settings.data_dir.resolve()}, "
        f"model {runtime.classifier.version}, {_worker_layout(settings.jobs)})"
    )
    # SpotCheck logs each answer itself (with its request id), so uvicorn's access log is off, and
    # uvicorn's own loggers go through the root handler (log_config=None): one format, control
    # characters escaped, a repeated error (an accept loop out of file descriptors) once a minute.
    uvicorn.run(
        create_app(runtime, sole_worker=sole_worker),
        host=host,
        port=port,
        log_level="info",
        log_config=None,
        access_log=False,
        http=guarded_protocol(
            header_timeout=settings.server.header_timeout_seconds, max_connections=settings.server.max_connections
        ),
        timeout_keep_alive=settings.server.keep_alive_timeout_seconds,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Worker threads in this process.")] = 1,
    data_dir: Annotated[Path | None, typer.Option(help="Overrides SPOTCHECK_DATA_DIR.")] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=65535,
            help="Serve Prometheus metrics on this port (0: any free one); overrides SPOTCHECK_METRICS_PORT.",
        ),
    ] = None,
    wake_fd: Annotated[int | None, typer.Option(hidden=True, help="As a server's labelling process: its pipe.")] = None,
    handoff_dir: Annotated[
        Path | None, typer.Option(hidden=True, help="As a server's labelling process: the photos it decoded.")
    ] = None,
    ready_fd: Annotated[
        int | None, typer.Option(hidden=True, help="As a server's labelling process: where to say it labels.")
    ] = None,
) -> None:
    """Run classification workers only, beside `spotcheck serve` with SPOTCHECK_WORKER_CONCURRENCY=0."""
    from spotcheck.jobs.sql import SqlJobQueue
    from spotcheck.labelling.child import follow_parent, say_ready, write_worker_metrics
    from spotcheck.observability import configure_logging, metrics, start_metrics_server

    configure_logging("text")  # until the settings name the format
    runtime = _load_runtime(data_dir, concurrency=concurrency, handoff_dir=handoff_dir)
    parent_gone = threading.Event()
    if wake_fd is not None:  # started by `spotcheck serve`: woken by it, and gone with it
        queue = runtime.queue  # the jobs table: a labelling process is for the embedded default only
        wake = queue.wake if isinstance(queue, SqlJobQueue) else lambda: None
        follow_parent(wake_fd, wake=wake, parent_gone=parent_gone)
    monitoring = runtime.settings.monitoring
    version = runtime.classifier.version
    metrics.model_loaded(version)
    port = monitoring.metrics_port if metrics_port is None else metrics_port
    try:
        server = (
            start_metrics_server(monitoring.metrics_host, port) if monitoring.metrics and port is not None else None
        )
    except OSError as exc:  # the port taken (two workers given one), or a host that does not resolve
        typer.echo(
            f"spotcheck: cannot serve metrics on {monitoring.metrics_host}:{port}: {exc.strerror or exc}", err=True
        )
        raise typer.Exit(2) from None
    if wake_fd is None:
        typer.echo(f"SpotCheck worker x{concurrency}, model {version}")
    else:  # the server's own line on stdout says where its workers run; this goes to the log, in its format
        logging.getLogger(__name__).info("labelling process started: %d worker threads, model %s", concurrency, version)
    if server is not None:
        # One line a supervisor can read to find an ephemeral port.
        typer.echo(f"metrics on http://{monitoring.metrics_host}:{server.server_port}/metrics")
    runtime.start(sole_worker=False)
    if ready_fd is not None:
        say_ready(ready_fd)
    try:
        while runtime.workers_running and not parent_gone.wait(1.0):
            if handoff_dir is not None:  # the server reports them at its GET /metrics
                write_worker_metrics(handoff_dir, metrics.worker_exposition())
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        if server is not None:
            server.shutdown()
