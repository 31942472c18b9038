"""The web view over HTTP: sign-in by a single-use link, what each reader may read, the security headers,
and pages that say what chat says for the same user (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.server.web.rendering import CONTENT_SECURITY_POLICY
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.escalation import scheduled as escalation_worker

REFERENCE = re.compile(r"INC-\d{4}-\d{4}")


@pytest.fixture
def runtime(paged_team: Runtime) -> Runtime:
    return paged_team


def say(runtime: Runtime, user: str, text: str) -> Reply:
    reply = CommandCore(runtime).handle(Command(text=text, platform="console", user_id=user))
    assert reply.ok, reply.plain_text()
    return reply


def link_for(runtime: Runtime, user: str) -> str:
    reply = say(runtime, user, "/incident web")
    assert reply.private and reply.secret, "the link is a secret for the person who asked"
    url = re.search(r"http://\S+", reply.text)
    assert url, reply.text
    return url.group(0)


def follow(client: TestClient, url: str) -> httpx.Response:
    """Open a sign-in link and press Sign in, as a person does."""
    parts = urlsplit(url)
    page = client.get(f"{parts.path}?{parts.query}")
    if page.status_code != 200:
        return page
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token, page.text
    return client.post("/signin", data={"token": html.unescape(token.group(1))})


def sign_in(runtime: Runtime, client: TestClient, user: str) -> None:
    answer = follow(client, link_for(runtime, user))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/tickets"


def listed(client: TestClient, query: str = "") -> list[str]:
    page = client.get(f"/tickets?{query}")
    assert page.status_code == 200, page.text
    return re.findall(r'<tr data-reference="(INC-\d{4}-\d{4})">', page.text)


def chat_listed(runtime: Runtime, user: str, arguments: str) -> list[str]:
    return REFERENCE.findall("\n".join(say(runtime, user, f"/incident list {arguments}").lines))


def test_a_link_signs_in_once_with_a_session_cookie_script_cannot_read(runtime: Runtime, browser: TestClient) -> None:
    link = link_for(runtime, "ana")
    parts = urlsplit(link)
    assert parts.path == "/signin" and parts.netloc == "127.0.0.1:8080"
    # A chat app fetching the link for a preview does not use it up, nor learn whose it is.
    for _ in range(2):
        preview = browser.get(f"{parts.path}?{parts.query}")
        assert preview.status_code == 200 and "ana" not in preview.text
    assert browser.get("/tickets").status_code == 401

    first = follow(browser, link)
    assert first.status_code == 303
    cookie = first.headers["set-cookie"].lower()
    assert "puente_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=28800" in cookie and "path=/" in cookie
    assert browser.get("/tickets").status_code == 200

    browser.cookies.clear()
    again = follow(browser, link)
    assert again.status_code == 401
    assert "used already" in again.text and "/incident web" in again.text
    assert browser.post("/signin", data={"token": parse_qs(parts.query)["token"][0]}).status_code == 401
    assert browser.get("/tickets").status_code == 401


def test_another_site_cannot_sign_a_browser_in(runtime: Runtime, browser: TestClient) -> None:
    token = parse_qs(urlsplit(link_for(runtime, "ana")).query)["token"][0]
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}):
        forged = browser.post("/signin", data={"token": token}, headers=headers)
        assert forged.status_code == 403 and "set-cookie" not in forged.headers
    own = browser.post("/signin", data={"token": token}, headers={"Origin": "http://127.0.0.1:8080"})
    assert own.status_code == 303, "the link was not used up by the forged form"


def test_a_link_runs_out_after_five_minutes_and_a_session_after_eight_hours(
    runtime: Runtime, browser: TestClient, clock: ManualClock
) -> None:
    late = link_for(runtime, "ana")
    clock.advance(timedelta(minutes=5))
    refused = follow(browser, late)
    assert refused.status_code == 401 and "ran out" in refused.text

    sign_in(runtime, browser, "ana")
    clock.advance(timedelta(hours=8) - timedelta(seconds=1))
    assert browser.get("/tickets").status_code == 200
    clock.advance(timedelta(seconds=1))
    ended = browser.get("/tickets")
    assert ended.status_code == 401 and "session ended" in ended.text


def test_nothing_is_shown_without_a_session_and_a_forged_one_opens_nothing(browser: TestClient) -> None:
    home = browser.get("/")
    assert home.status_code == 200 and "/incident web" in home.text
    for path in ("/tickets", "/tickets/INC-2026-0001"):
        assert browser.get(path).status_code == 401
    browser.cookies.set("puente_session", "made-up")
    assert browser.get("/tickets").status_code == 401
    assert browser.get("/signin?token=made-up").status_code == 401
    assert browser.post("/signin", data={"token": "made-up"}).status_code == 401


def test_every_page_forbids_outside_resources_framing_and_caching(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Phishing wave sev=high countries=CO,BR")
    sign_in(runtime, browser, "ana")
    for path in ("/", "/tickets", "/tickets/INC-2026-0001", "/tickets/INC-2026-9999", "/signin?token=x"):
        page = browser.get(path)
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "default-src 'none'" in CONTENT_SECURITY_POLICY and "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        # Everything a page loads comes from this server.
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', page.text), path
        assert "style=" not in page.text and "<script>" not in page.text


def test_the_web_view_only_reads_writes_are_not_routes(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Phishing wave")
    sign_in(runtime, browser, "ana")
    for path in ("/tickets", "/tickets/INC-2026-0001", "/requests", "/map", "/oncall", "/clocks"):
        assert browser.post(path).status_code == 405


def test_ticket_text_is_shown_as_text_never_as_markup(runtime: Runtime, browser: TestClient) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    say(runtime, "ana", f'/incident new "{hostile}" desc="<b>bold</b>" ioc=evil.example')
    say(runtime, "ana", f"/incident note INC-2026-0001 {hostile}")
    sign_in(runtime, browser, "ana")
    for path in ("/tickets", "/tickets/INC-2026-0001"):
        text = browser.get(path).text
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>bold" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_list_finds_what_chat_lists_for_the_same_filters(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port sev=critical countries=CO,BR sector=transport tlp=red")
    say(runtime, "ana", "/incident new Phishing wave sev=high countries=AR tlp=green ioc=login-bank.example")
    say(runtime, "ana", "/incident new Defacement sev=low sector=government")
    say(runtime, "ana", "/incident resolve INC-2026-0003 fixed")
    sign_in(runtime, browser, "ana")
    cases = [
        ("", "", ["INC-2026-0002", "INC-2026-0001"]),
        ("scope=all", "all", ["INC-2026-0003", "INC-2026-0002", "INC-2026-0001"]),
        ("scope=cross-border", "cross-border", ["INC-2026-0002", "INC-2026-0001"]),
        ("severity=critical", "sev=critical", ["INC-2026-0001"]),
        ("country=br", "country=BR", ["INC-2026-0001"]),
        ("sector=transportation", "sector=transport", ["INC-2026-0001"]),
        ("tlp=green", "tlp=green", ["INC-2026-0002"]),
        ("scope=all&status=resolved", "all status=resolved", ["INC-2026-0003"]),
        ("q=bank.example", "q=bank.example", ["INC-2026-0002"]),
        ("q=RANSOM", "q=ransom", ["INC-2026-0001"]),
        ("q=inc-2026-0003&scope=all", "all q=INC-2026-0003", ["INC-2026-0003"]),
        ("q=%25", "q=%", []),
    ]
    for query, chat, expected in cases:
        assert listed(browser, query) == expected, query
        assert chat_listed(runtime, "ana", chat) == expected, chat


def test_a_bad_filter_is_explained_on_the_page(runtime: Runtime, browser: TestClient) -> None:
    sign_in(runtime, browser, "ana")
    page = browser.get("/tickets?country=XX&severity=high")
    assert page.status_code == 200
    assert "Unknown country &#39;XX&#39;: use ISO 3166 codes" in page.text


def test_the_ticket_page_says_what_show_and_timeline_say(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port sev=high countries=CO,BR ioc=198.51.100.7")
    say(runtime, "ana", "/incident note INC-2026-0001 Backups are offline")
    sign_in(runtime, browser, "ana")
    page = browser.get("/tickets/INC-2026-0001").text
    shown = say(runtime, "ana", "/incident show INC-2026-0001")
    for name, value in shown.fields:
        if name != "Observables":
            assert f"<dt>{name}</dt><dd>{value}</dd>" in page, name
    assert "198.51.100.7" in page and "Backups are offline" in page
    timeline = say(runtime, "ana", "/incident timeline INC-2026-0001")
    table = page.split('<table id="timeline">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr[^>]*><td><time[^>]*>(.*?)</time></td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table
    )
    listed = [html.unescape(f"{at} · {actor} · {action}: {summary}") for at, actor, action, summary in rows]
    assert listed == timeline.lines and len(listed) >= 4


def test_a_chat_change_shows_on_the_next_load(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Phishing wave")
    sign_in(runtime, browser, "ana")
    assert "Phishing wave" in browser.get("/tickets/INC-2026-0001").text
    say(runtime, "ana", '/incident update INC-2026-0001 title="Phishing wave against banks" sev=high')
    page = browser.get("/tickets/INC-2026-0001").text
    assert "Phishing wave against banks" in page and "<dt>Severity</dt><dd>high</dd>" in page
    assert listed(browser, "severity=high") == ["INC-2026-0001"]


def test_an_oncall_reader_sees_a_red_ticket_only_once_paged_for_it(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Minister's phone compromised sev=critical tlp=red")
    say(runtime, "ana", "/incident new Phishing wave sev=critical tlp=amber")
    sign_in(runtime, browser, "carla")
    assert listed(browser, "scope=all") == ["INC-2026-0002"]
    refused = browser.get("/tickets/INC-2026-0001")
    assert refused.status_code == 403
    assert "TLP:RED" in refused.text and "Minister" not in refused.text
    assert browser.get("/tickets/INC-2026-0002").status_code == 200
    # Chat says the same to carla.
    assert chat_listed(runtime, "carla", "all") == ["INC-2026-0002"]
    denied = CommandCore(runtime).handle(Command("/incident show INC-2026-0001", "console", "carla"))
    assert not denied.ok and "TLP:RED" in denied.text

    escalation_worker.tick(runtime)  # the critical page's first step reaches bob, not carla
    sign_in(runtime, browser, "bob")
    assert listed(browser, "scope=all") == ["INC-2026-0002", "INC-2026-0001"]
    assert browser.get("/tickets/INC-2026-0001").status_code == 200
    sign_in(runtime, browser, "carla")
    assert browser.get("/tickets/INC-2026-0001").status_code == 403
    sign_in(runtime, browser, "dora")
    assert listed(browser, "scope=all") == ["INC-2026-0002", "INC-2026-0001"]


def test_the_operator_hands_out_a_link_at_the_command_line(runtime: Runtime, browser: TestClient) -> None:
    from click.testing import CliRunner

    from puente.cli.main import main

    settings = runtime.settings
    env = {
        "PUENTE_DATABASE_URL": settings.effective_database_url,
        "PUENTE_VAR_DIR": str(settings.var_dir),
        "PUENTE_BASE_URL": settings.effective_base_url,
    }
    done = CliRunner().invoke(main, ["web-link", "--as", "dora"], env=env)
    assert done.exit_code == 0, done.output
    url = dict(line.split(": ", 1) for line in done.output.splitlines())["link"]
    assert follow(browser, url).status_code == 303
    assert "dora (lead)" in browser.get("/tickets").text
    unknown = CliRunner().invoke(main, ["web-link", "--as", "nobody"], env=env)
    assert unknown.exit_code == 1 and "No Puente user 'nobody'" in unknown.output
