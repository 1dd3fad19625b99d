"""What the fake Twilio knows of WhatsApp: its senders, approved templates, the 24-hour
customer-service window, and the forms Twilio posts for a WhatsApp message."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta

from bot.fakes import Response, twilio_error

WHATSAPP = "whatsapp:"
WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = 63016


class FakeWhatsApp:
    """The rules of a WhatsApp send. `wrote()` is the person writing to us (it opens the
    window); `clock` is the fake's time, so a test can let three days pass."""

    def __init__(
        self,
        senders: Collection[str],
        templates: Collection[str],
        clock: Callable[[], datetime] | None,
    ) -> None:
        self.senders = {s if s.startswith(WHATSAPP) else WHATSAPP + s for s in senders}
        self.templates = set(templates)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.fails: dict[str, int] = {}  # sid -> the error its status callback will carry
        self._wrote: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def wrote(self, number: str, at: datetime | None = None) -> None:
        with self._lock:
            self._wrote[number.removeprefix(WHATSAPP)] = at or self.clock()

    def window_open(self, number: str) -> bool:
        with self._lock:
            last = self._wrote.get(number.removeprefix(WHATSAPP))
        return last is not None and self.clock() < last + WINDOW

    def decide(
        self, to: str, from_: str, form: dict[str, str]
    ) -> Response | tuple[str, int | None]:
        """An error to answer with; or the body to store and the error it fails with later."""
        if not (to.startswith(WHATSAPP) and from_.startswith(WHATSAPP)):
            return twilio_error(400, 63007, "Both To and From must be whatsapp: addresses.")
        if from_ not in self.senders:
            return twilio_error(
                400, 63007, f"Twilio could not find a Channel with the From address {from_}"
            )
        content = form.get("ContentSid")
        if content is not None:
            if content not in self.templates:
                return twilio_error(400, 21655, "The ContentSid is Invalid.")
            try:
                variables = json.loads(form.get("ContentVariables") or "{}")
            except ValueError:
                return twilio_error(400, 21656, "The ContentVariables Parameter is invalid.")
            if not isinstance(variables, dict):
                return twilio_error(400, 21656, "The ContentVariables Parameter is invalid.")
            return f"[template {content}]", None
        body = form.get("Body", "")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return twilio_error(400, 21617, "The message body exceeds the 1600 character limit.")
        return body, None if self.window_open(to) else OUTSIDE_WINDOW


def inbound_whatsapp_form(
    from_: str,
    to: str,
    body: str,
    message_sid: str,
    account_sid: str,
    *,
    button: str | None = None,
    message_type: str = "text",
    media: Sequence[tuple[str, str]] = (),
    profile_name: str = "Alex",
) -> dict[str, str]:
    """The form Twilio POSTs for a WhatsApp message; numbers without `whatsapp:` get it."""
    sender = from_ if from_.startswith(WHATSAPP) else WHATSAPP + from_
    form = {
        "SmsMessageSid": message_sid,
        "NumMedia": str(len(media)),
        "ProfileName": profile_name,
        "MessageType": message_type if button is None else "button",
        "SmsSid": message_sid,
        "WaId": sender.removeprefix(WHATSAPP + "+"),
        "SmsStatus": "received",
        "Body": body if button is None else button,
        "To": to if to.startswith(WHATSAPP) else WHATSAPP + to,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    if button is not None:
        form["ButtonText"] = button
        form["ButtonPayload"] = button.lower()
    for index, (url, content_type) in enumerate(media):
        form[f"MediaContentType{index}"] = content_type
        form[f"MediaUrl{index}"] = url
    return form
