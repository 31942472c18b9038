"""Messages of one request reach the peer in the order they were made, whatever the retries; one that
arrives before the message it follows waits for it; one the peer may not send is refused and logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from puente.services.assistance import messages as assistance_messages
from puente.services.assistance import scheduled as assistance_timers
from puente.services.assistance.answers import HELD_AT_MOST
from puente.services.clock import ManualClock
from puente.services.escalation import service as escalation
from puente.services.inbox.service import IngestReport, ingest
from puente.services.peers import scheduled as outbox_worker
from puente.services.peers import service as peers
from puente.stix import assistance as stix_notes
from puente.storage import outbox as outbox_store
from puente.storage.assistance import AssistanceMessage, AssistanceRequest
from puente.storage.held_messages import HeldMessage
from puente.storage.models import Ticket, TimelineEvent
from puente.storage.outbox import OutboxMessage
from tests.conftest import make_runtime
from tests.paging import add_team, say
from tests.taxii.conftest import PEER_IDENTITY, add_partner, serve
from tests.test_assistance import Csirt, csirt_pair

TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def pair(database_url: str, sqlite_template: Path, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Csirt, Csirt]]:
    with csirt_pair(database_url, sqlite_template, clock, tmp_path) as both:
        yield both


def _queued(csirt: Csirt) -> list[list[dict[str, Any]]]:
    """What the CSIRT's outbox holds for its peer, one envelope per message, in the order queued."""
    with csirt.runtime.unit_of_work() as ctx:
        return [row.objects for row in ctx.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))]


def _arrives(csirt: Csirt, objects: list[dict[str, Any]]) -> IngestReport:
    """The envelope reaches the CSIRT from its peer (as its inbox or poller would take it in)."""
    with csirt.runtime.unit_of_work(actor_name="test") as ctx:
        return ingest(ctx, peers.get(ctx, csirt.peer_name), objects)


def _state(csirt: Csirt) -> str | None:
    with csirt.runtime.unit_of_work() as ctx:
        row = ctx.session.exec(select(AssistanceRequest)).first()
        return row.state if row else None


def _received(csirt: Csirt) -> list[str]:
    with csirt.runtime.unit_of_work() as ctx:
        statement = (
            select(AssistanceMessage).where(AssistanceMessage.direction == "in").order_by(col(AssistanceMessage.id))
        )
        return [m.type for m in ctx.session.exec(statement)]


def _events(csirt: Csirt, action: str) -> list[str]:
    with csirt.runtime.unit_of_work() as ctx:
        return [e.summary for e in ctx.session.exec(select(TimelineEvent)) if e.action == action]


def _open_page_kinds(csirt: Csirt) -> list[str]:
    with csirt.runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        return [page.kind for page in escalation.open_pages(ctx, ticket) if page.kind not in ("deadline", "notice")]


def test_a_cancel_never_overtakes_its_rfa_on_the_way_out(pair: tuple[Csirt, Csirt], clock: ManualClock) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br block-host")
    co.say("ana", "cancel INC-2026-0001 found another way")
    # A push of the RFA is under way (or its process died): the CANCEL, due at once, waits behind it.
    with co.runtime.unit_of_work() as ctx:
        taken = outbox_store.take_due(ctx.session, clock.now(), outbox_worker.PUSH_LEASE)
        assert [row.summary for row in taken] == ["RFA INC-2026-0001"]
    assert outbox_worker.push_due_messages(co.runtime) == 0
    clock.advance(outbox_worker.PUSH_LEASE)
    assert outbox_worker.push_due_messages(co.runtime) == 2  # the RFA again, then the CANCEL
    br.exchange()
    assert _state(br) == "CLOSED"
    assert _open_page_kinds(br) == [], "the CANCEL stopped the page its RFA raised"


