"""The web view in a real browser: Debian's Chromium, headless, driven by Playwright (never a browser of
its own), against two `puente run` deployments that really exchanged a request for assistance. It signs
in with a link, reads the ticket list, a ticket, the board, the map, on-call and the clocks, and takes a
screenshot of each page into the test's folder; then walks them all again as a Spanish analyst."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.puente_pair import Instance, puente_pair
from tests.support import reference_this_year, wait_until

CHROMIUM = Path("/usr/bin/chromium")
# The tickets the network opens, in this order (see `network`).
RANSOMWARE, PHISHING, DEFACEMENT, BOTNET = (reference_this_year(n) for n in range(1, 5))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is a dev dependency: make install-dev")
if not CHROMIUM.exists():
    pytest.skip(
        f"Debian's Chromium is not at {CHROMIUM} (make test installs it with apt-get install chromium;"
        " it could not here)",
        allow_module_level=True,
    )


def delivered(instance: Instance) -> bool:
    with sqlite3.connect(f"file:{instance.directory / 'puente.db'}?mode=ro", uri=True, timeout=30) as connection:
        row = connection.execute("SELECT count(*) FROM peer_outbox WHERE state = 'delivered'").fetchone()
    return bool(row[0])


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    """CSIRT-CO asked CERT-BR for help on a cross-border ransomware ticket; a few more tickets are open."""
    with puente_pair(tmp_path_factory.mktemp("network")) as (co, br):
        co.cli("users", "add", "omar", "--role", "oncall")
        co.cli("users", "add", "sofia", "--role", "analyst", "--lang", "es", "--tz", "America/Bogota")
        co.cli("oncall", "rotation", "add", "primary", "--users", "omar,ana", "--handoff", "mon 09:00", "--tz", "UTC")
        co.say(
            "ana", "/incident new Ransomware at the port sev=high countries=CO,BR tlp=amber sector=transport pap=green"
        )
        co.say("ana", '/incident new "<b>Phishing</b> wave" sev=medium countries=CO,AR ioc=login-bank.example')
        co.say("ana", "/incident new Defacement of a ministry site sev=low tlp=red")
        co.say("ana", "/incident new Botnet in Mexico sev=low countries=MX")
        co.say("ana", f"/incident note {RANSOMWARE} Backups are offline")
        co.say("ana", f"/incident assist {RANSOMWARE} cert-br investigate,block-host by=6h Please look at the C2")
        wait_until(lambda: br.request_state(RANSOMWARE) == "SENT", "CERT-BR has the request")
        wait_until(lambda: delivered(co), "CSIRT-CO's outbox delivered the request")
        yield co, br


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies); it records every request it makes and what the
    console says."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.requested = []
    opened.console = []
    opened.on("request", lambda request: opened.requested.append(request.url))
    opened.on("console", lambda message: opened.console.append(message.text))
    yield opened
    context.close()
    # Everything came from Puente, and the Content-Security-Policy refused nothing the pages need.
    assert all(url.startswith("http://127.0.0.1:") for url in opened.requested), opened.requested
    assert not [text for text in opened.console if "Content Security Policy" in text], opened.console


def sign_in(page: Any, instance: Instance, user: str) -> str:
    """Follow a link from `puente web-link`; returns the server's address."""
    link = dict(line.split(": ", 1) for line in instance.cli("web-link", "--as", user).splitlines())["link"]
    page.goto(link)
    page.click("#continue button")
    base = f"http://127.0.0.1:{instance.port}"
    page.wait_for_url(f"{base}/tickets")
    return base


def rows(page: Any) -> list[str]:
    return [str(row.get_attribute("data-reference")) for row in page.locator("table.tickets tbody tr").all()]


def screenshot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, "a page, not a blank"


