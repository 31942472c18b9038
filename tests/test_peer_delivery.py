"""Delivery to a third-party TAXII peer (medallion on loopback): push, read back, validate, poll;
and the faults: a peer that is down, a process that dies mid-delivery, a peer that spoofs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.services.assistance import messages as assistance_messages
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.inbox import scheduled as inbox_worker
from puente.services.peers import scheduled as outbox_worker
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.stix.assistance import ASSISTANCE_EXTENSION_ID
from puente.storage import outbox as outbox_store
from puente.storage.inbox import IngestedObject
from puente.storage.models import Role, Ticket, TimelineEvent
from puente.storage.outbox import DeliveryState, OutboxMessage
from puente.taxii import client
from tests.conftest import SECRET_KEY
from tests.peer_servers import COLLECTION, PASSWORD, USER, free_port, medallion
from tests.support import confirmation, wait_until, while_alive

PEER_IDENTITY = "identity--0c7b5b88-8ff7-4a4d-aa9c-feb398cd0061"


def _collection(port: int) -> Collection:
    return Collection(f"http://127.0.0.1:{port}/csirt/collections/{COLLECTION}/", user=USER, password=PASSWORD)


def _add_peer(runtime: Runtime, port: int) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        peers.add(
            ctx,
            peers.PeerDraft(
                name="cert-br",
                countries=["BR"],
                taxii_url=f"http://127.0.0.1:{port}/taxii2/",
                collection_id=COLLECTION,
                pull_collection_id=COLLECTION,
                user=USER,
                password=PASSWORD,
                identity_id=PEER_IDENTITY,
                contact="CERT.br duty desk",
            ),
        )


def _say(runtime: Runtime, text: str) -> str:
    reply = CommandCore(runtime).handle(Command(text=text, platform="console", user_id="ana"))
    assert reply.ok, reply.plain_text()
    return reply.plain_text()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def shared_ticket(runtime: Runtime, port: int) -> Iterator[Runtime]:
    _add_peer(runtime, port)
    _say(runtime, "new C2 server in Brazil sev=high countries=CO,BR tlp=green ioc=c2[.]example pap=green")
    yield runtime


def _note_versions(port: int) -> list[str]:
    manifest = _collection(port).get_manifest(type="note", version="all")
    return [m["version"] for m in manifest.get("objects", [])]


def test_share_previews_then_pushes_and_the_peer_reads_valid_stix(
    shared_ticket: Runtime, port: int, tmp_path: Path
) -> None:
    runtime = shared_ticket
    preview = _say(runtime, "share INC-2026-0001")
    assert "Preview: share INC-2026-0001 (TLP:GREEN)" in preview
    assert "→ cert-br (country BR; BR)" in preview
    assert "[Share: /incident share INC-2026-0001 confirm=" in preview
    with runtime.unit_of_work() as ctx:
        assert ctx.session.exec(select(OutboxMessage)).all() == []  # a preview sends nothing
    assert "queued for cert-br" in _say(runtime, confirmation(preview))
    with medallion(tmp_path, port):
        assert outbox_worker.push_due_messages(runtime) == 1
        objects = _collection(port).get_objects()["objects"]
    incident = next(o for o in objects if o["type"] == "incident")
    # Observables and our identity travel too: the writer rule lets anyone send facts and its own identity.
    assert {"domain-name", "identity", "indicator"} <= {o["type"] for o in objects}
    assert incident["external_references"] == [{"source_name": "CSIRT-CO", "external_id": "INC-2026-0001"}]
    assert incident["object_marking_refs"] == ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    result = validate_instance(
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}, ValidationOptions(version="2.1")
    )
    assert result.is_valid, result.errors
    assert "📤 share INC-2026-0001 (TLP:GREEN) → cert-br: delivered" in _say(runtime, "show INC-2026-0001")


def test_red_goes_only_to_peers_named_in_the_command(shared_ticket: Runtime) -> None:
    runtime = shared_ticket
    _say(runtime, "update INC-2026-0001 tlp=red")
    reply = CommandCore(runtime).handle(Command(text="share INC-2026-0001", platform="console", user_id="ana"))
    assert not reply.ok
    assert "TLP:RED: it goes only to recipients you name" in reply.text
    assert "Suggested by its countries: cert-br" in reply.text
    assert "→ cert-br (named; BR)" in _say(runtime, "share INC-2026-0001 to cert-br")


def test_peer_down_for_the_first_tries_then_back_gets_it_exactly_once(
    shared_ticket: Runtime, clock: ManualClock, port: int, tmp_path: Path
) -> None:
    runtime = shared_ticket
    _say(runtime, "assist INC-2026-0001 cert-br block-host")
    for attempt in (1, 2, 3):
        assert outbox_worker.push_due_messages(runtime) == 1
        with runtime.unit_of_work() as ctx:
            row = ctx.session.exec(select(OutboxMessage)).one()
        assert row.state == DeliveryState.PENDING and row.attempts == attempt
        assert row.last_error is not None and "connection refused" in row.last_error
        assert row.next_try_at is not None
        wait = row.next_try_at - clock.now()
        low, high = outbox_worker.FIRST_RETRY * 2 ** (attempt - 1) * 0.5, outbox_worker.FIRST_RETRY * 2 ** (attempt - 1)
        assert low <= wait <= high  # exponential, with jitter
        assert outbox_worker.push_due_messages(runtime) == 0  # not before its time
        shown = _say(runtime, "show INC-2026-0001")
        assert f"📤 RFA INC-2026-0001 → cert-br: pending: try {attempt + 1} at" in shown
        clock.advance(wait)
    with medallion(tmp_path, port):
        assert outbox_worker.push_due_messages(runtime) == 1
        clock.advance(timedelta(hours=1))
        assert outbox_worker.push_due_messages(runtime) == 0
        assert len(_note_versions(port)) == 1
    assert "📤 RFA INC-2026-0001 → cert-br: delivered" in _say(runtime, "show INC-2026-0001")


def test_a_refusing_peer_fails_the_delivery_with_the_reason(shared_ticket: Runtime, port: int, tmp_path: Path) -> None:
    runtime = shared_ticket
    with runtime.unit_of_work() as ctx:
        peers.get(ctx, "cert-br").password = "wrong"
    _say(runtime, "assist INC-2026-0001 cert-br block-host")
    with medallion(tmp_path, port):
        outbox_worker.push_due_messages(runtime)
    shown = _say(runtime, "show INC-2026-0001")
    assert "📤 RFA INC-2026-0001 → cert-br: failed: HTTP 401: authentication refused" in shown
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.change(ctx, "ana", language="fr")
    assert "→ cert-br: échoué : HTTP 401: authentication refused" in _say(runtime, "show INC-2026-0001")


def test_process_dying_after_taking_a_row_delivers_after_restart_without_a_duplicate(
    shared_ticket: Runtime, clock: ManualClock, port: int, tmp_path: Path
) -> None:
    runtime = shared_ticket
    _say(runtime, "assist INC-2026-0001 cert-br block-host")
    _say(runtime, "assist INC-2026-0001 cert-br takedown")
    with medallion(tmp_path, port):
        # Row 1 is taken and pushed, then the process dies before recording it; row 2, about the same
        # ticket, waits behind it.
        with runtime.unit_of_work() as ctx:
            taken = outbox_store.take_due(ctx.session, clock.now(), outbox_worker.PUSH_LEASE)
            assert [(r.id, r.attempts) for r in taken] == [(1, 1)]
            pushed_objects = taken[0].objects
        client.push(client.Endpoint(f"http://127.0.0.1:{port}/csirt/", COLLECTION, USER, PASSWORD), pushed_objects)
        assert outbox_worker.push_due_messages(runtime) == 0  # the dead process's lease still holds, row 2 waits
        clock.advance(outbox_worker.PUSH_LEASE)
        assert outbox_worker.push_due_messages(runtime) == 2  # "after restart": row 1 again, then row 2
        versions = _note_versions(port)
    assert len(versions) == 2  # two notes, one version each: the re-push created no duplicate
    with runtime.unit_of_work() as ctx:
        assert {r.state for r in ctx.session.exec(select(OutboxMessage))} == {DeliveryState.DELIVERED}


def _peer_note(created_by: str, incident: str) -> dict[str, object]:
    return {
        "type": "note",
        "spec_version": "2.1",
        "id": f"note--{uuid.uuid4()}",
        "created_by_ref": created_by,
        "created": "2026-01-05T11:00:00.000Z",
        "modified": "2026-01-05T11:00:00.000Z",
        "content": "we see it too",
        "object_refs": [incident],
        "extensions": {
            ASSISTANCE_EXTENSION_ID: {
                "extension_type": "property-extension",
                "message_type": "NOTIFY",
                "request_id": str(uuid.uuid4()),
                "requester_reference": "INC-2026-0042",
            }
        },
    }


def test_poller_takes_in_the_peers_objects_and_rejects_spoofed_ones(
    shared_ticket: Runtime, port: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = shared_ticket
    incident = f"incident--{uuid.uuid4()}"
    genuine = {
        "type": "incident",
        "spec_version": "2.1",
        "id": incident,
        "created_by_ref": PEER_IDENTITY,
        "created": "2026-01-05T10:00:00.000Z",
        "modified": "2026-01-05T10:00:00.000Z",
        "name": "Phishing against BR banks",
        "external_references": [{"source_name": "puente", "external_id": "INC-2026-0042"}],
    }
    spoofed = _peer_note("identity--7d3c1f0e-1111-4a4a-9999-000000000001", incident)
    with runtime.unit_of_work() as ctx:
        ours = _peer_note(assistance_messages.our_identity(ctx), incident)
    invalid = dict(_peer_note(PEER_IDENTITY, incident), created="yesterday")
    with medallion(tmp_path, port):
        _collection(port).add_objects({"objects": [genuine, spoofed, ours]})
        _collection(port).add_objects({"objects": [invalid]})
        first = inbox_worker.poll_peer(runtime, "cert-br")
        again = inbox_worker.poll_peer(runtime, "cert-br")
    assert first.accepted == 1
    assert any(
        str(spoofed["id"]) in r and "not cert-br's to send: created_by_ref must be your identity" in r
        for r in first.rejected
    )
    assert any(str(invalid["id"]) in r and "invalid" in r for r in first.rejected)
    assert again.accepted == 0 and again.rejected == []  # the cursor moved past them
    assert f"rejected object {spoofed['id']} from peer cert-br" in caplog.text
    with runtime.unit_of_work() as ctx:
        stored = {o.stix_id for o in ctx.session.exec(select(IngestedObject))}
        assert stored == {incident}
        linked = ctx.session.exec(select(Ticket).where(Ticket.reference == "INC-2026-0002")).one()
        assert linked.title == "Phishing against BR banks" and linked.producer == PEER_IDENTITY
        rejected = ctx.session.exec(select(TimelineEvent).where(TimelineEvent.action == "peer-object-rejected")).all()
        assert len(rejected) == 2 and all(e.ticket_id is None for e in rejected)


def test_peers_cli_add_test_list_remove(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int
) -> None:
    from puente.cli.main import main

    monkeypatch.setenv("PUENTE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PUENTE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PUENTE_SECRET_KEY", SECRET_KEY)
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "peers",
            "add",
            "cert-br",
            "--countries",
            "BR,AR",
            "--domains",
            "gov.br",
            "--asns",
            "AS28573",
            "--taxii-url",
            f"http://127.0.0.1:{port}/taxii2/",
            "--collection",
            COLLECTION,
            "--user",
            USER,
            "--password",
            PASSWORD,
            "--identity",
            PEER_IDENTITY,
            "--contact",
            "CERT.br +55 11 5509 3548",
        ],
    )
    assert added.exit_code == 0, added.output
    down = runner.invoke(main, ["peers", "test", "cert-br"])
    assert down.exit_code == 1 and "server: unreachable — connection refused" in down.output
    with medallion(tmp_path, port):
        works = runner.invoke(main, ["peers", "test", "cert-br"])
        runner.invoke(
            main,
            [
                "peers",
                "add",
                "bad-pw",
                "--countries",
                "MX",
                "--taxii-url",
                f"http://127.0.0.1:{port}/taxii2/",
                "--collection",
                COLLECTION,
                "--user",
                USER,
                "--password",
                "nope",
            ],
        )
        refused = runner.invoke(main, ["peers", "test", "bad-pw"])
    assert works.exit_code == 0, works.output
    for line in (
        "auth: accepted",
        f"api root: CSIRT sharing (http://127.0.0.1:{port}/csirt/)",
        "read: works",
        "write: allowed",
        "all good",
    ):
        assert line in works.output
    assert refused.exit_code == 1 and "auth: refused" in refused.output
    bad = runner.invoke(
        main, ["peers", "add", "x", "--countries", "XX", "--taxii-url", "http://127.0.0.1:1/", "--collection", "c"]
    )
    assert bad.exit_code == 1 and "Unknown country 'XX': use ISO 3166 codes" in bad.output
    listed = runner.invoke(main, ["peers", "list"])
    assert "cert-br\tBR,AR" in listed.output and "our identity: identity--" in listed.output
    assert runner.invoke(main, ["peers", "remove", "bad-pw"]).exit_code == 0
    assert "bad-pw" not in runner.invoke(main, ["peers", "list"]).output


def test_peers_in_chat_show_points_of_contact_by_country(shared_ticket: Runtime) -> None:
    assert "cert-br — BR: CERT.br duty desk" in _say(shared_ticket, "peers BR")
    assert "No peer CSIRTs for AR (Argentina)" in _say(shared_ticket, "peers AR")
    assert "🌎 cross-border" in _say(shared_ticket, "list cross-border")


# The child is one `puente run` outbox worker on A's database, its clock pinned to argv[2].
OUTBOX_WORKER = r"""
import sys, time
from datetime import datetime
from puente.settings import load_settings
from puente.services.peers import scheduled as outbox_worker
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.storage.engine import make_engine