def test_a_cancel_that_overtook_its_rfa_waits_for_it_and_then_stops_its_page(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br block-host")
    co.say("ana", "cancel INC-2026-0001 found another way")
    rfa, cancel = _queued(co)
    assert _arrives(br, cancel).accepted == 2  # our identity and the CANCEL
    assert _state(br) is None
    assert any("CANCEL on request" in e and "arrived early and is held" in e for e in _events(br, "assistance-held"))
    _arrives(br, rfa)
    assert _state(br) == "CLOSED"
    assert _open_page_kinds(br) == []
    br.exchange()
    assert not any("Page P" in line and "request for assistance" in line for line in br.notices.printed)


def test_answers_that_arrive_in_reverse_order_apply_in_the_order_made(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Phishing kit sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br takedown")
    (rfa,) = _queued(co)
    _arrives(br, rfa)
    br.say("lead", "ack INC-2026-0001")
    br.say("lead", "accept INC-2026-0001")
    br.say("ana", "result INC-2026-0001 done site taken down")
    ack, accept, result = _queued(br)
    _arrives(co, result)
    _arrives(co, accept)
    assert _state(co) == "SENT", "RESULT and ACCEPT wait for the ACK they follow"
    _arrives(co, ack)
    assert _state(co) == "COMPLETED"
    assert _received(co) == ["ACK", "ACCEPT", "RESULT"]
    assert _events(co, "assistance-refused") == []


def _forged(br: Csirt, kind: str, request_id: str, incident_id: str, sequence: int) -> dict[str, Any]:
    """A note as CERT-BR's Puente would sign it, carrying `kind` out of turn."""
    with br.runtime.unit_of_work() as ctx:
        ours = assistance_messages.our_identity(ctx)
        message = stix_notes.Message(
            kind, request_id, "INC-2026-0001", incident_id, "forced", state="COMPLETED", sequence=sequence
        )
        return stix_notes.note(message, created_by=ours, marking_ref=None, at=ctx.now())


def test_a_peer_message_out_of_turn_is_refused_and_logged_and_never_moves_the_request(
    pair: tuple[Csirt, Csirt],
) -> None:
    co, br = pair
    co.say("ana", "new Ransomware at the port sev=critical countries=CO,BR")
    co.say("ana", "assist INC-2026-0001 cert-br investigate")
    (rfa,) = _queued(co)
    message = stix_notes.read(next(o for o in rfa if o["type"] == "note"))
    assert message is not None
    _arrives(co, [_forged(br, "RESULT", message.request_id, message.incident_id, 1)])
    _arrives(co, [_forged(br, "CLOSE", message.request_id, message.incident_id, 2)])
    assert _state(co) == "SENT"
    refused = _events(co, "assistance-refused")
    assert any("RESULT refused: RESULT is not allowed while the request is SENT" in e for e in refused)
    assert any("CLOSE refused: only the requester sends CLOSE" in e for e in refused)


def test_our_taxii_door_refuses_a_message_out_of_turn_with_a_failure_in_the_status(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    runtime = make_runtime(database_url, clock, tmp_path)
    add_team(runtime)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        peers.add(
            ctx,
            peers.PeerDraft(
                name="cert-br",
                countries=["BR"],
                taxii_url="http://127.0.0.1:9/taxii2/",
                collection_id="inbox",
                identity_id=PEER_IDENTITY,
            ),
        )
    issued = add_partner(runtime, "cert-br", peer="cert-br", identity=PEER_IDENTITY)
    inbox = next(c.id for c in issued.collections if c.alias == "cert-br-inbox")
    say(runtime, "ana", "/incident new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=green")
    say(runtime, "ana", "/incident assist INC-2026-0001 cert-br block-host")
    with runtime.unit_of_work() as ctx:
        row = ctx.session.exec(select(AssistanceRequest)).one()
        request_id, incident_id = row.request_id, row.incident_id

    def note(kind: str, sequence: int) -> dict[str, Any]:
        message = stix_notes.Message(kind, request_id, "INC-2026-0001", incident_id, kind, sequence=sequence)
        return stix_notes.note(message, created_by=PEER_IDENTITY, marking_ref=None, at=clock.now())

    close, ack, result = note("CLOSE", 1), note("ACK", 1), note("RESULT", 2)
    for server in serve(runtime):
        response = httpx.post(
            f"{server.api_root}collections/{inbox}/objects/",
            json={"objects": [close, ack, result]},
            auth=(issued.user, issued.password),
            headers={"Accept": TAXII, "Content-Type": TAXII},
        )
    assert response.status_code == 202, response.text
    status = response.json()
    assert [f["id"] for f in status["failures"]] == [close["id"]]
    assert (
        "CLOSE refused: only the requester sends CLOSE, and on this request that is us"
        in (status["failures"][0]["message"])
    )
    # The ACK is next and allowed; the RESULT follows a message not taken in yet, so it waits for it.
    assert {s["id"] for s in status["successes"]} == {ack["id"], result["id"]}
    with runtime.unit_of_work() as ctx:
        logged = [e.summary for e in ctx.session.exec(select(TimelineEvent)) if e.action == "assistance-refused"]
    assert logged == ["cert-br's CLOSE refused: only the requester sends CLOSE, and on this request that is us"]
    runtime.engine.dispose()


def _held(csirt: Csirt) -> list[str]:
    with csirt.runtime.unit_of_work() as ctx:
        return [h.request_id for h in ctx.session.exec(select(HeldMessage))]


def test_a_held_message_whose_gap_is_never_filled_is_dropped_in_the_end_and_the_timeline_says_so(
    pair: tuple[Csirt, Csirt], clock: ManualClock
) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br block-host")
    co.say("ana", "cancel INC-2026-0001 found another way")
    _rfa, cancel = _queued(co)
    _arrives(br, cancel)  # its RFA is lost for good
    clock.advance(HELD_AT_MOST - timedelta(minutes=1))
    assistance_timers.tick(br.runtime)
    assert len(_held(br)) == 1, "kept while what it follows may still come"
    clock.advance(timedelta(minutes=1))
    assistance_timers.tick(br.runtime)
    assert _held(br) == []
    [dropped] = _events(br, "assistance-held-dropped")
    assert dropped.startswith(f"{br.peer_name}'s CANCEL number 2 on request ")
    assert dropped.endswith("was held and is dropped: what it follows never arrived since Mon, Jan 5, 2026, 12:00 UTC")


def test_a_held_answer_to_a_request_closed_meanwhile_is_dropped(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Phishing kit sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br takedown")
    (rfa,) = _queued(co)
    _arrives(br, rfa)
    br.say("lead", "ack INC-2026-0001")
    br.say("lead", "accept INC-2026-0001")
    _ack, accept = _queued(br)
    _arrives(co, accept)  # overtook the ACK, which is still on its way
    co.say("ana", "cancel INC-2026-0001 solved it ourselves")
    assert _state(co) == "CLOSED" and len(_held(co)) == 1
    assistance_timers.tick(co.runtime)
    assert _held(co) == []
    [dropped] = _events(co, "assistance-held-dropped")
    assert dropped.startswith(f"{co.peer_name}'s ACCEPT number 2 on request ")
    assert dropped.endswith("was held and is dropped: the request is closed")
