"""The schema's migrations: apply them (`puente db upgrade`) and tell whether a database is current.

Every command checks the schema before it works, so that check reads the migration files'
revision lines instead of importing Alembic (a third of a short command's start-up otherwise).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w-]+)['\"]?", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def known_revisions() -> dict[str, str | None]:
    """Each migration's revision and the one it builds on, read from the files."""
    chain: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        parent = found.get("down_revision", "None")
        chain[found["revision"]] = None if parent == "None" else parent
    return chain


def head_revision() -> str:
    """The revision no other migration builds on (tests check it equals Alembic's own answer)."""
    chain = known_revisions()
    heads = set(chain) - {parent for parent in chain.values() if parent}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError) as error:
            # A missing table is a database never migrated; anything else (unreachable) is raised.
            if "alembic_version" in str(error.orig):
                return None
            raise
