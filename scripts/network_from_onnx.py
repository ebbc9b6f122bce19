"""A shipped network as a training run folder again, so that ``spotcheck train`` can fine-tune it.

    git show 04ad702:src/spotcheck/model/spotcheck-lesion.onnx > runs/first-release.onnx
    python scripts/network_from_onnx.py runs/first-release.onnx --recipe configs/release.toml \\
        --out runs/first-release-net0

The network between ``--input`` and ``--output`` of the graph (by default the first release's
network 0, one view) gets its weights back in PyTorch (``spotcheck.training.onnx_import``: batch
norms folded into the convolutions). The folder holds the recipe's ``config.json`` (the split and
input the network was trained with) and ``best.pt``; the script stops unless PyTorch and ONNX Runtime
agree on validation images. Fine-tune it with ``init_from`` and ``frozen_batchnorm = true``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from onnx import utils

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.config import load_config
from spotcheck.training.dataset import load_images
from spotcheck.training.network import build_network
from spotcheck.training.onnx_import import load_folded_weights
from spotcheck.training.pipeline import load_split_records

_PARITY_IMAGES = 64
_PARITY_TOLERANCE = 1e-3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="an ONNX file that holds the network")
    parser.add_argument("--input", default="/network/Concat_output_0", help="the network's input in the graph")
    parser.add_argument("--output", default="/network/network/networks.0/_fc/Gemm_output_0", help="its logits")
    parser.add_argument("--recipe", type=Path, required=True, help="the TOML the network was trained with")
    parser.add_argument("--out", type=Path, required=True, help="the run folder to write")
    parser.add_argument("-o", "--override", action="append", default=[], help="key=value of the recipe, repeatable")
    args = parser.parse_args(argv)

    config = load_config(args.recipe, [*args.override, f"output_dir={args.out.parent}", f"run_name={args.out.name}"])
    network = build_network(
        num_classes=len(DIAGNOSES),
        height=config.height,
        width=config.width,
        pretrained=False,
        dropout=config.dropout,
        backbone=config.backbone,
    )
    with tempfile.TemporaryDirectory() as scratch:
        cut = Path(scratch) / "network.onnx"
        utils.extract_model(str(args.model), str(cut), [args.input], [args.output])
        load_folded_weights(network, cut)
        session = ort.InferenceSession(str(cut), providers=["CPUExecutionProvider"])

    records, split_of = load_split_records(config)
    val = [r for r in records if split_of[r.image_id] == "val"][:_PARITY_IMAGES]
    pixels = normalise(load_images(val, config.input_spec), config.input_spec)
    expected = session.run(None, {session.get_inputs()[0].name: pixels})[0]
    with torch.no_grad():
        found = network.eval()(torch.from_numpy(pixels)).numpy()
    difference = float(np.abs(found - expected).max())
    print(f"largest difference from ONNX Runtime on {len(val)} validation images: {difference:.2e}")
    if difference > _PARITY_TOLERANCE:
        raise SystemExit(f"PyTorch and ONNX Runtime differ by {difference:.2e}: stopped")

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(config.model_dump_json(indent=2) + "\n")
    torch.save({"epoch": 0, "state_dict": network.state_dict()}, args.out / "best.pt")
    print(f"wrote {args.out / 'config.json'} and {args.out / 'best.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
