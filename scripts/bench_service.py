#!/usr/bin/env python
"""The embedded server against the model's own speed, on the same phone-sized JPEGs in one run.

    python scripts/bench_service.py [--n 160] [--concurrency 8] [--rate 10] [--paced 60] [--model PATH]
                                    [--workers N] [--worker-process | --no-worker-process]

Makes ``--n`` phone-sized JPEGs (2048x1536, with an EXIF block as a phone writes one) from the
PAD-UFES-20 photos, then measures, in this order:

1. ``spotcheck classify --format jsonl`` on them: photos/s, start-up excluded (the wall time of the
   folder minus that of one photo), the mean of a run before and a run after (2);
2. a fresh ``spotcheck serve`` (embedded default: SQLite, local disk; its workers where it puts
   them, or ``--workers`` threads, with ``--worker-process`` in a labelling process and with
   ``--no-worker-process`` in its own; it prints which) taking them from ``--concurrency`` clients
   at once: labels/s from the first byte sent to the last label, and its ratio to (1);
3. ``--paced`` of them uploaded at a steady ``--rate`` a second by another user: the median time
   from the first byte sent until the label shows in ``GET /images``.

It also prints the CPU time (user + system) a photo costs ``spotcheck classify`` (start-up excluded)
and the server during (2) (its process and its labelling process, the benchmark's own watching
included), and their ratio: the ratio of rates if the server had the cores to itself, which other
work on a shared machine sways far less than the rates themselves. Then, a photo during (2): the CPU
of the server's main thread (its event loop), and that of this benchmark's own clients, which share
the cores.

Labels are watched through ``GET /images``, reaching back only to the oldest upload still waiting.
During (2) the time of each label is the server's own stamp (``classifiedAt``, taken as the label
is written) and the list is read four times a second; read every 20 ms, as in (3), it cost the
server up to an eighth of its CPU while the labels lagged. Prints the CPU and the load average:
quote the ratio, other work on the machine skews both sides. ``--py-spy PATH`` records the server
during (2) with py-spy (``--format raw``) into PATH; ``scripts/profile_summary.py PATH`` sums it up.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from PIL import Image

from spotcheck.hardware import cpu_model
from spotcheck.scaled.services import free_ports

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "pad-ufes-20-partial" / "images"
PACKAGED_MODEL = ROOT / "src" / "spotcheck" / "model" / "spotcheck-lesion.onnx"
PHONE_SIZE = (2048, 1536)
_POLL_SECONDS = 0.02
# During the burst the labels' times come from the server's own stamps (``classifiedAt``), so the
# list is read only now and then.
_BURST_POLL_SECONDS = 0.25


def phone_photos(sources: Sequence[Path], out: Path) -> list[Path]:
    """Each source photo scaled up to a 2048x1536 JPEG (quality 92) carrying a phone's EXIF block."""
    made = []
    for i, source in enumerate(sources):
        with Image.open(source) as image:
            big = image.convert("RGB").resize(PHONE_SIZE, Image.Resampling.BICUBIC)
        exif = Image.Exif()
        exif[0x010F], exif[0x0110], exif[0x0112] = "Phone maker", "Phone model", 1  # Make, Model, Orientation
        exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
        path = out / f"phone-{i:04d}.jpg"
        big.save(path, format="JPEG", quality=92, exif=exif)
        made.append(path)
    return made


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _classify_seconds(model: Path, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``spotcheck classify`` run on ``folder``."""
    command = [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl", "--model", str(model), str(folder)]
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def classify_rate(model: Path, photos: list[Path], scratch: Path) -> tuple[float, float]:
    """Photos/s of ``spotcheck classify`` and its CPU ms a photo, start-up excluded: (N - 1) photos
    over the difference between a run on N photos and one on 1."""
    one = scratch / "one"
    one.mkdir(parents=True)
    shutil.copy(photos[0], one / photos[0].name)
    single = min(_classify_seconds(model, one) for _ in range(2))
    folder = _classify_seconds(model, photos[0].parent)
    n = len(photos) - 1
    return n / max(folder[0] - single[0], 1e-6), 1000 * (folder[1] - single[1]) / n


def _machine_idle() -> tuple[int, int]:
    """(idle, total) clock ticks of every core so far, from /proc/stat; (0, 0) where there is none."""
    try:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    return ticks[3] + ticks[4], sum(ticks)  # idle + iowait


def _children(pid: int) -> list[int]:
    """The process's children (a labelling process), from /proc."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return [int(child) for task in tasks for child in (task / "children").read_text().split()]
    except OSError:
        return []


def _peak_resident_mb(pid: int) -> float:
    """The most memory the process has held resident (VmHWM), in MB; NaN where there is none."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _process_cpu(pid: int, *, main_thread: bool = False) -> float:
    """CPU seconds (user + system) a process and its children (or only its main thread) have used so
    far, from /proc; NaN where there is none."""
    stat = Path(f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return own if main_thread else own + sum(_process_cpu(child) for child in _children(pid))


@contextmanager
def running_server(
    model: Path, log_path: Path, *, workers: int | None, worker_process: bool | None
) -> Iterator[tuple[str, int]]:
    """A fresh server on its own data; ``None`` leaves a setting to the server's default."""
    port = free_ports(1)[0]
    data_dir = Path(tempfile.mkdtemp(prefix="spotcheck-bench-"))
    env = {
        **os.environ,
        "SPOTCHECK_DATA_DIR": str(data_dir),
        "SPOTCHECK_MODEL_PATH": str(model),
        "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48),
    }
    for name, value in (("SPOTCHECK_WORKER_CONCURRENCY", workers), ("SPOTCHECK_WORKER_PROCESS", worker_process)):
        env.pop(name, None)
        if value is not None:
            env[name] = str(value).lower()
    command = [sys.executable, "-m", "spotcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server not ready after 120 s; see {log_path}")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(data_dir, ignore_errors=True)


def _worker_layout(log_path: Path) -> str:
    """Where the server says its workers run, from its start-up line."""
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("SpotCheck on http"):
            return line.rpartition(", ")[2].rstrip(")")
    return "(not in the server's log)"


def _sign_in(url: str) -> dict[str, str]:
    email, password = f"bench-{secrets.token_hex(4)}@example.org", "bench pass phrase " + secrets.token_hex(4)
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/auth/register", json={"email": email, "password": password}).raise_for_status()
        token = client.post("/auth/token", data={"username": email, "password": password})
        token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass
class UploadRun:
    started: dict[str, float] = field(default_factory=dict)  # in the order sent
    answered: float = float("nan")  # seconds from the first byte sent until the last upload was answered
    labelled: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: threading.Event = field(default_factory=threading.Event)


def _stamped(item: dict[str, object], seen: float) -> float:
    """When the server stamped ``item``'s label (on this clock), or ``seen`` for a failure, which has no stamp."""
    stamp = item.get("classifiedAt")
    if not isinstance(stamp, str):
        return seen
    return datetime.fromisoformat(stamp).timestamp() - (time.time() - time.perf_counter())


def _watch(
    url: str, auth: dict[str, str], run: UploadRun, expected: int, timeout: float, *, period: float, stamps: bool
) -> None:
    """Note when each upload's label first shows in GET /images, or with ``stamps`` when the server
    stamped it (``classifiedAt``, taken as the label is written), until all ``expected`` have one.

    The list is newest first, so one request for as many of the newest images as reach back to the
    oldest one still waiting sees every change.
    """
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=30, headers=auth) as client:
        while time.monotonic() < deadline:
            with run.lock:
                order = list(run.started)
                waiting = [i for i, name in enumerate(order) if name not in run.labelled]
                if len(run.labelled) >= expected or (run.sent.is_set() and not waiting):
                    return
            depth = len(order) - min(waiting) + 8 if waiting else 0
            for offset in range(0, depth, 100):
                page = client.get("/images", params={"limit": min(100, depth - offset), "offset": offset}).json()
                now = time.perf_counter()
                with run.lock:
                    for item in page["items"]:
                        if item["status"] != "pending" and item["fileName"] not in run.labelled:
                            run.labelled[item["fileName"]] = _stamped(item, now) if stamps else now
                            if item["status"] == "failed":
                                run.errors.append(f"{item['fileName']}: {item['error']}")
            time.sleep(period)
    run.errors.append(f"gave up waiting for labels after {timeout:.0f} s")


