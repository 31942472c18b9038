"""Benchmark: a partner's full poll of a collection, Puente vs medallion, on the same objects.

    .venv/bin/python bench/taxii_poll.py [--sizes-medallion 1000,2000] [--sizes-puente 10000,100000]

Starts every server itself on a free loopback port (Puente via `puente run` on a fresh SQLite file,
medallion 3.0 with its memory backend) and stops it. Reports objects per second, p50/p99 per page,
the server's peak memory (VmHWM), and for Puente alone the latency of page 1 vs the last page.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from taxii2client.v21 import Server, as_pages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TAXII = "application/taxii+json;version=2.1"
PAGE = 1000
# medallion's example configuration serves 100 per page, and a whole poll is faster for it that way.
MEDALLION_PAGE = 100
IDENTITY = "identity--0c4a3f1e-8d1b-4c52-9a55-7a8c3e1d2b10"
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def indicators(count: int) -> list[dict[str, Any]]:
    objects = []
    for n in range(count):
        created = stamp(START + timedelta(seconds=n))
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.UUID(int=n + 1, version=4)}",
                "created": created,
                "modified": created,
                "created_by_ref": IDENTITY,
                "name": f"C2 server {n}",
                "pattern": f"[ipv4-addr:value = '198.51.{n // 250 % 250}.{n % 250}']",
                "pattern_type": "stix",
                "valid_from": created,
                "indicator_types": ["malicious-activity"],
                "object_marking_refs": ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
            }
        )
    return objects


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def timed_pages(fetch: Callable[..., dict[str, Any]], per_request: int) -> tuple[int, float, list[float]]:
    """Poll every page through taxii2-client's as_pages; returns objects, seconds, per-page seconds."""
    latencies: list[float] = []

    def timed(**kwargs: Any) -> dict[str, Any]:
        began = time.perf_counter()
        envelope = fetch(**kwargs)
        latencies.append(time.perf_counter() - began)
        return envelope

    began = time.perf_counter()
    total = sum(len(page.get("objects", [])) for page in as_pages(timed, per_request=per_request))
    return total, time.perf_counter() - began, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(label: str, count: int, seconds: float, latencies: list[float], memory: float) -> dict[str, Any]:
    row = {
        "server": label,
        "objects": count,
        "seconds": round(seconds, 3),
        "objects_per_s": round(count / seconds),
        "pages": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "peak_mib": round(memory, 1),
    }
    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return row


