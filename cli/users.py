"""`puente users`: the people who may use Puente, their roles and chat identities."""

from __future__ import annotations

import click

from puente.cli.operator import load_runtime, operator
from puente.services.users import service as users

LANGUAGE_HELP = "the language they read Puente in: en, es, pt (Brazilian) or fr; unset: their chat platform's"


@click.group("users")
def users_group() -> None:
    """People who may use Puente, and their chat identities."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", default="analyst", show_default=True, help="oncall, analyst, lead or admin")
@click.option("--slack", "slack_id", help="Slack user id, e.g. U024BE7LH")
@click.option("--telegram", "telegram_id", help="Telegram numeric user id")
@click.option(
    "--chat", "chats", multiple=True, metavar="PLATFORM:ADDRESS", help="an address on any chat platform (repeatable)"
)
@click.option("--tz", "timezone", help="IANA time zone, e.g. America/Bogota")
@click.option("--lang", "language", help=LANGUAGE_HELP)
def users_add(
    name: str,
    role: str,
    slack_id: str | None,
    telegram_id: str | None,
    chats: tuple[str, ...],
    timezone: str | None,
    language: str | None,
) -> None:
    """Add a user."""
    addresses: dict[str, str | None] = {"slack": slack_id, "telegram": telegram_id}
    for chat in chats:
        platform, _, address = chat.partition(":")
        if not address:
            raise click.BadParameter(f"{chat!r}: give PLATFORM:ADDRESS, e.g. slack:U024BE7LH", param_hint="--chat")
        if addresses.get(platform):
            raise click.BadParameter(
                f"two {platform} addresses given; a person has one per platform", param_hint="--chat"
            )
        addresses[platform] = address
    runtime = load_runtime()
    with operator(runtime) as ctx:
        user = users.add(ctx, name, users.parse_role(role), addresses=addresses, timezone=timezone, language=language)
        click.echo(f"added {user.name} ({user.role})")


@users_group.command("set")
@click.argument("name")
@click.option("--lang", "language", help=LANGUAGE_HELP)
@click.option("--tz", "timezone", help="IANA time zone, e.g. America/Bogota")
def users_set(name: str, language: str | None, timezone: str | None) -> None:
    """Change the language a user reads Puente in, or their time zone."""
    if language is None and timezone is None:
        raise click.UsageError("give what changes: --lang es, --tz America/Bogota or both")
    runtime = load_runtime()
    with operator(runtime) as ctx:
        user = users.change(ctx, name, language=language, timezone=timezone)
        click.echo(f"{user.name} reads {user.language or 'their platform language'}, in {user.timezone or 'UTC'}")


@users_group.command("list")
def users_list() -> None:
    """List users."""
    runtime = load_runtime()
    with operator(runtime) as ctx:
        for user, addresses in users.listing(ctx):
            shown = (*addresses.items(), ("tz", user.timezone), ("lang", user.language))
            ids = " ".join(f"{k}={v}" for k, v in shown if v)
            click.echo(f"{user.name}\t{user.role}\t{ids}".rstrip())


@users_group.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove a user (their tickets and timeline entries stay)."""
    runtime = load_runtime()
    with operator(runtime) as ctx:
        users.remove(ctx, name)
        click.echo(f"removed {name}")
