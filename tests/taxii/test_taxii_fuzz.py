"""Hypothesis throws arbitrary requests at every TAXII endpoint: the answer is never a 5xx.

Bounded: a few hundred examples against one app in-process, on SQLite and on PostgreSQL (which
refuses NUL characters and over-long values that SQLite stores). The shapes hostile peers sent are
among the examples: timestamps that are not, a `limit` of thousands of digits, custom properties
nested hundreds deep, NUL characters in ids, filters and Basic user names, over-long references.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from puente.server.app import create_app
from puente.services.context import Runtime
from puente.services.feeds import collections
from tests.taxii.conftest import PEER_IDENTITY, add_partner, indicator

TAXII = "application/taxii+json;version=2.1"
OBJECT_ID = indicator(1)["id"]
OBSERVABLE_ID = "ipv4-addr--2e2f9e6b-5c1a-4a8e-9f3b-7d6c5b4a3f21"


@pytest.fixture
def fuzz_target(runtime: Runtime) -> tuple[TestClient, dict[str, str], str]:
    # Hundreds of bad logins from one test client would lock it out (tests/taxii/test_taxii_guards.py);
    # here every request must reach the endpoint it aims at.
    runtime.settings.taxii_failed_logins_before_throttle = 10**6
    runtime.settings.taxii_failed_logins_before_lockout = 10**6
    runtime.settings.taxii_partner_requests_per_minute = 10**6
    issued = add_partner(runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    with runtime.unit_of_work(actor_name="analyst") as ctx:
        collections.publish(ctx, [indicator(n) for n in range(5)], "CLEAR")
    ids = {g.alias: g.id for g in issued.collections}
    basic = "Basic " + base64.b64encode(f"{issued.user}:{issued.password}".encode()).decode()
    return TestClient(create_app(runtime), raise_server_exceptions=False), ids, basic


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:password".encode()).decode()


def _deep(depth: int) -> bytes:
    """An envelope whose one object carries a custom property nested `depth` deep (orjson writes at most 254)."""
    own = orjson.dumps(indicator(4, creator=PEER_IDENTITY))[:-1]
    return b'{"objects":[' + own + b',"x_deep":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}]}"


text = st.text(max_size=40)
timestamps = st.sampled_from(
    ["2026-01-05T12:00:00Z", "2026-01-05T12:00:00.000001Z", "9999-99-99T99:99:99Z", "0001-01-01T00:00:00.1234567891Z"]
)
param_values = st.one_of(
    text,
    timestamps,
    st.sampled_from(
        [
            "first",
            "last",
            "all",
            "first,last",
            "2.1",
            "indicator",
            OBJECT_ID,
            "0",
            "5",
            "99999999999999999999",
            "9" * 5000,
            "0" * 4000 + "7",
            "\x00",
            "indicator--\x00",
            OBJECT_ID + ",\x00",
        ]
    ),
)
param_names = st.sampled_from(
    [
        "added_after",
        "limit",
        "next",
        "match[id]",
        "match[type]",
        "match[version]",
        "match[spec_version]",
        "match[other]",
    ]
)
HOSTILE_OBJECTS = [
    {"type": "ipv4-addr", "spec_version": "2.1", "id": OBSERVABLE_ID, "value": "198.51.100.7", "created": {}},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": OBSERVABLE_ID, "value": "198.51.100.7", "modified": 7},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": OBSERVABLE_ID, "value": "198.51.100.7", "created": "now"},
    indicator(5, creator="identity--" + "f" * 300),
    indicator(6, creator=PEER_IDENTITY) | {"id": "indicator--\x00"},
    indicator(7, creator=PEER_IDENTITY) | {"name": "C2\x00"},
    indicator(8, creator=PEER_IDENTITY) | {"x_\x00": 1},
    indicator(9, creator=PEER_IDENTITY) | {"created": ["2026"]},
]
hostile_objects = st.sampled_from(HOSTILE_OBJECTS)
bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([_deep(60), _deep(300), _deep(1000), _deep(2000)]),
    st.builds(lambda objs: orjson.dumps({"objects": objs}), st.lists(hostile_objects, min_size=1, max_size=3)),
    st.builds(
        lambda objs: orjson.dumps({"objects": objs}),
        st.lists(
            st.one_of(
                st.just(indicator(3, creator=PEER_IDENTITY)),
                st.dictionaries(
                    st.sampled_from(["id", "type", "spec_version", "created", "modified", "created_by_ref"]),
                    st.one_of(text, st.integers(-1000, 1000), st.none()),
                ),
                st.integers(-1000, 1000),
                text,
            ),
            max_size=4,
        ),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    template=st.sampled_from(
        [
            "/taxii2/",
            "/taxii2/api/",
            "/taxii2/api/status/{any}/",
            "/taxii2/api/collections/",
            "/taxii2/api/collections/{cid}/",
            "/taxii2/api/collections/{cid}/manifest/",
            "/taxii2/api/collections/{cid}/objects/",
            "/taxii2/api/collections/{cid}/objects/{oid}/",
            "/taxii2/api/collections/{cid}/objects/{oid}/versions/",
        ]
    ),
    params=st.lists(st.tuples(param_names, param_values), max_size=4),
    accept=st.sampled_from(
        [TAXII, "application/taxii+json", "application/json", "*/*", "", "application/taxii+json;version=9"]
    ),
    content_type=st.sampled_from([TAXII, "application/json", "", "text/plain;;;"]),
    auth=st.sampled_from(
        [
            "valid",
            "none",
            "Basic !!!",
            "Token x",
            "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
            "Weird",
            _basic("\x00"),
            _basic("csirt-ar\x00"),
            _basic("u" * 300),
            "Token \x00",
        ]
    ),
    body=bodies,
)
def test_no_request_makes_the_server_fail(
    fuzz_target, data, method, template, params, accept, content_type, auth, body
) -> None:
    client, ids, basic = fuzz_target
    cid = data.draw(st.sampled_from([*ids.values(), "not-a-collection", "%00"]), label="cid")
    oid = data.draw(st.sampled_from([OBJECT_ID, "indicator--x", "..", "a" * 300, "indicator--%00", "%00"]), label="oid")
    url = template.format(cid=cid, oid=oid, any=quote(data.draw(text, label="any"), safe=""))
    headers = {"Accept": accept, "Content-Type": content_type}
    if auth != "none":
        headers["Authorization"] = basic if auth == "valid" else auth
    response = client.request(method, url, params=params, headers=headers, content=body if method == "POST" else None)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == TAXII
        assert response.json()["title"]


def test_each_hostile_shape_is_answered_without_a_server_error(fuzz_target) -> None:
    """Every shape above on its own, through valid credentials to the endpoint it targets."""
    client, ids, basic = fuzz_target
    headers = {"Accept": TAXII, "Content-Type": TAXII, "Authorization": basic}
    inbox = f"/taxii2/api/collections/{ids['csirt-ar-inbox']}/objects/"
    public = f"/taxii2/api/collections/{ids['public']}/objects/"
    answers = [client.post(inbox, content=_deep(depth), headers=headers) for depth in (60, 300, 1000, 2000)]
    answers += [
        client.post(inbox, content=orjson.dumps({"objects": [obj]}), headers=headers) for obj in HOSTILE_OBJECTS
    ]
    for name, value in [(n, v) for n in ("limit", "match[id]", "added_after", "next") for v in ("9" * 5000, "\x00")]:
        answers.append(client.get(public, params={name: value}, headers=headers))
    answers.append(client.get(public + "indicator--%00/", headers=headers))
    answers.append(client.get("/taxii2/api/status/%00/", headers=headers))
    for user in ("\x00", "csirt-ar\x00", "u" * 300):
        answers.append(client.get("/taxii2/api/collections/", headers=headers | {"Authorization": _basic(user)}))
    for answer in answers:
        assert answer.status_code < 500 and answer.headers["content-type"] == TAXII, answer.text
    # Deeper than 1,024 levels is not even read as JSON (400); every other envelope gets its object refused.
    assert [answer.status_code for answer in answers[:4]] == [202, 202, 202, 400]
    refused = [f for answer in answers[:12] if answer.status_code == 202 for f in answer.json().get("failures", [])]
    assert len(refused) == 11 and "\x00" not in str(refused)
