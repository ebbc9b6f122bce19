"""The photos an upload decoded for the in-process worker: taken once, only for their own bytes, bounded."""

from __future__ import annotations

from PIL import Image

from spotcheck.images.handoff import DecodedPhotos

PHOTO = Image.new("RGB", (64, 48), (200, 40, 40))
PHOTO_BYTES = 64 * 48 * 4  # Pillow keeps RGB in 4 bytes a pixel


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _handoff(*, photos: int = 4, max_age: float = 60.0, ticks: Ticks | None = None) -> DecodedPhotos:
    return DecodedPhotos(
        decode_size=(400, 300), max_bytes=photos * PHOTO_BYTES, max_age_seconds=max_age, monotonic=ticks or Ticks()
    )


def test_a_photo_is_taken_once_for_the_bytes_it_was_decoded_from() -> None:
    handoff = _handoff()
    assert handoff.put("users/a/mole.jpg", b"stored bytes", PHOTO)
    assert handoff.take("users/a/mole.jpg", b"stored bytes") is PHOTO
    assert handoff.take("users/a/mole.jpg", b"stored bytes") is None
    assert len(handoff) == 0


def test_other_bytes_under_the_same_key_are_not_given_the_photo() -> None:
    handoff = _handoff()
    handoff.put("users/a/mole.jpg", b"first upload", PHOTO)
    assert handoff.take("users/a/mole.jpg", b"a later upload of the same name") is None
    assert len(handoff) == 0  # the entry is dropped, not left for a later take


def test_an_unknown_key_is_a_miss() -> None:
    handoff = _handoff()
    handoff.put("users/a/mole.jpg", b"bytes", PHOTO)
    assert handoff.take("users/a/other.jpg", b"bytes") is None
    assert len(handoff) == 1


def test_a_new_upload_of_a_key_replaces_its_photo() -> None:
    handoff = _handoff(photos=1)
    newer = Image.new("RGB", (64, 48), (40, 40, 200))
    assert handoff.put("users/a/mole.jpg", b"first", PHOTO)
    assert handoff.put("users/a/mole.jpg", b"second", newer)  # room: the replaced photo made way
    assert handoff.take("users/a/mole.jpg", b"second") is newer


def test_when_full_new_photos_are_not_kept_and_the_waiting_ones_stay() -> None:
    handoff = _handoff(photos=2)
    assert handoff.put("k1", b"1", PHOTO)
    assert handoff.put("k2", b"2", PHOTO)
    assert not handoff.put("k3", b"3", PHOTO)
    assert len(handoff) == 2
    assert handoff.take("k3", b"3") is None
    assert handoff.take("k1", b"1") is PHOTO  # the oldest are the worker's next jobs: they stay
    assert handoff.put("k3", b"3", PHOTO)  # taking one made room


def test_photos_never_taken_make_room_once_old() -> None:
    ticks = Ticks()
    handoff = _handoff(photos=2, max_age=60.0, ticks=ticks)
    handoff.put("k1", b"1", PHOTO)
    ticks.now += 30
    handoff.put("k2", b"2", PHOTO)
    ticks.now += 31  # k1 is 61 s old, k2 31 s
    assert handoff.put("k3", b"3", PHOTO)
    assert handoff.take("k1", b"1") is None
    assert handoff.take("k2", b"2") is PHOTO
    assert handoff.take("k3", b"3") is PHOTO
