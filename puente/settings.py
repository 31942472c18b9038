"""Settings from the environment and `.env`, checked once at start-up."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from base64 import urlsafe_b64decode
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pycountry
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

DEFAULT_VAR_DIR = Path("var")
# The languages Puente speaks (gettext catalogues under puente/i18n/locale), and the one it speaks by default.
LANGUAGES = ("en", "es", "pt", "fr")
DEFAULT_LANGUAGE = "en"
MAKE_SECRET_KEY = "make one with `puente secret-key` and set it in the environment or .env"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="", alias="PUENTE_DATABASE_URL")
    csirt_name: str = Field(default="CSIRT", alias="PUENTE_CSIRT_NAME")
    csirt_country: str = Field(default="CO", alias="PUENTE_CSIRT_COUNTRY")
    base_url: str = Field(default="", alias="PUENTE_BASE_URL")
    # What people read when neither they nor their chat platform said which language they use.
    language: str = Field(default=DEFAULT_LANGUAGE, alias="PUENTE_LANGUAGE")
    # Seals peer secrets at rest (Fernet). Several keys, comma-separated: the first seals, all open (rotation).
    secret_key: SecretStr = Field(default=SecretStr(""), alias="PUENTE_SECRET_KEY")
    host: str = Field(default="127.0.0.1", alias="PUENTE_HOST")
    port: int = Field(default=8080, ge=1, le=65535, alias="PUENTE_PORT")
    var_dir: Path = Field(default=DEFAULT_VAR_DIR, alias="PUENTE_VAR_DIR")
    escalation_policies: Path | None = Field(default=None, alias="PUENTE_ESCALATION_POLICIES")
    regulatory_clocks: Path | None = Field(default=None, alias="PUENTE_REGULATORY_CLOCKS")
    taxii_max_content_length: int = Field(default=10 * 1024 * 1024, ge=1024, alias="PUENTE_TAXII_MAX_CONTENT_LENGTH")
    taxii_page_size: int = Field(default=1000, ge=1, le=10000, alias="PUENTE_TAXII_PAGE_SIZE")
    # TAXII 2.1 wants API roots advertised as https or relative URLs; a lab without TLS may ask for http.
    taxii_http_api_roots: bool = Field(default=False, alias="PUENTE_TAXII_HTTP_API_ROOTS")
    # What keeps one partner from crowding out the others (server/taxii/guards.py).
    taxii_partner_requests_per_minute: int = Field(default=600, ge=1, alias="PUENTE_TAXII_PARTNER_REQUESTS_PER_MINUTE")
    taxii_partner_uploads: int = Field(default=2, ge=1, alias="PUENTE_TAXII_PARTNER_UPLOADS")
    taxii_failed_logins_before_throttle: int = Field(
        default=5, ge=1, alias="PUENTE_TAXII_FAILED_LOGINS_BEFORE_THROTTLE"
    )
    taxii_failed_logins_before_lockout: int = Field(default=20, ge=1, alias="PUENTE_TAXII_FAILED_LOGINS_BEFORE_LOCKOUT")
    taxii_lockout_minutes: int = Field(default=15, ge=1, alias="PUENTE_TAXII_LOCKOUT_MINUTES")
    taxii_read_timeout: float = Field(default=30.0, gt=0, alias="PUENTE_TAXII_READ_TIMEOUT")

    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str = Field(default="", alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_URL")
    telegram_mode: Literal["webhook", "polling"] = Field(default="webhook", alias="TELEGRAM_MODE")

    @field_validator("csirt_country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        # Settings sit below the services, so this reads ISO 3166 itself rather than the vocabulary.
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"Unknown country {value.strip()!r}: use ISO 3166 codes such as BR, AR, MX.")
        return code

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        code = value.strip().lower()
        if code not in LANGUAGES:
            raise ValueError(f"Puente speaks {', '.join(LANGUAGES)}: set one of them (pt is Brazilian Portuguese)")
        return code

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr) -> SecretStr:
        for key in filter(None, (k.strip() for k in value.get_secret_value().split(","))):
            if not _is_fernet_key(key):
                raise ValueError(
                    f"expected Fernet keys (32 url-safe base64-encoded bytes, comma-separated): {MAKE_SECRET_KEY}"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("base_url", "slack_api_url", "telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @field_validator("escalation_policies", "regulatory_clocks", mode="before")
    @classmethod
    def _optional_path(cls, value: object) -> object:
        # `PUENTE_ESCALATION_POLICIES=` in a .env means "no file", not the current directory.
        return None if value == "" else value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("Telegram accepts 1-256 letters, digits, _ and - (e.g. `openssl rand -hex 32`)")
        return value

    def fingerprint(self) -> str:
        """Which Puente these settings make when read in this folder (relative paths resolve from it):
        `puente say` hands its command to a running Puente only when their fingerprints agree."""
        which = self.model_dump_json() + "\0" + os.getcwd()
        return hashlib.sha256(which.encode()).hexdigest()

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'puente.db'}"

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def sealer(self) -> MultiFernet | None:
        """What seals and opens secrets kept at rest; None without PUENTE_SECRET_KEY."""
        from cryptography.fernet import Fernet, MultiFernet  # see _is_fernet_key

        keys = [k.strip() for k in self.secret_key.get_secret_value().split(",") if k.strip()]
        return MultiFernet([Fernet(key) for key in keys]) if keys else None

    @property
    def chat_configured(self) -> bool:
        return bool(self.slack_bot_token or self.telegram_bot_token)


def _is_fernet_key(key: str) -> bool:
    """A Fernet key as the Fernet specification defines it: 32 bytes, url-safe base64-encoded (what
    cryptography's Fernet checks before using one). Checked by hand: every command reads the settings,
    and importing cryptography (a large compiled library) would cost a short one such as `puente say`
    a part of its start-up it needs only when it seals or opens a peer's secret (`Settings.sealer`)."""
    try:
        return len(urlsafe_b64decode(key)) == 32
    except ValueError:  # not base64 (binascii.Error), or not ASCII
        return False


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            given = "not shown" if any(word in variable for word in SECRET_WORDS) else repr(error.get("input"))
            lines.append(f"{variable}: {message} (got {given})")
        raise SettingsError("; ".join(lines)) from None


# Variables Puente reads that are not settings of an instance.
OTHER_VARIABLES = {
    "PUENTE_USER": "the console's user when --as is not given",
    "PUENTE_TEST_DATABASE_URL": "the PostgreSQL database the test suite may use",
    "PUENTE_PEER_PASSWORD": "the password `puente peers add` stores for the peer (instead of --password)",
    "PUENTE_PEER_KEY": "the API key `puente peers add` stores for the peer (instead of --key)",
}
ENV_FILE = Path(".env")
# Settings whose values are never printed (nor repeated in an error message).
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "KEY")


