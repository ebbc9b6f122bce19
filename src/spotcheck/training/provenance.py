"""Where a run's outputs came from: the code's git commit and the versions of the libraries that made them."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Provenance", "git_state", "library_versions", "provenance"]

_CODE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Provenance:
    git_commit: str | None
    """``git rev-parse HEAD`` of the code's checkout; None outside a git checkout."""
    git_dirty: bool | None
    """Whether tracked files differed from that commit (untracked ones do not count)."""
    versions: Mapping[str, str]


def _git(checkout: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):  # no git installed, or a hung file system
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(checkout: Path = _CODE) -> tuple[str | None, bool | None]:
    """The commit of the git checkout holding ``checkout`` and whether it was dirty; (None, None) outside one."""
    commit = _git(checkout, "rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git(checkout, "status", "--porcelain", "--untracked-files=no")
    return commit, None if status is None else bool(status)


def library_versions() -> dict[str, str]:
    """The versions of Python and of the libraries that train, export and evaluate."""
    import numpy
    import onnx
    import onnxruntime
    import torch

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": numpy.__version__,
    }


def provenance(checkout: Path = _CODE) -> Provenance:
    commit, dirty = git_state(checkout)
    return Provenance(git_commit=commit, git_dirty=dirty, versions=library_versions())
