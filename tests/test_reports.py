"""Incident reports people read: every section, the TLP banner at both ends, the recipient's view,
and the document delivered as a file by the console, `puente report`, Telegram and Slack."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.replies import Reply
from puente.services.context import Runtime
from puente.services.peers import service as peers
from puente.services.users import service as users
from puente.storage.models import Role
from tests.running import PUENTE
from tests.slack_api import SlackStandIn
from tests.support import reference_this_year
from tests.test_slack import client, slack_runtime, slash  # noqa: F401 - fixtures
from tests.test_telegram import ANA, Telegram, telegram  # noqa: F401 - fixtures

HOSTILE_NOTE = 'Victim said *urgent* [click](http://evil.example) <script>alert("x")</script>'


@pytest.fixture
def core(runtime: Runtime) -> CommandCore:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        peers.add(ctx, peers.PeerDraft("cert-br", ["BR"], "https://127.0.0.1:9/taxii2/", "inbox"))
    return CommandCore(runtime)


def say(core: CommandCore, text: str) -> Reply:
    reply = core.handle(Command(text=text, platform="console", user_id="ana"))
    assert reply.ok, reply.text
    return reply


def opened(core: CommandCore) -> str:
    reply = say(
        core,
        "/incident new Ransomware at the port sev=critical countries=CO,BR tlp=red sector=transportation"
        " ioc=203.0.113.7,evil.example",
    )
    assert reply.ticket is not None
    say(core, f"/incident note {reply.ticket} {HOSTILE_NOTE}")
    return reply.ticket


def test_the_markdown_report_holds_every_section_between_two_tlp_banners(core: CommandCore) -> None:
    reference = opened(core)
    reply = say(core, f"/incident report {reference}")
    assert reply.attachment is not None and reply.attachment.name == f"{reference}.md"
    text = reply.attachment.content.decode()
    lines = text.strip().splitlines()
    banner = "**TLP:RED — For the eyes and ears of the individual recipients only: no further disclosure.**"
    assert lines[0] == banner and lines[-1] == banner
    for section in (
        "Summary",
        "Countries and sectors",
        "Observables",
        "Notes",
        "Requests for assistance",
        "Deliveries",
        "Regulatory clocks",
        "Timeline",
    ):
        assert f"## {section}" in text
    assert "CO (Colombia), BR (Brazil) — cross-border" in text and "transportation" in text
    assert "203.0.113.7" in text and "evil.example" in text
    assert "early warning" in text and "opened" in text
    # what people wrote cannot become formatting or a link
    assert "[click](http" not in text and "\\[click\\]" in text and "<script>" not in text


def test_html_escapes_ticket_text_and_pdf_reads_back_with_its_banners(core: CommandCore) -> None:
    reference = opened(core)
    page = say(core, f"/incident report {reference} format=html").attachment
    assert page is not None and page.media_type == "text/html"
    html = page.content.decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count('class="tlp tlp-red"') == 2
    document = say(core, f"/incident report {reference} format=pdf").attachment
    assert document is not None and document.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    assert text.count("TLP:RED") >= 3  # top and bottom banners, and the summary
    assert "Ransomware at the port" in text and "203.0.113.7" in text


def test_a_report_for_a_peer_leaves_out_our_own_workings(core: CommandCore) -> None:
    reference = opened(core)
    mine = say(core, f"/incident report {reference}").attachment
    theirs = say(core, f"/incident report {reference} for=cert-br").attachment
    assert mine is not None and theirs is not None and theirs.name == f"{reference}-cert-br.md"
    assert "for internal use" in mine.content.decode() and "for cert-br" in theirs.content.decode()
    assert "opened" in mine.content.decode() and "opened" not in theirs.content.decode()
    refused = core.handle(Command(text=f"/incident report {reference} for=nobody", platform="console", user_id="ana"))
    assert not refused.ok and "nobody" in refused.text
    bad = core.handle(Command(text=f"/incident report {reference} format=docx", platform="console", user_id="ana"))
    assert not bad.ok and "use md, html or pdf" in bad.text


def test_telegram_sends_the_report_as_a_document(telegram: Telegram) -> None:  # noqa: F811
    ana = telegram.person(ANA)
    ana.says("/incident new Phishing wave sev=high countries=BR")
    ana.says("/incident report INC-2026-0001 format=pdf")
    [document] = telegram.api.of("sendDocument")
    filename, content = document.params["document"]
    assert filename == "INC-2026-0001.pdf" and content.startswith(b"%PDF")


def test_slack_uploads_the_report_to_the_channel(client: TestClient, slack: SlackStandIn) -> None:  # noqa: F811
    slash(client, slack, "new Phishing wave sev=high countries=BR", name="new")
    slack.wait_for("response:new")
    slash(client, slack, "report INC-2026-0001 format=html", name="report")
    [completed] = slack.wait_for("files.completeUploadExternal")
    assert completed.params["channel_id"] == "C0SOC"
    [uploaded] = [content for content in slack.uploads.values() if content]
    assert b"TLP:AMBER" in uploaded and b"Phishing wave" in uploaded


Puente = Callable[..., subprocess.CompletedProcess[str]]
# What the `puente` fixture opened, as the real clock numbers it.
OUTAGE = reference_this_year(1)


@pytest.fixture
def puente(cli_env: dict[str, str], tmp_path: Path) -> Puente:
    """`puente ARGS…` where ana (analyst) opened OUTAGE in Brazil; keywords add to its environment."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PUENTE, *args], env=cli_env | env, capture_output=True, text=True, cwd=tmp_path)

    assert run("db", "upgrade").returncode == 0
    assert run("users", "add", "ana", "--role", "analyst").returncode == 0
    opened = run("say", "--as", "ana", "/incident new Outage sev=low countries=BR")
    assert opened.returncode == 0 and OUTAGE in opened.stdout, opened.stdout + opened.stderr
    return run


