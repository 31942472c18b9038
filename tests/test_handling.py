"""The handling policy wherever material leaves: onward sharing under TLP 2.0, PAP gating of requested actions,
and every exit asking the one decision (services/handling/decision.py). The rules on plain values first, then
two Puente CSIRTs over medallion, with a third peer (CERT-AR) that BR knows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from puente.services.clock import ManualClock
from puente.services.handling import pap as pap_rules
from puente.services.handling.decision import Exit, Material, Recipient, decide
from puente.services.handling.policy import CollectionKind
from puente.services.peers import service as peers
from puente.services.sharing import copies
from puente.services.vocabularies.taxonomy import PAP, TLP
from puente.stix.assistance import ACTIONS
from puente.storage.models import Ticket
from puente.storage.outbox import OutboxMessage
from puente.storage.peers import Peer
from tests.test_assistance import Csirt, pair  # noqa: F401  (the two CSIRTs fixture)
from tests.test_shared_incident import _versions_flow

AR_IDENTITY = "identity--5b1e3e0a-6a43-4d0e-9d0b-2f6f0a4c0a11"
ACTIVE = [a for a in ACTIONS if pap_rules.EXPOSURE[a] is pap_rules.Exposure.ACTIVE]
PASSIVE = [a for a in ACTIONS if pap_rules.EXPOSURE[a] is pap_rules.Exposure.PASSIVE]


def _received(tlp: TLP, released: frozenset[str] = frozenset(), pap: PAP = PAP.GREEN) -> Material:
    return Material(
        "INC-2026-0007", tlp, pap, originator="csirt-co", originator_contact="+57 1 555", released_to=released
    )


# ---- the rules on plain values -----------------------------------------------------------------


def test_every_action_of_the_vocabulary_has_an_exposure() -> None:
    assert set(pap_rules.EXPOSURE) == set(ACTIONS)
    assert {"takedown", "block-host", "contact-source-site", "other"} <= set(ACTIVE)
    assert {"investigate", "watch-and-report"} <= set(PASSIVE)


@pytest.mark.parametrize(
    ("level", "refused"),
    [
        (PAP.RED, ["honeypot", "takedown"]),
        (PAP.AMBER, ["takedown"]),
        (PAP.GREEN, []),
        (PAP.CLEAR, []),
    ],
)
def test_pap_refuses_what_the_adversary_could_notice(level: PAP, refused: list[str]) -> None:
    assert pap_rules.not_permitted(level, ["investigate", "honeypot", "takedown", "takedown"]) == refused
    assert pap_rules.exposure("not-in-the-vocabulary") is pap_rules.Exposure.ACTIVE


def test_a_pap_red_request_for_a_takedown_is_refused_naming_the_pap_and_the_actions() -> None:
    ours = Material("INC-2026-0001", TLP.AMBER, PAP.RED)
    decision = decide(ours, Exit.ASSIST, [Recipient("cert-br")], ["investigate", "block-host", "takedown"])
    assert decision.blocking and decision.refused[0].recipient is None
    reason = decision.refused[0].reason
    assert reason.startswith("INC-2026-0001 is PAP:RED: block-host, takedown could be noticed by the adversary")
    assert "Ask only for investigate, watch-and-report" in reason and "pap=green" in reason
    assert not decide(ours, Exit.ASSIST, [Recipient("cert-br")], PASSIVE).refused
    # Actions only count where they are requested.
    assert not decide(ours, Exit.SHARE, [Recipient("cert-br")], ["takedown"]).refused
    theirs = decide(_received(TLP.AMBER, pap=PAP.AMBER), Exit.FORWARD, [Recipient("cert-ar")], ["block-port"])
    assert "ask csirt-co whether it may be lowered" in theirs.refused[0].reason


@pytest.mark.parametrize("tlp", [TLP.AMBER_STRICT, TLP.RED])
def test_strictly_received_material_goes_back_only_to_its_originator_or_those_it_named(tlp: TLP) -> None:
    material = _received(tlp, released=frozenset({"cert-mx"}))
    decision = decide(
        material,
        Exit.SHARE,
        [Recipient("csirt-co"), Recipient("cert-mx"), Recipient("cert-ar")],
    )
    assert decision.allowed == ("csirt-co", "cert-mx")
    (refusal,) = decision.refused
    assert refusal.recipient == "cert-ar"
    assert refusal.reason == (
        f"INC-2026-0007 came from csirt-co under {tlp.label}: it goes only to csirt-co or those csirt-co named"
        " (cert-mx), not to cert-ar. Ask csirt-co (+57 1 555) to release it to cert-ar: once csirt-co shares its"
        " incident with cert-ar, cert-ar is named on it and may have it from us too."
    )
    for exit in Exit:
        assert decide(material, exit, [Recipient("cert-ar")]).blocking, exit
        assert not decide(material, exit, [Recipient("csirt-co")]).refused, exit
    with pytest.raises(Exception, match="came from csirt-co"):
        decision.require()


def test_received_amber_goes_to_named_organisations_never_to_feeds_nor_mere_suggestions() -> None:
    material = _received(TLP.AMBER)
    decision = decide(material, Exit.SHARE, [Recipient("cert-ar", named=False), Recipient("cert-mx")])
    assert decision.allowed == ("cert-mx",)
    assert [r.recipient for r in decision.withheld] == ["cert-ar"] and not decision.blocking
    assert decision.require() is decision
    for kind in (CollectionKind.PUBLIC, CollectionKind.COMMUNITY):
        fed = decide(material, Exit.FEED, [Recipient(kind.value, feed=kind)])
        assert fed.allowed == () and "never to the" in fed.refused[0].reason


@pytest.mark.parametrize(
    ("tlp", "public", "community"),
    [
        (TLP.CLEAR, True, True),
        (TLP.GREEN, False, True),
        (TLP.AMBER, False, False),
        (TLP.AMBER_STRICT, False, False),
        (TLP.RED, False, False),
    ],
)
def test_our_material_reaches_the_feeds_its_tlp_allows(tlp: TLP, public: bool, community: bool) -> None:
    ours = Material("INC-2026-0001", tlp, PAP.CLEAR)
    feeds = [Recipient(k.value, feed=k) for k in (CollectionKind.PUBLIC, CollectionKind.COMMUNITY)]
    decision = decide(ours, Exit.FEED, feeds)
    assert ("public" in decision.allowed, "community" in decision.allowed) == (public, community)


def test_red_goes_only_to_recipients_named_and_nothing_without_a_recipient() -> None:
    ours = Material("INC-2026-0001", TLP.RED, PAP.AMBER)
    decision = decide(ours, Exit.SHARE, [Recipient("cert-br", named=False)])
    assert decision.allowed == () and "goes only to recipients you name" in decision.refused[0].reason
    with pytest.raises(Exception, match="goes only to recipients you name"):
        decision.require()
    assert decide(ours, Exit.SHARE, [Recipient("cert-br")]).allowed == ("cert-br",)
    assert decide(ours, Exit.SHARE, [Recipient("cert-br"), Recipient("cert-br")]).allowed == ("cert-br",)


# ---- two Puente CSIRTs, and CERT-AR known to BR -------------------------------------------------


def _know_ar(csirt: Csirt) -> None:
    with csirt.runtime.unit_of_work(actor_name="operator") as ctx:
        peers.add(
            ctx,
            peers.PeerDraft(
                "cert-ar", ["AR"], "http://127.0.0.1:9/taxii2/", "inbox-collection", identity_id=AR_IDENTITY
            ),
        )


def _queued_for(csirt: Csirt, peer: str) -> int:
    with csirt.runtime.unit_of_work() as ctx:
        found = ctx.session.exec(select(Peer).where(Peer.name == peer)).one()
        return len(ctx.session.exec(select(OutboxMessage).where(OutboxMessage.peer_id == found.id)).all())


def test_amber_strict_received_is_not_reshared_and_the_refusal_names_the_originator(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    _know_ar(br)
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR,AR tlp=amber+strict ioc=198.51.100.7")
    co.say("ana", "share INC-2026-0001 to cert-br confirm")
    co.exchange()
    br.exchange()
    assert "[csirt-co INC-2026-0001]" in br.say("lead", "show INC-2026-0001")

    refused = br.refused("ana", "share INC-2026-0001 to cert-ar confirm")
    assert "INC-2026-0001 came from csirt-co under TLP:AMBER+STRICT: it goes only to csirt-co, not to cert-ar" in (
        refused
    )
    assert "Ask csirt-co (CSIRT-CO duty desk +00 555) to release it to cert-ar" in refused
    assert _queued_for(br, "cert-ar") == 0
    # The preview suggests only whom it may go to, and says why the others are left out.
    preview = br.say("ana", "share INC-2026-0001")
    assert "→ csirt-co" in preview and "→ cert-ar" not in preview
    assert "suggested, withheld: cert-ar — INC-2026-0001 came from csirt-co" in preview
    assert "came from csirt-co" in br.refused("ana", "notify INC-2026-0001 to cert-ar Seen here too confirm")
    assert "came from csirt-co" in br.refused("ana", "assist INC-2026-0001 cert-ar investigate")
    assert "came from csirt-co" in br.refused("ana", "report INC-2026-0001 for=cert-ar")
    assert _queued_for(br, "cert-ar") == 0


def test_released_by_the_originator_it_may_go_on(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, br = pair
    _know_ar(br)
    _know_ar(co)
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR,AR tlp=red ioc=198.51.100.7")
    co.say("ana", "share INC-2026-0001 to cert-br cert-ar confirm")
    co.exchange()
    br.exchange()
    done = br.say("ana", "share INC-2026-0001 to cert-ar confirm")
    assert "queued for cert-ar" in done and _queued_for(br, "cert-ar") == 1


def test_a_pap_red_takedown_is_refused_and_the_receiver_sees_the_pap(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, br = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber pap=red ioc=198.51.100.7")
    refused = co.refused("ana", "assist INC-2026-0001 cert-br block-host,takedown by=8h Take it down")
    assert refused.startswith("INC-2026-0001 is PAP:RED: block-host, takedown could be noticed by the adversary")
    assert _queued_for(co, "cert-br") == 0
    assert "asked cert-br" not in co.say("ana", "show INC-2026-0001")
    co.say("ana", "assist INC-2026-0001 cert-br watch-and-report by=8h Tell us what you see")
    co.exchange()
    br.exchange()
    shown = br.say("lead", "show INC-2026-0001")
    assert "PAP: PAP:RED" in shown and "asked by csirt-co (INC-2026-0001): watch-and-report — SENT" in shown


def test_a_request_on_red_material_is_not_forwarded_to_a_csirt_the_originator_never_named(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    _know_ar(br)
    co.say("ana", "new Minister's phone sev=high countries=CO,BR,AR tlp=red ioc=198.51.100.7")
    co.say("ana", "assist INC-2026-0001 cert-br investigate Who else sees this?")
    co.exchange()
    br.exchange()
    refused = br.refused("ana", "forward INC-2026-0001 cert-ar The host is in Argentina")
    assert "INC-2026-0001 came from csirt-co under TLP:RED: it goes only to csirt-co, not to cert-ar" in refused
    assert _queued_for(br, "cert-ar") == 0
    br.say("lead", "ack INC-2026-0001")  # answering the originator is always allowed
    assert _queued_for(br, "csirt-co") == 1


def test_later_versions_wait_for_the_originators_release(
    pair: tuple[Csirt, Csirt],  # noqa: F811
    clock: ManualClock,
) -> None:
    co, br = pair
    _know_ar(br)
    _know_ar(co)
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR,AR tlp=red ioc=198.51.100.7")
    co.say("ana", "share INC-2026-0001 to cert-br confirm")
    co.exchange()
    br.exchange()
    with br.runtime.unit_of_work() as ctx:  # a link made before the rules held (an older Puente's share)
        ticket = ctx.session.exec(select(Ticket)).one()
        copies.link(ctx, peers.get(ctx, "cert-ar"), ticket, sent_through=0)
    clock.advance(timedelta(minutes=1))
    br.say("lead", "note INC-2026-0001 The C2 also answers from AS64500")
    _versions_flow(br)
    assert _queued_for(br, "cert-ar") == 0
    assert "versions-withheld" in br.say("lead", "timeline INC-2026-0001")
    _versions_flow(br)  # nothing moved: nothing is weighed again
    assert br.say("lead", "timeline INC-2026-0001").count("versions-withheld") == 1

    clock.advance(timedelta(minutes=1))
    co.say("ana", "share INC-2026-0001 to cert-ar confirm")  # CO releases it to AR: its incident now names AR
    _versions_flow(co)
    co.exchange()
    br.exchange()
    _versions_flow(br)
    with br.runtime.unit_of_work() as ctx:
        ar = peers.get(ctx, "cert-ar")
        (update,) = ctx.session.exec(select(OutboxMessage).where(OutboxMessage.peer_id == ar.id))
        assert update.summary == "update INC-2026-0001"
        assert any("AS64500" in str(obj.get("content")) for obj in update.objects)
