"""Soak: a hostile peer posts as fast as it can while a genuine peer runs a whole request for assistance.

    python bench/hostile_peer.py [--seconds 60] [--threads 4] [--pages 300] [--rate 600]

CSIRT-CO runs in this process as `puente run` would (ASGI app, TAXII server, every worker) on a
SQLite file; CERT-BR is a real `puente run` subprocess, its peer both ways (tests/puente_pair.py).
CERT-AR is a third peer of CSIRT-CO, with an inbox and an identity, that turns hostile: for the
whole soak its threads post a mix of valid objects, invalid ones and the poisons of issue 12 (NUL
characters, over-long references, severities as objects, nesting hundreds deep, forged versions of
our incidents, relabelled TLP markings), read with absurd filters and log in with wrong passwords,
from 127.0.0.2 so that its lock-out is its own. Meanwhile CERT-BR asks CSIRT-CO for assistance and
the two run the request to its end (RFA, ACK, ACCEPT, RESULT, CLOSE), and the escalation worker
fires `--pages` pages whose due times are spread over the soak.

Reported: the hostile peer's requests per second and its answers by status (goal: no 5xx), genuine
messages lost (goal 0), the RFA's end-to-end latency (CERT-BR's assist until CSIRT-CO's linked
ticket) and of the whole request, and how late the pages fired (p50, p99, max).
"""

from __future__ import annotations

import argparse
import collections
import gc
import logging
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx
import orjson
import uvicorn
from puente_pair import puente_pair, wait_until
from sqlalchemy import update

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.server.app import create_app
from puente.server.workers import default_workers
from puente.services.context import Runtime
from puente.services.escalation import service as escalation
from puente.services.escalation.policies import Policy, make_steps
from puente.services.feeds import partners
from puente.services.notify import Notice, Recipient
from puente.services.peers import service as peers
from puente.services.tickets import service as tickets
from puente.services.users import service as users
from puente.settings import load_settings
from puente.stix import assistance as stix_notes
from puente.stix.markings import MARKING_IDS, marking_definition
from puente.storage.models import Role
from puente.storage.pages import Page

TAXII = "application/taxii+json;version=2.1"
HOSTILE_IDENTITY = "identity--7d1e2c3b-4a5f-4b6c-9d8e-0f1a2b3c4d5e"
PAGE = re.compile(r"^Page P(\d+)")


class Stopwatch:
    """Notes when each bench page reaches it (other notices are let through untimed)."""

    platform = "bench"

    def __init__(self) -> None:
        self.received: dict[int, datetime] = {}
        self.lock = threading.Lock()

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        match = PAGE.match(notice.text)
        if match:
            with self.lock:
                self.received.setdefault(int(match.group(1)), datetime.now(UTC))
        return "bench"

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        return None


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _incident(**changes: object) -> dict[str, object]:
    now = stamp()
    obj: dict[str, object] = {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": HOSTILE_IDENTITY,
        "name": "Scan wave",
        "external_references": [{"source_name": "CERT-AR", "external_id": "INC-2026-0900"}],
        "object_marking_refs": [MARKING_IDS["amber"]],
    }
    obj.update(changes)
    return obj


def _rfa(incident: dict[str, object], **extension: object) -> dict[str, object]:
    message = stix_notes.Message(
        "RFA", str(uuid.uuid4()), "INC-2026-0900", str(incident["id"]), "help", actions=("investigate",), severity="low"
    )
    note = stix_notes.note(message, created_by=HOSTILE_IDENTITY, marking_ref=MARKING_IDS["amber"], at=datetime.now(UTC))
    note["extensions"][stix_notes.ASSISTANCE_EXTENSION_ID].update(extension)
    return note


def _indicator() -> dict[str, object]:
    now = stamp()
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": HOSTILE_IDENTITY,
        "pattern": f"[ipv4-addr:value = '203.0.113.{random.randint(1, 254)}']",
        "pattern_type": "stix",
        "valid_from": now,
    }


def _deep(depth: int) -> bytes:
    return b'{"objects":[' + orjson.dumps(_incident())[:-1] + b',"x_deep":' + b"[" * depth + b"]" * depth + b"}]}"


def hostile_bodies(ours: str) -> list[bytes]:
    """One round of what the hostile peer posts: valid, invalid and poisonous envelopes."""
    relabelled = marking_definition("red") | {"name": "TLP:CLEAR"}
    found = _incident()
    envelopes = [
        {"objects": [_indicator() for _ in range(20)]},
        {"objects": [found, _rfa(found, severity={"x": 1})]},
        {"objects": [_incident(name="NUL\x00name")]},
        {"objects": [_incident(), _rfa(_incident(), request_id="r" * 200)]},
        {"objects": [_incident(external_references=[{"source_name": "x", "external_id": "INC-" + "9" * 90}])]},
        {"objects": [_incident(created_by_ref="identity--" + "a" * 300)]},
        {"objects": [_incident(id=ours, name="hijacked")]},
        {"objects": [relabelled]},
        {"objects": [{"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}", "created": {}}]},
        {"objects": [{"type": "nonsense"}, 7, "x", None]},
    ]
    return [orjson.dumps(e) for e in envelopes] + [_deep(400), b"{not json", b'{"objects": {}}']


