"""The photos an upload prepared for the in-process worker: prepared on the upload's thread, taken once,
only for their own upload, bounded."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from spotcheck.classifier.base import PreparedPhoto, Refusal
from spotcheck.classifier.handoff import PreparedPhotos
from spotcheck.photocheck.reasons import RefusalReason

PHOTO = Image.new("RGB", (64, 48), (200, 40, 40))
INPUT_BYTES = 16 * 12 * 3


def _prepare(photo: Image.Image) -> PreparedPhoto:
    """A stand-in for the model's preparation: the photo at 16x12."""
    return np.asarray(photo.resize((16, 12)))


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _handoff(*, photos: int = 4, max_age: float = 60.0, ticks: Ticks | None = None) -> PreparedPhotos:
    return PreparedPhotos(
        prepare=_prepare,
        decode_size=(400, 300),
        max_bytes=photos * INPUT_BYTES,
        max_age_seconds=max_age,
        monotonic=ticks or Ticks(),
    )


def _taken(handoff: PreparedPhotos, key: str, upload_id: str) -> np.ndarray | None:
    taken = handoff.take(key, upload_id)
    assert not isinstance(taken, Refusal)
    return taken


def test_a_photo_is_prepared_on_the_uploads_thread_and_taken_once() -> None:
    threads: list[str] = []

    def prepare(photo: Image.Image) -> PreparedPhoto:
        threads.append(threading.current_thread().name)
        return _prepare(photo)

    handoff = PreparedPhotos(prepare=prepare, decode_size=(400, 300))
    assert handoff.put("users/a/mole.jpg", "upload-1", PHOTO)
    assert threads == [threading.current_thread().name]
    taken = _taken(handoff, "users/a/mole.jpg", "upload-1")
    assert taken is not None and taken.shape == (12, 16, 3)
    assert handoff.take("users/a/mole.jpg", "upload-1") is None
    assert len(handoff) == 0


def test_a_refusal_is_handed_over_as_prepared() -> None:
    refusal = Refusal(RefusalReason.TOO_DARK, "v1")
    handoff = PreparedPhotos(prepare=lambda photo: refusal, decode_size=(400, 300))
    handoff.put("users/a/mole.jpg", "upload-1", PHOTO)
    assert handoff.take("users/a/mole.jpg", "upload-1") is refusal


def test_another_upload_of_the_same_key_is_not_given_the_photo() -> None:
    handoff = _handoff()
    handoff.put("users/a/mole.jpg", "first upload", PHOTO)
    assert handoff.take("users/a/mole.jpg", "a later upload of the same name") is None
    assert len(handoff) == 0  # the entry is dropped, not left for a later take


def test_an_unknown_key_is_a_miss() -> None:
    handoff = _handoff()
    handoff.put("users/a/mole.jpg", "upload-1", PHOTO)
    assert handoff.take("users/a/other.jpg", "upload-1") is None
    assert len(handoff) == 1


def test_a_new_upload_of_a_key_replaces_its_photo() -> None:
    handoff = _handoff(photos=1)
    newer = Image.new("RGB", (64, 48), (40, 40, 200))
    assert handoff.put("users/a/mole.jpg", "first", PHOTO)
    assert handoff.put("users/a/mole.jpg", "second", newer)  # room: the replaced photo made way
    taken = _taken(handoff, "users/a/mole.jpg", "second")
    assert taken is not None and tuple(taken[0, 0]) == (40, 40, 200)


def test_when_full_new_photos_are_not_kept_and_the_waiting_ones_stay() -> None:
    handoff = _handoff(photos=2)
    assert handoff.put("k1", "1", PHOTO)
    assert handoff.put("k2", "2", PHOTO)
    assert not handoff.put("k3", "3", PHOTO)
    assert len(handoff) == 2
    assert handoff.take("k3", "3") is None
    assert handoff.take("k1", "1") is not None  # the oldest are the worker's next jobs: they stay
    assert handoff.put("k3", "3", PHOTO)  # taking one made room


def test_photos_never_taken_make_room_once_old() -> None:
    ticks = Ticks()
    handoff = _handoff(photos=2, max_age=60.0, ticks=ticks)
    handoff.put("k1", "1", PHOTO)
    ticks.now += 30
    handoff.put("k2", "2", PHOTO)
    ticks.now += 31  # k1 is 61 s old, k2 31 s
    assert handoff.put("k3", "3", PHOTO)
    assert handoff.take("k1", "1") is None
    assert handoff.take("k2", "2") is not None
    assert handoff.take("k3", "3") is not None


def test_a_photo_that_cannot_be_prepared_is_not_kept_and_the_upload_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def prepare(photo: Image.Image) -> PreparedPhoto:
        raise ValueError("a fault in the gate")

    handoff = PreparedPhotos(prepare=prepare, decode_size=(400, 300))
    assert not handoff.put("users/a/mole.jpg", "upload-1", PHOTO)
    assert handoff.take("users/a/mole.jpg", "upload-1") is None
    assert "could not prepare users/a/mole.jpg" in caplog.text
