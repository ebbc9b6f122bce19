"""Give an exported model the "where the model looked" output, in place, by graph surgery.

    python scripts/add_heatmap_output.py src/spotcheck/model/spotcheck-lesion.onnx \\
        --check /work/shared/datasets/ham10000-200x150/images --check /work/shared/datasets/pad-ufes-20-partial/images

Adds the ``heatmap`` output (``spotcheck.training.heatmap_output``: a class-activation map toward
"closer look" from the same pass) and records it in the metadata file beside the model. Before
anything is written, the model's other outputs are compared on the ``--check`` photos (the first
``--photos`` of each folder, prepared as ``spotcheck classify`` prepares them), before and after:
any difference at all stops the script and leaves both files as they were.

``--expert-maps``, for a model that has both the heatmap and the dermatoscopic route: a routed
photo's map becomes the mean of both networks' maps (``spotcheck.training.route_heatmap``), as its
estimate is; every other output and every unrouted photo's map must stay exactly as it was. Needs the ``onnx`` package
(the [train] or [dev] extra); serving the result needs only ONNX Runtime.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image, ImageOps

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.metadata import HeatmapSpec, ModelMetadata
from spotcheck.classifier.onnx import HEATMAP_OUTPUT, OnnxClassifier, metadata_path_for
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.heatmap_output import add_heatmap_output_to_file
from spotcheck.training.route_heatmap import add_expert_to_heatmap


def _photos(folders: list[Path], per_folder: int, classifier: OnnxClassifier) -> np.ndarray:
    prepared = []
    for folder in folders:
        for path in sorted(folder.glob("*.jpg"))[:per_folder]:
            with Image.open(path) as image:
                pixels = classifier.prepare(ImageOps.exif_transpose(image).convert("RGB"))
            if not isinstance(pixels, Refusal):
                prepared.append(pixels)
    return np.stack(prepared)


def _all_outputs(model: Path, batch: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, {session.get_inputs()[0].name: batch}), strict=True))


def _add_expert_maps(model_path: Path, metadata: ModelMetadata, batch: np.ndarray) -> int:
    """``spotcheck.training.route_heatmap`` on the file, written only if every other output and every
    unrouted photo's map stays exactly as it was. The version stays: no answer changes."""
    assert metadata.heatmap is not None and metadata.dermatoscopic_route is not None
    model = onnx.load(str(model_path))
    expert_maps = add_expert_to_heatmap(model, classes=len(metadata.classes))
    with tempfile.TemporaryDirectory() as scratch:
        rewritten = Path(scratch) / model_path.name
        onnx.save(model, str(rewritten))
        old, new = _all_outputs(model_path, batch), _all_outputs(rewritten, batch)
        routed = new[metadata.dermatoscopic_route.output] >= metadata.dermatoscopic_route.cut
        changed = [name for name in old if name != HEATMAP_OUTPUT and not np.array_equal(old[name], new[name])]
        if not np.array_equal(old[HEATMAP_OUTPUT][~routed], new[HEATMAP_OUTPUT][~routed]):
            changed.append("the heatmap of an unrouted photo")
        moved = float(np.abs(old[HEATMAP_OUTPUT][routed] - new[HEATMAP_OUTPUT][routed]).max(initial=0.0))
        print(f"{len(batch)} photos, {int(routed.sum())} routed; largest change of a routed photo's map: {moved:.4g}")
        if changed:
            print(f"changed: {', '.join(changed)}; nothing written", file=sys.stderr)
            return 1
        shutil.copyfile(rewritten, model_path)
    heatmap = metadata.heatmap.model_copy(update={"routed_feature_maps": (expert_maps,)})
    meta_path = metadata_path_for(model_path)
    metadata.model_copy(update={"heatmap": heatmap}).write(meta_path)
    print(f"wrote {model_path} (routed photos' maps also from {expert_maps}) and {meta_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="the ONNX file (its .json beside it)")
    parser.add_argument("--check", type=Path, action="append", default=[], help="a folder of photos (.jpg)")
    parser.add_argument("--photos", type=int, default=64, help="photos compared per --check folder")
    parser.add_argument(
        "--expert-maps",
        action="store_true",
        help="the model has the heatmap and a dermatoscopic route: average the expert's maps into routed photos' maps",
    )
    args = parser.parse_args(argv)
    if not args.check:
        parser.error("give at least one --check folder of photos: the outputs are compared before and after")
    for folder in args.check:
        if not folder.is_dir():
            parser.error(f"--check {folder} is not a folder")

    meta_path = metadata_path_for(args.model)
    before = OnnxClassifier(args.model)
    metadata = ModelMetadata.read(meta_path)
    pixels = _photos(args.check, args.photos, before)
    if args.expert_maps:
        if metadata.heatmap is None or metadata.dermatoscopic_route is None:
            parser.error(f"{args.model} needs both the heatmap and a dermatoscopic route for --expert-maps")
        return _add_expert_maps(args.model, metadata, normalise(pixels, metadata.input))
    with tempfile.TemporaryDirectory() as scratch:
        rewritten = Path(scratch) / args.model.name
        shutil.copyfile(args.model, rewritten)
        head = add_heatmap_output_to_file(
            rewritten, classes=len(metadata.classes), malignant_indices=metadata.malignant_indices
        )
        shutil.copyfile(meta_path, metadata_path_for(rewritten))
        after = OnnxClassifier(rewritten)
        old, new = before.outputs(pixels), after.outputs(pixels)
        differences = [float(np.abs(a - b).max()) for a, b in zip(old, new, strict=True) if a is not None]
        print(f"{len(pixels)} photos; largest change of each output: {differences}")
        if any(differences):
            print("the outputs changed: nothing written", file=sys.stderr)
            return 1
        shutil.copyfile(rewritten, args.model)
    metadata.model_copy(update={"heatmap": HeatmapSpec(feature_maps=head.feature_maps, views=head.views)}).write(
        meta_path
    )
    print(f"wrote {args.model} (heatmap from {', '.join(head.feature_maps)}; {head.views} view(s)) and {meta_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
