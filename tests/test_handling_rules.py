"""The handling rules on plain values (services/handling): TLP 2.0 audiences and onward sharing, PAP gating of
requested actions, personal data, the preview's digest; and, with hypothesis, chains of up to three hops
(CO -> BR -> AR) over every TLP, PAP and action, which no handling decision lets leak. Fast and free of
databases, so the mutation run (bench/mutation.py) runs them for every mutant."""

from __future__ import annotations

import os
from dataclasses import FrozenInstanceError, dataclass, replace
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puente.i18n import Phrase, language
from puente.services.context import Context
from puente.services.errors import Forbidden
from puente.services.handling import pap as pap_rules
from puente.services.handling.decision import ORIGINATOR_ONLY, Exit, Material, Recipient, Refusal, Rule, decide
from puente.services.handling.policy import ALLOWED_TLPS, CollectionKind
from puente.services.users.service import require_role
from puente.services.vocabularies.taxonomy import PAP, TLP
from puente.stix.assistance import ACTIONS
from puente.storage.models import Role, User

ACTIVE = [a for a in ACTIONS if pap_rules.EXPOSURE[a] is pap_rules.Exposure.ACTIVE]
PASSIVE = [a for a in ACTIONS if pap_rules.EXPOSURE[a] is pap_rules.Exposure.PASSIVE]


def _received(tlp: TLP, released: frozenset[str] = frozenset(), pap: PAP = PAP.GREEN) -> Material:
    return Material(
        "INC-2026-0007", tlp, pap, originator="csirt-co", originator_contact="+57 1 555", released_to=released
    )


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


def test_a_refusal_reads_in_the_readers_language_and_promises_the_same_whoever_previews() -> None:
    ours = Material("INC-2026-0001", TLP.AMBER, PAP.RED)
    decision = decide(ours, Exit.ASSIST, [Recipient("cert-br")], ["block-host"])
    with language("es"):
        reason, spanish_digest = decision.refused[0].reason, decision.digest
        with pytest.raises(Forbidden, match="podría ser notado por el adversario"):
            decision.require()
    assert reason.startswith("INC-2026-0001 es PAP:RED: bloquear host podría ser notado por el adversario")
    assert "pap=green" in reason and "block-host" not in reason
    with language("pt"):
        onward = decide(_received(TLP.RED), Exit.SHARE, [Recipient("cert-ar")]).refused[0].reason
    assert onward.startswith("INC-2026-0007 veio de csirt-co sob TLP:RED: vai apenas para csirt-co, não para cert-ar")
    assert spanish_digest == decision.digest  # read in English now


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
        back = decide(material, exit, [Recipient("csirt-co")])
        assert back.allowed == ("csirt-co",), exit
        assert not back.refused or (exit is Exit.PUBLISH and tlp is TLP.RED), exit
    with pytest.raises(Exception, match="came from csirt-co"):
        decision.require()


def test_received_amber_goes_to_named_organisations_never_to_feeds_nor_mere_suggestions() -> None:
    material = _received(TLP.AMBER)
    decision = decide(material, Exit.SHARE, [Recipient("cert-ar", named=False), Recipient("cert-mx")])
    assert decision.allowed == ("cert-mx",)
    assert [r.recipient for r in decision.withheld] == ["cert-ar"] and not decision.blocking
    assert decision.require() is decision
    for kind in (CollectionKind.PUBLIC, CollectionKind.COMMUNITY):
        fed = decide(material, Exit.PUBLISH, [Recipient(kind.value, feed=kind)])
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
    decision = decide(ours, Exit.PUBLISH, feeds)
    assert ("public" in decision.allowed, "community" in decision.allowed) == (public, community)


def test_red_goes_only_to_recipients_named_and_nothing_without_a_recipient() -> None:
    ours = Material("INC-2026-0001", TLP.RED, PAP.AMBER)
    decision = decide(ours, Exit.SHARE, [Recipient("cert-br", named=False)])
    assert decision.allowed == () and "goes only to recipients you name" in decision.refused[0].reason
    with pytest.raises(Exception, match="goes only to recipients you name"):
        decision.require()
    assert decide(ours, Exit.SHARE, [Recipient("cert-br")]).allowed == ("cert-br",)
    assert decide(ours, Exit.SHARE, [Recipient("cert-br"), Recipient("cert-br")]).allowed == ("cert-br",)


# ---- chains of hops, with hypothesis ----------------------------------------------------------------

CSIRTS = ("csirt-co", "cert-br", "cert-ar", "cert-mx")
ORIGINATOR = "csirt-co"
FEEDS = {CollectionKind.PUBLIC: "public", CollectionKind.COMMUNITY: "community"}


