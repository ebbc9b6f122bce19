"""Find the objects whose events were lost, by listing the bucket against the images table."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Engine

from spotcheck.gallery.rows import recorded_object_keys
from spotcheck.ingest.events import BucketObjectCreated
from spotcheck.ingest.service import IngestOutcome
from spotcheck.storage.base import ObjectStore
from spotcheck.storage.keys import USERS_PREFIX

__all__ = ["Reconciler"]

log = logging.getLogger(__name__)


class Reconciler:
    """One pass lists ``users/`` and hands every object that no row names to the ingest core, which
    also removes what sits under the prefix of a deleted account (the sweep after a deletion).

    A shallow pass costs one listing and one query; it finds every new object whose event was lost.
    A deep pass also re-checks objects that have a row (one HEAD each), which finds a raw object
    written over an earlier upload of the same name whose event was lost.
    """

    def __init__(
        self, *, engine: Engine, store: ObjectStore, bucket: str, handle: Callable[[BucketObjectCreated], IngestOutcome]
    ) -> None:
        self._engine = engine
        self._store = store
        self._bucket = bucket
        self._handle = handle

    def run_once(self, *, deep: bool = False) -> Counter[IngestOutcome]:
        with self._engine.connect() as conn:
            known = recorded_object_keys(conn)
        outcomes: Counter[IngestOutcome] = Counter()
        for info in self._store.list(USERS_PREFIX):
            if info.key in known and not deep:
                continue
            event = BucketObjectCreated(bucket=self._bucket, key=info.key, size=info.size, etag=info.etag)
            outcomes[self._handle(event)] += 1
        if outcomes[IngestOutcome.RECORDED] or outcomes[IngestOutcome.REJECTED] or outcomes[IngestOutcome.ORPHANED]:
            log.info("reconciliation handled objects whose events were lost: %s", dict(outcomes))
        return outcomes
