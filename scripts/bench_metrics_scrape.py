#!/usr/bin/env python
"""What one /metrics scrape costs with a backlog: the queue query and the whole exposition.

    python scripts/bench_metrics_scrape.py --pending 0 10000 100000 [--database-url URL] [--rounds 20]

Fills a throw-away SQLite database (or the empty PostgreSQL database ``--database-url`` names,
which it leaves filled) with that many pending jobs plus as many done ones, then times
``queue_snapshot`` (the one query a scrape runs) and ``exposition`` (the text a scrape returns).
Prints the median and worst of ``--rounds`` for each backlog, the hardware and the command.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, insert

from spotcheck.clock import utc_now
from spotcheck.db import jobs, open_database, upgrade_database
from spotcheck.hardware import cpu_model
from spotcheck.observability import exposition
from spotcheck.observability.queue_depth import queue_snapshot
from spotcheck.storage.keys import object_key_for


def _fill(engine: Engine, pending: int) -> None:
    now = utc_now()
    with engine.begin() as conn:
        conn.execute(delete(jobs))
        for status in ("done", "pending"):
            rows = [
                {
                    "object_key": object_key_for("bench", f"{status}-{i}.jpg"),
                    "upload_id": f"{i:036d}",
                    "status": status,
                    "attempts": 0,
                    "available_at": now,
                    "created_at": now - timedelta(seconds=i % 600),
                }
                for i in range(pending)
            ]
            for start in range(0, len(rows), 5000):
                conn.execute(insert(jobs), rows[start : start + 5000])


def _times(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    action()  # warm
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), max(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, nargs="+", default=[0, 10_000, 100_000])
    parser.add_argument("--database-url", help="an empty PostgreSQL database; SQLite in a temporary folder if unset")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        engine = open_database(url)
        print(f"{engine.dialect.name}, {cpu_model()}, {platform.python_version()}")
        print(f"{'pending':>8} {'query median':>13} {'query worst':>12} {'scrape median':>14} {'scrape worst':>13}")
        for pending in args.pending:
            _fill(engine, pending)
            assert queue_snapshot(engine).pending == pending
            query = _times(lambda: queue_snapshot(engine), args.rounds)
            scrape = _times(lambda: exposition(engine), args.rounds)
            print(f"{pending:>8} {query[0]:>10.2f} ms {query[1]:>9.2f} ms {scrape[0]:>11.2f} ms {scrape[1]:>10.2f} ms")
        engine.dispose()
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))


if __name__ == "__main__":
    main()