def hostile_peer(
    base: str,
    user: str,
    password: str,
    collections: dict[str, str],
    ours: str,
    stop: threading.Event,
    tally: collections.Counter[int],
    lock: threading.Lock,
) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(
        base_url=f"{base}/taxii2/api/",
        auth=(user, password),
        transport=transport,
        timeout=60,
        headers={"Accept": TAXII, "Content-Type": TAXII},
    ) as client:
        inbox, public = collections["cert-ar-inbox"], collections["public"]
        stranger = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"), headers={"Accept": TAXII})
        while not stop.is_set():
            requests: list[tuple[str, str, bytes | None, dict[str, str]]] = [
                ("POST", f"collections/{inbox}/objects/", body, {}) for body in hostile_bodies(ours)
            ]
            requests += [
                ("GET", f"collections/{public}/objects/", None, {"limit": "9" * 5000}),
                ("GET", f"collections/{public}/objects/", None, {"match[id]": "indicator--\x00"}),
                ("GET", f"collections/{public}/objects/{'x' * 300}/", None, {}),
                ("DELETE", f"collections/{inbox}/objects/{ours}/", None, {}),
            ]
            for method, url, body, params in requests:
                if stop.is_set():
                    return
                try:
                    answer = client.request(method, url, content=body, params=params)
                    code = answer.status_code
                except httpx.HTTPError:
                    code = 0
                with lock:
                    tally[code] += 1
            try:  # a wrong password now and then, from an address of its own
                code = stranger.get(f"{base}/taxii2/", auth=(user, "guess")).status_code
            except httpx.HTTPError:
                code = 0
            with lock:
                tally[code] += 1


