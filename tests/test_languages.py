"""Each person reads Puente in their language: the one they chose, else their chat platform's, else the
deployment's (PUENTE_LANGUAGE); dates and times in their time zone and their language's format."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from puente import i18n
from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.services.clock import ManualClock
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.settings import SettingsError, load_settings
from puente.storage import tickets as ticket_store
from puente.storage import timeline
from puente.storage.models import Role
from tests.conftest import make_runtime
from tests.running import PUENTE
from tests.telegram_standin import BotApiStandIn, TelegramUser, telegram_settings, webhook_of


def test_a_language_tag_names_the_language_puente_speaks_by_its_first_part() -> None:
    assert [i18n.supported(tag) for tag in ("es", "es-419", "pt_BR", "pt-br", "fr-CA", "en-US", "es-LA")] == [
        "es",
        "es",
        "pt",
        "pt",
        "fr",
        "en",
        "es",
    ]
    assert i18n.supported("de-DE") is None and i18n.supported("") is None and i18n.supported(None) is None


def test_the_persons_choice_comes_before_their_platforms_and_that_before_the_deployments() -> None:
    assert i18n.choose("pt", "es-ES", "fr") == "pt"
    assert i18n.choose(None, "es-ES", "fr") == "es"
    assert i18n.choose(None, "de-DE", "fr") == "fr"
    assert i18n.choose(None, None, "en") == "en"


def test_text_is_said_in_the_language_of_the_block_around_it_and_english_outside() -> None:
    summary = i18n.lazy_gettext("Show the commands.")
    with i18n.language("es"):
        assert i18n._("Show the commands.") == "Mostrar los comandos."
        with i18n.language("fr"):
            assert f"{summary}" == "Afficher les commandes."
        assert str(summary) == "Mostrar los comandos."
    assert str(summary) == "Show the commands." and i18n.current() == "en"


def test_a_moment_reads_in_the_readers_zone_and_language() -> None:
    moment = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    said = {}
    for code in i18n.LANGUAGES:
        with i18n.language(code):
            said[code] = i18n.format_datetime(moment, "America/Bogota")
    assert said == {
        "en": "Mon, Mar 2, 09:00 -05",
        "es": "lun, 2 mar, 9:00 -05",
        "pt": "seg., 2 de mar. 09:00 -05",
        "fr": "lun. 2 mars, 09:00 -05",
    }
    with i18n.language("es"):
        assert i18n.format_datetime(moment, None, year=True) == "lun, 2 mar 2026, 14:00 UTC"
        assert i18n.either(["nuevo", "next"]) == "nuevo o next"


def test_puente_language_must_be_one_puente_speaks() -> None:
    with pytest.raises(SettingsError, match="PUENTE_LANGUAGE"):
        load_settings(PUENTE_LANGUAGE="de")
    assert load_settings(PUENTE_LANGUAGE=" PT ").language == "pt"


@pytest.fixture
def core(sqlite_runtime: Runtime) -> CommandCore:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST, language="es")
        users.add(ctx, "joao", Role.ONCALL, language="pt-BR")
        users.add(ctx, "omar", Role.ANALYST)
    return CommandCore(sqlite_runtime)


def say(core: CommandCore, text: str, user: str, hint: str | None = None):  # type: ignore[no-untyped-def]
    return core.handle(Command(text=text, platform="console", user_id=user, language_hint=hint))


def test_each_person_reads_the_reply_in_their_own_language(core: CommandCore) -> None:
    assert say(core, "/incident help", "ana").text == "Comandos de Puente (help SUBCOMANDO para los detalles):"
    assert say(core, "/incident help", "joao").text == "Comandos do Puente (help SUBCOMANDO para os detalhes):"
    assert say(core, "/incident help", "omar").text == "Puente commands (help SUBCOMMAND for details):"
    assert say(core, "/incident help", "omar", hint="fr-FR").text.startswith("Commandes de Puente")
    # A stored choice outweighs what the platform says.
    assert say(core, "/incident help", "ana", hint="fr-FR").text.startswith("Comandos de Puente")
    assert say(core, "/incident help", "ana").language == "es"


def test_a_refusal_reads_in_the_language_of_whom_it_refuses(core: CommandCore) -> None:
    typo = say(core, "/incident new Botnet sevrity=high", "ana")
    assert not typo.ok and typo.text.startswith("Opción desconocida 'sevrity'. ¿Quiso decir severity=?")
    unknown = say(core, "/incident lang", "nadie", hint="pt-BR")
    assert unknown.text.startswith("Você ainda não é usuário do Puente (id nadie no console).")
    assert say(core, "/incident hlep", "joao").text.startswith("Subcomando desconhecido 'hlep'. Você quis dizer help?")
    reference = say(core, "/incident new Botnet sev=high countries=CO", "ana").ticket
    nobody = say(core, f"/incident assist {reference} cert-xx takedown", "ana")
    assert nobody.text == "No hay par 'cert-xx'. Pares conocidos: ninguno todavía (puente peers add …)."


def test_with_no_peer_to_suggest_the_refusal_names_the_command_refused(core: CommandCore) -> None:
    reference = say(core, "/incident new Botnet sev=high countries=CO,BR", "ana").ticket
    for command in ("share", "notify"):
        refused = say(core, f"/incident {command} {reference}", "ana")
        assert not refused.ok and refused.text == (
            f"Ningún par con quien compartir {reference}: sus países (CO, BR) no coinciden con ningún par. Nombre "
            f"uno: /incident {command} {reference} to PAR (puente peers list los muestra)."
        )


def test_publish_has_its_words_in_each_language(core: CommandCore) -> None:
    reference = say(core, "/incident new Scanning sev=low countries=CO tlp=clear", "ana").ticket
    for word in ("publicar", "publier"):
        preview = say(core, f"/incident {word} {reference}", "ana")
        assert preview.ok and preview.text.startswith(f"Vista previa: publicar {reference} (TLP:CLEAR)")


def test_a_person_chooses_their_language_in_chat(core: CommandCore, sqlite_runtime: Runtime) -> None:
    assert say(core, "/incident lang", "omar").text.startswith("You read Puente in English, your chat platform's")
    chosen = say(core, "/incident idioma pt", "omar")
    assert chosen.ok and chosen.text == "O Puente agora fala português com você." and chosen.language == "pt"
    assert say(core, "/incident help", "omar").text.startswith("Comandos do Puente")
    refused = say(core, "/incident lang klingon", "omar")
    assert not refused.ok
    assert refused.text == (
        "O Puente não fala 'klingon': escolha en (English), es (español), pt (português), fr (français)."
    )
    with sqlite_runtime.unit_of_work() as ctx:
        [omar] = [user for user, _ in users.listing(ctx) if user.name == "omar"]
        assert omar.language == "pt"


def test_the_deployments_language_is_for_whoever_said_nothing(
    sqlite_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    runtime = make_runtime(sqlite_url, clock, tmp_path, PUENTE_LANGUAGE="fr")
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
    core = CommandCore(runtime)
    assert say(core, "/incident help", "ana").text.startswith("Commandes de Puente")
    assert say(core, "/incident help", "ana", hint="es-CO").text.startswith("Comandos de Puente")
    runtime.engine.dispose()


def test_telegram_answers_in_the_language_of_the_persons_telegram_app(
    sqlite_url: str, clock: ManualClock, tmp_path: Path, api: BotApiStandIn
) -> None:
    runtime = make_runtime(sqlite_url, clock, tmp_path, **telegram_settings(api))
    with runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "joao", Role.ANALYST, addresses={"telegram": "2002"})
        users.add(ctx, "ana", Role.ANALYST, addresses={"telegram": "2003"}, language="es")
    with webhook_of(runtime) as webhook:
        TelegramUser(webhook, 2002, "João", language_code="pt-br").says("/incident help")
        TelegramUser(webhook, 2003, "Ana", language_code="fr").says("/incident help")
        TelegramUser(webhook, 4242, "Eve", language_code="fr").says("/incident help")
        joao, ana, stranger = api.since(0, "sendMessage")
    assert joao.text.startswith("<b>Comandos do Puente")
    assert ana.text.startswith("<b>Comandos de Puente")
    assert "Vous n'êtes pas encore utilisateur de Puente" in stranger.text
    runtime.engine.dispose()


def test_the_operator_sets_and_changes_a_persons_language(cli_env: dict[str, str]) -> None:
    def puente(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PUENTE, *args], env=cli_env, capture_output=True, text=True, timeout=60)

    assert puente("db", "upgrade").returncode == 0
    assert puente("users", "add", "ana", "--lang", "es").returncode == 0
    assert puente("users", "add", "joao", "--tz", "America/Sao_Paulo").returncode == 0
    refused = puente("users", "add", "eve", "--lang", "de")
    assert refused.returncode == 1 and "Puente does not speak 'de'" in refused.stderr
    changed = puente("users", "set", "joao", "--lang", "pt")
    assert changed.returncode == 0, changed.stderr
    assert puente("users", "list").stdout.splitlines() == [
        "ana\tanalyst\tlang=es",
        "joao\tanalyst\ttz=America/Sao_Paulo lang=pt",
    ]
    assert "Comandos do Puente" in puente("say", "--as", "joao", "/incident help").stdout
    nothing = puente("users", "set", "joao")
    assert nothing.returncode != 0 and "--lang es" in nothing.stderr


def test_the_timeline_reads_in_each_readers_language_and_zone(core: CommandCore, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.change(ctx, "joao", timezone="America/Sao_Paulo")
    say(core, "/incident nuevo Ransomware en el puerto gravedad=alta países=CO,BR", "ana")
    say(core, "/incident nota INC-2026-0001 Se aisló el servidor", "ana")
    say(core, "/incident update INC-2026-0001 sev=critical", "omar")
    read = {who: say(core, "/incident timeline INC-2026-0001", who).lines for who in ("ana", "joao", "omar")}
    opened_at = sqlite_runtime.clock.now()
    with i18n.language("pt"):
        when = i18n.format_datetime(opened_at, "America/Sao_Paulo", year=True, seconds=True)
    assert read["joao"][0] == f"{when} · ana · aberto: INC-2026-0001: Ransomware en el puerto"
    assert read["joao"][0].startswith("seg., 5 de jan. de 2026 09:00:00 -03"), "São Paulo's time, Brazil's format"
    said = {who: [line.split(" · ", 2)[2] for line in lines] for who, lines in read.items()}
    assert "nota: Se aisló el servidor" in said["ana"] and "actualizado: gravedad alta → crítica" in said["ana"]
    assert "nota: [es] Se aisló el servidor" in said["joao"] and "atualizado: gravidade alta → crítica" in said["joao"]
    assert "note: [es] Se aisló el servidor" in said["omar"] and "updated: severity high → critical" in said["omar"]
    assert any(line.startswith("alerta enviada: alerta P1 (política alta)") for line in said["ana"]), said["ana"]
    # The record stays one, in English, whoever acted and whoever reads.
    with sqlite_runtime.unit_of_work() as ctx:
        ticket = ticket_store.by_reference(ctx.session, "INC-2026-0001")
        assert ticket is not None and ticket.id is not None
        events = timeline.for_ticket(ctx.session, ticket.id)
    assert [(e.action, e.summary) for e in events if e.action in ("opened", "updated")] == [
        ("opened", "INC-2026-0001: Ransomware en el puerto"),
        ("updated", "severity high → critical"),
    ]


def test_an_event_recorded_before_timelines_were_worded_reads_as_it_was_recorded(
    core: CommandCore, sqlite_runtime: Runtime
) -> None:
    say(core, "/incident new Botnet sev=low", "omar")
    with sqlite_runtime.unit_of_work(actor_name="outbox") as ctx:
        ticket = ticket_store.by_reference(ctx.session, "INC-2026-0001")
        assert ticket is not None
        ctx.record("delivered", "share INC-2026-0001 (TLP:AMBER) delivered to cert-br", ticket_id=ticket.id)
    last = say(core, "/incident timeline INC-2026-0001", "ana").lines[-1]
    assert last.endswith(" · bandeja de salida · entregado: share INC-2026-0001 (TLP:AMBER) delivered to cert-br")