def variable_names() -> list[str]:
    return [str(field.alias) for field in Settings.model_fields.values() if field.alias]


def env_file_values(path: Path = ENV_FILE) -> dict[str, str]:
    """The assignments in a .env file, as pydantic-settings reads them."""
    from dotenv import dotenv_values

    if not path.is_file():
        return {}
    return {key: value or "" for key, value in dotenv_values(path).items()}


@dataclass(frozen=True)
class Unknown:
    """A PUENTE_ variable that no setting reads (a typo, most of the time)."""

    name: str
    where: str
    suggestion: str | None

    def warning(self) -> str:
        hint = f": did you mean {self.suggestion}?" if self.suggestion else ": Puente does not read it"
        return f"warning: unknown setting {self.name} ({self.where}){hint}"


def unknown_variables() -> list[Unknown]:
    known = set(variable_names()) | set(OTHER_VARIABLES)
    found: list[Unknown] = []
    for where, names in (("environment", list(os.environ)), (str(ENV_FILE), list(env_file_values()))):
        for name in sorted(n for n in names if n.upper().startswith("PUENTE_") and n.upper() not in known):
            close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.75)
            found.append(Unknown(name, where, close[0] if close else None))
    return found


def unset(names: tuple[str, ...] = ("PUENTE_CSIRT_NAME", "PUENTE_CSIRT_COUNTRY")) -> list[str]:
    """Which of these variables neither the environment nor .env sets."""
    from_file = env_file_values()
    return [name for name in names if name not in os.environ and name not in from_file]


@dataclass(frozen=True)
class Effective:
    """One setting as this instance runs with it, and where the value came from."""

    name: str
    value: str
    source: str


def effective(settings: Settings) -> list[Effective]:
    from_file = env_file_values()
    rows = []
    for attribute, field in Settings.model_fields.items():
        name = str(field.alias)
        value = getattr(settings, attribute)
        if name in os.environ:
            source = "environment"
        elif name in from_file:
            source = str(ENV_FILE)
        else:
            source = "default"
        shown = "" if value is None else str(value)
        if name == "PUENTE_DATABASE_URL" and not shown:
            shown = settings.effective_database_url
        if shown and any(word in name for word in SECRET_WORDS):
            shown = "****"
        elif shown and name == "PUENTE_DATABASE_URL":
            shown = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", shown)
        rows.append(Effective(name, shown, source))
    return rows
