"""Hemisphere drill: 35 Puente deployments on loopback, one per OAS member state; an outbreak reported in
one country touching 10 others is notified (early warning) and shared.

    python bench/hemisphere_drill.py [--rounds 5] [--down-seconds 60] [--origin BR]

Each deployment is `puente run` served in this process (its own SQLite file, port, TAXII server and
workers: a 2-core machine cannot hold 35 interpreters), peered with the others it needs: the origin
with the 10 affected CSIRTs, each of them with the origin, configured as `puente partners add` and
`puente peers add` would. Measured, per round: from `/incident notify … confirm=…` at the origin to each
affected CSIRT's on-call being handed the early-warning page (p50, p99, max); objects lost (a version
the origin stored for the ticket that a receiver does not hold) and duplicates (a second ticket or
page for one incident, or one object version stored twice): both must be 0. Then the same with 3 of
the 10 receivers down for `--down-seconds` and brought back. Goal: p99 < 5 s with everyone up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn
from cryptography.fernet import Fernet

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.server.app import create_app
from puente.server.workers import default_workers
from puente.services.context import Runtime
from puente.services.exchange import service as exchange
from puente.services.feeds import partners
from puente.services.notify import Notice, Recipient
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.services.vocabularies import countries
from puente.settings import load_settings
from puente.storage.engine import make_engine
from puente.storage.migrate import upgrade
from puente.storage.models import Role

STATES = countries.OAS_MEMBER_STATES
AFFECTED = 10
SECRET_KEY = Fernet.generate_key().decode()  # peers' credentials are kept sealed, as in any deployment
GOAL_P99_S = 5.0


def free_ports(count: int) -> list[int]:
    """Distinct free ports: held open together, so the system cannot hand out one twice."""
    held = [socket.socket() for _ in range(count)]
    for s in held:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in held]
    for s in held:
        s.close()
    return ports


@dataclass
class Pages:
    """The on-call's chat, as far as the drill cares: when each early warning was handed over, by its text."""

    platform: str = "console"
    handed: list[tuple[float, str]] = field(default_factory=list)

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    def send(self, recipient: Recipient, notice: Notice) -> str:
        if "early warning" in notice.text:
            self.handed.append((time.perf_counter(), notice.text))
        return f"drill:{len(self.handed)}"

    def update(self, recipient: Recipient, handle: str, notice: Notice) -> None:
        return None

    def first(self, words: str) -> float | None:
        return next((at for at, text in self.handed if words in text), None)


@dataclass
class Deployment:
    country: str
    directory: Path
    port: int
    pages: Pages = field(default_factory=Pages)
    runtime: Runtime | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None

    @property
    def alias(self) -> str:
        return f"csirt-{self.country.lower()}"

    @property
    def database(self) -> Path:
        return self.directory / "puente.db"

    def configure(self, template: Path) -> None:
        self.directory.mkdir(parents=True)
        shutil.copy(template, self.database)
        url = f"sqlite:///{self.database}"
        settings = load_settings(
            PUENTE_DATABASE_URL=url,
            PUENTE_CSIRT_NAME=f"CSIRT-{self.country}",
            PUENTE_CSIRT_COUNTRY=self.country,
            PUENTE_VAR_DIR=str(self.directory / "var"),
            PUENTE_HOST="127.0.0.1",
            PUENTE_PORT=str(self.port),
            PUENTE_BASE_URL=f"http://127.0.0.1:{self.port}",
            PUENTE_SECRET_KEY=SECRET_KEY,
        )
        self.runtime = Runtime(settings, make_engine(url))
        self.runtime.notifiers.append(self.pages)
        with self.runtime.unit_of_work(actor_name="operator") as ctx:
            users.add(ctx, "lead", Role.LEAD)
            users.add(ctx, "ana", Role.ANALYST)

    def identity(self) -> str:
        assert self.runtime is not None
        with self.runtime.unit_of_work(actor_name="operator") as ctx:
            return str(exchange.our_identity(ctx)["id"])

    def start(self) -> None:
        assert self.runtime is not None
        app = create_app(self.runtime, default_workers())
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error", log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"puente-{self.country}")
        self.thread.start()

    def started(self) -> bool:
        return self.server is not None and self.server.started

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(30)
        self.server = self.thread = None

    def say(self, text: str) -> str:
        assert self.runtime is not None
        reply = CommandCore(self.runtime).handle(Command(text=text, platform="console", user_id="ana"))
        if not reply.ok:
            raise SystemExit(f"{self.alias}: {text!r} refused: {reply.text}")
        return reply.plain_text()

    def confirmation(self, preview: str) -> str:
        """The command that confirms what `preview` (a share or notify) shows, with the preview's digest."""
        return self.say(preview).split("Confirm: ", 1)[1].split("\n", 1)[0]

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql, args).fetchall()


