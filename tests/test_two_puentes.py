"""Two Puente deployments (own databases, own ports) run a whole request for assistance over
TAXII, driven by analysts through `puente say`: A asks, B's on-call is told and answers, A closes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from puente.services.assistance import scheduled as assistance_worker
from puente.services.inbox import scheduled as inbox_worker
from puente.services.peers import service as peers
from puente.storage import assistance as request_store
from tests.puente_pair import Instance, puente_pair
from tests.support import wait_until


def test_rfa_from_assist_to_result_and_close_between_two_puentes(tmp_path: Path) -> None:
    with puente_pair(tmp_path) as (co, br):
        tested = co.cli("peers", "test", "cert-br")
        for line in (
            "auth: accepted",
            "write: allowed",
            "pull collection: For csirt-co",
            "pull read: works",
            "all good",
        ):
            assert line in tested
        opened = co.say("ana", "/incident new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber pap=green")
        reference = re.search(r"Opened (INC-\d{4}-\d{4})", opened).group(1)  # type: ignore[union-attr]
        asked = co.say(
            "ana", f"/incident assist {reference} cert-br block-host,takedown by=8h Please take down 198.51.100.7"
        )
        assert "request for assistance sent to cert-br" in asked

        wait_until(lambda: br.request_state(reference) == "SENT", "CERT-BR has the linked ticket")
        linked = br.say("lead", f"/incident show {reference}")
        assert f"[csirt-co {reference}] Botnet C2 hosted in Brazil" in linked
        assert f"asked by csirt-co ({reference}): block-host, takedown — SENT" in linked
        wait_until(lambda: "request for assistance: csirt-co" in br.log.read_text(), "CERT-BR's on-call is paged")
        assert f"asks us to block-host, takedown on their {reference}" in br.log.read_text()

        acked = br.say("lead", f"/incident ack {reference}")
        assert "ACK sent to csirt-co" in acked and "the chain is stopped" in acked
        wait_until(lambda: co.request_state(reference) == "ACKED", "CSIRT-CO has the ACK")
        assert "— ACKED" in co.say("ana", f"/incident show {reference}")
        br.say("lead", f"/incident accept {reference} on it")
        br.say("ana", f"/incident sitrep {reference} hosting provider contacted")
        br.say("ana", f"/incident result {reference} done C2 taken down")
        wait_until(lambda: co.request_state(reference) == "COMPLETED", "CSIRT-CO has the result")
        shown = co.say("ana", f"/incident show {reference}")
        assert "— COMPLETED" in shown
        assert f"📤 RFA {reference} → cert-br: delivered" in shown
        told = "cert-br sent RESULT: C2 taken down — now COMPLETED"
        wait_until(lambda: told in co.log.read_text(), "the ticket's owner is told of the result")

        co.say("ana", f"/incident close {reference} rfa thanks")
        wait_until(lambda: br.request_state(reference) == "CLOSED", "CERT-BR has the close")
        assert "— CLOSED" in br.say("lead", f"/incident show {reference}")
        timeline = co.say("ana", f"/incident timeline {reference}")
        for step in (
            "· assistance requested: asked cert-br to",
            "· ACK received: cert-br sent ACK",
            "· RESULT received: cert-br sent RESULT",
            "· CLOSE sent: CLOSE to cert-br",
        ):
            assert step in timeline

        # The same messages wait in CERT-BR's collection on CSIRT-CO's server for a peer that pulls:
        # polling finds the ticket's objects (incident, countries), the RFA and the CLOSE already taken
        # in; only CSIRT-CO's identity object, published but never pushed, may be new (unless CERT-BR's
        # own poller, every 30 s, got there first).
        runtime = br.runtime()
        with runtime.unit_of_work() as ctx:
            peers.get(ctx, "csirt-co").poll_cursor = None
        pulled = inbox_worker.poll_peer(runtime, "csirt-co")
        assert pulled.duplicates >= 7 and pulled.accepted <= 1 and pulled.rejected == []


def _ack_deadline_passes(instance: Instance) -> None:
    """As if the ACK deadline of the instance's request had passed: its assistance timers run now."""
    runtime = instance.runtime()
    try:
        with runtime.unit_of_work() as ctx:
            for row in request_store.in_states(ctx.session, ["SENT"]):
                row.ack_due_at = ctx.now() - timedelta(seconds=1)
                ctx.session.add(row)
        with runtime.unit_of_work(actor_name="assistance-timer") as ctx:
            assert assistance_worker.run_timers(ctx) == 1
    finally:
        runtime.engine.dispose()


def test_a_missed_ack_escalates_to_the_peer_whose_puente_pages_its_leads(tmp_path: Path) -> None:
    with puente_pair(tmp_path) as (co, br):
        opened = co.say("ana", "/incident new Ransomware at the port sev=critical countries=CO,BR")
        reference = re.search(r"Opened (INC-\d{4}-\d{4})", opened).group(1)  # type: ignore[union-attr]
        co.say("ana", f"/incident assist {reference} cert-br investigate")
        wait_until(lambda: br.request_state(reference) == "SENT", "CERT-BR has the request")

        _ack_deadline_passes(co)  # re-sent once
        wait_until(lambda: "re-sent its request" in br.say("lead", f"/incident timeline {reference}"), "the re-send")
        _ack_deadline_passes(co)  # still nothing: ESCALATE to CERT-BR, and our on-call is paged
        wait_until(lambda: "csirt-co escalated its request" in br.log.read_text(), "CERT-BR's leads are paged")
        escalated = br.log.read_text()
        assert "[to lead] Page P" in escalated and "Why: the requesting peer escalated: no ACK from us yet" in escalated
        wait_until(lambda: "ESCALATE sent to cert-br" in co.log.read_text(), "our on-call is paged")
        assert "call their backup point of contact: CERT-BR head" in co.log.read_text()

        acked = br.say("lead", f"/incident ack {reference}")
        assert "ACK sent to csirt-co" in acked and "the chain is stopped" in acked
        wait_until(lambda: co.request_state(reference) == "ACKED", "CSIRT-CO has the ACK")
        wait_until(lambda: "cert-br sent ACK." in co.log.read_text(), "our missed-ACK page is stopped")
