"""The web view in a real browser: Debian's Chromium, headless, driven by Playwright (never a browser of
its own), against `puente run`. It signs in with a link from the command line, reads the ticket list
and a ticket, and takes a screenshot of each page into the test's folder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.puente_pair import Instance

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is a dev dependency: make install-dev")
if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
    pytest.skip(
        "Debian's Chromium is not installed (make test installs it with apt-get install chromium; it could not here)",
        allow_module_level=True,
    )


@pytest.fixture
def puente(tmp_path: Path) -> Iterator[Instance]:
    """CSIRT-CO serving on loopback, with ana (analyst) and omar (oncall)."""
    instance = Instance("CSIRT-CO", "CO", "cert-br", tmp_path / "co")
    instance.directory.mkdir(parents=True)
    instance.cli("db", "upgrade")
    instance.cli("users", "add", "ana", "--role", "analyst")
    instance.cli("users", "add", "omar", "--role", "oncall")
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    """A fresh browser page; it records every request it makes and everything the console says."""
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        opened = context.new_page()
        opened.requested = []  # type: ignore[attr-defined]
        opened.console = []  # type: ignore[attr-defined]
        opened.on("request", lambda request: opened.requested.append(request.url))  # type: ignore[attr-defined]
        opened.on("console", lambda message: opened.console.append(message.text))  # type: ignore[attr-defined]
        yield opened
        context.close()
        browser.close()


def sign_in_link(puente: Instance, user: str) -> str:
    return dict(line.split(": ", 1) for line in puente.cli("web-link", "--as", user).splitlines())["link"]


def rows(page: Any) -> list[str]:
    return [str(row.get_attribute("data-reference")) for row in page.locator("table.tickets tbody tr").all()]


def test_an_analyst_signs_in_reads_the_list_and_a_ticket(puente: Instance, page: Any, tmp_path: Path) -> None:
    puente.say("ana", "/incident new Ransomware at the port sev=critical countries=CO,BR tlp=amber sector=transport")
    puente.say("ana", '/incident new "<b>Phishing</b> wave" sev=high countries=CO ioc=login-bank.example')
    puente.say("ana", "/incident new Defacement of a ministry site sev=low tlp=red")
    puente.say("ana", "/incident note INC-2026-0001 Backups are offline")
    base = f"http://127.0.0.1:{puente.port}"

    page.goto(sign_in_link(puente, "ana"))
    assert page.url == f"{base}/tickets"
    assert page.locator("header .who").inner_text() == "ana (analyst)"
    assert rows(page) == ["INC-2026-0003", "INC-2026-0002", "INC-2026-0001"]
    assert page.locator('tr[data-reference="INC-2026-0002"] td.title').inner_text() == "<b>Phishing</b> wave"
    page.screenshot(path=str(tmp_path / "tickets.png"), full_page=True)

    page.select_option("select[name=severity]", "critical")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*severity=critical.*"))
    assert rows(page) == ["INC-2026-0001"]
    page.fill("input[name=q]", "bank.example")
    page.select_option("select[name=severity]", "")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*q=bank\.example.*"))
    assert rows(page) == ["INC-2026-0002"]

    page.goto(f"{base}/tickets")
    page.click("a[href='/tickets/INC-2026-0001']")
    page.wait_for_url(f"{base}/tickets/INC-2026-0001")
    assert page.locator("#title").inner_text() == "Ransomware at the port"
    names, values = page.locator("#fields dt").all_inner_texts(), page.locator("#fields dd").all_inner_texts()
    fields = dict(zip(names, values, strict=True))
    assert fields["Severity"] == "critical" and fields["TLP"] == "TLP:AMBER"
    assert fields["Countries"] == "CO (Colombia), BR (Brazil) — cross-border"
    assert "Backups are offline" in page.locator("blockquote.note").inner_text()
    assert page.locator("#timeline tbody tr").count() >= 3
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    # Everything came from this server, and the Content-Security-Policy refused nothing the pages need.
    assert all(url.startswith(base) for url in page.requested), page.requested
    assert not [text for text in page.console if "Content Security Policy" in text], page.console
    assert (tmp_path / "tickets.png").stat().st_size > 10_000 and (tmp_path / "ticket.png").stat().st_size > 10_000


def test_an_oncall_reader_does_not_see_a_red_ticket_in_the_browser(puente: Instance, page: Any) -> None:
    puente.say("ana", "/incident new Minister's phone compromised sev=low tlp=red")
    puente.say("ana", "/incident new Phishing wave sev=low")
    page.goto(sign_in_link(puente, "omar"))
    assert rows(page) == ["INC-2026-0002"]
    answer = page.goto(f"http://127.0.0.1:{puente.port}/tickets/INC-2026-0001")
    assert answer is not None and answer.status == 403
    assert "TLP:RED" in page.locator("#refusal").inner_text()
    assert "Minister" not in page.content()