def our_reference(database: Path, peer_reference: str) -> str:
    """CSIRT-CO's reference of the ticket linked to CERT-BR's."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        row = connection.execute(
            "SELECT t.reference FROM tickets t JOIN ticket_links l ON l.ticket_id = t.id WHERE l.peer_reference = ?",
            (peer_reference,),
        ).fetchone()
    return str(row[0])


def resident_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def upload_10_mb(base: str, user: str, password: str, inbox: str) -> int:
    objects = [_indicator() for _ in range(24_000)]
    body = orjson.dumps({"objects": objects})
    with httpx.Client(
        auth=(user, password), timeout=300, transport=httpx.HTTPTransport(local_address="127.0.0.2")
    ) as c:
        answer = c.post(
            f"{base}/taxii2/api/collections/{inbox}/objects/",
            content=body,
            headers={"Accept": TAXII, "Content-Type": TAXII},
        )
    assert answer.status_code == 202, answer.text[:300]
    return len(body)


def request_state(database: Path, reference: str) -> str | None:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        row = connection.execute(
            "SELECT state FROM assistance_requests WHERE requester_reference = ? ORDER BY id DESC", (reference,)
        ).fetchone()
    return row[0] if row else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rate", type=int, help="requests a minute per partner (default: the setting, 600)")
    args = parser.parse_args()
    logging.getLogger("puente").setLevel(logging.ERROR)  # the failed logins it logs would flood the report
    with tempfile.TemporaryDirectory() as scratch, puente_pair(Path(scratch)) as (co, br):
        co.stop()  # serve CSIRT-CO from this process instead, on the same port and database
        settings = load_settings(**{k: v for k, v in co.env.items() if k.startswith("PUENTE_")})
        if args.rate:
            settings.taxii_partner_requests_per_minute = args.rate
        runtime = Runtime.from_settings(settings)
        stopwatch = Stopwatch()
        runtime.notifiers.append(stopwatch)
        core = CommandCore(runtime)
        with runtime.unit_of_work(actor_name="operator") as ctx:
            users.add(ctx, "oncall", Role.ONCALL)
            issued = partners.add(ctx, "cert-ar", peer="cert-ar", identity=HOSTILE_IDENTITY)
            peers.add(
                ctx,
                peers.PeerDraft(
                    name="cert-ar",
                    countries=["AR"],
                    taxii_url="http://127.0.0.1:9/taxii2/",
                    collection_id=str(uuid.uuid4()),
                    identity_id=HOSTILE_IDENTITY,
                ),
            )
        ours = core.handle(Command(text="new Our own incident sev=low", platform="console", user_id="ana"))
        with runtime.unit_of_work() as ctx:
            our_incident = tickets.get(ctx, re.search(r"INC-\d{4}-\d{4}", ours.plain_text()).group(0)).incident_id  # type: ignore[union-attr]

        # Pages due across the soak, fired by the escalation worker.
        one_step = Policy(repeat=1, steps=make_steps(("user", "oncall", 0)))
        with runtime.unit_of_work(actor_name="bench") as ctx:
            ctx.actor = users.add(ctx, "bench", Role.ADMIN)
            ticket = tickets.open_ticket(ctx, tickets.TicketDraft(title="Lateness during the soak"))
            escalation.cancel_pages(ctx, ticket, "bench set-up")
            parked = datetime.now(UTC) + timedelta(days=1)
            ids = [
                escalation.raise_page(ctx, ticket, "bench", f"page {n}", policy=one_step, fire_at=parked).id or 0
                for n in range(args.pages)
            ]

        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime, default_workers()), host="127.0.0.1", port=co.port, log_level="error")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        first_due = datetime.now(UTC) + timedelta(seconds=2)
        step = (args.seconds - 4) / max(1, args.pages)
        due = {page_id: first_due + timedelta(seconds=n * step) for n, page_id in enumerate(ids)}
        with runtime.unit_of_work(actor_name="bench") as ctx:
            ctx.session.execute(update(Page), [{"id": page_id, "next_fire_at": at} for page_id, at in due.items()])

        stop, lock, tally = threading.Event(), threading.Lock(), collections.Counter[int]()
        granted = {g.alias: g.id for g in issued.collections}
        # Memory around two 10 MB uploads, before the soak (the test process's own objects count too).
        gc.collect()
        memory = [resident_mb()]
        for _ in range(2):
            size = upload_10_mb(settings.effective_base_url, issued.user, issued.password, granted["cert-ar-inbox"])
            gc.collect()
            memory.append(resident_mb())
        attackers = [
            threading.Thread(
                target=hostile_peer,
                daemon=True,
                args=(
                    settings.effective_base_url,
                    issued.user,
                    issued.password,
                    granted,
                    our_incident,
                    stop,
                    tally,
                    lock,
                ),
            )
            for _ in range(args.threads)
        ]
        started = time.monotonic()
        for attacker in attackers:
            attacker.start()

        # The genuine peer's request, from CERT-BR's analysts and CSIRT-CO's, through both servers.
        opened = br.say("ana", "/incident new Botnet C2 in Colombia sev=high countries=BR,CO tlp=amber")
        reference = re.search(r"Opened (INC-\d{4}-\d{4})", opened).group(1)  # type: ignore[union-attr]
        asked = time.monotonic()
        br.say("ana", f"/incident assist {reference} csirt-co block-host take down 192.0.2.10")
        lost: list[str] = []
        timings: dict[str, float] = {}

        def reached(database: Path, state: str, what: str) -> None:
            try:
                wait_until(lambda: request_state(database, reference) == state, what, timeout=max(30.0, args.seconds))
                timings[what] = time.monotonic() - asked
            except AssertionError:
                lost.append(what)

        reached(co.directory / "puente.db", "SENT", "RFA reached CSIRT-CO")

        def say(text: str) -> None:
            reply = core.handle(Command(text=text, platform="console", user_id="lead"))
            assert reply.ok, reply.plain_text()

        linked = our_reference(co.directory / "puente.db", reference)
        say(f"ack {linked}")
        reached(br.directory / "puente.db", "ACKED", "ACK reached CERT-BR")
        say(f"accept {linked} on it")
        reached(br.directory / "puente.db", "ACCEPTED", "ACCEPT reached CERT-BR")
        say(f"result {linked} done C2 taken down")
        reached(br.directory / "puente.db", "COMPLETED", "RESULT reached CERT-BR")
        br.say("ana", f"/incident close {reference} rfa thanks")
        reached(co.directory / "puente.db", "CLOSED", "CLOSE reached CSIRT-CO")

        stop.wait(max(0.0, args.seconds - (time.monotonic() - started)))
        stop.set()
        for attacker in attackers:
            attacker.join(60)
        elapsed = time.monotonic() - started
        fired_by = max(due.values()) + timedelta(seconds=30)
        while len(stopwatch.received) < len(due) and datetime.now(UTC) < fired_by:
            time.sleep(0.1)
        server.should_exit = True
        thread.join(10)

    total = sum(tally.values())
    lateness = sorted((stopwatch.received[p] - due[p]).total_seconds() for p in stopwatch.received)
    print(
        f"memory (RSS) before two {size / 1e6:.1f} MB uploads {memory[0]:.0f} MB, after the first {memory[1]:.0f} MB,"
        f" after the second {memory[2]:.0f} MB"
    )
    print(
        f"hostile peer, {args.threads} threads for {elapsed:.0f} s: {total} requests, {total / elapsed:.0f} requests/s"
    )
    print("  answers: " + ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(tally.items())))
    print(f"  5xx: {sum(n for code, n in tally.items() if code >= 500)} (goal 0)")
    print(f"genuine messages lost: {len(lost)} (goal 0){': ' + ', '.join(lost) if lost else ''}")
    for what, seconds in timings.items():
        print(f"  {what}: {seconds * 1000:.0f} ms after CERT-BR's assist")
    if lateness:
        q = statistics.quantiles(lateness, n=100, method="inclusive") if len(lateness) > 1 else [lateness[0]] * 99
        print(
            f"pages fired during the soak: {len(lateness)} of {len(due)}; lateness p50 {q[49] * 1000:.0f} ms,"
            f" p99 {q[98] * 1000:.0f} ms, max {lateness[-1] * 1000:.0f} ms"
        )
    else:
        print(f"pages fired during the soak: none of {len(due)}")


if __name__ == "__main__":
    main()
