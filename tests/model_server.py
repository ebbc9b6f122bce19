"""Run `spotcheck model-server` as a real process on a loopback port, and SageMaker Runtime's
InvokeEndpoint in front of it."""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from live_server import ServerProcess

__all__ = ["ModelServer", "SageMakerRuntime"]


class ModelServer(ServerProcess):
    """``spotcheck model-server`` in a subprocess; ``start`` waits until /v2/health/ready answers 200."""

    name = "model-server"
    ready_path = "/v2/health/ready"
    start_timeout = 60.0
    stop_timeout = 15.0

    def __init__(self, *, log_dir: Path, model_path: Path | None = None, args: tuple[str, ...] = ()) -> None:
        model = ["--model", str(model_path)] if model_path is not None else []
        super().__init__(
            command=[sys.executable, "-m", "spotcheck", "model-server", *model, *args],
            env={k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")},
            log_dir=log_dir,
        )


class SageMakerRuntime:
    """SageMaker Runtime's ``POST /endpoints/<name>/invocations`` on loopback, passing the photo to the
    model server's ``/invocations`` as a SageMaker endpoint running its image does. ``url`` is what
    ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` (or a client's ``endpoint_url``) takes."""

    def __init__(self, model_url: str, endpoint_name: str) -> None:
        path = f"/endpoints/{endpoint_name}/invocations"

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != path:
                    self.send_error(404)
                    return
                answer = httpx.post(
                    f"{model_url}/invocations", content=body, headers={"Content-Type": self.headers["Content-Type"]}
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> SageMakerRuntime:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
