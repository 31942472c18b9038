"""Acknowledgement latency of `/incident` over HTTP: 20 concurrent signed slash commands at a time.

Runs `puente run`'s ASGI app under uvicorn in a child process on loopback (a SQLite database in a
temporary directory), with the Slack Web API stand-in of the test suite in place of slack.com and
the load generator in this process, so the client does not share the server's interpreter. Prints p50/p99 of
the time from sending a command to Slack getting its HTTP 200 (the acknowledgement), and of the time
until the reply reached the response_url. Goal: p99 acknowledgement under 100 ms.

    python bench/slack_ack.py [--rounds 25] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from slack_api import SlackStandIn  # noqa: E402

from puente.server.app import create_app  # noqa: E402
from puente.services.context import Runtime  # noqa: E402
from puente.services.users import service as users  # noqa: E402
from puente.settings import load_settings  # noqa: E402
from puente.storage.migrate import upgrade  # noqa: E402
from puente.storage.models import Role  # noqa: E402

SECRET = "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def one(client: aiohttp.ClientSession, url: str, slack: SlackStandIn, name: str, text: str) -> float:
    body = urlencode(
        {
            "command": "/incident",
            "text": text,
            "user_id": "U0BENCH",
            "channel_id": "C0SOC",
            "team_id": "T0CSIRT",
            "response_url": slack.response_url(name),
            "trigger_id": "1.2.3",
        }
    )
    started = time.perf_counter()
    async with client.post(url, data=body, headers=signed(body)) as response:
        await response.read()
        elapsed = time.perf_counter() - started
        response.raise_for_status()
    return elapsed


async def drive(url: str, slack: SlackStandIn, rounds: int, concurrency: int) -> tuple[list[float], list[float]]:
    acks: list[float] = []
    replies: list[float] = []
    # aiohttp rather than httpx: the load generator shares the machine, so it had better be light.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as client:
        await one(client, url, slack, "warm-up", "list")  # bolt's first request runs auth.test
        slack.wait_for("response:warm-up")
        for round_number in range(-1, rounds):  # round -1 warms the server's caches and is not counted
            started = time.perf_counter()
            names = [f"r{round_number}c{i}" for i in range(concurrency)]
            texts = [
                f"new Bench ticket {n} sev=low countries=BR,AR" if i % 2 else "list open" for i, n in enumerate(names)
            ]
            measured = await asyncio.gather(*(one(client, url, slack, n, t) for n, t in zip(names, texts, strict=True)))
            for name in names:
                await asyncio.to_thread(slack.wait_for, f"response:{name}", 1, 60)
            if round_number >= 0:
                acks += measured
                replies.append(time.perf_counter() - started)
    return acks, replies


def serve(port: int) -> None:
    """The child process: what `puente run` serves, configured from the environment the parent set."""
    runtime = Runtime.from_settings(load_settings())
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")


def wait_healthy(url: str, child: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if child.poll() is not None:
            raise SystemExit(f"the server exited with {child.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"the server did not answer {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
        return
    with tempfile.TemporaryDirectory() as tmp, SlackStandIn() as slack:
        environment = {
            "PUENTE_DATABASE_URL": f"sqlite:///{tmp}/puente.db",
            "PUENTE_VAR_DIR": tmp,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        upgrade(environment["PUENTE_DATABASE_URL"])
        runtime = Runtime.from_settings(load_settings(**environment))
        with runtime.unit_of_work(actor_name="operator") as ctx:
            users.add(ctx, "bench", Role.ANALYST, addresses={"slack": "U0BENCH"})
        runtime.engine.dispose()
        port = free_port()
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)], env={**os.environ, **environment}, cwd=tmp
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", child)
            acks, rounds = asyncio.run(
                drive(f"http://127.0.0.1:{port}/slack/events", slack, options.rounds, options.concurrency)
            )
        finally:
            child.terminate()
            child.wait(10)
    ms = [a * 1000 for a in acks]
    print(f"{len(ms)} slash commands, {options.concurrency} concurrent, {options.rounds} rounds (SQLite, loopback)")
    print(
        f"acknowledgement  p50 {statistics.median(ms):6.1f} ms  p99 "
        f"{percentile(ms, 0.99):6.1f} ms  max {max(ms):6.1f} ms  (goal: p99 < 100 ms)"
    )
    whole = [r * 1000 for r in rounds]
    print(
        f"round of {options.concurrency} until every reply reached response_url: "
        f"p50 {statistics.median(whole):6.1f} ms  max {max(whole):6.1f} ms"
    )


if __name__ == "__main__":
    main()
