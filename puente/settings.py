"""Settings from the environment and `.env`, checked once at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pycountry
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="", alias="PUENTE_DATABASE_URL")
    csirt_name: str = Field(default="CSIRT", alias="PUENTE_CSIRT_NAME")
    csirt_country: str = Field(default="CO", alias="PUENTE_CSIRT_COUNTRY")
    base_url: str = Field(default="", alias="PUENTE_BASE_URL")
    host: str = Field(default="127.0.0.1", alias="PUENTE_HOST")
    port: int = Field(default=8080, ge=1, le=65535, alias="PUENTE_PORT")
    var_dir: Path = Field(default=DEFAULT_VAR_DIR, alias="PUENTE_VAR_DIR")
    escalation_policies: Path | None = Field(default=None, alias="PUENTE_ESCALATION_POLICIES")
    taxii_max_content_length: int = Field(default=10 * 1024 * 1024, ge=1024, alias="PUENTE_TAXII_MAX_CONTENT_LENGTH")
    taxii_page_size: int = Field(default=1000, ge=1, le=10000, alias="PUENTE_TAXII_PAGE_SIZE")

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

    @field_validator("escalation_policies", mode="before")
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

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'puente.db'}"

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def chat_configured(self) -> bool:
        return bool(self.slack_bot_token or self.telegram_bot_token)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{variable}: {message} (got {error.get('input')!r})")
        raise SettingsError("; ".join(lines)) from None
