"""Read a JPEG's marker stream without decoding it: count its scans, and drop its metadata losslessly.

A JPEG is a chain of marker segments (``FF xx`` + a 2-byte length) with entropy-coded data after
each start-of-scan (SOS); inside that data ``FF`` is always followed by ``00`` (a stuffed byte) or a
restart marker, so the next real marker is the first ``FF`` followed by anything else. Walking the
chain costs a few milliseconds for a 3 MB photo, far less than decoding it, and tells two things a
decoder would only find out slowly:

- how many scans the file has. A progressive JPEG has about ten; a file that repeats an empty scan
  40,000 times keeps a decoder busy for minutes while looking harmless (1.3 MB);
- which segments are metadata (APPn, COM) and can be dropped while every pixel stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["JpegLayout", "read_layout", "without_metadata"]

_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_APP0, _APP14, _APP15, _COM = 0xE0, 0xEE, 0xEF, 0xFE
_BASELINE, _EXTENDED, _PROGRESSIVE = 0xC0, 0xC1, 0xC2
# Segments a plain 8-bit Huffman JPEG is made of, besides APPn/COM and frames: tables (DQT, DHT),
# restart interval (DRI), number of lines (DNL).
_TABLES = frozenset({0xDB, 0xC4, 0xDD, 0xDC})
_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Inside entropy-coded data: FF followed by neither a stuffed 00 nor a restart marker (D0-D7).
_FOLLOWED = frozenset(range(_APP0, _APP15 + 1)) | {_COM, _SOS} | _TABLES | _FRAMES
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7])")


@dataclass(frozen=True, slots=True)
class JpegLayout:
    """What the marker stream says about a JPEG, and where its segments lie."""

    scans: int
    frame: int | None  # the SOFn marker byte (C0 baseline, C1 extended, C2 progressive, ...)
    precision: int
    components: int
    adobe: bool  # an APP14 "Adobe" segment, which can change how colours are read
    component_ids: tuple[int, ...]
    segments: tuple[tuple[int, int, int], ...]  # (marker, start, end) of every marker segment
    end: int  # just after EOI, or len(data) when the file stops without one
    complete: bool  # the chain reached EOI without anything out of place

    @property
    def plain(self) -> bool:
        """An ordinary 8-bit Huffman JPEG (baseline or progressive) in greyscale or YCbCr.

        YCbCr as every decoder reads it without the JFIF segment: components numbered 1, 2, 3
        (decoders may take other numbers, "R", "G", "B" for one, for RGB).
        """
        return (
            self.complete
            and self.frame in (_BASELINE, _EXTENDED, _PROGRESSIVE)
            and self.precision == 8
            and self.component_ids in ((1,), (1, 2, 3))
            and not self.adobe
        )


def read_layout(data: bytes, *, max_scans: int | None = None) -> JpegLayout:
    """Walk the marker chain of ``data`` (which starts with SOI); stops counting at ``max_scans + 1``.

    Never raises on odd input: a chain it cannot follow ends with ``complete=False``, and the
    decoder then judges the file.
    """
    scans, frame, precision, components, adobe = 0, None, 0, 0, False
    component_ids: tuple[int, ...] = ()
    segments: list[tuple[int, int, int]] = []
    pos, size = 2, len(data)
    complete = False
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill bytes before a marker are allowed
            pos += 1
            continue
        if marker == _EOI:
            pos += 2
            complete = True
            break
        if marker not in _FOLLOWED:
            break  # arithmetic coding tables, hierarchical JPEG, reserved markers: not ours to follow
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if pos + 4 > size or length < 2 or end > size:
            break
        segments.append((marker, pos, end))
        if marker in _FRAMES and frame is None and length >= 8:
            frame, precision, components = marker, data[pos + 4], data[pos + 9]
            component_ids = tuple(data[pos + 10 : min(end, pos + 10 + 3 * components) : 3])
        elif marker == _APP14 and data[pos + 4 : pos + 9] == b"Adobe":
            adobe = True
        pos = end
        if marker == _SOS:
            scans += 1
            if max_scans is not None and scans > max_scans:
                break
            found = _NEXT_MARKER.search(data, pos)
            pos = found.start() if found else size
    return JpegLayout(scans, frame, precision, components, adobe, component_ids, tuple(segments), pos, complete)


def without_metadata(data: bytes, layout: JpegLayout) -> bytes:
    """``data`` without its APPn and COM segments and anything after EOI; every other byte as it was.

    EXIF (GPS, camera, orientation and its thumbnail), XMP, ICC profiles, JFIF thumbnails, Photoshop
    blocks and comments all live in those segments. Only for a ``layout.plain`` file: APP14 Adobe
    can say how to read colours, and other layouts may need what is dropped here.
    """
    parts = [data[:2]]
    kept_until = 2
    for marker, start, end in layout.segments:
        if _APP0 <= marker <= _APP15 or marker == _COM:
            parts.append(data[kept_until:start])
            kept_until = end
    parts.append(data[kept_until : layout.end])
    return b"".join(parts)
