"""Raw HTTP against the TAXII server: the headers and error objects any TAXII 2.1 client relies on."""

from __future__ import annotations

import re

import httpx
import orjson
import pytest

from puente.services.feeds import collections
from tests.taxii.conftest import PEER_IDENTITY, RunningServer, add_partner, indicator

TAXII = "application/taxii+json;version=2.1"
MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def setup(taxii_server: RunningServer) -> tuple[RunningServer, httpx.Client, dict[str, str]]:
    peer = add_partner(taxii_server.runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    add_partner(taxii_server.runtime, "csirt-mx", peer="csirt-mx")
    with taxii_server.runtime.unit_of_work(actor_name="analyst") as ctx:
        collections.publish(ctx, [indicator(n) for n in range(10)], "CLEAR")
    ids = {g.alias: g.id for g in peer.collections}
    with taxii_server.runtime.unit_of_work() as ctx:
        ids["csirt-mx"] = next(
            c.id for c in collections.collections.all_collections(ctx.session) if c.alias == "csirt-mx"
        )
    client = httpx.Client(base_url=taxii_server.api_root, auth=(peer.user, peer.password), headers={"Accept": TAXII})
    return taxii_server, client, ids


def assert_taxii_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]
    return body


def test_pages_carry_date_added_headers_more_and_next_and_never_exceed_the_limit(setup) -> None:
    _, client, ids = setup
    url, params, seen, stamps = f"collections/{ids['public']}/objects/", {"limit": "3"}, [], []
    while True:
        response = client.get(url, params=params)
        assert response.status_code == 200 and response.headers["content-type"] == TAXII
        body = response.json()
        assert len(body["objects"]) <= 3
        first, last = response.headers["X-TAXII-Date-Added-First"], response.headers["X-TAXII-Date-Added-Last"]
        assert MICROSECONDS.match(first) and MICROSECONDS.match(last)
        stamps += [first, last]
        seen += [o["id"] for o in body["objects"]]
        if not body["more"]:
            break
        params = {"limit": "3", "next": body["next"]}
    assert seen == [indicator(n)["id"] for n in range(10)]
    assert stamps == sorted(stamps)

    by_header = client.get(url, params={"added_after": stamps[1]}).json()
    assert [o["id"] for o in by_header["objects"]] == seen[3:]

    manifest = client.get(f"collections/{ids['public']}/manifest/", params={"limit": "2"})
    entry = manifest.json()["objects"][0]
    assert manifest.headers["X-TAXII-Date-Added-First"] == entry["date_added"]
    assert entry["media_type"] == "application/stix+json;version=2.1" and entry["version"] == indicator(0)["modified"]
    single = client.get(f"collections/{ids['public']}/objects/{seen[0]}/")
    assert single.json()["objects"][0]["id"] == seen[0] and MICROSECONDS.match(
        single.headers["X-TAXII-Date-Added-Last"]
    )
    versions = client.get(f"collections/{ids['public']}/objects/{seen[0]}/versions/")
    assert versions.json() == {"more": False, "versions": [indicator(0)["modified"]]}
    assert "X-TAXII-Date-Added-First" in versions.headers


def test_no_or_wrong_credentials_get_401_with_a_taxii_error(setup) -> None:
    server, _, _ = setup
    assert_taxii_error(httpx.get(server.discovery, headers={"Accept": TAXII}), 401)
    assert_taxii_error(httpx.get(server.discovery, headers={"Accept": TAXII}, auth=("csirt-ar", "guess")), 401)
    assert_taxii_error(httpx.get(server.discovery, headers={"Accept": TAXII, "Authorization": "Token nope"}), 401)


def test_revoked_partner_is_refused(setup) -> None:
    server, client, _ = setup
    from puente.services.feeds import partners

    with server.runtime.unit_of_work(actor_name="operator") as ctx:
        partners.revoke(ctx, "csirt-ar")
    assert_taxii_error(client.get("collections/"), 401)


def test_access_is_per_partner_404_hides_other_collections_403_names_the_missing_right(setup) -> None:
    _, client, ids = setup
    body = assert_taxii_error(client.get(f"collections/{ids['csirt-mx']}/objects/"), 404)
    assert "csirt-mx" not in body["description"]
    assert_taxii_error(client.get("collections/00000000-0000-4000-8000-000000000000/"), 404)
    assert_taxii_error(client.get(f"collections/{ids['csirt-ar-inbox']}/objects/"), 403)
    posted = client.post(
        f"collections/{ids['public']}/objects/", content=b'{"objects":[]}', headers={"Content-Type": TAXII}
    )
    assert_taxii_error(posted, 403)


def test_media_types_are_negotiated(setup) -> None:
    _, client, ids = setup
    assert_taxii_error(client.get("collections/", headers={"Accept": "application/json"}), 406)
    assert_taxii_error(client.get("collections/", headers={"Accept": "application/taxii+json;version=2.0"}), 406)
    assert client.get("collections/", headers={"Accept": "application/taxii+json"}).status_code == 200
    inbox = f"collections/{ids['csirt-ar-inbox']}/objects/"
    assert_taxii_error(client.post(inbox, content=b'{"objects":[]}', headers={"Content-Type": "application/json"}), 415)


def test_post_limits_and_malformed_bodies(setup) -> None:
    server, client, ids = setup
    inbox = f"collections/{ids['csirt-ar-inbox']}/objects/"
    headers = {"Content-Type": TAXII}
    assert client.get("").json()["max_content_length"] == server.runtime.settings.taxii_max_content_length
    server.runtime.settings.taxii_max_content_length = 2048
    big = orjson.dumps({"objects": [indicator(n, creator=PEER_IDENTITY) for n in range(20)]})
    assert_taxii_error(client.post(inbox, content=big, headers=headers), 413)
    assert_taxii_error(client.post(inbox, content=iter([big]), headers=headers), 413)
    assert_taxii_error(client.post(inbox, content=b"{not json", headers=headers), 400)
    assert_taxii_error(client.post(inbox, content=b'{"objects": 3}', headers=headers), 400)
    old = dict(indicator(1, creator=PEER_IDENTITY), spec_version="2.0")
    assert_taxii_error(client.post(inbox, content=orjson.dumps({"objects": [old]}), headers=headers), 422)
    accepted = client.post(
        inbox, content=orjson.dumps({"objects": [indicator(1, creator=PEER_IDENTITY)]}), headers=headers
    )
    assert accepted.status_code == 202 and accepted.json()["status"] == "complete"


@pytest.mark.parametrize(
    "params",
    [
        {"added_after": "yesterday"},
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"next": "%%%"},
        {"match[version]": "all,last"},
        {"match[version]": "newest"},
        {"match[type]": "indicator,"},
    ],
)
def test_malformed_filters_are_400(setup, params: dict[str, str]) -> None:
    _, client, ids = setup
    assert_taxii_error(client.get(f"collections/{ids['public']}/objects/", params=params), 400)


def test_a_repeated_parameter_is_400_and_unknown_paths_and_methods_are_taxii_errors(setup) -> None:
    _, client, ids = setup
    assert_taxii_error(
        client.get(
            f"collections/{ids['public']}/objects/?added_after=2026-01-01T00:00:00Z&added_after=2026-01-01T00:00:00Z"
        ),
        400,
    )
    assert_taxii_error(
        client.get(f"collections/{ids['public']}/objects/indicator--00000000-0000-4000-8000-000000000000/"), 404
    )
    assert_taxii_error(client.get("status/unknown/"), 404)
    assert_taxii_error(client.get("nowhere/"), 404)
    assert_taxii_error(client.put(f"collections/{ids['public']}/objects/"), 405)