@dataclass(frozen=True)
class Copy:
    """What a CSIRT holds of the originator's incident: told by `told_by` (None: its own); `forwarded` copies
    are the forwarder's account of it (exchange.told_as_ours), which names no participants."""

    told_by: str | None
    forwarded: bool = False


def _material(
    holder: str, copy: Copy, tlp: TLP, pap: PAP, participants: set[str], personal: bool, legal: bool
) -> Material:
    """The material a holder's decision weighs, as services/handling/material.py reads it from its ticket."""
    return Material(
        "INC-2026-0001",
        tlp,
        pap,
        originator=copy.told_by,
        released_to=frozenset() if copy.forwarded or copy.told_by is None else frozenset(participants),
        personal=("CPF (BR) 529.982.247-25 (description)",) if personal else (),
        legal_basis="LGPD art. 7 IX" if legal else None,
    )


hops = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # which holder sends (modulo the holders so far)
        st.sampled_from(list(Exit)),
        st.sampled_from([*CSIRTS, "public", "community", "isac-energia"]),
        st.booleans(),  # named by the analyst, or only suggested
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True),
    ),
    max_size=6,
)


# The mutation run (bench/mutation.py) asks for fewer examples: it runs these tests once per mutant.
@settings(max_examples=int(os.environ.get("PUENTE_CHAIN_EXAMPLES", "600")), deadline=None)
@given(
    tlp=st.sampled_from(list(TLP)),
    pap=st.sampled_from(list(PAP)),
    personal=st.booleans(),
    legal=st.booleans(),
    chain=hops,
)
def test_no_chain_of_hops_lets_material_go_where_its_handling_forbids(
    tlp: TLP, pap: PAP, personal: bool, legal: bool, chain: list[tuple[int, Exit, str, bool, list[str]]]
) -> None:
    holders: dict[str, Copy] = {ORIGINATOR: Copy(None)}
    participants: set[str] = set()  # whom the originator shared its incident with: its incident names them
    chosen: set[str] = set()  # whom the originator sent anything to, by any exit: its own choice
    fed: set[str] = set()
    for which, exit, to, named, actions in chain:
        sender = list(holders)[which % len(holders)]
        copy = holders[sender]
        material = _material(sender, copy, tlp, pap, participants, personal, legal)
        feed = next((kind for kind, alias in FEEDS.items() if alias == to), None)
        if feed is not None and exit is not Exit.PUBLISH:
            continue  # the shared collections are reached by publishing only
        decision = decide(material, exit, [Recipient(to, named=named, feed=feed)], actions)
        if decision.blocking or to not in decision.allowed or to == sender:
            continue
        # It went: check it could, then the recipient holds a copy.
        if exit in (Exit.ASSIST, Exit.FORWARD):
            assert pap_rules.not_permitted(pap, actions) == []
        if personal and not legal:
            assert to == copy.told_by, "personal data without a legal basis only goes back whence it came"
        if feed is not None or exit is Exit.PUBLISH:
            assert tlp is not TLP.RED
        if feed is not None:
            fed.add(to)
            assert tlp in ALLOWED_TLPS[feed]
            assert copy.told_by is None or tlp.rank < TLP.AMBER.rank
            continue
        if copy.told_by is not None and to != copy.told_by:
            if tlp in ORIGINATOR_ONLY:
                assert not copy.forwarded and to in participants
            if tlp is TLP.AMBER:
                assert named
        if sender == ORIGINATOR:
            chosen.add(to)
            if exit in (Exit.SHARE, Exit.NOTIFY, Exit.ASSIST):
                participants.add(to)
        if to not in holders and to in CSIRTS:
            holders[to] = Copy(sender, forwarded=exit is Exit.FORWARD) if exit is Exit.FORWARD else Copy(ORIGINATOR)
    if tlp in ORIGINATOR_ONLY:
        assert set(holders) <= {ORIGINATOR, *chosen}
    if tlp.rank >= TLP.AMBER.rank:
        assert not fed


# ---- the role checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("needed", list(Role))
def test_a_role_allows_what_it_and_the_roles_before_it_may_do(role: Role, needed: Role) -> None:
    order = [Role.ONCALL, Role.ANALYST, Role.LEAD, Role.ADMIN]
    assert role.rank == order.index(role)
    assert role.allows(needed) == (order.index(role) >= order.index(needed))
    acting = cast(Context, SimpleNamespace(actor=User(name="ana", role=role.value)))
    if role.allows(needed):
        assert require_role(acting, needed, "sharing a ticket").name == "ana"
    else:
        with pytest.raises(Forbidden) as refused:
            require_role(acting, needed, "sharing a ticket")
        assert str(refused.value) == (
            f"ana is {role.value}; sharing a ticket needs the {needed.value} role or above."
            f" Ask an admin: puente users add NAME --role {needed.value}"
        )


