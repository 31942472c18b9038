"""The web view in its reader's language over HTTP: a Spanish analyst's pages read Spanish, with the same
words chat says to her; before sign-in (a link's refusal, a page that is not there) the browser's
Accept-Language decides; countries have their CLDR names; times are in the reader's zone and format."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.peers import service as peers
from tests.test_web import say, sign_in


@pytest.fixture
def runtime(paged_team: Runtime) -> Runtime:
    """The team, where ana (analyst, Bogotá) reads Spanish and dora (lead) never chose a language; cert-br is
    a peer."""
    with paged_team.unit_of_work(actor_name="operator") as ctx:
        peers.add(ctx, peers.PeerDraft("cert-br", ["BR"], "http://127.0.0.1:9/taxii2/", "inbox-collection"))
    say(paged_team, "ana", "/incident lang es")
    return paged_team


def text_of(page: str) -> str:
    """What a reader reads of a page: its text, without tags, scripts' words or attributes."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_spanish_analyst_reads_the_ticket_list_in_spanish(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port sev=high countries=CO,BR tlp=amber")
    say(runtime, "ana", "/incident new Phishing wave sev=low countries=CO")
    sign_in(runtime, browser, "ana")
    page = browser.get("/tickets", headers={"Accept-Language": "en"}).text
    assert '<html lang="es">' in page, "her choice, not the browser's"
    read = text_of(page)
    for spanish in ("Tickets", "Gravedad", "Estado", "Sector", "País", "Referencia, título u observable"):
        assert spanish in read, spanish
    assert "2 tickets encontrados" in read
    assert "ana (analista)" in read
    row = re.search(r'<tr data-reference="INC-2026-0001">(.*?)</tr>', page, re.DOTALL)
    assert row is not None
    cells = text_of(row.group(1))
    assert "alta" in cells and "nuevo" in cells and "TLP:AMBER" in cells and "transfronterizo" in cells
    # Updated, in Bogotá's time and Spanish order: the clock stands at 12:00 UTC.
    assert "lun, 5 ene 2026, 7:00 -05" in cells, cells
    # The filters keep their codes for the address and show their words.
    assert (
        '<option value="high">alta</option>' in page
        and '<option value="cross-border">transfronterizos</option>' in page
    )
    assert "Severity" not in read and "Status" not in read and "found" not in read


def test_a_spanish_analyst_reads_a_ticket_as_chat_shows_it_to_her(runtime: Runtime, browser: TestClient) -> None:
    opened = "/incident new Ransomware at the port sev=high countries=CO,BR pap=green ioc=198.51.100.7 desc=Cifrado"
    say(runtime, "ana", opened)
    say(runtime, "ana", "/incident note INC-2026-0001 Los respaldos están fuera de línea")
    say(runtime, "ana", "/incident assist INC-2026-0001 cert-br investigate,block-host by=6h Revisen el C2")
    sign_in(runtime, browser, "ana")
    page = browser.get("/tickets/INC-2026-0001").text
    assert '<html lang="es">' in page
    shown = say(runtime, "ana", "/incident show INC-2026-0001")
    for name, value in shown.fields:
        if name != "Observables":
            assert f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>" in page, name
    assert ("Gravedad", "alta") in shown.fields, "chat speaks Spanish to her too"
    read = text_of(page)
    for spanish in ("Descripción", "Observables (1)", "Notas (1)", "Solicitudes de asistencia", "Objetos STIX"):
        assert spanish in read, spanish
    assert re.search(r"Cronología \(\d+ eventos\)", read), read
    request = text_of(page.split('<section class="request"', 1)[1].split("</section>", 1)[0])
    assert "pedida a cert-br (aún sin ticket): investigar, bloquear host — ENVIADA" in request
    said = "SOLICITUD DE ASISTENCIA a cert-br por ana: Revisen el C2"
    assert f"Mensajes (1) lun, 5 ene 2026, 7:00 -05 · {said}" in request
    timeline = say(runtime, "ana", "/incident timeline INC-2026-0001")
    table = page.split('<table id="timeline">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr[^>]*><td><time[^>]*>(.*?)</time></td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table
    )
    listed = [html.unescape(f"{at} · {actor} · {action}: {summary}") for at, actor, action, summary in rows]
    assert listed == timeline.lines
    actions = [action for _at, _actor, action, _said in rows]
    assert actions[0] == "abierto" and "nota" in actions and "asistencia solicitada" in actions, actions
    assert "lun, 5 ene 2026, 7:00:00 -05" in listed[0], "her time zone, her format, to the second"
    for english in ("Description", "Notes (", "Requests for assistance", "Timeline", "None.", "(UTC)", "opened"):
        assert english not in read, english


