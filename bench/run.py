"""Benchmark runner: ``python -m bench.run`` from the repository root.

Every figure is a ratio against a baseline measured in the same run on the same
machine (the official SDK, a hello-world Flask app, a bare ``requests`` loop, the
physical pacing limit), so results from different machines stay comparable. All
traffic is loopback; every load loop is bounded in count and in time. Writes
``bench/results/latest.md`` and ``latest.png`` (``latest.svg`` without matplotlib)
and exits 1 if any target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector.cli.demo import free_port
from connector.retell.signatures import sign

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FIXTURE = ROOT / "bench" / "fixtures" / "webhook.call_ended.json"
POSTGRES = os.environ.get(
    "CONNECTOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KEYS = [f"key_bench_{n:04d}" for n in range(4)]
FROM_NUMBER = "+14155550100"
TO_NUMBER = "+14155550123"
WORKERS = 4
THREADS = 8


@dataclass
class Row:
    """One line of the results table."""

    name: str
    value: str
    baseline: str
    ratio: float | None
    target: str
    passed: bool | None
    note: str = ""


@dataclass
class Run:
    """What one benchmark run found, and the settings it ran with."""

    rows: list[Row] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


# --- load client ------------------------------------------------------------------


@dataclass
class Load:
    """Latencies (s) of the requests that succeeded, and how the run went."""

    latencies: list[float]
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def load(
    call: Callable[[int], bool], count: int, concurrency: int, deadline_s: float
) -> Load:
    """Run ``call(i)`` for i < count on ``concurrency`` threads, stopping at the
    deadline; ``call`` returns whether the request succeeded."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    next_index = iter(range(count))
    stop_at = time.monotonic() + deadline_s

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < stop_at:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            try:
                ok = call(index)
            except (requests.RequestException, OSError):
                ok = False
            took = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline_s + 30)
    return Load(latencies, errors, time.perf_counter() - started)


class Sessions(threading.local):
    """One keep-alive ``requests`` session per load thread (sessions are not
    documented as thread-safe)."""

    def __init__(self) -> None:
        self.session = requests.Session()


# --- processes ----------------------------------------------------------------------


class Processes:
    """Every process the runner starts, stopped (and waited for) at the end."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[subprocess.Popen] = []
        self.log = open(workdir / "processes.log", "ab")

    def spawn(self, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", *args],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def close(self) -> None:
        for process in reversed(self.started):
            self.stop(process)
        self.log.close()


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def gunicorn(
    procs: Processes, app: str, env: dict[str, str]
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = procs.spawn(
        [
            "gunicorn",
            "-c",
            "python:connector.gunicorn_config",
            "--bind",
            f"127.0.0.1:{port}",
            app,
        ],
        env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/healthz")
    return process, url


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children, from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """Peak RSS of each gunicorn worker while a load runs (every 100 ms)."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.peak = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample)

    def _sample(self) -> None:
        while not self.stop.wait(0.1):
            for pid in worker_pids(self.master):
                self.peak = max(self.peak, rss_mb(pid))

    def __enter__(self) -> RssSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


# --- loopback subscribers -------------------------------------------------------------