def test_nobody_known_may_do_anything() -> None:
    with pytest.raises(Forbidden, match="Sharing a ticket needs a known Puente user"):
        require_role(cast(Context, SimpleNamespace(actor=None)), Role.ONCALL, "sharing a ticket")


# ---- what the decision says, exactly ---------------------------------------------------------------


def test_a_decision_allows_exactly_the_recipients_it_weighed() -> None:
    ours = Material("INC-2026-0001", TLP.AMBER, PAP.AMBER)
    decision = decide(ours, Exit.SHARE, [Recipient("cert-br"), Recipient("cert-ar")])
    assert decision.allows(["cert-br"]) and decision.allows(["cert-br", "cert-ar"]) and decision.allows([])
    assert not decision.allows(["cert-mx"]) and not decision.allows(["cert-br", "cert-mx"])
    refused = decide(ours, Exit.ASSIST, [Recipient("cert-br")], ["takedown"])
    assert refused.allowed == ("cert-br",) and not refused.allows(["cert-br"])
    with pytest.raises(FrozenInstanceError):
        decision.allowed = ()  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        ours.tlp = TLP.CLEAR  # type: ignore[misc]


def test_received_material_may_reach_a_feed_only_below_amber() -> None:
    community = Recipient("community", feed=CollectionKind.COMMUNITY)
    assert decide(_received(TLP.GREEN), Exit.PUBLISH, [community]).allowed == ("community",)
    for tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
        (refusal,) = [r for r in decide(_received(tlp), Exit.PUBLISH, [community]).refused if r.recipient]
        assert refusal.reason == (
            f"INC-2026-0007 came from csirt-co under {tlp.label}: it goes only to organisations with a need to"
            " know, never to the community collection."
        )
    ours = decide(Material("INC-2026-0001", TLP.AMBER, PAP.AMBER), Exit.PUBLISH, [community]).refused[0].reason
    assert ours == (
        "INC-2026-0001 is TLP:AMBER: it may not go to the community collection (that collection takes TLP:CLEAR"
        ", TLP:GREEN)."
    )


def _personal(count: int, legal: str | None = None) -> Material:
    found = tuple(f"phone number +55 11 9876-000{n} (note {n})" for n in range(count))
    return Material("INC-2026-0001", TLP.GREEN, PAP.GREEN, personal=found, legal_basis=legal)


def test_personal_data_refusals_list_five_findings_and_count_the_rest() -> None:
    five = decide(_personal(5), Exit.SHARE, [Recipient("cert-br")]).refused[0].reason
    assert five.startswith(
        "INC-2026-0001 holds what may be personal data: phone number +55 11 9876-0000 (note 0); phone number"
    )
    assert "(note 4). Remove it (/incident update INC-2026-0001 desc=… title=…), or record" in five
    assert "more" not in five
    seven = decide(_personal(7), Exit.SHARE, [Recipient("cert-br")]).refused[0].reason
    assert "(note 4); and 2 more. Remove it" in seven and "(note 5)" not in seven
    assert not decide(_personal(7, "LGPD art. 7 IX"), Exit.SHARE, [Recipient("cert-br")]).refused
    feed = Recipient("community", feed=CollectionKind.COMMUNITY)
    assert decide(_personal(1), Exit.PUBLISH, [feed]).refused[0].rule is Rule.PERSONAL
    assert decide(_personal(1, "LGPD art. 7 IX"), Exit.PUBLISH, [feed]).allowed == ("community",)


def test_a_preview_lists_personal_data_where_a_send_refuses_it() -> None:
    decision = decide(_personal(1), Exit.SHARE, [Recipient("cert-br")])
    assert decision.require(previewing=True) is decision
    with pytest.raises(Forbidden, match="holds what may be personal data"):
        decision.require()
    onward = decide(_received(TLP.RED, pap=PAP.GREEN), Exit.SHARE, [Recipient("cert-ar")])
    with pytest.raises(Forbidden, match="came from csirt-co"):
        onward.require(previewing=True)
    suggested = decide(_received(TLP.AMBER), Exit.SHARE, [Recipient("cert-ar", named=False)])
    assert suggested.withheld and not suggested.blocking
    with pytest.raises(Forbidden, match="name cert-ar to include it"):
        suggested.require()