def peer_up(local: Deployment, remote: Deployment, identities: dict[str, str]) -> None:
    """`remote` gives `local` credentials and an inbox; `local` records `remote` as its peer."""
    assert local.runtime is not None and remote.runtime is not None
    with remote.runtime.unit_of_work(actor_name="operator") as ctx:
        issued = partners.add(ctx, local.alias, peer=local.alias, identity=identities[local.alias])
        inbox = next(g.id for g in issued.collections if g.alias == f"{local.alias}-inbox")
    with local.runtime.unit_of_work(actor_name="operator") as ctx:
        peers.add(
            ctx,
            peers.PeerDraft(
                name=remote.alias,
                countries=[remote.country],
                taxii_url=f"http://127.0.0.1:{remote.port}/taxii2/",
                collection_id=inbox,
                user=issued.user,
                password=issued.password,
                identity_id=identities[remote.alias],
                contact=f"CSIRT-{remote.country} duty desk",
            ),
        )


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    by_country: dict[str, float] = field(default_factory=dict)
    missing_pages: int = 0
    lost: int = 0
    duplicates: int = 0


def losses(origin: Deployment, receiver: Deployment, incident: str) -> tuple[int, int]:
    """(lost, duplicated) at `receiver` for the origin's ticket holding `incident`."""
    of_incident = (
        "SELECT s.stix_id, s.modified FROM stix_objects s JOIN tickets t ON t.id = s.ticket_id WHERE t.incident_id = ?"
    )
    sent = set(origin.query(of_incident, incident))
    held = set(receiver.query(of_incident, incident))
    tickets = receiver.query("SELECT id FROM tickets WHERE incident_id = ?", incident)
    pages = receiver.query(
        "SELECT COUNT(*) FROM pages p JOIN tickets t ON t.id = p.ticket_id"
        " WHERE t.incident_id = ? AND p.kind = 'early-warning'",
        incident,
    )
    stored_twice = receiver.query(
        "SELECT COUNT(*) FROM (SELECT s.stix_id FROM stix_objects s JOIN tickets t ON t.id = s.ticket_id"
        " WHERE t.incident_id = ? GROUP BY s.stix_id, s.modified HAVING COUNT(*) > 1)",
        incident,
    )
    duplicates = max(0, len(tickets) - 1) + max(0, int(pages[0][0]) - 1) + int(stored_twice[0][0])  # type: ignore[call-overload]
    return len(sent - held), duplicates


def outbreak(
    origin: Deployment, receivers: list[Deployment], number: int, down: list[Deployment], down_seconds: float
) -> Outcome:
    codes = ",".join([origin.country, *(r.country for r in receivers)])
    opened = origin.say(
        f"new Outbreak {number} wiper spreading through regional ISPs sev=high countries={codes}"
        f" type=malicious-code/malware-distribution ioc=198.51.100.{number},wiper{number}.example"
    )
    reference = opened.split("Opened ", 1)[1].split(".", 1)[0]
    incident = str(origin.query("SELECT incident_id FROM tickets WHERE reference = ?", reference)[0][0])
    warning = origin.confirmation(f"notify {reference} Wiper outbreak {number}: patch and block now")
    share = origin.confirmation(f"share {reference}")
    started = time.perf_counter()
    origin.say(warning)
    origin.say(share)
    if down:
        time.sleep(max(0.0, down_seconds - (time.perf_counter() - started)))
        for deployment in down:
            deployment.start()
    outcome = Outcome()
    words = f"warns of Outbreak {number} "
    for receiver in receivers:
        if not wait(lambda receiver=receiver: receiver.pages.first(words) is not None, 180):
            outcome.missing_pages += 1
            continue
        outcome.by_country[receiver.country] = receiver.pages.first(words) - started  # type: ignore[operator]
        outcome.latencies.append(outcome.by_country[receiver.country])
    for receiver in receivers:  # the share follows the warning: wait for it to settle, then count
        settled = wait(lambda receiver=receiver: losses(origin, receiver, incident)[0] == 0, 120)
        lost, duplicated = losses(origin, receiver, incident)
        outcome.lost += lost if not settled else 0
        outcome.duplicates += duplicated
    return outcome