def run_medallion(objects: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    collection_id = "8f0a5c9e-2f5b-4c41-9c7e-5b1f2f9d0a01"
    manifest = [
        {
            "id": o["id"],
            "date_added": stamp(START + timedelta(milliseconds=i)),
            "version": o["modified"],
            "media_type": "application/stix+json;version=2.1",
        }
        for i, o in enumerate(objects)
    ]
    data = {
        "/discovery": {"title": "bench", "default": f"{base}/bench/", "api_roots": [f"{base}/bench/"]},
        "bench": {
            "information": {"title": "bench", "versions": [TAXII], "max_content_length": 104857600},
            "status": [],
            "collections": [
                {
                    "id": collection_id,
                    "title": "bench",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": objects,
                    "manifest": manifest,
                }
            ],
        },
    }
    (workdir / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(workdir / "data.json"),
        },
        "users": {"admin": "Password0"},
        "taxii": {"max_page_size": MEDALLION_PAGE},
    }
    (workdir / "medallion.json").write_text(json.dumps(config))
    medallion = shutil.which("medallion", path=str(Path(sys.executable).parent)) or "medallion"
    process = subprocess.Popen(
        [medallion, "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARN", str(workdir / "medallion.json")],
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{base}/taxii2/", process)
        collection = Server(f"{base}/taxii2/", user="admin", password="Password0").default.collections[0]
        count, seconds, latencies = timed_pages(collection.get_objects, MEDALLION_PAGE)
        assert count == len(objects), f"medallion served {count} of {len(objects)}"
        return report("medallion", count, seconds, latencies, peak_memory_mib(process.pid))
    finally:
        stop(process)


def prepare_puente(objects: list[dict[str, Any]], workdir: Path) -> tuple[dict[str, str], str]:
    from puente.services.context import Runtime
    from puente.services.feeds import collections, partners
    from puente.settings import load_settings
    from puente.storage.migrate import upgrade

    url = f"sqlite:///{workdir / 'puente.db'}"
    upgrade(url)
    runtime = Runtime.from_settings(load_settings(PUENTE_DATABASE_URL=url, PUENTE_VAR_DIR=str(workdir)))
    with runtime.unit_of_work(actor_name="bench") as ctx:
        issued = partners.add(ctx, "bench-partner")
    for start in range(0, len(objects), 5000):
        with runtime.unit_of_work(actor_name="bench") as ctx:
            collections.publish(ctx, objects[start : start + 5000], "CLEAR")
    runtime.engine.dispose()
    env = dict(
        os.environ, PUENTE_DATABASE_URL=url, PUENTE_VAR_DIR=str(workdir), PUENTE_HOST="127.0.0.1", PUENTE_PORT="0"
    )
    return env, f"{issued.user}:{issued.password}"


def run_puente(objects: list[dict[str, Any]], workdir: Path, raw_http: bool) -> list[dict[str, Any]]:
    env, credentials = prepare_puente(objects, workdir)
    port = free_port()
    env.update(PUENTE_PORT=str(port), PUENTE_BASE_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen(
        [sys.executable, "-m", "puente.cli", "run"],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    user, password = credentials.split(":", 1)
    rows = []
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        root = Server(f"http://127.0.0.1:{port}/taxii2/", user=user, password=password).default
        public = next(c for c in root.collections if c.alias == "public")
        count, seconds, latencies = timed_pages(public.get_objects, PAGE)
        assert count == len(objects), f"Puente served {count} of {len(objects)}"
        rows.append(report("puente/taxii2-client", count, seconds, latencies, peak_memory_mib(process.pid)))
        if raw_http:
            rows.append(raw_poll(f"{public.url}objects/", (user, password), len(objects), process.pid))
    finally:
        stop(process)
    return rows


def raw_poll(url: str, auth: tuple[str, str], expected: int, pid: int) -> dict[str, Any]:
    latencies: list[float] = []
    tokens: list[str | None] = [None]
    count = 0
    with httpx.Client(auth=auth, headers={"Accept": TAXII}, timeout=60) as client:
        began = time.perf_counter()
        params: dict[str, str] = {"limit": str(PAGE)}
        while True:
            t0 = time.perf_counter()
            response = client.get(url, params=params)
            body = response.content
            latencies.append(time.perf_counter() - t0)
            envelope = orjson.loads(body)
            count += len(envelope.get("objects", []))
            if not envelope.get("more"):
                break
            token = envelope["next"]
            tokens.append(token)
            params = {"limit": str(PAGE), "next": token}
        seconds = time.perf_counter() - began

        def median_latency(token: str | None) -> float:
            samples = []
            for _ in range(15):
                t0 = time.perf_counter()
                client.get(url, params={"limit": str(PAGE), **({"next": token} if token else {})}).raise_for_status()
                samples.append(time.perf_counter() - t0)
            return statistics.median(samples)

        first, last = median_latency(tokens[0]), median_latency(tokens[-1])
    assert count == expected, f"raw poll saw {count} of {expected}"
    row = report("puente/raw-http", count, seconds, latencies, peak_memory_mib(pid))
    print(
        f"  page 1 median {first * 1000:.2f} ms, last page median {last * 1000:.2f} ms, ratio {last / first:.2f}",
        flush=True,
    )
    row.update(first_page_ms=round(first * 1000, 2), last_page_ms=round(last * 1000, 2))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes-medallion", default="1000,2000")
    parser.add_argument("--sizes-puente", default="10000,100000")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="puente-bench-") as tmp:
        for size in (int(s) for s in args.sizes_medallion.split(",") if s):
            print(
                f"== {size} objects, Puente (page {PAGE}) vs medallion (page {MEDALLION_PAGE}), taxii2-client as_pages",
                flush=True,
            )
            objects = indicators(size)
            (Path(tmp) / f"m{size}").mkdir()
            (Path(tmp) / f"p{size}").mkdir()
            medallion_row = run_medallion(objects, Path(tmp) / f"m{size}")
            puente_row = run_puente(objects, Path(tmp) / f"p{size}", raw_http=False)[0]
            rows += [medallion_row, puente_row]
            print(
                "  Puente / medallion objects per second: "
                f"{puente_row['objects_per_s'] / medallion_row['objects_per_s']:.0f}x",
                flush=True,
            )
        for size in (int(s) for s in args.sizes_puente.split(",") if s):
            print(f"== {size} objects, Puente alone (page {PAGE})", flush=True)
            (Path(tmp) / f"p{size}").mkdir()
            rows += run_puente(indicators(size), Path(tmp) / f"p{size}", raw_http=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
