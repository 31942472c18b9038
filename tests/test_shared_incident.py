"""One shared incident across two Puente CSIRTs (over medallion on loopback): it arrives whole, its later
versions follow it by themselves, and out-of-order or repeated versions change nothing."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path

import orjson
from sqlmodel import select
from stix2validator import ValidationOptions, validate_instance

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.inbox import scheduled as inbox_worker
from puente.services.inbox.service import ingest
from puente.services.peers import scheduled as outbox_worker
from puente.services.peers import service as peers
from puente.services.sharing import scheduled as sharing_worker
from puente.stix.assistance import ASSISTANCE_EXTENSION_ID
from puente.stix.definitions import INCIDENT_CORE_ID
from puente.storage import stix_objects, timeline
from puente.storage.models import Ticket
from puente.storage.outbox import OutboxMessage
from tests.peer_servers import free_port, medallion
from tests.support import confirmation
from tests.test_assistance import Csirt, pair  # noqa: F401  (the two CSIRTs fixture)
from tests.test_peer_delivery import PEER_IDENTITY, _add_peer, _collection, _say


def _versions_flow(csirt: Csirt) -> None:
    """One pass of the shared-versions worker."""
    sharing_worker.tick(csirt.runtime)


def _field(shown: str, name: str) -> str:
    match = re.search(rf"^  {name}: (.*)$", shown, re.MULTILINE)
    assert match, f"no {name} in:\n{shown}"
    return match.group(1)


def test_a_shared_ticket_arrives_whole_and_its_later_versions_follow(
    pair: tuple[Csirt, Csirt],  # noqa: F811
    clock: ManualClock,
) -> None:
    co, br = pair
    co.say(
        "ana",
        "new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber pap=red type=malicious-code/c2-server"
        ' sector=energy aware=2026-01-05T09:30Z desc="C2 traffic from power utilities" ioc=198.51.100.7,evil.example',
    )
    co.say("ana", "note INC-2026-0001 Seen from two utilities since 08:00")
    preview = co.say("ana", "share INC-2026-0001 to cert-br")
    assert "Preview" in preview
    co.say("ana", confirmation(co.say("ana", "share INC-2026-0001 to cert-br")))
    co.exchange()
    br.exchange()

    shown = br.say("lead", "show INC-2026-0001")
    assert "INC-2026-0001: [csirt-co INC-2026-0001] Botnet C2 hosted in Brazil" in shown
    assert "C2 traffic from power utilities" in shown
    assert _field(shown, "Severity") == "high"
    assert _field(shown, "Type") == "malicious-code/c2-server"
    assert _field(shown, "Sectors") == "energy"
    assert _field(shown, "PAP") == "PAP:RED"
    assert _field(shown, "TLP") == "TLP:AMBER"
    assert _field(shown, "Countries").startswith("CO (Colombia), BR (Brazil)")
    assert _field(shown, "Aware since") == "Mon, Jan 5, 2026, 09:30 UTC"
    assert _field(shown, "Observables") == "2"
    assert "ipv4-addr: 198.51.100.7" in shown and "domain-name: evil.example" in shown
    assert "note by ana (csirt-co) at Mon, Jan 5, 2026, 12:00 UTC: Seen from two utilities since 08:00" in shown
    listed = br.say("lead", "list all")
    assert listed.startswith("1 all ticket") and "[csirt-co INC-2026-0001] Botnet C2 hosted in Brazil" in listed
    assert "high ticket: Botnet C2 hosted in Brazil" in "\n".join(br.notices.printed)  # a new high ticket pages

    # CO raises it and adds an IOC: the change travels without another share.
    clock.advance(timedelta(minutes=5))
    co.say("ana", "update INC-2026-0001 sev=critical")
    co.say("ana", "ioc INC-2026-0001 203.0.113.9")
    _versions_flow(co)
    co.exchange()
    br.exchange()
    shown = br.say("lead", "show INC-2026-0001")
    assert _field(shown, "Severity") == "critical" and _field(shown, "Observables") == "3"
    assert "ipv4-addr: 203.0.113.9" in shown
    history = br.say("lead", "timeline INC-2026-0001")
    assert "· peer csirt-co · updated from STIX: csirt-co: severity high → critical and +1 observable" in history
    assert "📤 update INC-2026-0001 → cert-br: delivered" in co.say("ana", "show INC-2026-0001")
    _versions_flow(co)  # nothing changed since: nothing more is queued
    with co.runtime.unit_of_work() as ctx:
        assert sharing_worker.send_new_versions(ctx) == 0

    # Everything again (a poller that lost its cursor), and an older version arriving late: nothing moves.
    with br.runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        events = len(timeline.for_ticket(ctx.session, ticket.id or 0))
        peers.get(ctx, "csirt-co").poll_cursor = None
        stale = orjson.loads(stix_objects.versions_of(ctx.session, ticket.incident_id, ticket.id)[0].content)
    again = inbox_worker.poll_peer(br.runtime, "csirt-co")
    assert again.accepted == 0 and again.duplicates > 10 and again.rejected == []
    stale["modified"] = "2026-01-05T12:01:00.000Z"  # between the two versions, never sent by CO
    stale["extensions"]["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]["criticality"] = 10
    with br.runtime.unit_of_work(actor_name="peer:csirt-co") as ctx:
        report = ingest(ctx, peers.get(ctx, "csirt-co"), [stale])
        assert report.accepted == 1
    with br.runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        assert ticket.severity == "critical"
        assert len(timeline.for_ticket(ctx.session, ticket.id or 0)) == events


def test_what_a_peer_adds_to_its_copy_comes_back_attributed_to_the_one_ticket(
    pair: tuple[Csirt, Csirt],  # noqa: F811
    clock: ManualClock,
) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR ioc=198.51.100.7")
    co.say("ana", confirmation(co.say("ana", "share INC-2026-0001 to cert-br")))
    co.exchange()
    br.exchange()

    clock.advance(timedelta(minutes=3))
    br.say("lead", "note INC-2026-0001 We see the C2 answering from a second ASN")
    br.say("ana", "ioc INC-2026-0001 192.0.2.55")
    br.say("lead", "update INC-2026-0001 status=in-progress")  # the status of BR's own work on it
    _versions_flow(br)
    br.exchange()
    co.exchange()
    shown = co.say("ana", "show INC-2026-0001")
    assert "note by lead (cert-br) at Mon, Jan 5, 2026, 12:03 UTC: We see the C2 answering from a second ASN" in shown
    assert "note by lead (cert-br) at Mon, Jan 5, 2026, 12:03 UTC: Our work on it: new -> in-progress." in shown
    assert "ipv4-addr: 192.0.2.55" in shown and _field(shown, "Observables") == "2"
    assert _field(shown, "Status") == "new"  # CO's own status is CO's
    assert "· updated from STIX: cert-br: +1 observable and +2 notes" in co.say("ana", "timeline INC-2026-0001")
    assert co.say("ana", "list all").startswith("1 all ticket")  # no second ticket for the same incident

    # What comes back to BR of its own is recognised as its own; nothing is sent to and fro for ever.
    clock.advance(timedelta(minutes=1))
    _versions_flow(co)
    co.exchange()
    br.exchange()
    _versions_flow(br)
    with br.runtime.unit_of_work() as ctx:
        assert sharing_worker.send_new_versions(ctx) == 0
    shown = br.say("lead", "show INC-2026-0001")
    assert shown.count("We see the C2 answering") == 1 and _field(shown, "Observables") == "2"


def test_the_requesters_text_reaches_the_responders_page_show_and_timeline(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR ioc=198.51.100.7,evil.example pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br block-host by=8h Please take down the C2 at 198.51.100.7")
    co.exchange()
    br.exchange()
    page = "\n".join(br.notices.printed)
    assert 'by Mon, Jan 5, 2026, 20:00 UTC: "Please take down the C2 at 198.51.100.7"' in page
    shown = br.say("lead", "show INC-2026-0001")
    assert "RFA from csirt-co: Please take down the C2 at 198.51.100.7" in shown
    assert _field(shown, "Observables") == "2"  # the request brings the whole ticket
    assert "Please take down the C2 at 198.51.100.7" in br.say("lead", "timeline INC-2026-0001")

    br.say("lead", "decline INC-2026-0001 legal-constraint a court order is needed first")
    br.exchange()
    co.exchange()
    shown = co.say("ana", "show INC-2026-0001")
    assert "DECLINE from cert-br (legal-constraint): a court order is needed first" in shown


def test_an_early_warning_is_previewed_then_sent_and_pages_the_receiver_at_the_tickets_severity(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    co.say("ana", "new Phishing wave against banks sev=medium countries=CO,BR ioc=bank-login.example")
    preview = co.say("ana", "notify INC-2026-0001 Kit seen at two banks")
    assert "Preview: early warning about INC-2026-0001 (TLP:AMBER)" in preview
    assert "→ cert-br (country BR; BR)" in preview
    assert "[Notify: /incident notify INC-2026-0001 Kit seen at two banks confirm=" in preview
    with co.runtime.unit_of_work() as ctx:
        assert ctx.session.exec(select(OutboxMessage)).all() == []  # a preview sends nothing
    sent = co.say("ana", confirmation(co.say("ana", "notify INC-2026-0001 to cert-br Kit seen at two banks")))
    assert "early warning sent to cert-br" in sent
    co.exchange()
    br.exchange()
    page = "\n".join(br.notices.printed)
    assert 'early warning: csirt-co (CSIRT-CO duty desk +00 555) warns of Phishing wave against banks: "Kit' in page
    assert "Why: early warning from a peer CSIRT" in page and "Severity: medium" in page
    shown = br.say("lead", "show INC-2026-0001")
    assert "[csirt-co INC-2026-0001] Phishing wave against banks" in shown and "bank-login.example" in shown
    assert "· notified by a peer: csirt-co: Kit seen at two banks" in br.say("lead", "timeline INC-2026-0001")
    assert "names no peer after `to`" in co.refused("ana", "notify INC-2026-0001 to nobody-here text")


def test_a_third_party_taxii_peer_gets_the_whole_ticket_its_new_versions_and_warnings_and_adds_to_it(
    runtime: Runtime, clock: ManualClock, tmp_path: Path
) -> None:
    """medallion stands for a peer that does not run Puente: it stores what we push and polls of it work."""
    port = free_port()
    _add_peer(runtime, port)
    say = partial(_say, runtime)
    say("new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=red ioc=198.51.100.7,evil.example,203.0.113.9")
    say("note INC-2026-0001 Seen from two utilities")
    say(confirmation(say("share INC-2026-0001 to cert-br")))
    with medallion(tmp_path, port):
        assert outbox_worker.push_due_messages(runtime) == 1
        held = _collection(port).get_objects()["objects"]
        assert sum(o["type"] == "indicator" for o in held) == 3 and sum(o["type"] == "note" for o in held) == 1
        for obj in held:
            assert validate_instance(obj, ValidationOptions(version="2.1")).is_valid, obj["id"]

        clock.advance(timedelta(minutes=5))
        say("update INC-2026-0001 sev=critical")
        with runtime.unit_of_work(actor_name="sharing") as ctx:
            assert sharing_worker.send_new_versions(ctx) == 1
        say(confirmation(say("notify INC-2026-0001 to cert-br Spreading to AR")))
        assert outbox_worker.push_due_messages(runtime) == 2
        incidents = [o for o in _collection(port).get_objects(type="incident", version="all")["objects"]]
        criticality = sorted(o["extensions"][INCIDENT_CORE_ID]["criticality"] for o in incidents)
        assert criticality == [75, 95]  # both versions, the new one critical
        notes = _collection(port).get_objects(type="note")["objects"]
        assert any(
            n.get("extensions", {}).get(ASSISTANCE_EXTENSION_ID, {}).get("message_type") == "NOTIFY" for n in notes
        )

        # The peer's own analyst adds a note on our incident in its server: polling brings it to our one ticket.
        incident = incidents[0]["id"]
        contribution = {
            "type": "note",
            "spec_version": "2.1",
            "id": f"note--{uuid.uuid4()}",
            "created_by_ref": PEER_IDENTITY,
            "created": "2026-01-05T12:30:00.000Z",
            "modified": "2026-01-05T12:30:00.000Z",
            "authors": ["joao"],
            "content": "The C2 also resolves under evil.example.br",
            "object_refs": [incident],
        }
        _collection(port).add_objects({"objects": [contribution]})
        polled = inbox_worker.poll_peer(runtime, "cert-br")
    assert polled.rejected == []
    shown = say("show INC-2026-0001")
    assert "note by joao (cert-br) at Mon, Jan 5, 2026, 12:30 UTC: The C2 also resolves under evil.example.br" in shown
    assert say("list all").startswith("1 all ticket")