def report(title: str, outcome: Outcome, cpu: float, wall: float, load: tuple[float, float, float]) -> None:
    samples = outcome.latencies
    print(f"{title}: {len(samples)} pages")
    if samples:
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"  command -> on-call page: p50 {p50:.2f} s   p99 {p99:.2f} s   max {max(samples):.2f} s")
    print(f"  pages missing {outcome.missing_pages}   objects lost {outcome.lost}   duplicates {outcome.duplicates}")
    print(
        f"  CPU {cpu:.1f} s over {wall:.1f} s wall ({cpu / wall:.2f} cores); load average {load[0]:.2f} {load[1]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down-seconds", type=float, default=60.0)
    parser.add_argument("--origin", default="BR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "template.db"
        upgrade(f"sqlite:///{template}")
        ports = free_ports(len(STATES))
        places = zip(STATES, ports, strict=True)
        deployments = {code: Deployment(code, Path(scratch) / code, port) for code, port in places}
        for deployment in deployments.values():
            deployment.configure(template)
        origin = deployments[args.origin]
        receivers = [d for code, d in deployments.items() if code != args.origin][:AFFECTED]
        identities = {d.alias: d.identity() for d in deployments.values()}
        for receiver in receivers:
            peer_up(origin, receiver, identities)
            peer_up(receiver, origin, identities)
        for deployment in deployments.values():
            deployment.start()
        if not wait(lambda: all(d.started() for d in deployments.values()), 120):
            raise SystemExit("not every deployment started within 120 s")
        affected = ", ".join(r.country for r in receivers)
        print(f"{len(deployments)} deployments up; origin {origin.alias}, affected: {affected}")
        try:
            everyone = Outcome()
            cpu, wall = time.process_time(), time.perf_counter()
            for number in range(1, args.rounds + 1):
                done = outbreak(origin, receivers, number, [], 0.0)
                everyone.latencies += done.latencies
                everyone.missing_pages += done.missing_pages
                everyone.lost += done.lost
                everyone.duplicates += done.duplicates
            report(
                f"everyone up, {args.rounds} outbreak(s)",
                everyone,
                time.process_time() - cpu,
                time.perf_counter() - wall,
                os.getloadavg(),
            )
            down = receivers[:3]
            for deployment in down:
                deployment.stop()
            cpu, wall = time.process_time(), time.perf_counter()
            outage = outbreak(origin, receivers, args.rounds + 1, down, args.down_seconds)
            report(
                f"3 of {AFFECTED} receivers down for {args.down_seconds:.0f} s, then back",
                outage,
                time.process_time() - cpu,
                time.perf_counter() - wall,
                os.getloadavg(),
            )
            stayed = [
                outage.by_country[r.country] for r in receivers if r not in down and r.country in outage.by_country
            ]
            came_back = [outage.by_country[r.country] for r in down if r.country in outage.by_country]
            if stayed and came_back:
                print(
                    f"  the {len(stayed)} that stayed up: max {max(stayed):.2f} s;"
                    f" the {len(came_back)} brought back: max {max(came_back):.2f} s"
                )
            met = everyone.latencies and percentile(everyone.latencies, 0.99) < GOAL_P99_S
            clean = everyone.lost == outage.lost == everyone.duplicates == outage.duplicates == 0
            print(
                f"goal p99 < {GOAL_P99_S:.0f} s with everyone up: {'met' if met else 'NOT met'};"
                f" 0 lost and 0 duplicated in both runs: {'met' if clean else 'NOT met'}"
            )
        finally:
            for deployment in deployments.values():
                deployment.stop()


if __name__ == "__main__":
    main()