class Subscriber:
    """A loopback webhook target that counts deliveries and may answer slowly."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}
        )

    def _app(self, environ, start_response):
        Request(environ).get_data()
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            self.times.append(time.perf_counter())
        return Response(status=204)(environ, start_response)

    def count(self) -> int:
        with self.lock:
            return len(self.times)

    def reset(self) -> None:
        with self.lock:
            self.times.clear()

    def __enter__(self) -> Subscriber:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# --- measurements ---------------------------------------------------------------------


def webhook_bodies(count: int, prefix: str) -> list[bytes]:
    """``count`` call_ended webhooks, each for a call of its own."""
    template = json.loads(FIXTURE.read_text())
    bodies = []
    for n in range(count):
        template["call"]["call_id"] = f"call_{prefix}{n:08d}{uuid.uuid4().hex[:8]}"
        bodies.append(json.dumps(template).encode())
    return bodies


def post_webhooks(url: str, bodies: list[bytes], key: str, concurrency: int) -> Load:
    sessions = Sessions()

    def call(index: int) -> bool:
        body = bodies[index]
        signature = sign(body, key, time.time_ns() // 1_000_000)
        response = sessions.session.post(
            url,
            data=body,
            headers={
                "content-type": "application/json",
                "x-retell-signature": signature,
            },
            timeout=10,
        )
        return response.status_code < 300

    return load(call, len(bodies), concurrency, deadline_s=25)


def me(url: str, key: str) -> dict:
    response = requests.get(
        f"{url}/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def measure_latency(run: Run, url: str, simulator: str, count: int) -> None:
    """1. create-phone-call through the connector vs the SDK straight to Retell."""
    from retell import Retell

    sessions = Sessions()
    key = KEYS[0]
    body = {"from_number": FROM_NUMBER, "to_number": TO_NUMBER}

    def through_connector(index: int) -> bool:
        response = sessions.session.post(
            f"{url}/v1/actions/create-phone-call",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=20,
        )
        return response.status_code == 201

    client = Retell(api_key=key, base_url=simulator, max_retries=0)

    def through_sdk(index: int) -> bool:
        client.call.create_phone_call(from_number=FROM_NUMBER, to_number=TO_NUMBER)
        return True

    concurrency = 4
    load(through_connector, 20, concurrency, 20)  # warm-up: connections, imports
    load(through_sdk, 20, concurrency, 20)
    connector = load(through_connector, count, concurrency, 60)
    sdk = load(through_sdk, count, concurrency, 60)
    client.close()
    for q in (50, 99):
        ratio = connector.pct(q) / sdk.pct(q)
        added = (connector.pct(q) - sdk.pct(q)) * 1000
        run.rows.append(
            Row(
                f"create-phone-call p{q}",
                f"{connector.pct(q) * 1000:.1f} ms (+{added:.1f} ms)",
                f"SDK {sdk.pct(q) * 1000:.1f} ms",
                ratio,
                "<= 1.10" if q == 50 else "report",
                ratio <= 1.10 if q == 50 else None,
                f"{len(connector.latencies)}/{count} ok, errors "
                f"{connector.errors}+{sdk.errors}, concurrency {concurrency}",
            )
        )


def measure_ingest(
    run: Run, label: str, url: str, account: str, hello: Load, count: int
) -> None:
    """2. signed webhooks into the connector vs the hello-world app."""
    bodies = webhook_bodies(count, label[:2])
    result = post_webhooks(
        f"{url}/v1/webhooks/retell/{account}", bodies, KEYS[0], concurrency=16
    )
    ratio = result.rate / hello.rate
    run.rows.append(
        Row(
            f"webhook ingest ({label})",
            f"{result.rate:.0f} ev/s, p99 {result.pct(99) * 1000:.0f} ms",
            f"hello {hello.rate:.0f}/s, p99 {hello.pct(99) * 1000:.0f} ms",
            ratio,
            ">= 0.50",
            ratio >= 0.5 and result.errors == 0,
            f"{len(result.latencies)}/{count} stored, {result.errors} errors",
        )
    )


def wait_count(subscribers: list[Subscriber], expected: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(sub.count() >= expected for sub in subscribers):
            return True
        time.sleep(0.05)
    return False


def delivery_rate(subscribers: list[Subscriber]) -> float:
    times = sorted(t for sub in subscribers for t in sub.times)
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def measure_fanout(
    run: Run, procs: Processes, env: dict[str, str], url: str, events: int
) -> None:
    """3. the delivery worker vs a bare requests loop; then with a slow target."""
    key = KEYS[0]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    account = me(url, key)["account_id"]
    hook = f"{url}/v1/webhooks/retell/{account}"
    concurrency = 8  # the worker's default --concurrency
    with contextlib.ExitStack() as stack:
        fast = [stack.enter_context(Subscriber()) for _ in range(4)]
        slow = stack.enter_context(Subscriber(delay_s=0.25))

        def subscribe(sub: Subscriber) -> None:
            response = api.post(
                f"{url}/v1/triggers/call_ended/subscriptions",
                json={"target_url": sub.url},
                timeout=10,
            )
            response.raise_for_status()

        # Baseline: the same number of posts to the same targets, no queue.
        bodies = webhook_bodies(events, "fb")
        sessions = Sessions()
        targets = [(sub, body) for body in bodies for sub in fast]

        def bare(index: int) -> bool:
            sub, body = targets[index]
            return sessions.session.post(sub.url, data=body, timeout=10).ok

        bare_load = load(bare, len(targets), concurrency, 30)
        bare_rate = delivery_rate(fast)
        for sub in fast:
            sub.reset()

        rates = {}
        for case, subs in (("fast", fast), ("with slow", [*fast, slow])):
            for sub in subs:
                subscribe(sub)  # the second round adds only the slow one
            post_webhooks(hook, webhook_bodies(events, case[:2]), key, 8)
            worker = procs.spawn(["connector", "worker"], env)
            done = wait_count(fast, events, timeout=60)
            rates[case] = delivery_rate(fast) if done else 0.0
            slow_count = slow.count()
            procs.stop(worker)
            for sub in subs:
                sub.reset()

    ratio = rates["fast"] / bare_rate
    run.rows.append(
        Row(
            "fan-out deliveries/s",
            f"{rates['fast']:.0f}/s to 4 targets",
            f"bare loop {bare_rate:.0f}/s",
            ratio,
            ">= 0.50",
            ratio >= 0.5,
            f"{events} events x 4 targets, {concurrency} threads each, "
            f"bare errors {bare_load.errors}",
        )
    )
    kept = rates["with slow"] / rates["fast"] if rates["fast"] else 0.0
    run.rows.append(
        Row(
            "fan-out with a slow target",
            f"{rates['with slow']:.0f}/s to the 4 others",
            f"{rates['fast']:.0f}/s without it",
            kept,
            ">= 0.95",
            kept >= 0.95,
            f"slow target answers in 250 ms; {slow_count} reached it meanwhile",
        )
    )
    run.settings["fan-out"] = f"{events} events, worker --concurrency 8 (default)"


def measure_pacing(
    run: Run, urls: list[str], simulator: str, count: int, cps: int
) -> None:
    """4. ``count`` simultaneous creates at ``cps``, spread over the replicas at
    ``urls`` (one database), vs the physical (N-1)/c."""
    key = KEYS[1]
    headers = {"Authorization": f"Bearer {key}"}
    response = requests.put(
        f"{urls[0]}/v1/me/pacing",
        json={"provider": "telnyx", "cps": cps},
        headers=headers,
        timeout=10,
    )
    response.raise_for_status()
    requests.delete(f"{simulator}/_simulator/requests", headers=headers, timeout=5)
    sessions = Sessions()
    body = {"from_number": FROM_NUMBER, "to_number": TO_NUMBER}

    def create(index: int) -> bool:
        response = sessions.session.post(
            f"{urls[index % len(urls)]}/v1/actions/create-phone-call",
            json=body,
            headers=headers,
            timeout=30,
        )
        return response.status_code == 201

    result = load(create, count, count, 40)
    seen = requests.get(
        f"{simulator}/_simulator/requests", headers=headers, timeout=5
    ).json()
    times = sorted(
        item["at_ms"] for item in seen if item["path"] == "/v2/create-phone-call"
    )
    physical = (count - 1) / cps
    span = (times[-1] - times[0]) / 1000 if len(times) > 1 else 0.0
    worst = max(sum(1 for t in times if start <= t < start + 1000) for start in times)
    # Where the schedule came closest to CPS + 1 in a second: the shortest time
    # from one create to the CPS-th after it, and which create started it.
    closest = min(
        ((times[k + cps] - times[k], k) for k in range(len(times) - cps)),
        default=(None, None),
    )
    ratio = span / physical
    run.rows.append(
        Row(
            "pacing span",
            f"{span:.3f} s for {len(times)} creates",
            f"(N-1)/c = {physical:.3f} s",
            ratio,
            "0.98 - 1.02",
            0.98 <= ratio <= 1.02 and result.errors == 0,
            f"{cps} CPS (telnyx max 16), {len(urls)} replicas x {WORKERS} workers, "
            f"{result.errors} errors",
        )
    )
    run.rows.append(
        Row(
            "pacing worst 1 s window",
            f"{worst} creates",
            f"{cps} CPS",
            worst / cps,
            "<= 1.00",
            worst <= cps,
            "sliding window [t, t+1 s) at every create; shortest time to the "
            f"{cps}th create after one: {closest[0]} ms, from create {closest[1]}",
        )
    )


# --- output ---------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in (
        "gunicorn",
        "flask",
        "werkzeug",
        "sqlalchemy",
        "psycopg",
        "requests",
        "retell-sdk",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    with contextlib.suppress(Exception):
        engine = create_engine(POSTGRES)
        with engine.connect() as conn:
            found["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
        engine.dispose()
    return found


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def write_markdown(run: Run, path: Path) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())} on {machine()}.",
        "",
        "Every ratio is against a baseline measured in the same run.",
        "",
        "| measurement | value | baseline | ratio | target | result | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in run.rows:
        verdict = {True: "pass", False: "**FAIL**", None: "-"}[row.passed]
        ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
        lines.append(
            f"| {row.name} | {row.value} | {row.baseline} | {ratio} | {row.target} "
            f"| {verdict} | {row.note} |"
        )
    lines += ["", "| setting | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in run.settings.items()]
    path.write_text("\n".join(lines) + "\n")


def write_chart(run: Run, stem: Path) -> Path:
    """A bar per ratio; matplotlib if installed, a hand-written SVG otherwise."""
    rows = [row for row in run.rows if row.ratio is not None]
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        return _svg_chart(rows, stem.with_suffix(".svg"))
    figure, axes = pyplot.subplots(figsize=(9, 0.5 * len(rows) + 1.5))
    colours = [
        {True: "#2a9d2a", False: "#c0392b", None: "#7f8c8d"}[row.passed] for row in rows
    ]
    axes.barh([row.name for row in rows], [row.ratio for row in rows], color=colours)
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.invert_yaxis()
    axes.set_xlabel("ratio to the same-run baseline (green pass, red miss)")
    for index, row in enumerate(rows):
        axes.text(row.ratio, index, f" {row.ratio:.2f} ({row.target})", va="center")
    axes.set_xlim(0, max(1.3, max(row.ratio for row in rows) * 1.35))
    figure.tight_layout()
    path = stem.with_suffix(".png")
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def _svg_chart(rows: list[Row], path: Path) -> Path:
    width, bar, left = 760, 26, 260
    scale = (width - left - 120) / max(1.3, max(row.ratio for row in rows))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{bar * len(rows) + 40}" font-family="sans-serif" font-size="12">'
    ]
    for index, row in enumerate(rows):
        y = 10 + index * bar
        colour = {True: "#2a9d2a", False: "#c0392b", None: "#7f8c8d"}[row.passed]
        parts.append(f'<text x="4" y="{y + 16}">{row.name}</text>')
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{row.ratio * scale:.1f}" '
            f'height="{bar - 8}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{left + row.ratio * scale + 4:.1f}" y="{y + 16}">'
            f"{row.ratio:.2f}</text>"
        )
    x = left + scale
    parts.append(
        f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bar * len(rows) + 20}" '
        'stroke="black"/></svg>'
    )
    path.write_text("\n".join(parts) + "\n")
    return path


# --- main -----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A schema of its own on the local PostgreSQL, dropped afterwards."""
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception:  # noqa: BLE001 - no PostgreSQL here: skip that row
        admin.dispose()
        yield None
        return
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def connector_env(workdir: Path, simulator: str, database_url: str) -> dict[str, str]:
    return dict(
        os.environ,
        CONNECTOR_INSTANCE_PATH=str(workdir),
        CONNECTOR_DATABASE_URL=database_url,
        CONNECTOR_RETELL_BASE_URL=simulator,
        CONNECTOR_LOG_LEVEL="WARNING",
        CONNECTOR_ALLOW_PRIVATE_TARGETS="true",
        # Above any provider's maximum (telnyx 16) so that measurement 1 times the
        # request path, not the pacer; measurement 4 sets its own CPS.
        CONNECTOR_DEFAULT_CPS="1000",
        CONNECTOR_WORKERS=str(WORKERS),
        CONNECTOR_THREADS=str(THREADS),
    )