def _upload(url: str, auth: dict[str, str], run: UploadRun, name: str, body: bytes, client: httpx.Client) -> None:
    start = time.perf_counter()
    with run.lock:
        run.started[name] = start
    response = client.put(f"/images/{name}", content=body, headers=auth)
    if response.status_code != 202:
        with run.lock:
            run.errors.append(f"PUT {name}: {response.status_code} {response.text[:200]}")
            run.labelled[name] = float("nan")


def burst(
    url: str, auth: dict[str, str], bodies: list[bytes], concurrency: int, timeout: float
) -> tuple[float, UploadRun]:
    """Labels/s with ``concurrency`` clients sending every photo as fast as they are answered."""
    run = UploadRun()
    watch = {"period": _BURST_POLL_SECONDS, "stamps": True}
    watcher = threading.Thread(target=_watch, args=(url, auth, run, len(bodies), timeout), kwargs=watch, daemon=True)
    local = threading.local()

    def send(index: int) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60)
        _upload(url, auth, run, f"burst-{index:05d}.jpg", bodies[index], local.client)

    started = time.perf_counter()
    watcher.start()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(len(bodies))))
    run.answered = time.perf_counter() - started
    run.sent.set()
    watcher.join(timeout + 5)
    done = [t for t in run.labelled.values() if t == t]
    return (len(done) / (max(done) - started) if done else float("nan")), run