def test_an_analyst_signs_in_and_reads_the_list_and_a_ticket(
    network: tuple[Instance, Instance], page: Any, tmp_path: Path
) -> None:
    co, _ = network
    base = sign_in(page, co, "ana")
    assert page.locator("header .who").inner_text() == "ana (analyst)"
    assert rows(page) == [BOTNET, DEFACEMENT, PHISHING, RANSOMWARE]
    assert page.locator(f'tr[data-reference="{PHISHING}"] td.title').inner_text() == "<b>Phishing</b> wave"
    screenshot(page, tmp_path, "tickets")

    page.select_option("select[name=severity]", "high")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*severity=high.*"))
    assert rows(page) == [RANSOMWARE]
    page.select_option("select[name=severity]", "")
    page.fill("input[name=q]", "bank.example")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*q=bank\.example.*"))
    assert rows(page) == [PHISHING]

    page.goto(f"{base}/tickets?scope=cross-border")
    page.click(f"a[href='/tickets/{RANSOMWARE}']")
    page.wait_for_url(f"{base}/tickets/{RANSOMWARE}")
    assert page.locator("#title").inner_text() == "Ransomware at the port"
    names, values = page.locator("#fields dt").all_inner_texts(), page.locator("#fields dd").all_inner_texts()
    fields = dict(zip(names, values, strict=True))
    assert fields["Severity"] == "high" and fields["TLP"] == "TLP:AMBER"
    assert fields["Countries"] == "CO (Colombia), BR (Brazil) — cross-border"
    assert "Backups are offline" in page.locator("blockquote.note").inner_text()
    assert "asked cert-br" in page.locator("section.request").inner_text()
    assert "delivered" in page.locator("#deliveries").inner_text()
    incident = page.locator("#stix tr", has_text="incident--").first
    assert "cert-br: version 1" in incident.inner_text(), "CERT-BR holds the incident it was sent"
    assert page.locator("#timeline tbody tr", has_text="assistance requested").count() == 1
    screenshot(page, tmp_path, "ticket")


def test_the_board_counts_down_and_the_other_side_sees_the_same_request(
    network: tuple[Instance, Instance], page: Any, tmp_path: Path
) -> None:
    co, br = network
    base = sign_in(page, co, "ana")
    page.goto(f"{base}/requests")
    card = page.locator(f'section[data-state="SENT"] article[data-ticket="{RANSOMWARE}"]')
    assert "we asked cert-br" in card.inner_text() and "investigate, block-host" in card.inner_text()
    # The countdowns run in seconds: the page's script moves them without a reload.
    ack = card.locator("time.countdown").last
    shown = ack.inner_text()
    assert re.fullmatch(r"in \d+ h \d\d min \d\d s", shown), shown
    page.wait_for_function("([el, before]) => el.textContent !== before", arg=[ack.element_handle(), shown])
    screenshot(page, tmp_path, "requests")

    sign_in(page, br, "lead")
    page.goto(f"http://127.0.0.1:{br.port}/requests")
    theirs = page.locator('section[data-state="SENT"] article.card')
    assert "asked by csirt-co" in theirs.inner_text()
    screenshot(page, tmp_path, "requests-peer")


def test_the_map_shows_open_incidents_by_country_and_the_links_between_them(
    network: tuple[Instance, Instance], page: Any, tmp_path: Path
) -> None:
    co, _ = network
    base = sign_in(page, co, "ana")
    page.goto(f"{base}/map")
    brazil = page.locator('#americas path[data-country="BR"]')
    assert brazil.get_attribute("data-open") == "1" and brazil.get_attribute("class") == "level-1"
    assert page.locator('#americas path[data-country="CO"]').get_attribute("data-open") == "3"
    assert page.locator('#americas path[data-country="CL"]').get_attribute("class") == "level-0"
    box = brazil.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 50, "Brazil is drawn, and large"
    links = sorted(str(line.get_attribute("data-link")) for line in page.locator("#americas line").all())
    assert links == ["AR-CO", "BR-CO"]
    assert page.locator('#by-country tr[data-country="MX"]').inner_text().split() == ["MX", "Mexico", "1"]
    screenshot(page, tmp_path, "map")


def test_on_call_and_the_regulatory_clocks(network: tuple[Instance, Instance], page: Any, tmp_path: Path) -> None:
    co, _ = network
    base = sign_in(page, co, "ana")
    page.goto(f"{base}/oncall")
    assert page.locator('tr[data-rotation="primary"] .now').inner_text() in ("omar", "ana")
    screenshot(page, tmp_path, "oncall")
    page.goto(f"{base}/clocks")
    due = [str(row.get_attribute("data-reference")) for row in page.locator("#clocks tbody tr").all()]
    assert due == [RANSOMWARE, PHISHING, DEFACEMENT, BOTNET]
    assert page.locator("#clocks tbody tr").first.inner_text().count("early warning") == 1
    screenshot(page, tmp_path, "clocks")


def test_an_oncall_reader_does_not_see_a_red_ticket_in_the_browser(
    network: tuple[Instance, Instance], page: Any
) -> None:
    co, _ = network
    base = sign_in(page, co, "omar")
    assert DEFACEMENT not in rows(page) and RANSOMWARE in rows(page)
    answer = page.goto(f"{base}/tickets/{DEFACEMENT}")
    assert answer is not None and answer.status == 403
    assert "TLP:RED" in page.locator("#refusal").inner_text()
    assert "ministry" not in page.content()


