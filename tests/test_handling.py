"""The handling policy wherever material leaves, between two Puente CSIRTs over medallion with a third peer
(CERT-AR) that BR knows: onward sharing under TLP 2.0, PAP gating of requested actions, personal data, the
preview's promise, publishing for partners, and every exit asking the one decision (services/handling).
The rules on plain values are tests/test_handling_rules.py."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from puente.bot.commands import Command
from puente.services.clock import ManualClock
from puente.services.errors import InvalidInput
from puente.services.feeds import partners
from puente.services.handling import pap as pap_rules
from puente.services.peers import service as peers
from puente.services.sharing import copies
from puente.services.sharing import service as sharing
from puente.services.vocabularies.taxonomy import PAP, TLP
from puente.stix.assistance import ACTIONS
from puente.storage import collections as collection_store
from puente.storage import peers as peer_store
from puente.storage.collections import CollectionEntry
from puente.storage.models import Ticket
from puente.storage.outbox import OutboxMessage
from puente.storage.peers import Peer
from tests.support import confirmation
from tests.test_assistance import Csirt, pair  # noqa: F401  (the two CSIRTs fixture)
from tests.test_shared_incident import _versions_flow

AR_IDENTITY = "identity--5b1e3e0a-6a43-4d0e-9d0b-2f6f0a4c0a11"


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
    co.say("ana", confirmation(co.say("ana", "share INC-2026-0001 to cert-br")))
    co.exchange()
    br.exchange()
    assert "[csirt-co INC-2026-0001]" in br.say("lead", "show INC-2026-0001")

    refused = br.refused("ana", "share INC-2026-0001 to cert-ar")
    assert "INC-2026-0001 came from csirt-co under TLP:AMBER+STRICT: it goes only to csirt-co, not to cert-ar" in (
        refused
    )
    assert "Ask csirt-co (CSIRT-CO duty desk +00 555) to release it to cert-ar" in refused
    assert _queued_for(br, "cert-ar") == 0
    # The preview suggests only whom it may go to, and says why the others are left out.
    preview = br.say("ana", "share INC-2026-0001")
    assert "→ csirt-co" in preview and "→ cert-ar" not in preview
    assert "suggested, withheld: cert-ar — INC-2026-0001 came from csirt-co" in preview
    assert "came from csirt-co" in br.refused("ana", "notify INC-2026-0001 to cert-ar Seen here too")
    assert "came from csirt-co" in br.refused("ana", "share INC-2026-0001 to cert-ar confirm=0123456789")
    assert "came from csirt-co" in br.refused("ana", "assist INC-2026-0001 cert-ar investigate")
    assert "came from csirt-co" in br.refused("ana", "report INC-2026-0001 for=cert-ar")
    assert _queued_for(br, "cert-ar") == 0


def test_released_by_the_originator_it_may_go_on(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, br = pair
    _know_ar(br)
    _know_ar(co)
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR,AR tlp=red ioc=198.51.100.7")
    preview = co.say("ana", "share INC-2026-0001 to cert-br,cert-ar")  # names as a list, read back one by one
    assert confirmation(preview).startswith("share INC-2026-0001 to cert-br cert-ar confirm=")
    co.say("ana", confirmation(preview))
    co.exchange()
    br.exchange()
    done = br.say("ana", confirmation(br.say("ana", "share INC-2026-0001 to cert-ar")))
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
    co.say("ana", confirmation(co.say("ana", "share INC-2026-0001 to cert-br")))
    co.exchange()
    br.exchange()
    with br.runtime.unit_of_work() as ctx:  # a link made before the rules held (an older Puente's share)
        ticket = ctx.session.exec(select(Ticket)).one()
        copies.link(ctx, peers.get(ctx, "cert-ar"), ticket, sent_through=0)
    clock.advance(timedelta(minutes=1))
    br.say("lead", "note INC-2026-0001 The C2 also answers from AS64500")
    _versions_flow(br)
    assert _queued_for(br, "cert-ar") == 0
    assert "· versions withheld: " in br.say("lead", "timeline INC-2026-0001")
    _versions_flow(br)  # nothing moved: nothing is weighed again
    assert br.say("lead", "timeline INC-2026-0001").count("· versions withheld: ") == 1

    clock.advance(timedelta(minutes=1))
    # CO releases it to AR: its incident now names AR.
    co.say("ana", confirmation(co.say("ana", "share INC-2026-0001 to cert-ar")))
    _versions_flow(co)
    co.exchange()
    br.exchange()
    _versions_flow(br)
    with br.runtime.unit_of_work() as ctx:
        ar = peers.get(ctx, "cert-ar")
        (update,) = ctx.session.exec(select(OutboxMessage).where(OutboxMessage.peer_id == ar.id))
        assert update.summary == "update INC-2026-0001"
        assert any("AS64500" in str(obj.get("content")) for obj in update.objects)


# ---- personal data and the preview's promise ----------------------------------------------------


def test_personal_data_is_listed_and_not_shared_until_a_legal_basis_is_recorded(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    co.say(
        "ana",
        "new Extortion of a bank client sev=high countries=CO,BR ioc=maria.souza@gmail.com"
        ' desc="Victim Maria Souza, CPF 529.982.247-25, cel +55 11 98765-4321, writes from maria.souza@gmail.com"',
    )
    preview = co.say("ana", "share INC-2026-0001 to cert-br")
    assert "may be personal data: CPF (BR) 529.982.247-25 (description)" in preview
    assert "may be personal data: phone number +55 11 98765-4321 (description)" in preview
    assert "may be personal data: e-mail address maria.souza@gmail.com (description)" in preview
    assert "may be personal data: e-mail observable, possibly personal: maria.souza@gmail.com (observable)" in preview
    assert "⛔ INC-2026-0001 holds what may be personal data" in preview and "[Share:" not in preview
    refused = co.refused("ana", confirmation(preview))
    assert refused.startswith("INC-2026-0001 holds what may be personal data: e-mail address maria.souza@gmail.com")
    assert 'record the legal basis for sharing it: /incident update INC-2026-0001 legal="LGPD art. 7 IX"' in refused
    assert _queued_for(co, "cert-br") == 0

    co.say("ana", 'update INC-2026-0001 legal="LGPD art. 7 IX"')
    assert co.say("ana", confirmation(preview)).startswith("What INC-2026-0001 would go to, or how, changed")
    again = co.say("ana", "share INC-2026-0001 to cert-br")
    assert "Legal basis: LGPD art. 7 IX" in again and "[Share:" in again
    assert "queued for cert-br" in co.say("ana", confirmation(again))
    co.exchange()
    br.exchange()
    assert "Legal basis: LGPD art. 7 IX" in br.say("lead", "show INC-2026-0001")


def test_a_press_after_the_recipients_changed_sends_nothing_and_shows_the_new_preview(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, _ = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR,AR tlp=amber")
    preview = co.say("ana", "share INC-2026-0001")
    assert "→ cert-br" in preview and "cert-ar" not in preview
    button = confirmation(preview)
    assert f"[Share: /incident {button}]" in preview
    _know_ar(co)  # a peer added between the preview and the press
    shown = co.say("ana", button)  # a new preview, as a preview is: nothing was sent
    assert shown.startswith("What INC-2026-0001 would go to, or how, changed since the preview: nothing was sent.")
    assert "→ cert-ar" in shown and "→ cert-br" in shown and confirmation(shown) != button
    assert _queued_for(co, "cert-ar") == 0 and _queued_for(co, "cert-br") == 0
    co.say("ana", "update INC-2026-0001 pap=green")  # the PAP the preview showed changed too
    co.say("ana", "lang es")  # and it is said in the presser's language
    assert co.say("ana", confirmation(shown)).startswith(
        "A quién iría INC-2026-0001, o cómo, cambió desde la vista previa: no se envió nada."
    )


def test_a_typed_confirm_without_the_previews_digest_only_previews(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, _ = pair
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR")
    for command in ("share INC-2026-0001 confirm", "notify INC-2026-0001 Seen here confirm"):
        shown = co.say("ana", command)
        assert shown.startswith("Nothing was sent: a confirmation carries the preview it confirms")
        assert "Preview:" in shown
    assert _queued_for(co, "cert-br") == 0
    assert "early warning sent to cert-br" in co.say("ana", confirmation(co.say("ana", "notify INC-2026-0001 Seen")))


# ---- suggested recipients -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://user@evil.gov.br:8080/x", "evil.gov.br"),
        ("http://evil.gov.br?x=1", "evil.gov.br"),
        ("https://[2001:db8::1]:443/a", "2001:db8::1"),
        ("evil.gov.br/path", "evil.gov.br"),
        ("http://EVIL.gov.br#top", "evil.gov.br"),
    ],
)
def test_a_urls_host_is_read_as_the_standard_library_reads_it(url: str, host: str) -> None:
    assert sharing.url_host(url) == host


def test_urls_route_to_the_peer_of_their_country_code_domain(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, _ = pair
    with co.runtime.unit_of_work(actor_name="operator") as ctx:
        assert peers.parse_domains("br, gov.br") == ["br", "gov.br"]
        with pytest.raises(InvalidInput, match="use a suffix such as gov.br, example.ar or br"):
            peers.parse_domains("b")
        peers.add(
            ctx,
            peers.PeerDraft(
                "cert-mx", ["MX"], "http://127.0.0.1:9/taxii2/", "inbox-collection", domains=peers.parse_domains("br")
            ),
        )
    co.say("ana", "new Phishing pages sev=medium countries=CO ioc=http://user@evil.gov.br:8080/x")
    assert "→ cert-mx (domain evil.gov.br; MX)" in co.say("ana", "share INC-2026-0001")
    co.say("ana", "new More phishing sev=medium countries=CO ioc=http://evil.gov.br?x=1")
    assert "→ cert-mx (domain evil.gov.br; MX)" in co.say("ana", "share INC-2026-0002")


# ---- feeds for partner teams ----------------------------------------------------------------------


def _held_in(csirt: Csirt, alias: str) -> list[dict[str, object]]:
    with csirt.runtime.unit_of_work() as ctx:
        collection = collection_store.by_alias(ctx.session, alias)
        if collection is None:
            return []
        rows = ctx.session.exec(select(CollectionEntry).where(CollectionEntry.collection_id == collection.id))
        return [orjson.loads(row.raw) for row in rows]


def _published(csirt: Csirt, command: str) -> str:
    return csirt.say("ana", confirmation(csirt.say("ana", command)))


@pytest.mark.parametrize(("tlp", "collections"), [("clear", ["public", "community"]), ("green", ["community"])])
def test_a_ticket_is_published_where_its_tlp_allows_and_its_later_versions_follow(
    pair: tuple[Csirt, Csirt],  # noqa: F811
    clock: ManualClock,
    tlp: str,
    collections: list[str],
) -> None:
    co, _ = pair
    co.say("ana", f"new Scanning from a botnet sev=low countries=CO tlp={tlp} ioc=198.51.100.7")
    preview = co.say("ana", "publish INC-2026-0001")
    assert [f"→ collection {alias}" in preview for alias in ("public", "community")] == [
        alias in collections for alias in ("public", "community")
    ]
    assert "published in" in co.say("ana", confirmation(preview))
    for alias in collections:
        assert any(o["type"] == "incident" for o in _held_in(co, alias))
        assert f"📰 published in {alias} since" in co.say("ana", "show INC-2026-0001")
    assert "public" in collections or _held_in(co, "public") == []

    clock.advance(timedelta(minutes=1))
    co.say("ana", "ioc INC-2026-0001 203.0.113.9")
    _versions_flow(co)
    for alias in collections:
        assert any("203.0.113.9" in str(o.get("pattern", "")) for o in _held_in(co, alias)), alias

    clock.advance(timedelta(minutes=1))
    co.say("ana", "update INC-2026-0001 tlp=amber")  # now for named organisations only: nothing more goes there
    co.say("ana", "ioc INC-2026-0001 203.0.113.10")
    _versions_flow(co)
    for alias in collections:
        assert not any("203.0.113.10" in str(o.get("pattern", "")) for o in _held_in(co, alias)), alias
    assert "· publication withheld: community: " in co.say("ana", "timeline INC-2026-0001")


def test_a_publish_confirms_only_the_preview_it_was_shown(pair: tuple[Csirt, Csirt]) -> None:  # noqa: F811
    co, _ = pair
    co.say("ana", "new Scanning from a botnet sev=low countries=CO tlp=clear ioc=198.51.100.7")
    preview = co.say("ana", "publish INC-2026-0001")
    bare = co.say("ana", "publish INC-2026-0001 confirm")
    assert bare.startswith("Nothing was published: a confirmation carries the preview it confirms (the button does).")
    co.say("ana", "update INC-2026-0001 tlp=green")  # no longer for the public collection
    shown = co.say("ana", confirmation(preview))
    assert shown.startswith(
        "Where INC-2026-0001 would be published, or how, changed since the preview: nothing was published."
    )
    assert "→ collection community" in shown and "→ collection public" not in shown
    assert _held_in(co, "public") == [] and _held_in(co, "community") == []
    co.say("ana", "update INC-2026-0001 tlp=clear")  # for the public collection again
    co.say("ana", "lang pt")
    assert co.say("ana", confirmation(shown)).startswith(
        "Onde INC-2026-0001 seria publicado, ou como, mudou desde a prévia: nada foi publicado."
    )
    co.say("ana", "lang en")
    co.say("ana", "ioc INC-2026-0001 maria.souza@gmail.com")
    held = co.say("ana", "publish INC-2026-0001")
    assert "⛔ INC-2026-0001 holds what may be personal data" in held and "[Publish:" not in held
    assert co.refused("ana", confirmation(held)).startswith("INC-2026-0001 holds what may be personal data")
    assert _held_in(co, "community") == []


def test_amber_is_published_only_in_named_partners_collections_and_red_nowhere(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, _ = pair
    with co.runtime.unit_of_work(actor_name="operator") as ctx:
        partners.add(ctx, "isac-energia")
    co.say("ana", "new Wiper at a utility sev=high countries=CO tlp=amber ioc=198.51.100.7")
    assert "published only in the own collections of partners you name" in co.refused("ana", "publish INC-2026-0001")
    assert "No partner 'isac-nada': partners are isac-energia" in co.refused(
        "ana", "publish INC-2026-0001 to isac-nada"
    )
    assert "published in isac-energia" in _published(co, "publish INC-2026-0001 to isac-energia")
    assert any(o["type"] == "incident" for o in _held_in(co, "isac-energia"))
    assert _held_in(co, "community") == [] and _held_in(co, "public") == []
    co.say("ana", "new Minister's phone sev=high countries=CO tlp=red")
    refused = co.refused("ana", "publish INC-2026-0002 to isac-energia")
    assert "INC-2026-0002 is TLP:RED: it is never published in a feed" in refused


def test_what_was_received_strictly_is_not_published_to_a_partner_the_originator_never_named(
    pair: tuple[Csirt, Csirt],  # noqa: F811
) -> None:
    co, br = pair
    with br.runtime.unit_of_work(actor_name="operator") as ctx:
        partners.add(ctx, "isac-energia")
    co.say("ana", "new Botnet C2 hosted in Brazil sev=high countries=CO,BR tlp=amber+strict ioc=198.51.100.7")
    _published(co, "share INC-2026-0001 to cert-br")
    co.exchange()
    br.exchange()
    refused = br.refused("ana", "publish INC-2026-0001 to isac-energia")
    assert "came from csirt-co under TLP:AMBER+STRICT: it goes only to csirt-co, not to isac-energia" in refused
    assert _held_in(br, "isac-energia") == []


# ---- a hop further, with hypothesis over the real services -------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tlp=st.sampled_from(list(TLP)),
    pap=st.sampled_from(list(PAP)),
    released=st.booleans(),
    exit=st.sampled_from(["share", "notify", "assist", "report"]),
    actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True),
)
def test_what_br_may_pass_on_to_ar_is_what_the_rules_say(
    pair: tuple[Csirt, Csirt],  # noqa: F811
    tlp: TLP,
    pap: PAP,
    released: bool,
    exit: str,
    actions: list[str],
) -> None:
    co, br = pair
    for csirt in (co, br):
        with csirt.runtime.unit_of_work() as ctx:
            known = peer_store.by_name(ctx.session, "cert-ar") is not None
        if not known:
            _know_ar(csirt)
    title = f"Incident {uuid.uuid4().hex[:8]}"
    opened = co.say("ana", f"new {title} sev=high countries=CO,BR tlp={tlp.value} pap={pap.value}")
    reference = opened.split("Opened ", 1)[1].split(".", 1)[0]
    co.say("ana", confirmation(co.say("ana", f"share {reference} to cert-br" + (" cert-ar" if released else ""))))
    co.exchange()
    br.exchange()
    with br.runtime.unit_of_work() as ctx:
        ours = ctx.session.exec(select(Ticket).where(Ticket.title == title)).one().reference
    before = _queued_for(br, "cert-ar")
    strict = tlp in (TLP.AMBER_STRICT, TLP.RED) and not released
    refused_actions = exit == "assist" and bool(pap_rules.not_permitted(pap, actions))
    may = not strict and not refused_actions
    command = {
        "share": f"share {ours} to cert-ar",
        "notify": f"notify {ours} to cert-ar Seen here too",
        "assist": f"assist {ours} cert-ar {','.join(actions)} Please look",
        "report": f"report {ours} for=cert-ar",
    }[exit]
    reply = br.core.handle(Command(text=command, platform="console", user_id="ana"))
    assert reply.ok == may, (tlp, pap, released, exit, actions, reply.plain_text())
    if not may:
        assert ("came from csirt-co" in reply.text) if strict else (f"PAP:{pap.value.upper()}" in reply.text)
    elif exit in ("share", "notify"):
        assert br.core.handle(Command(text=confirmation(reply.plain_text()), platform="console", user_id="ana")).ok
    queued = _queued_for(br, "cert-ar") - before
    assert queued == (1 if may and exit != "report" else 0)
