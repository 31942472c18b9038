"""The duty officer's pages over HTTP: requests for assistance by state, the map, on-call now and next,
the regulatory clocks; each says what chat says for the same user, and hides what the reader may not read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from puente.server.web.americas import americas
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.peers import service as peers
from tests.test_web import say, sign_in


@pytest.fixture
def runtime(paged_team: Runtime) -> Runtime:
    """The team, and cert-br, a peer for Brazil (never reached here)."""
    with paged_team.unit_of_work(actor_name="operator") as ctx:
        peers.add(ctx, peers.PeerDraft("cert-br", ["BR"], "http://127.0.0.1:9/taxii2/", "inbox-collection"))
    return paged_team


def test_the_map_colours_countries_by_open_tickets_and_joins_cross_border_ones(
    runtime: Runtime, browser: TestClient
) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port countries=CO,BR")
    say(runtime, "ana", "/incident new Phishing wave countries=BR,AR")
    say(runtime, "ana", "/incident new Botnet countries=AR")
    say(runtime, "ana", "/incident new Old defacement countries=CO,MX")
    say(runtime, "ana", "/incident resolve INC-2026-0004 done")
    say(runtime, "ana", "/incident new Vanuatu registry countries=VU")
    sign_in(runtime, browser, "ana")
    page = browser.get("/map").text
    opened = dict(re.findall(r'<path d="[^"]+" class="level-\d" data-country="(\w\w)" data-open="(\d+)"', page))
    assert {code: opened[code] for code in ("BR", "AR", "CO", "MX", "US")} == {
        "BR": "2",
        "AR": "2",
        "CO": "1",
        "MX": "0",
        "US": "0",
    }
    links = re.findall(r'<line [^>]*data-link="(\w\w-\w\w)" data-count="(\d+)"', page)
    assert sorted(links) == [("AR-BR", "1"), ("BR-CO", "1")]
    assert 'class="level-1" data-country="BR"' in page and 'class="level-0" data-country="MX"' in page
    assert "Countries outside the map: VU" in page
    # The same numbers as chat's listing for each country.
    for code in ("BR", "AR", "CO", "MX"):
        listed = say(runtime, "ana", f"/incident list country={code}")
        found = len(listed.lines)
        assert opened[code] == str(found), code
    # Small islands are drawn as a dot one can point at.
    assert '<circle cx="' in page and 'data-country="BB"' in page


def test_the_shipped_shapes_cover_the_americas() -> None:
    shapes = americas().shapes
    for code in ("AR", "BO", "BR", "CA", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "HT", "JM", "MX", "NI"):
        assert shapes[code].path.startswith("M"), code
    for code in ("PA", "PE", "PY", "SV", "TT", "US", "UY", "VE", "BS", "BZ", "GY", "SR", "BB", "GD", "LC", "DM"):
        assert code in shapes, code
    assert "FR" not in shapes and "GF" in shapes, "French Guiana, not France"


def test_the_board_shows_requests_by_state_with_their_deadlines(
    runtime: Runtime, browser: TestClient, clock: ManualClock
) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port sev=critical countries=CO,BR pap=green")
    say(runtime, "ana", "/incident assist INC-2026-0001 cert-br investigate,block-host by=4h Please look")
    say(runtime, "ana", "/incident new Minister's phone sev=high countries=CO,BR tlp=red")
    say(runtime, "ana", "/incident assist INC-2026-0002 cert-br investigate by=2h")
    sign_in(runtime, browser, "ana")
    page = browser.get("/requests").text
    assert re.findall(r'<section class="column" data-state="(\w+)">', page) == ["SENT"]
    assert re.findall(r'<article class="card" data-ticket="([\w-]+)">', page) == ["INC-2026-0002", "INC-2026-0001"]
    assert "we asked cert-br" in page and "investigate, block-host" in page
    assert 'datetime="2026-01-05T16:00:00+00:00"' in page and "in 4 h 00 min 00 s" in page
    assert "in 1 h 00 min 00 s" in page, "the ACK of a critical request is due within the hour"
    chat = say(runtime, "ana", "/incident requests")
    assert [line.split()[1] for line in chat.lines] == ["INC-2026-0002", "INC-2026-0001"]

    clock.advance(timedelta(hours=3))
    page = browser.get("/requests").text
    assert re.findall(r'<section class="column" data-state="(\w+)">', page) == ["SENT", "EXPIRED"]
    assert "overdue by 2 h 00 min 00 s" in page, "the ACK is late"
    assert say(runtime, "ana", "/incident show INC-2026-0001").ok
    # An oncall reader who was not paged for the TLP:RED ticket does not see its request.
    sign_in(runtime, browser, "carla")
    assert re.findall(r'data-ticket="([\w-]+)"', browser.get("/requests").text) == ["INC-2026-0001"]


def test_the_page_that_reads_a_request_past_its_deadline_changes_nothing(
    runtime: Runtime, browser: TestClient, clock: ManualClock
) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port countries=CO,BR")
    say(runtime, "ana", "/incident assist INC-2026-0001 cert-br investigate by=1h")
    clock.advance(timedelta(hours=2))
    sign_in(runtime, browser, "ana")
    before = say(runtime, "dora", "/incident timeline INC-2026-0001").lines
    assert 'data-state="EXPIRED"' in browser.get("/requests").text
    assert "EXPIRED" in browser.get("/tickets/INC-2026-0001").text
    assert say(runtime, "dora", "/incident timeline INC-2026-0001").lines == before, "a page load wrote nothing"


def test_on_call_now_and_next_as_chat_says_it(runtime: Runtime, browser: TestClient) -> None:
    from click.testing import CliRunner

    from puente.cli.main import main

    settings = runtime.settings
    env = {"PUENTE_DATABASE_URL": settings.effective_database_url, "PUENTE_VAR_DIR": str(settings.var_dir)}
    added = CliRunner().invoke(
        main,
        ["oncall", "rotation", "add", "primary", "--users", "bob,carla", "--handoff", "mon 09:00", "--tz", "UTC"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    sign_in(runtime, browser, "ana")
    page = browser.get("/oncall").text
    chat = say(runtime, "ana", "/incident oncall").lines
    row = re.search(r'<tr data-rotation="primary">(.*?)</tr>', page, re.DOTALL)
    assert row is not None
    now, ends = re.search(r'<strong class="now">(\w+)</strong>, until ([^<]+)</td>', row.group(1)).groups()  # type: ignore[union-attr]
    following = re.search(r'<span class="next">(\w+)</span>', row.group(1)).group(1)  # type: ignore[union-attr]
    assert chat == [f"primary: {now} now, until {ends}; next {following}"]


def test_regulatory_clocks_due_in_the_next_day(runtime: Runtime, browser: TestClient, clock: ManualClock) -> None:
    start = clock.now()
    say(runtime, "ana", f"/incident new Outage at the grid aware={(start - timedelta(hours=20)):%Y-%m-%dT%H:%MZ}")
    say(runtime, "ana", f"/incident new Phishing wave aware={(start - timedelta(hours=60)):%Y-%m-%dT%H:%MZ}")
    say(runtime, "ana", f"/incident new Old one aware={(start - timedelta(days=10)):%Y-%m-%dT%H:%MZ}")
    say(runtime, "ana", "/incident new Fresh one")
    sign_in(runtime, browser, "ana")
    page = browser.get("/clocks").text
    soonest_first = ["INC-2026-0001", "INC-2026-0002", "INC-2026-0004"]
    assert re.findall(r'<tr data-reference="([\w-]+)">', page) == soonest_first
    assert "early warning (24 h)" in page and "incident notification (72 h)" in page
    assert "in 4 h 00 min 00 s" in page and "in 12 h 00 min 00 s" in page and "in 1 d 0 h" in page
    chat = say(runtime, "ana", "/incident clocks").lines
    assert [re.search(r"INC-\d{4}-\d{4}", line).group(0) for line in chat] == soonest_first  # type: ignore[union-attr]
    say(runtime, "ana", "/incident resolve INC-2026-0001 restored")
    assert re.findall(r'<tr data-reference="([\w-]+)">', browser.get("/clocks").text) == soonest_first[1:]


def test_every_page_needs_a_session(browser: TestClient) -> None:
    for path in ("/requests", "/map", "/oncall", "/clocks"):
        refused = browser.get(path)
        assert refused.status_code == 401 and "/incident web" in refused.text, path