def test_the_board_counts_down_in_the_readers_words(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Ransomware at the port sev=critical countries=CO,BR pap=green")
    say(runtime, "ana", "/incident assist INC-2026-0001 cert-br investigate,block-host by=4h Please look")
    say(runtime, "dora", "/incident lang fr")
    sign_in(runtime, browser, "dora")
    page = browser.get("/requests").text
    assert '<html lang="fr">' in page
    read = text_of(page)
    assert "nous avons demandé à cert-br" in read and "dans 4 h 00 min 00 s" in read
    assert "Accusé de réception (ACK) attendu" in read
    # countdown.js counts down with the page's words, never its own.
    assert 'data-left="dans {span}"' in page and 'data-days="{days} j {hours} h"' in page
    assert "we asked" not in read and " in 4 h" not in read
    script = browser.get("/static/countdown.js").text
    # Its strings are a directive, an attribute, a selector, a class, an event and a digit: no language.
    literals = set(re.findall(r'"([^"\n]*)"', re.sub(r"^\s*//.*$", "", script, flags=re.MULTILINE)))
    assert literals == {"use strict", "datetime", "time.countdown", "overdue", "DOMContentLoaded", "0"}


def test_the_map_names_countries_in_the_readers_language(runtime: Runtime, browser: TestClient) -> None:
    say(runtime, "ana", "/incident new Botnet countries=MX,US")
    say(runtime, "ana", "/incident new Phishing countries=BR")
    sign_in(runtime, browser, "ana")
    page = browser.get("/map").text
    read = text_of(page)
    assert "Incidentes abiertos en las Américas" in read
    assert re.search(r'data-country="MX">\s*<td><a [^>]+>MX</a></td><td>México</td>', page)
    assert "<title>Brasil: 1 ticket abierto</title>" in page
    assert "<title>México – Estados Unidos: 1 ticket transfronterizo</title>" in page
    assert "Mexico" not in read and "United States" not in read


def test_before_sign_in_the_browser_language_decides(browser: TestClient) -> None:
    refused = browser.get("/signin?token=made-up", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.8"})
    assert refused.status_code == 401
    assert '<html lang="pt-BR">' in refused.text
    read = text_of(refused.text)
    assert "Entrar novamente" in read and "Não exibido" in read
    assert "Sign in again" not in read and "Not shown" not in read

    # The most wanted language Puente speaks: German is not one of them.
    home = browser.get("/", headers={"Accept-Language": "de-DE, en;q=0.2, es;q=0.8"})
    assert '<html lang="es">' in home.text and "Pida a Puente un enlace de acceso" in home.text
    # None asked: the deployment's language.
    assert '<html lang="en">' in browser.get("/").text


def test_a_missing_page_is_a_page_in_the_readers_language_and_json_for_scripts(
    runtime: Runtime, browser: TestClient
) -> None:
    missing = browser.get("/nothing/here", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert missing.status_code == 404 and '<html lang="fr">' in missing.text
    assert "Il n&#39;y a pas de page à cette adresse" in missing.text
    assert missing.headers["content-security-policy"].startswith("default-src 'none'")
    assert browser.get("/nothing/here").json() == {"detail": "Not Found"}
    wrong = browser.post("/tickets", headers={"Accept": "text/html", "Accept-Language": "es"})
    assert wrong.status_code == 405 and "no se puede abrir de esa manera (405)" in wrong.text
    # Once signed in, the reader's language, whatever the browser asks for.
    sign_in(runtime, browser, "ana")
    hers = browser.get("/nothing/here", headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert hers.status_code == 404 and '<html lang="es">' in hers.text and "No hay ninguna página" in hers.text


def test_the_clocks_read_each_deadline_in_the_readers_words(
    runtime: Runtime, browser: TestClient, clock: ManualClock
) -> None:
    aware = clock.now() - timedelta(hours=20)
    say(runtime, "ana", f"/incident new Outage at the grid aware={aware:%Y-%m-%dT%H:%MZ}")
    sign_in(runtime, browser, "ana")
    row = text_of(browser.get("/clocks").text.split('<tr data-reference="INC-2026-0001">', 1)[1].split("</tr>")[0])
    assert "en 4 h 00 min 00 s" in row and "alerta temprana (24 h)" in row
    chat = say(runtime, "ana", "/incident show INC-2026-0001").lines
    assert any(line.startswith("⏰ informe final vence") and "(1 mes después de conocerse" in line for line in chat)
