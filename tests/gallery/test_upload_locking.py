"""An upload holds the database's write lock (on SQLite the whole database's) only to publish its object."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from images import RED, image_bytes
from spotcheck.auth import AccountService
from spotcheck.db import images, open_database
from spotcheck.gallery import Gallery
from spotcheck.gallery.records import ImageRecords
from spotcheck.images import ImageSanitizer
from spotcheck.storage import LocalObjectStore, StagedObject
from spotcheck.storage.keys import object_key_for


class WritingWhileStaged(LocalObjectStore):
    """Runs ``during`` on another thread while an upload's bytes sit staged, and notes whether it finished then."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.during: Callable[[], None] = lambda: None
        self.finished_meanwhile: bool | None = None

    @contextmanager
    def staging(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> Iterator[StagedObject]:
        with super().staging(key, body, content_type=content_type, metadata=metadata) as staged:
            other = threading.Thread(target=self.during)
            other.start()
            other.join(timeout=5.0)
            self.finished_meanwhile = not other.is_alive()
            yield staged


def test_the_database_is_free_while_an_upload_writes_its_bytes(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'uploads.db'}")
    accounts = AccountService(engine)
    owner = accounts.register(email="ada@example.org", password="correct horse battery").id
    store = WritingWhileStaged(tmp_path / "store")
    sanitizer = ImageSanitizer(max_pixels=10_000_000, max_concurrent=1)
    gallery = Gallery(engine=engine, records=ImageRecords(engine), store=store, sanitizer=sanitizer)
    store.during = lambda: accounts.register(email="grace@example.org", password="another long passphrase")

    summary = gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED))

    assert store.finished_meanwhile is True
    with engine.connect() as conn:
        assert conn.execute(select(images.c.upload_id)).scalar_one() == summary.upload_id
    assert store.head(object_key_for(owner, "mole.jpg")).metadata["upload-id"] == summary.upload_id
