"""Small image files made on the fly for tests."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["BLUE", "GREEN", "RED", "image_bytes", "scan_bomb"]

RED = (230, 30, 30)  # the tiny model calls this MALIGNANT
BLUE = (30, 30, 230)  # ... and this BENIGN
GREEN = (30, 230, 30)  # ... and the gated tiny model refuses this as not a lesion


def image_bytes(colour: tuple[int, int, int] = BLUE, *, size: tuple[int, int] = (128, 96), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def scan_bomb(*, repeats: int = 40_000, size: tuple[int, int] = (2048, 1536)) -> bytes:
    """A progressive JPEG with one DC scan and then the same empty AC scan ``repeats`` times.

    A flat picture's AC scans hold only end-of-band codes, a few bytes each, so the file stays
    small (about 1.3 MB at 40,000) while a decoder makes a pass over every block for each scan.
    """
    out = io.BytesIO()
    Image.new("RGB", size, (128, 128, 128)).save(out, format="JPEG", progressive=True, quality=90)
    data = out.getvalue()
    scans = []  # (start, end) of each SOS segment with its entropy-coded data
    at = 2
    while data[at + 1] != 0xD9:
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        end = at + 2 + length
        if data[at + 1] == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
            scans.append((at, end))
        at = end

    def spectral_start(scan: tuple[int, int]) -> int:
        return data[scan[0] + 5 + 2 * data[scan[0] + 4]]  # Ss, after Ns and two bytes per component

    ac_start, ac_end = next(scan for scan in scans if spectral_start(scan) > 0)
    assert (ac_start, ac_end) == scans[1]  # only the DC scan comes before it
    # Up to the AC scan: the frame, the DC scan and the AC scan's Huffman table; then the scan itself.
    return data[:ac_start] + data[ac_start:ac_end] * repeats + b"\xff\xd9"
