"""Settings, read once from the environment (and `.env`) into one typed object."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    database_url: str = Field(
        default="sqlite:///touchpoint.db",
        validation_alias=AliasChoices("TOUCHPOINT_DATABASE_URL"),
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias=AliasChoices("TOUCHPOINT_PUBLIC_URL")
    )
    secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TOUCHPOINT_SECRET_KEY")
    )
    trusted_proxies: str = Field(
        default="", validation_alias=AliasChoices("TOUCHPOINT_TRUSTED_PROXIES")
    )
    metrics_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TOUCHPOINT_METRICS_TOKEN")
    )
    dialogs_dir: Path = Field(
        default=PROJECT_ROOT / "dialogs", validation_alias=AliasChoices("TOUCHPOINT_DIALOGS_DIR")
    )
    templates_dir: Path = Field(
        default=PROJECT_ROOT / "templates",
        validation_alias=AliasChoices("TOUCHPOINT_TEMPLATES_DIR"),
    )
    # Where messages wait while the database is unavailable (store/spool.py).
    spool_dir: Path = Field(
        default=Path("touchpoint-spool"), validation_alias=AliasChoices("TOUCHPOINT_SPOOL_DIR")
    )
    default_region: str = Field(
        default="GB", validation_alias=AliasChoices("TOUCHPOINT_DEFAULT_REGION")
    )

    twilio_account_sid: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID")
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN")
    )
    twilio_from_number: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_FROM_NUMBER")
    )
    # WhatsApp through Twilio (bot/channels/whatsapp*.py): the sender's number, and the
    # ContentSid of each approved template (`touchpoint whatsapp templates`).
    twilio_whatsapp_from: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_FROM")
    )
    whatsapp_template_check_in: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_TEMPLATE_CHECK_IN")
    )
    whatsapp_template_reminder: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_TEMPLATE_REMINDER")
    )
    whatsapp_template_appointment: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_TEMPLATE_APPOINTMENT")
    )
    whatsapp_template_notice: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_WHATSAPP_TEMPLATE_NOTICE")
    )
    twilio_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TWILIO_API_BASE_URL")
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_API_BASE_URL")
    )
    telegram_bot_username: str | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_USERNAME")
    )
    # Alert emails to staff (bot/staff/mail.py): smtp://user:password@host:587 or smtps://.
    smtp_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TOUCHPOINT_SMTP_URL")
    )
    mail_from: str | None = Field(
        default=None, validation_alias=AliasChoices("TOUCHPOINT_MAIL_FROM")
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, validation_alias=AliasChoices("TOUCHPOINT_SESSION_IDLE_MINUTES")
    )
    # Message texts older than this are removed by the worker, every day (0: kept).
    retain_messages_days: int = Field(
        default=365, ge=0, validation_alias=AliasChoices("TOUCHPOINT_RETAIN_MESSAGES_DAYS")
    )
    session_max_hours: int = Field(
        default=12, ge=1, validation_alias=AliasChoices("TOUCHPOINT_SESSION_MAX_HOURS")
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