def paced(url: str, auth: dict[str, str], bodies: list[bytes], rate: float, timeout: float) -> UploadRun:
    """Upload ``bodies`` one every 1/``rate`` seconds, each on its own connection, and watch for labels."""
    run = UploadRun()
    watch = {"period": _POLL_SECONDS, "stamps": False}
    watcher = threading.Thread(target=_watch, args=(url, auth, run, len(bodies), timeout), kwargs=watch, daemon=True)
    watcher.start()
    t0 = time.perf_counter()

    def send(index: int) -> None:
        time.sleep(max(0.0, t0 + index / rate - time.perf_counter()))
        with httpx.Client(base_url=url, timeout=60) as client:
            _upload(url, auth, run, f"paced-{index:05d}.jpg", bodies[index], client)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(len(bodies))))
    run.sent.set()
    watcher.join(timeout + 5)
    return run


@contextmanager
def py_spy(pid: int, out: Path | None) -> Iterator[None]:
    if out is None:
        yield
        return
    record = ["py-spy", "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "-o", str(out)]
    recorder = subprocess.Popen([*record, "--threads", "--subprocesses", "--nonblocking"], stdout=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=160, help="phone photos (default 160)")
    parser.add_argument("--concurrency", type=int, default=8, help="clients in the burst (default 8)")
    parser.add_argument("--rate", type=float, default=10.0, help="paced uploads per second (default 10)")
    parser.add_argument("--paced", type=int, default=60, help="paced uploads (default 60)")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the packaged one)")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="folder of lesion JPEGs to scale up")
    parser.add_argument("--timeout", type=float, default=300, help="longest wait for all labels, seconds")
    parser.add_argument("--workers", type=int, default=None, help="the server's worker threads (default: its own)")
    parser.add_argument(
        "--worker-process",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the workers in a labelling process, or not (SPOTCHECK_WORKER_PROCESS; default: the server decides)",
    )
    parser.add_argument("--py-spy", type=Path, default=None, help="record the server during the burst into this file")
    args = parser.parse_args(argv)

    model = args.model or PACKAGED_MODEL
    if not model.is_file():
        parser.error(f"no model at {model}; pass --model PATH")
    if args.n < 2 or args.paced < 1 or args.paced > args.n or args.concurrency < 1 or args.rate <= 0:
        parser.error("need --n >= 2, 1 <= --paced <= --n, --concurrency >= 1 and --rate > 0")
    sources = sorted(args.images.glob("*.jpg"))[: args.n]
    if len(sources) < args.n:
        parser.error(f"only {len(sources)} JPEGs in {args.images}; need {args.n}")

    print("command:  " + shlex.join([sys.executable, *sys.argv]))
    print(f"hardware: {cpu_model()}, {os.cpu_count()} logical cores, {platform.platform()}")
    print(f"load avg at start: {os.getloadavg()}  (other work on the machine skews the figures)")
    print(f"model:    {model}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="spotcheck-bench-photos-") as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        photos = phone_photos(sources, folder)
        bodies = [p.read_bytes() for p in photos]
        mean_mb = statistics.mean(map(len, bodies)) / 1e6
        print(f"photos:   {len(photos)} JPEGs {PHONE_SIZE[0]}x{PHONE_SIZE[1]}, {mean_mb:.2f} MB on average")
        first = classify_rate(model, photos, Path(scratch) / "first")
        log_path = Path(tempfile.gettempdir()) / f"spotcheck-bench-{os.getpid()}.log"
        with running_server(model, log_path, workers=args.workers, worker_process=args.worker_process) as (url, pid):
            print(f"server:   {_worker_layout(log_path)}")
            auth = _sign_in(url)
            with py_spy(pid, args.py_spy):
                cpu, loop_cpu, idle = _process_cpu(pid), _process_cpu(pid, main_thread=True), _machine_idle()
                clients_cpu = _own_cpu()
                rate, run = burst(url, auth, bodies, args.concurrency, args.timeout)
                server_cpu = 1000 * (_process_cpu(pid) - cpu) / len(bodies)
                server_loop_cpu = 1000 * (_process_cpu(pid, main_thread=True) - loop_cpu) / len(bodies)
                clients_cpu = 1000 * (_own_cpu() - clients_cpu) / len(bodies)
                idle_after = _machine_idle()
                peaks = [_peak_resident_mb(pid)] + [_peak_resident_mb(child) for child in _children(pid)]
                idle_share = (idle_after[0] - idle[0]) / max(1, idle_after[1] - idle[1])
            # Once before and once after the burst, so a lull or a peak of other work weighs on both.
            second = classify_rate(model, photos, Path(scratch) / "second")
            offline = (first[0] + second[0]) / 2
            offline_cpu = (first[1] + second[1]) / 2
            print(
                f"spotcheck classify:                 {offline:8.1f} photos/s "
                f"({first[0]:.1f} before, {second[0]:.1f} after)"
            )
            print(
                f"server, {args.concurrency} clients:                {rate:8.1f} labels/s "
                f"(uploads answered at {len(bodies) / run.answered:.1f}/s)"
            )
            print(f"ratio server / classify:            {rate / offline:8.2f}   (target >= 0.5)")
            # CPU time is what other work on the machine changes least: the ratio the cores would allow.
            print(
                f"CPU a photo: classify {offline_cpu:.1f} ms, server {server_cpu:.1f} ms "
                f"(ratio {offline_cpu / server_cpu:.2f})"
            )
            # The event loop runs in the main thread: reading the bodies, the framework, async handlers.
            print(f"of which the server's event loop:   {server_loop_cpu:8.1f} ms   (its main thread)")
            # The clients run on the same cores as the server; spotcheck classify has none.
            print(f"the benchmark's clients, a photo:   {clients_cpu:8.1f} ms   (CPU, on the same cores)")
            print(f"machine idle during the burst:      {idle_share:8.0%}   (all cores; /proc/stat)")
            print(
                f"peak memory:                        {sum(peaks):8.0f} MB   "
                f"(resident, VmHWM: {' + '.join(f'{mb:.0f}' for mb in peaks)}, the server first)"
            )
            steady = paced(url, _sign_in(url), bodies[: args.paced], args.rate, args.timeout)
            waits = [
                steady.labelled[n] - steady.started[n]
                for n in steady.started
                if steady.labelled.get(n, float("nan")) == steady.labelled.get(n)
            ]
            median = statistics.median(waits) * 1000 if waits else float("nan")
            print(
                f"upload->label at {args.rate:g}/s, median:    {median:8.0f} ms   "
                f"(n={len(waits)}, target <= 150 ms; poll period 20 ms)"
            )
        for error in (run.errors + steady.errors)[:10]:
            print(f"error: {error}")
            failed = True
    print(f"load avg at end: {os.getloadavg()}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