def test_the_digest_changes_with_whatever_the_preview_showed() -> None:
    base = Material("INC-2026-0001", TLP.AMBER, PAP.AMBER, legal_basis="LGPD art. 7 IX")
    digest = decide(base, Exit.SHARE, [Recipient("cert-br")]).digest
    assert len(digest) == 10 and digest == decide(base, Exit.SHARE, [Recipient("cert-br")]).digest
    changed = [
        decide(base, Exit.NOTIFY, [Recipient("cert-br")]),
        decide(replace(base, reference="INC-2026-0002"), Exit.SHARE, [Recipient("cert-br")]),
        decide(replace(base, tlp=TLP.GREEN), Exit.SHARE, [Recipient("cert-br")]),
        decide(replace(base, pap=PAP.RED), Exit.SHARE, [Recipient("cert-br")]),
        decide(base, Exit.SHARE, [Recipient("cert-br"), Recipient("cert-ar")]),
        decide(replace(base, tlp=TLP.RED), Exit.SHARE, [Recipient("cert-br"), Recipient("cert-ar", named=False)]),
        decide(replace(base, personal=("e-mail address a@b.example (title)",)), Exit.SHARE, [Recipient("cert-br")]),
        decide(replace(base, legal_basis="Ley 1581 art. 10"), Exit.SHARE, [Recipient("cert-br")]),
        decide(replace(base, legal_basis=None), Exit.SHARE, [Recipient("cert-br")]),
    ]
    assert len({digest, *(d.digest for d in changed)}) == len(changed) + 1


@pytest.mark.parametrize("tlp", [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT])
def test_our_own_material_goes_to_the_peers_suggested_below_red(tlp: TLP) -> None:
    ours = Material("INC-2026-0001", tlp, PAP.AMBER)
    assert decide(ours, Exit.SHARE, [Recipient("cert-br", named=False)]).allowed == ("cert-br",)
    assert decide(ours, Exit.PUBLISH, [Recipient("isac-energia")]).allowed == ("isac-energia",)


@pytest.mark.parametrize("tlp", [TLP.CLEAR, TLP.GREEN])
def test_material_received_below_amber_goes_on_to_the_peers_suggested(tlp: TLP) -> None:
    decision = decide(_received(tlp), Exit.SHARE, [Recipient("cert-ar", named=False)])
    assert decision.allowed == ("cert-ar",) and not decision.refused


def test_a_red_publish_is_refused_even_in_a_preview() -> None:
    decision = decide(Material("INC-2026-0001", TLP.RED, PAP.AMBER), Exit.PUBLISH, [Recipient("isac-energia")])
    (refusal,) = decision.blocking
    assert refusal.recipient is None and refusal.rule is Rule.TLP
    with pytest.raises(Forbidden, match="is TLP:RED: it is never published in a feed"):
        decision.require(previewing=True)
    paps = decide(Material("INC-2026-0001", TLP.AMBER, PAP.RED), Exit.ASSIST, [Recipient("cert-br")], ["takedown"])
    with pytest.raises(Forbidden, match="is PAP:RED"):
        paps.require(previewing=True)


def test_what_a_decision_is_made_of_cannot_change_after_it() -> None:
    material = Material("INC-2026-0001", TLP.AMBER, PAP.AMBER)
    decision = decide(material, Exit.SHARE, [Recipient("cert-br", named=False), Recipient("cert-ar")])
    for made, field_name in (
        (material, "tlp"),
        (decision, "allowed"),
        (Recipient("cert-br"), "named"),
        (Refusal("cert-br", Phrase("why"), True, Rule.TLP), "why"),
    ):
        with pytest.raises(FrozenInstanceError):
            setattr(made, field_name, None)


def test_a_recipient_named_twice_is_weighed_once_and_the_others_still_are() -> None:
    ours = Material("INC-2026-0001", TLP.RED, PAP.AMBER)
    named = [Recipient("cert-br"), Recipient("cert-br"), Recipient("cert-ar"), Recipient("cert-mx", named=False)]
    decision = decide(ours, Exit.SHARE, named)
    assert decision.allowed == ("cert-br", "cert-ar") and [r.recipient for r in decision.refused] == ["cert-mx"]


def test_a_long_list_of_personal_data_says_how_many_more() -> None:
    eleven = decide(_personal(11), Exit.SHARE, [Recipient("cert-br")]).refused[0].reason
    assert "(note 4); and 6 more. Remove it" in eleven


def test_the_originator_is_known_by_its_name_however_the_name_was_read() -> None:
    read = "".join(["csirt", "-", "co"])  # as read from a database row, not the same object as ours
    assert decide(_received(TLP.RED), Exit.CONTRIBUTION, [Recipient(read)]).allowed == (read,)
    six = decide(_personal(6), Exit.SHARE, [Recipient("cert-br")]).refused[0].reason
    assert "(note 4); and 1 more. Remove it" in six


def test_the_digest_tells_apart_who_was_left_out() -> None:
    red = Material("INC-2026-0001", TLP.RED, PAP.AMBER)
    br = decide(red, Exit.SHARE, [Recipient("cert-br", named=False)])
    ar = decide(red, Exit.SHARE, [Recipient("cert-ar", named=False)])
    assert br.refused[0].reason == ar.refused[0].reason and br.digest != ar.digest
