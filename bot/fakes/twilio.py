"""A local Twilio Messages API, and the webhooks Twilio sends, for tests and the demo."""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
import secrets
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

import httpx
import phonenumbers
from twilio.request_validator import RequestValidator

from bot.fakes import FakeServer, Fault, ReceivedRequest, Response, twilio_error
from bot.fakes.whatsapp import WHATSAPP, FakeWhatsApp

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32

# Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials).
INVALID_NUMBER = "+15005550001"
UNSUBSCRIBED_NUMBER = "+15005550004"

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_MESSAGES = re.compile(rf"/{API_VERSION}/Accounts/(AC\w+)/Messages(?:/(SM\w+))?\.json")
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
_MAX_BODY = 1600


@dataclass(frozen=True)
class SentSms:
    to: str
    from_: str | None
    body: str
    sid: str
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    media_urls: tuple[str, ...] = ()
    content_sid: str | None = None  # a WhatsApp template send (Content API)
    content_variables: str | None = None


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def num_segments(body: str) -> int:
    """How many SMS segments Twilio would bill for this body (GSM-7 or UCS-2)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in body):
        septets = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


class _MultiParams:
    """Pairs seen as a multi-dict, the shape RequestValidator accepts (`getall`)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in self._pairs])

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def sign(auth_token: str, url: str, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> str:
    """The X-Twilio-Signature Twilio would send for this POST to `url`."""
    if isinstance(params, Mapping):
        params = list(params.items())
    signature: str = RequestValidator(auth_token).compute_signature(url, _MultiParams(params))
    return signature


def _country(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(parsed)
    region = region or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return "" if region in (None, "ZZ") else str(region)


def inbound_sms_form(
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    *,
    media: Sequence[tuple[str, str]] = (),
) -> dict[str, str]:
    """The form Twilio POSTs to the incoming-message webhook; `media` is (url, content type)."""
    sid = message_sid or new_sid("MM" if media else "SM")
    form = {
        "ToCountry": _country(to),
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": _country(from_),
        "To": to,
        "ToZip": "",
        "NumSegments": str(num_segments(body)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    for index, (url, content_type) in enumerate(media):
        form[f"MediaContentType{index}"] = content_type
        form[f"MediaUrl{index}"] = url
    return form


def status_callback_form(
    message: SentSms,
    status: str,
    account_sid: str = DEFAULT_ACCOUNT_SID,
    *,
    error_code: int | None = None,
) -> dict[str, str]:
    """The form Twilio POSTs to a message's StatusCallback URL."""
    form = {
        "SmsSid": message.sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": message.to,
        "MessageSid": message.sid,
        "AccountSid": account_sid,
        "From": message.from_ or "",
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        form["MessagingServiceSid"] = message.messaging_service_sid
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form


def _now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


class FakeTwilio(FakeServer[SentSms]):
    """Twilio's Messages API: create and fetch messages, with Twilio's errors.

    `from_numbers`, when given, are the only senders the account owns (else 21606).
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_numbers: Collection[str] | None = None,
        whatsapp_senders: Collection[str] = (),
        templates: Collection[str] = (),
        clock: Callable[[], datetime] | None = None,
        keep_alive: bool = False,
    ) -> None:
        super().__init__(keep_alive=keep_alive)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._from_numbers = set(from_numbers) if from_numbers is not None else None
        self.whatsapp = FakeWhatsApp(whatsapp_senders, templates, clock)
        self._opted_out: set[str] = {UNSUBSCRIBED_NUMBER}
        self._messages: dict[str, dict[str, Any]] = {}
        self._messages_lock = threading.Lock()

    def client_settings(self, from_number: str) -> dict[str, str]:
        """The TWILIO_ settings that send through this fake, from `from_number`."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": from_number,
            "TWILIO_API_BASE_URL": self.url,
        }

    def opted_out(self, number: str) -> None:
        """Sending to `number` fails as if its owner had texted STOP (21610)."""
        with self._messages_lock:
            self._opted_out.add(number)

    def opted_in(self, number: str) -> None:
        with self._messages_lock:
            self._opted_out.discard(number)

    def message(self, sid: str) -> dict[str, Any]:
        """The message resource as Twilio would return it now."""
        with self._messages_lock:
            return dict(self._messages[sid])

    def deliver_status(
        self,
        sid: str,
        status: str = "delivered",
        url: str | None = None,
        *,
        signed_url: str | None = None,
        error_code: int | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """Move message `sid` to `status` and POST the signed callback, as Twilio does.

        `url` defaults to the message's StatusCallback; `signed_url` (default `url`) is
        the URL the signature covers: the public URL when a proxy stands in between.
        """
        sms = next(sms for sms in self.sent if sms.sid == sid)
        target = url or sms.status_callback
        if target is None:
            raise ValueError(f"Message {sid} has no StatusCallback: pass url=")
        with self._messages_lock:
            resource = self._messages[sid]
            resource["status"] = status
            resource["date_updated"] = _now()
            if status in ("sent", "delivered"):
                resource["date_sent"] = resource["date_sent"] or resource["date_updated"]
            if error_code is not None:
                resource["error_code"] = error_code
        form = status_callback_form(sms, status, self.account_sid, error_code=error_code)
        headers = {
            "X-Twilio-Signature": sign(self.auth_token, signed_url or target, form),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        with httpx.Client(timeout=timeout) as client:
            return client.post(target, data=form, headers=headers)

    # the API

    def _fault_body(self, fault: Fault) -> Response:
        status = fault.status or 500
        return twilio_error(status, 20000 + status, HTTPStatus(status).phrase)

    def _handle(self, request: ReceivedRequest) -> Response:
        if not self._authorized(request.headers.get("authorization", "")):
            response = twilio_error(401, 20003, "Authenticate")
            response.body["detail"] = "Your AccountSid or AuthToken was incorrect."
            return Response(401, response.body, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        match = _MESSAGES.fullmatch(request.path)
        if match is None or match[1] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if match[2] is not None and request.method == "GET":
            with self._messages_lock:
                resource = self._messages.get(match[2])
            if resource is None:
                return twilio_error(
                    404, 20404, f"The requested resource {request.path} was not found"
                )
            return Response(200, dict(resource))
        if match[2] is None and request.method == "POST":
            return self._create(request)
        if match[2] is None and request.method == "GET":
            return self._list(request)
        return twilio_error(405, 20004, "Method not allowed")

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            credentials = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.account_sid}:{self.auth_token}"
        return hmac.compare_digest(credentials.encode(), expected.encode())

    def _create(self, request: ReceivedRequest) -> Response:
        pairs = request.form()
        form = dict(pairs)
        to = form.get("To", "")
        if to.startswith(WHATSAPP) or form.get("From", "").startswith(WHATSAPP):
            return self._create_whatsapp(form)
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        media = tuple(value for name, value in pairs if name == "MediaUrl")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if from_ is None and service is None:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body and not media:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > _MAX_BODY:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if not _E164.fullmatch(to) or to == INVALID_NUMBER:
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ is not None and self._from_numbers is not None and from_ not in self._from_numbers:
            return twilio_error(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        with self._messages_lock:
            unsubscribed = to in self._opted_out
        if unsubscribed:
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")

        sid = new_sid("MM" if media else "SM")
        resource = self._resource(sid, to, from_, body, service, len(media))
        self._record(
            SentSms(
                to=to,
                from_=from_,
                body=body,
                sid=sid,
                status_callback=form.get("StatusCallback") or None,
                messaging_service_sid=service,
                media_urls=media,
            )
        )
        return Response(201, resource)

    def _create_whatsapp(self, form: dict[str, str]) -> Response:
        """A WhatsApp send: free-form within 24 hours of the person's last message, else
        only a template (ContentSid); outside the window Twilio accepts the message and
        fails it afterwards with 63016, as the real one does."""
        to, from_ = form.get("To", ""), form.get("From", "")
        decided = self.whatsapp.decide(to, from_, form)
        if isinstance(decided, Response):
            return decided
        body, failure = decided
        sid = new_sid("SM")
        resource = self._resource(sid, to, from_, body, None, 0)
        resource["num_segments"] = "1"
        if failure is not None:
            self.whatsapp.fails[sid] = failure
        self._record(
            SentSms(
                to=to,
                from_=from_,
                body=body,
                sid=sid,
                status_callback=form.get("StatusCallback") or None,
                content_sid=form.get("ContentSid") or None,
                content_variables=form.get("ContentVariables") or None,
            )
        )
        return Response(201, resource)

    def report(self, sid: str) -> httpx.Response:
        """Post the status Twilio would report next for message `sid`: failed with the
        error it decided on (63016 outside the window), else delivered."""
        failure = self.whatsapp.fails.pop(sid, None)
        if failure is not None:
            return self.deliver_status(sid, "failed", error_code=failure)
        return self.deliver_status(sid, "delivered")

    def _resource(
        self, sid: str, to: str, from_: str | None, body: str, service: str | None, media: int
    ) -> dict[str, Any]:
        now = _now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(media),
            "num_segments": str(num_segments(body)) if service is None else "0",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if service is None else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        with self._messages_lock:
            self._messages[sid] = resource
        return dict(resource)

    def _list(self, request: ReceivedRequest) -> Response:
        with self._messages_lock:
            messages = [dict(m) for m in reversed(self._messages.values())]
        for key, field in (("To", "to"), ("From", "from")):
            if key in request.query:
                messages = [m for m in messages if m[field] == request.query[key]]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return Response(
            200,
            {
                "messages": messages,
                "end": max(len(messages) - 1, 0),
                "first_page_uri": f"{uri}?PageSize=50&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{uri}?PageSize=50&Page=0",
            },
        )
