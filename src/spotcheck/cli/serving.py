"""``spotcheck model-server``: the model alone, over the Open Inference Protocol and SageMaker's contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["model_server_command"]


def model_server_command(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free one).", min=0, max=65535)] = 8080,
    model: Annotated[
        Path | None,
        typer.Option(help="ONNX model (its .json beside it); default: SPOTCHECK_MODEL_PATH or the shipped one."),
    ] = None,
    max_batch: Annotated[int, typer.Option(min=1, help="Photos one network pass takes at most.")] = 32,
    max_wait_ms: Annotated[
        float, typer.Option(min=0, help="How long a pass waits for more photos after the first arrives.")
    ] = 5.0,
) -> None:
    """Serve the model (photo gate and classifier) on KServe: OIP v2 at /v2, SageMaker's /ping and /invocations.

    Point SPOTCHECK_MODEL_URL of `spotcheck serve` and `spotcheck worker` here to classify through it.
    """
    from spotcheck.classifier.base import ModelUnavailableError
    from spotcheck.classifier.packaged import packaged_model_path
    from spotcheck.cli.failures import read_settings
    from spotcheck.observability.logs import configure_logging

    try:
        from spotcheck.serving.server import serve_model
    except ImportError as exc:
        typer.echo(
            f"spotcheck: the model server needs the serving extra (pip install 'spotcheck[serving]'): {exc}", err=True
        )
        raise typer.Exit(2) from None
    settings = read_settings()
    configure_logging(settings.monitoring.log_format)
    path = model or settings.model.path or packaged_model_path()

    def listening(bound: int) -> None:
        # One line a supervisor can read to find an ephemeral port.
        typer.echo(f"SpotCheck model server on http://{host}:{bound} (model {path.name})")

    try:
        serve_model(
            host=host,
            port=port,
            model_path=path,
            max_batch=max_batch,
            max_wait=max_wait_ms / 1000,
            on_listening=listening,
        )
    except ModelUnavailableError as exc:
        typer.echo(f"spotcheck: cannot start without a model: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"spotcheck: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
