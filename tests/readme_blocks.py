"""The README's runnable blocks, for the doc tests (`test_readme.py`, and `test_serve_scaled.py` for direct uploads).

Every ```sh, ```bash and ```python block runs unless the line above its fence is
``<!-- readme-test: skip -->``. A ```json block marked ``<!-- readme-test: output -->`` is the last
JSON the block before it prints: its keys must match, and so must every value that does not change
from run to run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["README", "README_API", "Block", "assert_matches", "json_values", "readme_blocks"]

README = Path(__file__).parents[1] / "README.md"
README_API = "http://127.0.0.1:8000"
SKIP = "<!-- readme-test: skip -->"
OUTPUT = "<!-- readme-test: output -->"
RUNNABLE = {"sh": "shell", "bash": "shell", "python": "python"}
# Values that differ from run to run (times, ids, the model's exact estimate on a re-encoded photo).
VOLATILE = {"malignantProbability", "modelVersion", "classifiedAt", "checkedAt", "id", "createdAt", "expiresAt"}
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    kind: str  # "shell" or "python"
    code: str
    line: int
    expected: Any = None  # the JSON the README shows as this block's answer, if any


def readme_blocks(text: str | None = None) -> list[Block]:
    """The runnable blocks in README order, each with the output block that follows it, if any."""
    text = README.read_text(encoding="utf-8") if text is None else text
    blocks: list[Block] = []
    for match in _FENCE.finditer(text):
        marker = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        language, code = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if marker == OUTPUT:
            assert language == "json" and blocks, f"README line {line}: an output block follows no runnable block"
            blocks[-1].expected = json.loads(code)
        elif language in RUNNABLE and marker != SKIP:
            blocks.append(Block(RUNNABLE[language], code, line))
    return blocks


def json_values(output: str) -> list[Any]:
    """Every JSON object or array printed in ``output``, in order (other lines are skipped)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (start := _next_json_start(output, at)) >= 0:
        try:
            value, at = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            at = start + 1
            continue
        values.append(value)
    return values


def _next_json_start(text: str, at: int) -> int:
    found = [i for i in (text.find("{", at), text.find("[", at)) if i >= 0]
    return min(found, default=-1)


def assert_matches(actual: Any, expected: Any, where: str) -> None:
    assert isinstance(actual, dict) and isinstance(expected, dict), where
    assert sorted(actual) == sorted(expected), f"{where}: keys differ"
    for key, value in expected.items():
        if key not in VOLATILE:
            assert actual[key] == value, f"{where}: {key} is {actual[key]!r}, the README shows {value!r}"
