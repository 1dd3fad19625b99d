"""Telegram set-up from the command line: register the webhook, name the bot for links."""

from __future__ import annotations

import asyncio

from telegram.error import TelegramError

from bot.channels.providers import telegram_bot
from bot.settings import Settings

WEBHOOK_PATH = "/webhooks/telegram"
# Only what the webhook reads; Telegram keeps the rest to itself.
ALLOWED_UPDATES = ("message", "edited_message")


class SetupError(RuntimeError):
    """A sentence a person can act on."""


def webhook_url(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


def set_webhook(settings: Settings) -> str:
    """Tell Telegram where to POST updates, with our secret token; returns the URL."""
    token, secret = settings.telegram_bot_token, settings.telegram_webhook_secret
    if token is None or secret is None:
        raise SetupError(
            "Set TELEGRAM_BOT_TOKEN (from @BotFather) and TELEGRAM_WEBHOOK_SECRET (a random "
            "string of letters, digits, _ and -) first."
        )
    url = webhook_url(settings)

    async def register() -> None:
        bot = telegram_bot(token.get_secret_value(), base_url=settings.telegram_api_base_url)
        async with bot:
            await bot.set_webhook(
                url=url,
                secret_token=secret.get_secret_value(),
                allowed_updates=list(ALLOWED_UPDATES),
            )

    try:
        asyncio.run(register())
    except TelegramError as exc:
        raise SetupError(f"Telegram refused the webhook {url}: {exc}") from exc
    return url


def bot_username(settings: Settings) -> str:
    """TELEGRAM_BOT_USERNAME, or the bot's own answer to getMe."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    token = settings.telegram_bot_token
    if token is None:
        raise SetupError("Set TELEGRAM_BOT_TOKEN (from @BotFather) first.")

    async def ask() -> str:
        bot = telegram_bot(token.get_secret_value(), base_url=settings.telegram_api_base_url)
        async with bot:  # its initialize() is a getMe
            return bot.username

    try:
        return asyncio.run(ask())
    except TelegramError as exc:
        raise SetupError(f"Telegram did not say the bot's name: {exc}") from exc


def deep_link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"
