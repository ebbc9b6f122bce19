"""Inference speed of a trained run on CPU: ONNX Runtime (what SpotCheck serves) against PyTorch eager.

    python scripts/bench_model.py runs/release-ensemble --images 256 --batch-sizes 1,32

Loads the run's PyTorch weights (best.pt + config.json, or an ensemble run's members; fp32,
torch.inference_mode) and its model.onnx + model.json (ONNX Runtime, CPU), runs both on the same
real images at each batch size and prints images/s and the median latency per image, with the CPU
and thread counts used. Other processes competing for the CPU lower every figure: the load average
is printed so a reader can tell.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.preprocess import normalise
from spotcheck.hardware import cpu_model
from spotcheck.training.config import EnsembleConfig, TrainConfig
from spotcheck.training.dataset import load_images, load_records
from spotcheck.training.network import load_run_model


@dataclass(frozen=True)
class Timing:
    runtime: str
    batch_size: int
    images_per_second: float
    median_ms_per_image: float


def time_runtime(
    name: str, run: Callable[[np.ndarray], np.ndarray], inputs: np.ndarray, batch_size: int, warmup: int
) -> tuple[Timing, np.ndarray]:
    """Every image once in batches of ``batch_size``, after ``warmup`` untimed batches."""
    batches = [inputs[i : i + batch_size] for i in range(0, len(inputs), batch_size)]
    for batch in batches[:warmup]:
        run(batch)
    seconds: list[float] = []
    outputs = []
    for batch in batches:
        started = time.perf_counter()
        outputs.append(run(batch))
        seconds.append(time.perf_counter() - started)
    full = [s for s, b in zip(seconds, batches, strict=True) if len(b) == batch_size] or seconds
    timing = Timing(
        runtime=name,
        batch_size=batch_size,
        images_per_second=len(inputs) / sum(seconds),
        median_ms_per_image=1000.0 * statistics.median(full) / batch_size,
    )
    return timing, np.concatenate(outputs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "run_dir", nargs="?", type=Path, default=Path("runs/release-ensemble"), help="a training or ensemble run folder"
    )
    parser.add_argument("--data-dir", type=Path, help="images to run on (default: the run's data_dir)")
    parser.add_argument("--images", type=int, default=256, help="how many real images (default 256)")
    parser.add_argument("--batch-sizes", default="1,32", help="comma-separated (default 1,32)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both runtimes")
    parser.add_argument("--warmup", type=int, default=2, help="untimed batches first (default 2)")
    parser.add_argument("--channels-last", action="store_true", help="PyTorch in channels_last memory format")
    args = parser.parse_args(argv)

    run_dir: Path = args.run_dir
    ensemble = (run_dir / "ensemble.json").is_file()
    needed = ("ensemble.json",) if ensemble else ("best.pt", "config.json")
    missing = [n for n in (*needed, "model.onnx", "model.json") if not (run_dir / n).is_file()]
    if missing:
        print(f"bench_model: {run_dir} lacks {', '.join(missing)}; is it a finished training run?", file=sys.stderr)
        return 2
    meta = ModelMetadata.read(run_dir / "model.json")
    trained = (
        EnsembleConfig.model_validate_json((run_dir / "ensemble.json").read_text()).members[0] if ensemble else run_dir
    )
    data_dir = args.data_dir or TrainConfig.of_run(trained).data_dir
    records = load_records(data_dir)[: args.images]
    inputs = normalise(load_images(records, meta.input), meta.input)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]

    torch.set_num_threads(args.threads)
    model = load_run_model(run_dir)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(str(run_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    def run_onnx(batch: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(None, {input_name: batch})[0])

    def run_torch(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            pixels = torch.from_numpy(batch)
            if args.channels_last:
                pixels = pixels.contiguous(memory_format=torch.channels_last)
            return np.asarray(model(pixels).numpy())

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"model     {meta.version} ({run_dir}), input {meta.input.height}x{meta.input.width}")
    print(f"images    {len(records)} real images from {data_dir}")
    print(f"cpu       {cpu_model()}, {os.cpu_count()} logical cores, load average {load} (1, 5, 15 min)")
    print(
        f"threads   {args.threads} (torch.get_num_threads()={torch.get_num_threads()}, "
        f"onnxruntime intra_op={args.threads}); torch {torch.__version__}, onnxruntime {ort.__version__}"
    )
    memory = "channels_last" if args.channels_last else "contiguous"
    print(f"pytorch   eager fp32, torch.inference_mode, {memory}")
    print()
    print(f"{'runtime':<12} {'batch':>5} {'images/s':>10} {'median ms/image':>16}")
    for batch_size in batch_sizes:
        onnx_timing, onnx_out = time_runtime("onnxruntime", run_onnx, inputs, batch_size, args.warmup)
        torch_timing, torch_out = time_runtime("pytorch", run_torch, inputs, batch_size, args.warmup)
        for t in (onnx_timing, torch_timing):
            print(f"{t.runtime:<12} {t.batch_size:>5} {t.images_per_second:>10.1f} {t.median_ms_per_image:>16.2f}")
        ratio = onnx_timing.images_per_second / torch_timing.images_per_second
        difference = float(np.abs(onnx_out - torch_out).max())
        print(f"{'':<12} {'':>5} onnxruntime/pytorch throughput x{ratio:.2f}; max |prob diff| {difference:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
