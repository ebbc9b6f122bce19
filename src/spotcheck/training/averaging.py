"""Average the weights of several fine-tunes of one network into one run (a "model soup").

Runs that started from the same weights stay close enough for their mean to be a working network of
the same size: one pass, where an ensemble of them would cost one pass each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from spotcheck.training.ensemble import member_configs

__all__ = ["average_runs"]


def average_runs(runs: list[Path], out: Path) -> Path:
    """Write a run folder at ``out`` whose ``best.pt`` holds the mean of the runs' weights.

    The runs must be finished runs on the same split and input, with networks of the same shape.
    Counters (batch norms' ``num_batches_tracked``) are taken from the first run. The folder's
    ``config.json`` and ``split_manifest.csv`` are the first run's.
    """
    if len(runs) < 2:
        raise ValueError("averaging needs at least two runs")
    member_configs(runs)
    states = [torch.load(run / "best.pt", map_location="cpu", weights_only=True)["state_dict"] for run in runs]
    first = states[0]
    for run, state in zip(runs[1:], states[1:], strict=True):
        if state.keys() != first.keys() or any(state[k].shape != first[k].shape for k in first):
            raise ValueError(f"{run} holds another network than {runs[0]}")
    mean = {
        key: torch.stack([state[key] for state in states]).mean(dim=0) if value.is_floating_point() else value
        for key, value in first.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "split_manifest.csv"):
        shutil.copyfile(runs[0] / name, out / name)
    torch.save({"epoch": 0, "state_dict": mean, "averaged_from": [str(run) for run in runs]}, out / "best.pt")
    return out
