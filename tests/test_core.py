"""The command core as every adapter sees it: replies, and bad input refused with nothing written."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from puente.bot.commands import Command
from puente.bot.core import CommandCore
from puente.bot.handlers import FAMILIES, default_registry
from puente.bot.registry import Registry
from puente.services.context import Runtime
from puente.services.users import service as users
from puente.storage.models import Role, Ticket, TicketObservable, TimelineEvent


@pytest.fixture
def core(sqlite_runtime: Runtime) -> CommandCore:
    with sqlite_runtime.unit_of_work(actor_name="operator") as ctx:
        users.add(ctx, "ana", Role.ANALYST)
        users.add(ctx, "omar", Role.ONCALL)
    return CommandCore(sqlite_runtime)


def say(core: CommandCore, text: str, user: str = "ana"):  # type: ignore[no-untyped-def]
    return core.handle(Command(text=text, platform="console", user_id=user))


def counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.unit_of_work() as ctx:
        return tuple(  # type: ignore[return-value]
            ctx.session.exec(select(func.count()).select_from(table)).one()
            for table in (Ticket, TicketObservable, TimelineEvent)
        )


def test_new_with_options_and_observables(core: CommandCore) -> None:
    reply = say(
        core,
        "/incident new Phishing wave against banks sev=high countries=BR,AR tlp=amber "
        "type=fraud/phishing sector=financial ioc=hxxp://bad[.]example/login,1.2.3[.]4,d41d8cd98f00b204e9800998ecf8427e",
    )
    assert reply.ok, reply.text
    assert reply.ticket == "INC-2026-0001"
    fields = dict(reply.fields)
    assert fields["Severity"] == "high"
    assert fields["TLP"] == "TLP:AMBER"
    assert fields["Type"] == "fraud/phishing"
    assert fields["Sectors"] == "financial-services"
    assert "cross-border" in fields["Countries"]
    assert fields["Observables"] == "3"
    assert "url: http://bad.example/login" in reply.lines


def test_show_list_update_assign_note_and_timeline(core: CommandCore) -> None:
    say(core, "/incident new Defacement of ministry site countries=CO")
    say(core, "/incident new Botnet C2 in region countries=CO,PA type=malicious-code/c2-server")
    assert say(core, "/incident update INC-2026-0001 sev=critical status=triage").ok
    assert dict(say(core, "/incident show INC-2026-0001").fields)["Severity"] == "critical"
    assert say(core, "/incident assign INC-2026-0001 omar").ok
    assert say(core, "/incident note INC-2026-0001 Site restored from backup; keep watching.").ok
    listed = say(core, "/incident list cross-border")
    assert [line.split()[0] for line in listed.lines] == ["INC-2026-0002"]
    assert say(core, "/incident list mine", user="omar").lines[0].startswith("INC-2026-0001")
    timeline = say(core, "/incident timeline INC-2026-0001")
    # Raising it to critical paged the on-call (escalation), which the timeline records too.
    actions = [line.split(" · ")[2].split(": ", 1)[0] for line in timeline.lines]
    assert actions == ["opened", "updated", "paged", "assigned", "note"]
    assert "updated: severity medium → critical" in timeline.lines[1]


@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("/incident shwo INC-2026-0001", "ana", "Unknown subcommand 'shwo'. Did you mean show"),
        ("/incident new x countries=XX", "ana", "Unknown country 'XX': use ISO 3166 codes such as BR, AR, MX."),
        (
            "/incident new x type=malicious-code/c2",
            "ana",
            "Unknown RSIT type 'c2' for malicious-code. Types of malicious-code: infected-system, c2-server",
        ),
        ("/incident new x ioc=abc123", "ana", "Malformed hash 'abc123'"),
        ("/incident new x ioc=10.0.0.300", "ana", "Malformed IP address '10.0.0.300'"),
        ("/incident show INC-2026-0099", "ana", "No ticket 'INC-2026-0099'."),
        ("/incident ioc INC-2026-0001 999.1.1.1", "ana", "Malformed IP address"),
        ("/incident new x", "omar", "omar is oncall; opening a ticket needs the analyst role"),
        ("/incident new x", "nobody", "You are not a Puente user yet"),
        ("/incident update INC-2026-0001 sevv=high", "ana", "Did you mean sev=?"),
        ("/incident close INC-2026-0001", "ana", "needs the lead role"),
    ],
)
def test_bad_input_gets_a_specific_message_and_writes_nothing(
    core: CommandCore, text: str, user: str, expected: str
) -> None:
    assert say(core, "/incident new Existing ticket ioc=192.0.2.1").ok
    before = counts(core.runtime)
    reply = say(core, text, user)
    assert not reply.ok
    assert reply.private
    assert expected in reply.text
    assert counts(core.runtime) == before


def test_help_lists_every_subcommand_and_explains_one(core: CommandCore) -> None:
    overview = say(core, "/incident help")
    for name in ("new", "show", "list", "update", "ioc", "note", "assign", "resolve", "close", "reopen", "timeline"):
        assert any(line.startswith(f"/incident {name}") for line in overview.lines), name
    detail = say(core, "/incident help ioc")
    assert "defanged" in " ".join(detail.lines)
    assert say(core, "/incident").text == overview.text


def test_every_family_declares_the_names_it_is_registered_for() -> None:
    registry = default_registry()
    declared = {name for subcommand in registry for name in (subcommand.name, *subcommand.aliases)}
    assert declared == {name for names in FAMILIES.values() for name in names}
    for module, names in FAMILIES.items():
        for name in names:
            found = registry.find(name)
            assert found is not None and found.handler.__module__ == module, name
    assert registry.names()[:3] == ["new", "show", "list"] and registry.names()[-1] == "help"


def test_a_family_that_disagrees_with_its_registration_is_refused_by_name() -> None:
    registry = Registry(families={"puente.bot.handlers.web": ("web", "webview")})
    assert "webview" in registry.suggest("webveiw")  # names are known before their module is loaded
    with pytest.raises(ValueError, match=r"puente.bot.handlers.web declares the subcommands \['web'\]"):
        registry.find("webview")
    with pytest.raises(ValueError, match="'help' registered twice"):
        Registry(families={"puente.bot.handlers.help": ("help",), "puente.bot.handlers.web": ("web", "help")})
