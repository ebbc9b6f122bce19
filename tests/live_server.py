"""Run `spotcheck serve` (or another SpotCheck server) as a real process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import httpx

__all__ = ["LiveServer", "ServerProcess", "free_port"]


_PORT_TRIES = 3


class _PortTakenError(RuntimeError):
    """The server could not listen: its port was free when chosen, and taken before it bound."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server in a subprocess on a free loopback port, logging to ``log_path``; ``start`` waits until
    ``ready_path`` answers 200. The port stays the same across a kill and a start, as a restarted
    server's would."""

    name = "server"
    ready_path = "/readyz"
    start_timeout = 30.0
    stop_timeout = 10.0

    def __init__(self, *, command: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self._base_command = command
        self._log_dir = log_dir
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False
        self._choose_port()

    def _choose_port(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self._log_dir / f"{self.name}-{self.port}.log"
        self._command = [*self._base_command, "--host", "127.0.0.1", "--port", str(self.port)]

    def start(self) -> Self:
        """Start; a first start whose port another program took after ``free_port`` chose it gets another."""
        for _ in range(_PORT_TRIES - 1):
            try:
                return self._start()
            except _PortTakenError:
                if self._started:
                    raise  # a restart keeps its port, as a restarted server's would
                self._choose_port()
        return self._start()

    def _start(self) -> Self:
        timeout = self.start_timeout
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(self._command, env=self._env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log_text = self.log_path.read_text()
                error = _PortTakenError if "address already in use" in log_text else RuntimeError
                raise error(f"{self.name} exited with {self._process.returncode}:\n{log_text}")
            try:
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1.0).status_code == 200:
                    self._started = True
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_path.read_text()}")

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run, as in a crash."""
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class LiveServer(ServerProcess):
    """``spotcheck serve`` in a subprocess; ``start`` waits until /readyz answers 200."""

    def __init__(self, *, data_dir: Path, model_path: Path, jwt_secret: str, env: Mapping[str, str] | None = None):
        self.data_dir = data_dir
        super().__init__(
            command=[sys.executable, "-m", "spotcheck", "serve"],
            env={
                **os.environ,
                "SPOTCHECK_DATA_DIR": str(data_dir),
                "SPOTCHECK_MODEL_PATH": str(model_path),
                "SPOTCHECK_JWT_SECRET": jwt_secret,
                **(env or {}),
            },
            log_dir=data_dir.parent,
        )