url, moment, base_url = sys.argv[1:4]
settings = load_settings(
    PUENTE_DATABASE_URL=url, PUENTE_CSIRT_NAME="CSIRT-CO", PUENTE_CSIRT_COUNTRY="CO", PUENTE_BASE_URL=base_url
)
runtime = Runtime(settings, make_engine(url), ManualClock(datetime.fromisoformat(moment)))
while True:
    outbox_worker.push_due_messages(runtime)
    time.sleep(0.05)
"""


class _SilentPeer:
    """A TAXII peer that accepts connections and never answers: a push to it hangs mid-delivery."""

    def __init__(self, port: int) -> None:
        self.accepted: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", port))
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), so the port is really free
        self.listener.close()
        self.thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()


def test_process_killed_between_taking_a_row_and_the_push_delivers_after_restart_without_a_duplicate(
    sqlite_runtime: Runtime, clock: ManualClock, port: int, tmp_path: Path
) -> None:
    runtime = sqlite_runtime
    _add_peer(runtime, port)
    _say(runtime, "new C2 server in Brazil sev=high countries=CO,BR tlp=green ioc=c2[.]example pap=green")
    _say(runtime, "assist INC-2026-0001 cert-br block-host")
    url, base_url = str(runtime.engine.url), runtime.settings.effective_base_url

    def worker(moment: datetime) -> subprocess.Popen[bytes]:
        key = {"PUENTE_SECRET_KEY": SECRET_KEY}  # opens the peer's password, as `puente run` would
        return subprocess.Popen(
            [sys.executable, "-c", OUTBOX_WORKER, url, moment.isoformat(), base_url], env={**os.environ, **key}
        )

    def states() -> set[str]:
        with runtime.unit_of_work() as ctx:
            return {r.state for r in ctx.session.exec(select(OutboxMessage))}

    silent = _SilentPeer(port)
    first = worker(clock.now())
    try:
        wait_until(
            while_alive(first, lambda: bool(silent.accepted), "the outbox worker"),
            "the outbox worker has taken the row and is in the middle of the push",
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        silent.close()
    assert states() == {DeliveryState.PENDING}

    with medallion(tmp_path, port):
        second = worker(clock.now() + outbox_worker.PUSH_LEASE + timedelta(seconds=1))
        try:
            wait_until(
                while_alive(second, lambda: states() == {DeliveryState.DELIVERED}, "the restarted outbox worker"),
                lambda: f"delivered after the restart (states: {states()})",
            )
        finally:
            os.kill(second.pid, signal.SIGKILL)
            second.wait(timeout=10)
        versions = _note_versions(port)
    assert len(versions) == 1  # the request for assistance, once: no duplicate version at the peer
