"""WhatsApp templates: what may be sent outside the 24-hour window, one per purpose.

A business may write freely to a person only within 24 hours of their last message;
after that only a template that Meta approved goes. Ours carry no personal or health
content (Meta reviews them, and someone else may see the phone first): each says there
is something waiting and invites a reply, and the reply brings the held message itself
(bot/channels/whatsapp_window.py). `touchpoint whatsapp templates` lists them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from bot.settings import Settings

# The one variable a template has: the name the person knows the service by.
SERVICE_NAME = "Touchpoint"
# What the prefilled WhatsApp message says before the single-use code.
LINK_WORD = "LINK"


@dataclass(frozen=True)
class Template:
    purpose: str  # check_in | reminder | appointment | notice
    setting: str  # the environment variable holding its ContentSid
    field: str  # the Settings attribute
    wording: str  # suggested; {{1}} is the service's name
    button: str  # a quick reply that answers it in one tap


TEMPLATES = (
    Template(
        "check_in",
        "TWILIO_WHATSAPP_TEMPLATE_CHECK_IN",
        "whatsapp_template_check_in",
        "Hello, it's {{1}}. It's time for your check-in. Reply to this message when "
        "you're ready and I'll ask the first question.",
        "Ready",
    ),
    Template(
        "reminder",
        "TWILIO_WHATSAPP_TEMPLATE_REMINDER",
        "whatsapp_template_reminder",
        "Hello, it's {{1}}. A question is still waiting for you. Reply to this message to see it.",
        "Show me",
    ),
    Template(
        "appointment",
        "TWILIO_WHATSAPP_TEMPLATE_APPOINTMENT",
        "whatsapp_template_appointment",
        "Hello, it's {{1}}. There are a few questions to help you get ready for your "
        "next appointment. Reply to this message to see them.",
        "Show me",
    ),
    Template(
        "notice",
        "TWILIO_WHATSAPP_TEMPLATE_NOTICE",
        "whatsapp_template_notice",
        "Hello, it's {{1}}. There is a new message for you. Reply to this message to see it.",
        "Show me",
    ),
)
BY_PURPOSE = {t.purpose: t for t in TEMPLATES}
NOTICE = BY_PURPOSE["notice"]


def content_sid(settings: Settings, purpose: str) -> str | None:
    """The ContentSid to send for `purpose`: its own, else the general notice's."""
    template = BY_PURPOSE.get(purpose, NOTICE)
    own = getattr(settings, template.field)
    return str(own) if own else (settings.whatsapp_template_notice or None)


def content_variables() -> str:
    return json.dumps({"1": SERVICE_NAME})


def shown(purpose: str) -> str:
    """The template as the person reads it: what the outbox keeps as its body."""
    return BY_PURPOSE.get(purpose, NOTICE).wording.replace("{{1}}", SERVICE_NAME)


def whatsapp_address(number: str) -> str:
    """`whatsapp:+44...`, whichever way the number was given."""
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


def wa_me_link(sender: str, token: str) -> str:
    """A link that opens a chat with our WhatsApp number, the code typed in, ready to send."""
    digits = "".join(c for c in sender if c.isdigit())
    return f"https://wa.me/{digits}?text={quote(f'{LINK_WORD} {token}')}"


def describe(settings: Settings) -> str:
    """What `touchpoint whatsapp templates` prints."""
    lines = [
        "Templates to submit to Meta (Twilio Console > Messaging > Content Template",
        "Builder; category Utility, type Quick reply, language English). Each has one",
        f"variable, {{{{1}}}}, sent as {SERVICE_NAME!r}. Set each approved ContentSid (HX...):",
        "",
    ]
    for template in TEMPLATES:
        value = getattr(settings, template.field)
        state = value if value else "not set"
        if not value and template is not NOTICE:
            state += " (the notice template is sent instead)"
        lines += [
            f"{template.purpose}: {template.setting} = {state}",
            f"  body:   {template.wording}",
            f"  button: {template.button}",
            "",
        ]
    if not settings.twilio_whatsapp_from:
        lines.append("TWILIO_WHATSAPP_FROM is not set: nothing is sent by WhatsApp yet.")
    elif not settings.whatsapp_template_notice:
        lines.append(
            "Without TWILIO_WHATSAPP_TEMPLATE_NOTICE, a message that waits for the window "
            "and has no template of its own is reported to the team as not delivered."
        )
    return "\n".join(lines).rstrip()