def test_puente_report_writes_the_file(puente: Puente, tmp_path: Path) -> None:
    written = puente("report", OUTAGE, "--as", "ana", "--format", "html", "-o", "report.html")
    assert written.returncode == 0, written.stderr
    assert "TLP:AMBER" in (tmp_path / "report.html").read_text()
    unknown = puente("report", OUTAGE, "--as", "stranger")
    assert unknown.returncode == 1 and "stranger" in unknown.stderr


# What a report says in each language: its headings, a field as the reader's vocabulary says it, a
# country's CLDR name, the TLP label (FIRST's, in every language) with its meaning, the audience line.
IN_LANGUAGE: dict[str, dict[str, Any]] = {
    "es": {
        "headings": ("Resumen", "Países y sectores", "Observables", "Notas", "Solicitudes de asistencia", "Envíos"),
        "said": ("**Gravedad**: crítica", "**Sectores**: transporte", "CO (Colombia), BR (Brasil) — transfronterizo"),
        "banner": "TLP:RED — Solo para los ojos y oídos de los destinatarios individuales",
        "audience": "para uso interno.",
        "clocks": "## Plazos regulatorios",
    },
    "pt": {
        "headings": ("Resumo", "Países e setores", "Observáveis", "Notas", "Pedidos de assistência", "Entregas"),
        "said": ("**Gravidade**: crítica", "**Setores**: transporte", "CO (Colômbia), BR (Brasil) — transfronteiriço"),
        "banner": "TLP:RED — Apenas para os olhos e ouvidos dos destinatários individuais",
        "audience": "para uso interno.",
        "clocks": "## Prazos regulatórios",
    },
    "fr": {
        "headings": ("Résumé", "Pays et secteurs", "Observables", "Notes", "Demandes d'assistance", "Envois"),
        "said": ("**Gravité** : critique", "**Secteurs** : transports", "CO (Colombie), BR (Brésil) — transfrontalier"),
        "banner": "TLP:RED — Réservé aux yeux et oreilles des destinataires individuels",
        "audience": "à usage interne.",
        "clocks": "## Délais réglementaires",
    },
}
ENGLISH = ("## Summary", "## Countries and sectors", "## Timeline", "Severity", "for internal use", "Brazil", "None.")


