"""A photo filed under a spot deleted in the meantime (by upload or by a move): a plain 404-kind error, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from images import RED, image_bytes
from spotcheck.auth import AccountService
from spotcheck.db import images, jobs, open_database
from spotcheck.gallery import Gallery, SpotGoneError
from spotcheck.gallery.records import ImageRecords
from spotcheck.images import ImageSanitizer
from spotcheck.storage import MemoryObjectStore


def _gallery(tmp_path: Path) -> tuple[Engine, str, MemoryObjectStore, Gallery]:
    engine = open_database(f"sqlite:///{tmp_path / 'gone.db'}")
    owner = AccountService(engine).register(email="ada@example.org", password="correct horse battery").id
    store = MemoryObjectStore()
    sanitizer = ImageSanitizer(max_pixels=10_000_000, max_concurrent=1)
    return engine, owner, store, Gallery(engine=engine, records=ImageRecords(engine), store=store, sanitizer=sanitizer)


def test_an_upload_into_a_deleted_spot_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    engine, owner, store, gallery = _gallery(tmp_path)
    with pytest.raises(SpotGoneError, match="deleted"):
        gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED), spot_id="f" * 32)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(images)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(jobs)).scalar_one() == 0
    assert list(store.list(prefix="users/")) == []
    # Without a spot the same photo goes in as usual.
    assert gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED)).file_name == "mole.jpg"


def test_a_photo_moved_into_a_deleted_spot_stays_where_it_was(tmp_path: Path) -> None:
    _engine, owner, _store, gallery = _gallery(tmp_path)
    gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED))
    with pytest.raises(SpotGoneError, match="deleted"):
        gallery.file_under(owner_id=owner, file_name="mole.jpg", spot_id="f" * 32)
    assert gallery.summary(owner_id=owner, file_name="mole.jpg").spot_id is None
    assert gallery.content(owner_id=owner, file_name="mole.jpg")[0]
