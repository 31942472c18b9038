"""Hypothesis throws arbitrary requests at every TAXII endpoint: the answer is never a 5xx.

Bounded: a few hundred examples against one SQLite-backed app in-process.
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


@pytest.fixture
def fuzz_target(sqlite_runtime: Runtime) -> tuple[TestClient, dict[str, str], str]:
    issued = add_partner(sqlite_runtime, "csirt-ar", peer="csirt-ar", identity=PEER_IDENTITY)
    with sqlite_runtime.unit_of_work(actor_name="analyst") as ctx:
        collections.publish(ctx, [indicator(n) for n in range(5)], "CLEAR")
    ids = {g.alias: g.id for g in issued.collections}
    basic = "Basic " + base64.b64encode(f"{issued.user}:{issued.password}".encode()).decode()
    return TestClient(create_app(sqlite_runtime), raise_server_exceptions=False), ids, basic


text = st.text(max_size=40)
timestamps = st.sampled_from(
    ["2026-01-05T12:00:00Z", "2026-01-05T12:00:00.000001Z", "9999-99-99T99:99:99Z", "0001-01-01T00:00:00.1234567891Z"]
)
param_values = st.one_of(
    text,
    timestamps,
    st.sampled_from(
        ["first", "last", "all", "first,last", "2.1", "indicator", OBJECT_ID, "0", "5", "99999999999999999999"]
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
bodies = st.one_of(
    st.binary(max_size=200),
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
        ["valid", "none", "Basic !!!", "Token x", "Basic " + base64.b64encode(b"\xff:\xfe").decode(), "Weird"]
    ),
    body=bodies,
)
def test_no_request_makes_the_server_fail(
    fuzz_target, data, method, template, params, accept, content_type, auth, body
) -> None:
    client, ids, basic = fuzz_target
    cid = data.draw(st.sampled_from([*ids.values(), "not-a-collection", "%00"]), label="cid")
    oid = data.draw(st.sampled_from([OBJECT_ID, "indicator--x", "..", "a" * 300]), label="oid")
    url = template.format(cid=cid, oid=oid, any=quote(data.draw(text, label="any"), safe=""))
    headers = {"Accept": accept, "Content-Type": content_type}
    if auth != "none":
        headers["Authorization"] = basic if auth == "valid" else auth
    response = client.request(method, url, params=params, headers=headers, content=body if method == "POST" else None)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == TAXII
        assert response.json()["title"]