def main(argv: list[str] | None = None) -> int:
    # werkzeug logs one line per request to the loopback subscribers: thousands.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--webhooks", type=int, default=1500)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--pacing-creates", type=int, default=65)
    parser.add_argument("--pacing-cps", type=int, default=16)
    args = parser.parse_args(argv)
    run = Run()
    began = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        procs = Processes(workdir)
        try:
            _measure(run, procs, workdir, args)
        finally:
            procs.close()
    run.settings.update(versions())
    run.settings["gunicorn"] = (
        f"{run.settings.get('gunicorn', '?')}: -c python:connector.gunicorn_config, "
        f"{WORKERS} workers x {THREADS} threads, bound to 127.0.0.1"
    )
    run.settings["duration"] = f"{time.monotonic() - began:.0f} s"
    write_markdown(run, RESULTS / "latest.md")
    chart = write_chart(run, RESULTS / "latest")
    failed = [row for row in run.rows if row.passed is False]
    for row in run.rows:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[row.passed]
        ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
        print(f"{verdict:<5} {row.name:<32} {ratio:>6}  {row.value}  [{row.target}]")
    print(f"wrote {RESULTS / 'latest.md'} and {chart}")
    return 1 if failed else 0


def _measure(run: Run, procs: Processes, workdir: Path, args) -> None:
    sim_port = free_port()
    simulator = f"http://127.0.0.1:{sim_port}"
    sim_args = [
        "connector",
        "simulator",
        "--port",
        str(sim_port),
        "--workspace-per-key",
    ]
    for key in KEYS:
        sim_args += ["--api-key", key]
    procs.spawn(sim_args, dict(os.environ))
    wait_ready(f"{simulator}/_simulator/requests")
    run.settings["simulator"] = f"python -m connector simulator, {len(KEYS)} workspaces"

    hello_env = connector_env(workdir, simulator, "sqlite://")
    hello, hello_url = gunicorn(procs, "bench.hello:app", hello_env)
    hello_load = post_webhooks(
        f"{hello_url}/", webhook_bodies(args.webhooks, "hw"), KEYS[0], 16
    )
    procs.stop(hello)

    env = connector_env(workdir, simulator, f"sqlite:///{workdir / 'bench.db'}")
    web, url = gunicorn(procs, "connector.app:create_app()", env)
    account = me(url, KEYS[0])["account_id"]
    me(url, KEYS[1])
    time.sleep(1)
    rest = max(rss_mb(pid) for pid in worker_pids(web.pid))
    with RssSampler(web.pid) as sampler:
        measure_latency(run, url, simulator, args.creates)
        measure_ingest(run, "SQLite", url, account, hello_load, args.webhooks)
        # A second replica on the same database, as a scale-out runs.
        second, second_url = gunicorn(procs, "connector.app:create_app()", env)
        measure_pacing(
            run, [url, second_url], simulator, args.pacing_creates, args.pacing_cps
        )
        procs.stop(second)
        measure_fanout(run, procs, env, url, args.events)
    idle = max(rss_mb(pid) for pid in worker_pids(web.pid))
    procs.stop(web)

    with postgres_schema() as database_url:
        if database_url is None:
            run.rows.append(
                Row(
                    "webhook ingest (PostgreSQL)",
                    "-",
                    "-",
                    None,
                    ">= 0.50",
                    None,
                    f"PostgreSQL not reachable at {POSTGRES}",
                )
            )
        else:
            env = connector_env(workdir, simulator, database_url)
            web, url = gunicorn(procs, "connector.app:create_app()", env)
            account = me(url, KEYS[0])["account_id"]
            with RssSampler(web.pid) as pg_sampler:
                measure_ingest(
                    run, "PostgreSQL", url, account, hello_load, args.webhooks
                )
            procs.stop(web)
            sampler.peak = max(sampler.peak, pg_sampler.peak)

    for name, value in (("at rest", rest), ("under load (peak)", sampler.peak)):
        run.rows.append(
            Row(
                f"RSS per worker {name}",
                f"{value:.1f} MB",
                "100 MB",
                value / 100,
                "<= 1.00",
                value <= 100,
                f"max over {WORKERS} workers, VmRSS; idle after load {idle:.1f} MB"
                if name == "at rest"
                else "sampled every 100 ms during measurements 1-4",
            )
        )
    run.settings["load client"] = (
        "threads with one keep-alive requests.Session each; bounded count and deadline"
    )
    run.settings["webhooks"] = f"{args.webhooks} per target, 16 client threads"
    run.settings["creates"] = f"{args.creates} per side, 4 client threads"


if __name__ == "__main__":
    sys.exit(main())
