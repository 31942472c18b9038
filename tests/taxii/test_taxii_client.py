"""Partners poll and post with the real taxii2-client, as they would from their own tooling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from requests.exceptions import HTTPError
from taxii2client.common import TokenAuth
from taxii2client.v21 import Server, as_pages

from puente.services.feeds import collections
from tests.taxii.conftest import GREEN, PEER_IDENTITY, RED, RunningServer, add_partner, indicator


def publish(server: RunningServer, objects: list[dict], tlp: str, recipients: tuple[str, ...] = ()) -> None:
    with server.runtime.unit_of_work(actor_name="analyst") as ctx:
        collections.publish(ctx, objects, tlp, recipients)


def test_partner_discovers_its_collections_and_polls_5000_objects_in_pages(taxii_server: RunningServer) -> None:
    issued = add_partner(taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    objects = [indicator(n) for n in range(5000)]
    for start in range(0, 5000, 1000):
        publish(taxii_server, objects[start : start + 1000], "TLP:CLEAR")

    server = Server(taxii_server.discovery, user=issued.user, password=issued.password)
    assert server.title.startswith("Puente TAXII")
    api_root = server.default
    assert api_root.url == taxii_server.api_root
    assert api_root.versions == ["application/taxii+json;version=2.1"]
    by_alias = {c.alias: c for c in api_root.collections}
    assert sorted(by_alias) == ["community", "csirt-ar", "csirt-ar-inbox", "public"]
    assert by_alias["csirt-ar-inbox"].can_write and not by_alias["csirt-ar-inbox"].can_read

    seen: list[str] = []
    for envelope in as_pages(by_alias["public"].get_objects, per_request=700):
        assert len(envelope.get("objects", [])) <= 700
        seen.extend(o["id"] for o in envelope.get("objects", []))
    assert seen == [o["id"] for o in objects]

    manifest_ids = [
        m["id"]
        for page in as_pages(by_alias["community"].get_manifest, per_request=2000)
        for m in page.get("objects", [])
    ]
    assert manifest_ids == [o["id"] for o in objects]


def test_key_works_as_taxii2_client_token_and_a_wrong_one_is_refused(taxii_server: RunningServer) -> None:
    issued = add_partner(taxii_server.runtime, "sector-isac")
    assert Server(taxii_server.discovery, auth=TokenAuth(issued.key)).default.title.endswith("sharing")
    with pytest.raises(HTTPError) as refused:
        Server(taxii_server.discovery, auth=TokenAuth("not-the-key")).refresh()
    response = refused.value.response
    assert response is not None  # requests types it Optional; a refusal always carries one
    assert response.status_code == 401
    assert response.json()["http_status"] == "401"


def test_peer_posts_to_its_inbox_and_reads_the_status(taxii_server: RunningServer) -> None:
    issued = add_partner(taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    inbox = next(
        c
        for c in Server(taxii_server.discovery, user=issued.user, password=issued.password).default.collections
        if c.alias == "csirt-ar-inbox"
    )
    own = indicator(1, creator=PEER_IDENTITY)
    ours = indicator(2)  # created_by_ref is our identity: the peer may not write it
    broken = {"type": "indicator", "id": "indicator--nope", "spec_version": "2.1"}
    # An observable has no creator, so any writer may send it.
    observable = {
        "type": "domain-name",
        "spec_version": "2.1",
        "id": "domain-name--3c10e5fc-b4f8-5b0a-9f2a-4b6b8c7a1e11",
        "value": "c2.example",
    }

    status = inbox.add_objects({"objects": [own, ours, broken, observable]})

    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (4, 2, 2)
    assert {s["id"] for s in status.successes} == {own["id"], observable["id"]}
    reasons = {f["id"]: f["message"] for f in status.failures}
    assert "created_by_ref must be your identity" in reasons[ours["id"]]
    assert "'id' 'indicator--nope' is not a valid STIX 2.1 identifier" in reasons["indicator--nope"]
    again = inbox._conn.get(
        f"{taxii_server.api_root}status/{status.id}/", headers={"Accept": "application/taxii+json;version=2.1"}
    )
    assert again["success_count"] == 2

    with taxii_server.runtime.unit_of_work() as ctx:
        received = collections.inbox_entries(ctx, "csirt-ar")
    assert [(e.stix_object["id"], e.partner) for e in received] == [
        (own["id"], "csirt-ar"),
        (observable["id"], "csirt-ar"),
    ]
    with taxii_server.runtime.unit_of_work() as ctx:
        assert collections.inbox_entries(ctx, "csirt-ar", after=received[-1].date_added) == []


def test_red_goes_only_to_the_named_recipient_and_never_to_a_shared_collection(taxii_server: RunningServer) -> None:
    ar = add_partner(taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    mx = add_partner(taxii_server.runtime, "csirt-mx", peer="csirt-mx")
    red = indicator(1, marking=RED)
    green = indicator(2, marking=GREEN)
    publish(taxii_server, [red], "RED", ("csirt-ar",))
    publish(taxii_server, [green], "GREEN")
    with pytest.raises(Exception, match="marked TLP:RED"):
        publish(taxii_server, [red], "CLEAR")

    def contents(issued) -> dict[str, list[str]]:
        root = Server(taxii_server.discovery, user=issued.user, password=issued.password).default
        return {c.alias: [o["id"] for o in c.get_objects().get("objects", [])] for c in root.collections if c.can_read}

    assert contents(ar) == {"public": [], "community": [green["id"]], "csirt-ar": [red["id"]]}
    assert contents(mx) == {"public": [], "community": [green["id"]], "csirt-mx": []}


def test_versions_filters_and_delete_through_the_client(taxii_server: RunningServer) -> None:
    issued = add_partner(taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    first = indicator(1)
    second = indicator(1, modified=datetime(2026, 2, 1, tzinfo=UTC))
    publish(taxii_server, [first, indicator(2)], "CLEAR")
    publish(taxii_server, [second], "CLEAR")
    public = next(
        c
        for c in Server(taxii_server.discovery, user=issued.user, password=issued.password).default.collections
        if c.alias == "public"
    )

    assert [o["modified"] for o in public.get_object(first["id"])["objects"]] == [second["modified"]]
    assert [o["modified"] for o in public.get_object(first["id"], version="first")["objects"]] == [first["modified"]]
    assert len(public.get_objects(version="all")["objects"]) == 3
    assert public.object_versions(first["id"])["versions"] == [first["modified"], second["modified"]]
    assert [o["id"] for o in public.get_objects(type="indicator", id=indicator(2)["id"])["objects"]] == [
        indicator(2)["id"]
    ]
    assert public.get_objects(type="malware") == {"more": False}

    inbox = next(
        c
        for c in Server(taxii_server.discovery, user=issued.user, password=issued.password).default.collections
        if c.alias == "csirt-ar-inbox"
    )
    own = indicator(9, creator=PEER_IDENTITY)
    inbox.add_objects({"objects": [own]})
    # TAXII 2.1: deleting needs the right to read as well as to write; an inbox is write-only.
    with pytest.raises(HTTPError) as refused:
        inbox.delete_object(own["id"])
    assert refused.value.response is not None and refused.value.response.status_code == 403
    with taxii_server.runtime.unit_of_work() as ctx:
        assert [e.stix_object["id"] for e in collections.inbox_entries(ctx, "csirt-ar")] == [own["id"]]
