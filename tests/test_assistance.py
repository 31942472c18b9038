"""The mutual-assistance protocol between two Puente CSIRTs, carried over a real TAXII server
(medallion on loopback, one shared collection both push into and poll from)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from puente.bot.commands import Command
from puente.bot.console.notifier import ConsoleNotifier
from puente.bot.core import CommandCore
from puente.services.assistance import messages as assistance_messages
from puente.services.assistance import scheduled as assistance_worker
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker
from puente.services.escalation import service as escalation
from puente.services.inbox import scheduled as inbox_worker
from puente.services.peers import scheduled as outbox_worker
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.settings import load_settings
from puente.storage import assistance as request_store
from puente.storage import peers as peer_store
from puente.storage import timeline
from puente.storage.engine import make_engine
from puente.storage.models import Role, Ticket
from puente.storage.outbox import OutboxMessage
from tests.conftest import SECRET_KEY
from tests.peer_servers import COLLECTION, PASSWORD, USER, Medallion, medallion


@dataclass
class Csirt:
    """One Puente as its analysts see it: chat commands in, replies and notices out."""

    runtime: Runtime
    core: CommandCore
    notices: ConsoleNotifier
    peer_name: str

    def say(self, user: str, text: str) -> str:
        reply = self.core.handle(Command(text=text, platform="console", user_id=user))
        assert reply.ok, reply.plain_text()
        return reply.plain_text()

    def refused(self, user: str, text: str) -> str:
        reply = self.core.handle(Command(text=text, platform="console", user_id=user))
        assert not reply.ok, reply.plain_text()
        return reply.text

    def exchange(self) -> None:
        """Push what is queued and take in what the peer pushed."""
        outbox_worker.push_due_messages(self.runtime)
        inbox_worker.poll_peer(self.runtime, self.peer_name)
        escalation_worker.tick(self.runtime)


def _csirt(url: str, clock: ManualClock, tmp_path: Path, name: str, country: str, peer_name: str) -> Csirt:
    settings = load_settings(
        PUENTE_DATABASE_URL=url,
        PUENTE_CSIRT_NAME=name,
        PUENTE_CSIRT_COUNTRY=country,
        PUENTE_VAR_DIR=str(tmp_path / name),
        PUENTE_SECRET_KEY=SECRET_KEY,
    )
    runtime = Runtime(settings, make_engine(url), clock)
    notices = ConsoleNotifier()
    runtime.notifiers.append(notices)
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "lead", Role.LEAD)
        users.add(ctx, "ana", Role.ANALYST)
    return Csirt(runtime, CommandCore(runtime), notices, peer_name)


def _identity(csirt: Csirt) -> str:
    with csirt.runtime.unit_of_work() as ctx:
        return assistance_messages.our_identity(ctx)


def _peer(csirt: Csirt, other: Csirt, country: str, taxii: Medallion) -> None:
    name = other.runtime.settings.csirt_name
    with csirt.runtime.unit_of_work(actor_name="operator") as ctx:
        peers.add(
            ctx,
            peers.PeerDraft(
                name=csirt.peer_name,
                countries=[country],
                taxii_url=taxii.discovery,
                collection_id=COLLECTION,
                pull_collection_id=COLLECTION,
                user=USER,
                password=PASSWORD,
                identity_id=_identity(other),
                contact=f"{name} duty desk +00 555",
                backup_contact=f"{name} head of CSIRT",
            ),
        )


@pytest.fixture
def pair(database_url: str, sqlite_template: Path, clock: ManualClock, tmp_path: Path) -> Iterator[tuple[Csirt, Csirt]]:
    with csirt_pair(database_url, sqlite_template, clock, tmp_path) as both:
        yield both


@contextmanager
def csirt_pair(
    database_url: str, sqlite_template: Path, clock: ManualClock, tmp_path: Path
) -> Iterator[tuple[Csirt, Csirt]]:
    """CSIRT-CO (on SQLite or PostgreSQL) and CERT-BR (on its own SQLite file), peers of each other."""
    with medallion(tmp_path) as taxii:
        shutil.copy(sqlite_template, tmp_path / "br.db")
        co = _csirt(database_url, clock, tmp_path, "CSIRT-CO", "CO", "cert-br")
        br = _csirt(f"sqlite:///{tmp_path / 'br.db'}", clock, tmp_path, "CERT-BR", "BR", "csirt-co")
        _peer(co, br, "BR", taxii)
        _peer(br, co, "CO", taxii)
        yield co, br
        co.runtime.engine.dispose()
        br.runtime.engine.dispose()


def test_rfa_from_assist_to_result_and_close_updates_both_sides(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber pap=green")
    sent = co.say(
        "ana", "assist INC-2026-0001 cert-br block-host,takedown by=8h Please take down the C2 at 198.51.100.7"
    )
    assert "request for assistance sent to cert-br" in sent and "SENT" in sent
    assert "ACK expected by Mon, Jan 5, 16:00 UTC" in sent  # high: 4 h

    co.exchange()
    br.exchange()
    page = "\n".join(br.notices.printed)
    assert "high ticket: [csirt-co" not in page  # the request's own page, not a second one for its severity
    assert " for INC-2026-0001: request for assistance: csirt-co (CSIRT-CO duty desk +00 555)" in page
    assert "asks us to block-host, takedown on their INC-2026-0001 by Mon, Jan 5, 2026, 20:00 UTC" in page
    assert "Why: incoming request for assistance" in page and "[Acknowledge: /incident ack P" in page
    linked = br.say("lead", "show INC-2026-0001")
    assert "[csirt-co INC-2026-0001] Botnet C2 hosted in Brazil" in linked
    assert "asked by csirt-co (INC-2026-0001): block-host, takedown — SENT" in linked

    acked = br.say("lead", "ack INC-2026-0001")
    assert (
        "ACK sent to csirt-co for their INC-2026-0001" in acked and "for INC-2026-0001: request for assistance" in acked
    )
    assert "[Accept: /incident accept INC-2026-0001]" in acked
    br.exchange()
    co.exchange()
    assert "asked cert-br (INC-2026-0001): block-host, takedown — ACKED" in co.say("ana", "show INC-2026-0001")

    br.say("lead", "accept INC-2026-0001 on it")
    br.say("ana", "sitrep INC-2026-0001 hosting provider contacted")
    br.say("ana", "result INC-2026-0001 done C2 taken down at 14:10 UTC")
    br.exchange()
    co.exchange()
    shown = co.say("ana", "show INC-2026-0001")
    assert "— COMPLETED" in shown
    assert "📤 RFA INC-2026-0001 → cert-br: delivered" in shown
    owner_told = "\n".join(co.notices.printed)
    assert "cert-br sent SITREP: hosting provider contacted" in owner_told
    assert "cert-br sent RESULT: C2 taken down at 14:10 UTC — now COMPLETED" in owner_told

    closed = co.say("ana", "close INC-2026-0001 rfa thanks for the quick takedown")
    assert "assistance request to cert-br closed" in closed and "CLOSED" in closed
    assert "new" in co.say("ana", "show INC-2026-0001")  # the ticket itself stays open
    co.exchange()
    br.exchange()
    assert "— CLOSED" in br.say("lead", "show INC-2026-0001")


def test_answers_out_of_turn_are_refused_with_the_allowed_states(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Phishing kit sev=medium countries=CO,BR")
    co.say("ana", "assist INC-2026-0001 cert-br investigate")
    co.exchange()
    br.exchange()
    assert "RESULT is possible only when it is" in br.refused("ana", "result INC-2026-0001 done nothing")
    assert "has no request from a peer" in co.refused("ana", "sitrep INC-2026-0001 x")
    assert "Unknown reason 'busy'" in br.refused("lead", "decline INC-2026-0001 busy")
    declined = br.say("lead", "decline INC-2026-0001 not-our-constituency the host is in Chile")
    assert "DECLINED" in declined
    br.exchange()
    co.exchange()
    assert "— DECLINED (not-our-constituency)" in co.say("ana", "show INC-2026-0001")


def test_rfa_not_acked_within_deadline_is_resent_then_escalated(pair: tuple[Csirt, Csirt], clock: ManualClock) -> None:
    co, br = pair
    co.say("ana", "new Ransomware at the port sev=critical countries=CO,BR")
    co.say("ana", "assist INC-2026-0001 cert-br investigate")
    co.exchange()
    br.exchange()
    with co.runtime.unit_of_work() as ctx:
        assert ctx.session.exec(select(OutboxMessage)).all()[-1].summary == "RFA INC-2026-0001"

    clock.advance(timedelta(minutes=61))  # critical: ACK within 1 h
    with co.runtime.unit_of_work() as ctx:
        assert assistance_worker.run_timers(ctx) == 1
    co.exchange()
    br.exchange()
    assert "csirt-co re-sent its request: not acknowledged yet" in br.say("lead", "timeline INC-2026-0001")
    with br.runtime.unit_of_work() as ctx:
        assert len(request_store.in_states(ctx.session, ["SENT"])) == 1  # the re-send opened no second request

    clock.advance(timedelta(minutes=61))
    with co.runtime.unit_of_work() as ctx:
        assistance_worker.run_timers(ctx)
    escalation_worker.tick(co.runtime)
    paged = "\n".join(co.notices.printed)
    assert " for INC-2026-0001: cert-br missed the ACK deadline: no ACK for our request (investigate)" in paged
    assert "ESCALATE sent to cert-br; call their backup point of contact: CERT-BR head of CSIRT" in paged
    history = co.say("ana", "timeline INC-2026-0001")
    assert "· request re-sent: cert-br did not acknowledge in time; request re-sent" in history
    assert "· request escalated: cert-br still has not acknowledged; escalated to its leads and ours" in history

    # The ESCALATE reaches CERT-BR, whose Puente pages its leads at critical with our request.
    br.notices.printed.clear()
    co.exchange()
    br.exchange()
    escalated = "\n".join(br.notices.printed)
    assert "[to lead] Page P" in escalated and "csirt-co escalated its request: no ACK from us" in escalated
    assert "Why: the requesting peer escalated: no ACK from us yet" in escalated
    with br.runtime.unit_of_work() as ctx:
        assert [(p.kind, p.policy) for p in escalation.open_pages(ctx, ctx.session.exec(select(Ticket)).one())][-1] == (
            "peer-escalated",
            "critical",
        )

    # Their lead acknowledges: our ACK goes back, and on our side the missed-ACK page stops.
    assert "ACK sent to csirt-co" in br.say("lead", "ack INC-2026-0001")
    br.exchange()
    co.exchange()
    with co.runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        assert "missed-ack" not in [p.kind for p in escalation.open_pages(ctx, ticket)]
    assert "— ACKED" in co.say("ana", "show INC-2026-0001")


def test_actions_past_the_requested_deadline_expire_and_must_not_be_carried_out(
    pair: tuple[Csirt, Csirt], clock: ManualClock
) -> None:
    co, br = pair
    co.say("ana", "new Defacement sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br takedown by=1h")
    co.exchange()
    br.exchange()
    br.say("lead", "ack INC-2026-0001")
    clock.advance(timedelta(hours=2))
    refusal = br.refused("lead", "accept INC-2026-0001")
    assert "expired at Mon, Jan 5, 2026, 13:00 UTC: its actions must not be carried out" in refusal
    assert "— EXPIRED" in br.say("lead", "show INC-2026-0001")
    assert "— EXPIRED" in co.say("ana", "show INC-2026-0001")
    assert "CLOSED" in co.say("ana", "close INC-2026-0001 rfa too late")


def test_the_same_object_version_twice_changes_nothing(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    co.say("ana", "new Scan wave sev=low countries=CO,BR")
    co.say("ana", "assist INC-2026-0001 cert-br watch-and-report")
    co.exchange()
    br.exchange()
    with br.runtime.unit_of_work() as ctx:
        before = len(timeline.for_ticket(ctx.session, 1))
        peer = peer_store.by_name(ctx.session, "csirt-co")
        assert peer is not None and peer.poll_cursor
        peer.poll_cursor = None  # forget the cursor: the poller reads everything again
        ctx.session.add(peer)
    again = inbox_worker.poll_peer(br.runtime, "csirt-co")
    assert again.accepted == 0 and again.duplicates >= 2
    with br.runtime.unit_of_work() as ctx:
        assert len(list(ctx.session.exec(select(Ticket)))) == 1
        assert len(timeline.for_ticket(ctx.session, 1)) == before  # nothing happened to the ticket


def test_the_oncall_person_paged_acks_the_request_before_the_first_step_has_fired(pair: tuple[Csirt, Csirt]) -> None:
    co, br = pair
    with br.runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "olga", Role.ONCALL)
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br block-host")
    co.exchange()
    inbox_worker.poll_peer(br.runtime, "csirt-co")  # the page exists; the escalation worker has not run yet
    acked = br.say("olga", "ack INC-2026-0001")
    assert "ACK sent to csirt-co for their INC-2026-0001" in acked and "the chain is stopped" in acked
    escalation_worker.tick(br.runtime)
    assert br.notices.printed == [], "a page acknowledged before its first step pages nobody"
    br.exchange()
    co.exchange()
    assert "— ACKED" in co.say("ana", "show INC-2026-0001")
    assert "needs the lead role" in br.refused("olga", "accept INC-2026-0001")  # accepting commits the CSIRT


def test_a_refused_ack_never_undoes_the_stopped_page(pair: tuple[Csirt, Csirt], clock: ManualClock) -> None:
    co, br = pair
    co.say("ana", "new Defacement sev=high countries=CO,BR pap=green")
    co.say("ana", "assist INC-2026-0001 cert-br takedown by=1h")
    co.exchange()
    br.exchange()
    clock.advance(timedelta(hours=2))  # the request expired before anyone answered the page
    br.say("lead", "lang es")  # what went wrong is said in the acknowledger's language
    acked = br.say("lead", "ack INC-2026-0001")
    assert "la cadena se detuvo" in acked
    assert "Acuse de recibo no enviado por INC-2026-0001: La solicitud sobre INC-2026-0001 venció" in acked
    with br.runtime.unit_of_work() as ctx:
        ticket = ctx.session.exec(select(Ticket)).one()
        assert [p.kind for p in escalation.open_pages(ctx, ticket)] == ["deadline"] * 3  # only regulatory reminders
