"""Run `spotcheck model-server` as a real process on a loopback port, and SageMaker Runtime's
InvokeEndpoint in front of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from live_server import free_port

__all__ = ["ModelServer", "SageMakerRuntime"]


class ModelServer:
    """``spotcheck model-server`` in a subprocess; ``start`` waits until /v2/health/ready answers 200.
    The port stays the same across a kill and a start, as a restarted server's would."""

    def __init__(self, *, log_dir: Path, model_path: Path | None = None, args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"model-server-{self.port}.log"
        self._model = model_path
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ModelServer:
        command = [sys.executable, "-m", "spotcheck", "model-server", "--host", "127.0.0.1", "--port", str(self.port)]
        if self._model is not None:
            command += ["--model", str(self._model)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen([*command, *self._args], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"model server exited with {self._process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"model server not ready after {timeout}s:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as in a crash."""
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


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
