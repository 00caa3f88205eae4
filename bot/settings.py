"""Settings from the environment and `.env`, validated once at start.

Every variable is documented in `.env.example`; a bad value stops the program with one line that names
the variable (see `load_settings`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from facilitation.civic.opendata.licenses import DEFAULT_LICENSE, LICENSES
from facilitation.intelligence.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    Embedder,
    EmbeddingUnavailable,
    resolve_model_folder,
)
from facilitation.intelligence.multilingual import MULTILINGUAL_EMBEDDING_MODEL
from facilitation.intelligence.onnx_backend import EMBEDDING_BACKENDS, ONNX_BACKEND
from facilitation.kernel.i18n import SUPPORTED_LANGUAGES
from facilitation.membership.preferences import format_quiet, parse_quiet_hours

DEFAULT_DATA_DIR = Path("data")
DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
TELEGRAM_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook's secret token."""
TELEGRAM_SECRET_MIN_LENGTH = 16


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


def _one_of(value: str, choices: Iterable[str]) -> str:
    """`value` if it is one of `choices`, else the error that lists them."""
    if value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return value


class Settings(BaseSettings):
    """Townhall's configuration. Field names are the environment variable names, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    core_workers: int = Field(default=1, ge=1, le=64)
    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_webhook_secret: str = ""
    discord_bot_token: str = ""
    discord_api_base_url: str = DISCORD_API_BASE_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    discord_shard_count: int = Field(default=1, ge=1)
    discord_shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    facilitator_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = "en"
    default_timezone: str = "UTC"
    default_quiet_hours: str = "21:00-08:00"
    log_level: str = "INFO"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    multilingual_embedding_model: str = MULTILINGUAL_EMBEDDING_MODEL
    embedding_backend: str = ONNX_BACKEND
    open_data_secret: str = ""
    open_data_license: str = DEFAULT_LICENSE
    dashboard_listen: str = "127.0.0.1"
    dashboard_port: int = Field(default=8080, ge=0, le=65535)
    dashboard_url: str = ""
    dashboard_secret: str = ""

    @field_validator("discord_api_base_url", "telegram_api_base_url", "telegram_webhook_url", "dashboard_url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        webhook = info.field_name == "telegram_webhook_url"
        if info.field_name == "dashboard_url":
            if not value:
                return value  # the address it listens on
            webhook = True
        if webhook and not value:
            return value  # no webhook: long polling
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value if webhook else value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError(f"{value!r} is not a ws:// or wss:// URL")
        return value

    @field_validator("facilitator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                platform, _, user_id = str(item).partition(":")
                if not platform or not user_id:
                    raise ValueError(f"{item!r} is not of the form platform:user_id (e.g. telegram:12345)")
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _split_shards(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError(f"{value!r} is not a list of shard numbers such as 0,1")
            return [int(part) for part in parts]
        return value

    @field_validator("discord_shard_ids")
    @classmethod
    def _shards_in_range(cls, value: list[int], info: ValidationInfo) -> list[int]:
        count = info.data.get("discord_shard_count")
        if count is None:
            return value  # the count is invalid itself, and named for that
        outside = [shard for shard in value if not 0 <= shard < count]
        if outside:
            raise ValueError(
                f"shards {outside} are not below DISCORD_SHARD_COUNT={count} (shards count from 0)"
            )
        return sorted(set(value))

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str) -> str:
        if value and TELEGRAM_SECRET_PATTERN.fullmatch(value) is None:
            raise ValueError("use 1 to 256 characters among A-Z, a-z, 0-9, _ and -")
        if value and len(value) < TELEGRAM_SECRET_MIN_LENGTH:
            raise ValueError(
                f"use at least {TELEGRAM_SECRET_MIN_LENGTH} characters: a short secret can be guessed"
            )
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return _one_of(value, SUPPORTED_LANGUAGES)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
        return value

    @field_validator("default_quiet_hours")
    @classmethod
    def _quiet_range(cls, value: str) -> str:
        if not value.strip():
            return ""
        window = parse_quiet_hours(value)
        if window is None:
            raise ValueError(f"{value!r} is not a range of hours such as 21:00-08:00 (or empty for none)")
        return format_quiet(window)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"{value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
        return level

    @field_validator("embedding_model", "multilingual_embedding_model")
    @classmethod
    def _loadable_model(cls, value: str) -> str:
        if value and value not in (DEFAULT_EMBEDDING_MODEL, MULTILINGUAL_EMBEDDING_MODEL):
            try:
                resolve_model_folder(value)
            except EmbeddingUnavailable as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("embedding_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        return _one_of(value, EMBEDDING_BACKENDS)

    @field_validator("open_data_license")
    @classmethod
    def _known_license(cls, value: str) -> str:
        return _one_of(value, LICENSES)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"{value!r} is neither a sqlite:/// nor a postgresql:// URL")
        return value

    @property
    def effective_core_workers(self) -> int:
        """CORE_WORKERS on PostgreSQL; one on SQLite, which lets one writer in at a time anyway."""
        return self.core_workers if self.effective_database_url.startswith("postgresql") else 1

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data folder."""
        return self.database_url or f"sqlite:///{self.data_dir / 'townhall.db'}"

    def pseudonym_secret(self) -> str:
        """OPEN_DATA_SECRET, or a random secret kept in the data folder so that pseudonyms stay stable."""
        if self.open_data_secret:
            return self.open_data_secret
        path = self.data_dir / "open-data-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
        return path.read_text(encoding="utf-8").strip()

    def new_embedder(self, model: str = "") -> Embedder:
        """An encoder for `model` (EMBEDDING_MODEL by default, the bundled one when that is empty) on
        EMBEDDING_BACKEND, not yet started; an ONNX backend keeps its export in the data folder."""
        return Embedder(
            model or self.embedding_model or DEFAULT_EMBEDDING_MODEL,
            backend=self.embedding_backend,
            export_folder=self.data_dir / "models",
        )

    @property
    def web_url(self) -> str:
        """Where people open the dashboard: DASHBOARD_URL behind a proxy, else the address it listens on;
        "" when DASHBOARD_PORT is 0 (off)."""
        if not self.dashboard_port:
            return ""
        if self.dashboard_url:
            return self.dashboard_url.rstrip("/")
        host = f"[{self.dashboard_listen}]" if ":" in self.dashboard_listen else self.dashboard_listen
        return f"http://{host}:{self.dashboard_port}"

    def facilitator_identities(self) -> set[tuple[str, str]]:
        """Configured facilitators as (platform, platform user id) pairs."""
        return {tuple(item.split(":", 1)) for item in self.facilitator_ids}  # type: ignore[misc]


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            variable = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            message = problem["msg"].removeprefix("Value error, ")
            lines.append(f"{variable}: {message}")
        raise SettingsError("; ".join(lines)) from None