@pytest.mark.parametrize("language", sorted(IN_LANGUAGE))
def test_a_report_reads_in_the_language_of_whoever_asks(core: CommandCore, language: str) -> None:
    reference = opened(core)
    say(core, f"/incident lang {language}")
    reply = say(core, f"/incident report {reference}")
    assert reply.attachment is not None
    text = reply.attachment.content.decode()
    expected = IN_LANGUAGE[language]
    lines = text.strip().splitlines()
    assert lines[0].startswith(f"**{expected['banner']}") and lines[-1] == lines[0]
    for heading in expected["headings"]:
        assert f"## {heading}\n" in text, heading
    assert expected["clocks"] in text
    for said in expected["said"]:
        assert said in text, said
    assert expected["audience"] in text
    assert [english for english in ENGLISH if english in text] == []
    # What people wrote stays as they wrote it.
    assert "Victim said \\*urgent\\*" in text
    assert reply.lines == [lines[0].strip("*").replace("\\", "")], "the reply's banner is the reader's too"


def test_a_spanish_pdf_reads_back_in_spanish(core: CommandCore) -> None:
    reference = opened(core)
    say(core, "/incident lang es")
    document = say(core, f"/incident report {reference} format=pdf").attachment
    assert document is not None
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    assert "Informe de CSIRT-CO" in text and "para uso interno" in text
    assert "Países y sectores" in text and "CO (Colombia), BR (Brasil) - transfronterizo" in text
    # The built-in fonts draw Latin-1: the banner's dash is drawn as one, not as a "?".
    assert "TLP:RED - Solo para los ojos y oídos" in text
    page = say(core, f"/incident report {reference} format=html").attachment
    assert page is not None and '<html lang="es">' in page.content.decode()


def test_the_reader_may_ask_for_another_language_and_a_peer_reads_puentes(core: CommandCore) -> None:
    reference = opened(core)
    say(core, "/incident lang es")
    french = say(core, f"/incident report {reference} idioma=fr")
    assert french.attachment is not None and "## Résumé" in french.attachment.content.decode()
    assert french.text.startswith(f"{reference}: informe"), "the reply is hers, in Spanish"
    theirs = say(core, f"/incident report {reference} for=cert-br").attachment
    assert theirs is not None
    assert "## Summary" in theirs.content.decode() and "for cert-br." in theirs.content.decode()
    refused = core.handle(Command(f"/incident report {reference} lang=de", "console", "ana"))
    assert not refused.ok
    assert (
        refused.text
        == "Puente escribe informes en en (English), es (español), pt (português) o fr (français), no en 'de'."
    )


def test_puente_report_writes_in_the_language_asked_else_puentes(puente: Puente) -> None:
    asked = puente("report", OUTAGE, "--as", "ana", "--lang", "pt", "-o", "-")
    assert asked.returncode == 0, asked.stderr
    assert "## Resumo" in asked.stdout and "BR (Brasil)" in asked.stdout
    default = puente("report", OUTAGE, "--as", "ana", "-o", "-", PUENTE_LANGUAGE="fr")
    assert default.returncode == 0, default.stderr
    assert "## Résumé" in default.stdout and "BR (Brésil)" in default.stdout


def test_a_peer_copy_reads_in_its_language_and_utc_ours_in_the_askers_zone(core: CommandCore, runtime: Runtime) -> None:
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.change(ctx, "ana", timezone="America/Bogota")
    reference = say(core, "/incident new Botnet C2 in Brazil sev=high countries=CO,BR tlp=amber").ticket
    say(core, f"/incident assist {reference} cert-br investigate by=6h Please look at the C2")
    ours, theirs = (say(core, f"/incident report {reference}{to}").attachment for to in ("", " for=cert-br lang=pt"))
    assert ours is not None and theirs is not None
    # The request and its delivery, as the asker reads them: in English, at noon UTC in Bogotá.
    assert "investigate — SENT, by Mon, Jan 5, 2026, 13:00 -05, ACK due Mon, Jan 5, 11:00 -05" in ours.content.decode()
    assert f"- **cert-br**: RFA {reference}: pending: try 1 at Mon, Jan 5, 07:00 -05" in ours.content.decode()
    # The same in the copy for CERT-BR, written in Portuguese: in its words and in UTC, all of it.
    copy = theirs.content.decode()
    assert (
        "investigar — ENVIADA, até seg., 5 de jan. de 2026 18:00 UTC, confirmação esperada em seg., 5 de jan." in copy
    )
    assert (
        f"- **cert-br**: PEDIDO DE ASSISTÊNCIA {reference}: pendente: tentativa 1 em seg., 5 de jan. 12:00 UTC" in copy
    )
    assert "-05" not in copy