def test_a_spanish_analyst_walks_every_page_in_spanish(
    network: tuple[Instance, Instance], page: Any, tmp_path: Path
) -> None:
    co, _ = network
    page.goto(f"http://127.0.0.1:{co.port}/signin?token=gastado")
    assert page.locator("html").get_attribute("lang") == "en", "before sign-in: the browser's (Chromium's en-US)"
    base = sign_in(page, co, "sofia")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("header .who").inner_text() == "sofia (analista)"
    assert page.locator("header nav").inner_text().split("\n") == [
        "Tickets",
        "Solicitudes de asistencia",
        "Mapa",
        "Guardia",
        "Plazos regulatorios",
    ]
    assert page.locator("#found").inner_text() == "4 tickets encontrados"
    assert page.locator(f'tr[data-reference="{RANSOMWARE}"] .severity').inner_text() == "alta"
    assert "transfronterizo" in page.locator(f'tr[data-reference="{RANSOMWARE}"]').inner_text()
    screenshot(page, tmp_path, "tickets-es")
    page.select_option("select[name=severity]", label="alta")
    page.click("form.filters button")
    page.wait_for_url(re.compile(r".*severity=high.*"))
    assert rows(page) == [RANSOMWARE]

    page.goto(f"{base}/tickets/{RANSOMWARE}")
    names, values = page.locator("#fields dt").all_inner_texts(), page.locator("#fields dd").all_inner_texts()
    fields = dict(zip(names, values, strict=True))
    assert fields["Gravedad"] == "alta" and fields["TLP"] == "TLP:AMBER"
    assert fields["Países"] == "CO (Colombia), BR (Brasil) — transfronterizo"
    headings = page.locator("main h2").all_inner_texts()
    assert headings[:2] == ["Observables (0)", "Notas (1)"] and "Solicitudes de asistencia" in headings
    assert "pedida a cert-br" in page.locator("section.request").inner_text()
    assert "entregado" in page.locator("#deliveries").inner_text()
    assert "cert-br: versión 1" in page.locator("#stix tr", has_text="incident--").first.inner_text()
    asked = page.locator('#timeline tr[data-action="assistance-requested"]').inner_text()
    assert "asistencia solicitada" in asked and "se pidió a cert-br: investigar, bloquear host" in asked, asked
    assert page.locator("#timeline th").first.inner_text() == "Cuándo"
    screenshot(page, tmp_path, "ticket-es")

    page.goto(f"{base}/requests")
    card = page.locator(f'section[data-state="SENT"] article[data-ticket="{RANSOMWARE}"]')
    assert page.locator('section[data-state="SENT"] h2').inner_text() == "ENVIADA (1)"
    assert "pedimos a cert-br" in card.inner_text() and "investigar, bloquear host" in card.inner_text()
    ack = card.locator("time.countdown").last
    shown = ack.inner_text()
    assert re.fullmatch(r"en \d+ h \d\d min \d\d s", shown), shown
    page.wait_for_function("([el, before]) => el.textContent !== before", arg=[ack.element_handle(), shown])
    assert re.fullmatch(r"en \d+ h \d\d min \d\d s", ack.inner_text()), "the script counts in Spanish too"
    screenshot(page, tmp_path, "requests-es")

    page.goto(f"{base}/map")
    assert page.locator("h1").inner_text() == "Incidentes abiertos en las Américas"
    assert page.locator('#by-country tr[data-country="MX"]').inner_text().split() == ["MX", "México", "1"]
    assert page.locator('#americas path[data-country="BR"] title').text_content() == "Brasil: 1 ticket abierto"
    screenshot(page, tmp_path, "map-es")

    page.goto(f"{base}/oncall")
    assert page.locator("#rotations thead").inner_text().split() == ["Turno", "Ahora", "Siguiente"]
    assert ", hasta " in page.locator('tr[data-rotation="primary"]').inner_text()
    screenshot(page, tmp_path, "oncall-es")

    page.goto(f"{base}/clocks")
    assert page.locator("h1").inner_text() == "Plazos regulatorios que vencen en las próximas 24 h"
    first = page.locator("#clocks tbody tr").first
    assert re.match(r"en \d+ h \d\d min \d\d s", first.locator("time").inner_text())
    assert "alerta temprana (24 h)" in first.inner_text()
    screenshot(page, tmp_path, "clocks-es")

    page.goto(f"{base}/no-such-page")
    assert page.locator("#refusal").inner_text().startswith("No hay ninguna página en esta dirección.")
