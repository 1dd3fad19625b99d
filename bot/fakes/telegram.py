"""A local Telegram Bot API, and the updates Telegram sends, for tests and the demo."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx

from bot.fakes import FakeServer, Fault, ReceivedRequest, Response

JSONDict = dict[str, Any]

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_INTEGER = re.compile(r"-?\d+")
_JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "entities", "link_preview_options"})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_MAX_TEXT = 4096


@dataclass(frozen=True)
class SentTelegram:
    chat_id: int | str
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    message_id: int


@dataclass(frozen=True)
class Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int = 40


@dataclass(frozen=True)
class AnsweredCallback:
    callback_query_id: str
    text: str | None
    show_alert: bool


def _ok(result: Any, description: str | None = None) -> Response:
    body: JSONDict = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return Response(200, body)


def _error(status: int, description: str, parameters: JSONDict | None = None) -> Response:
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Response(status, body)


def _bad_request(reason: str) -> Response:
    return _error(400, f"Bad Request: {reason}")


class FakeTelegram(FakeServer[SentTelegram]):
    """The Bot API subset Touchpoint uses, at /bot{token}/{method}, with Telegram's errors.

    Point a Bot at it with `base_url=f"{fake.url}/bot"`.
    """

    def __init__(self, token: str, *, username: str = "touchpoint_test_bot") -> None:
        super().__init__()
        self.token = token
        bot_id = token.partition(":")[0]
        self.me: JSONDict = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Touchpoint",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._state = threading.Lock()
        self._message_id = 0
        self._blocked: set[int | str] = set()
        self._webhook: Webhook | None = None
        self._chat_actions: list[tuple[int | str, str]] = []
        self._answered: list[AnsweredCallback] = []

    # what was received, besides `sent`

    @property
    def webhook(self) -> Webhook | None:
        with self._state:
            return self._webhook

    @property
    def chat_actions(self) -> list[tuple[int | str, str]]:
        with self._state:
            return list(self._chat_actions)

    @property
    def answered_callbacks(self) -> list[AnsweredCallback]:
        with self._state:
            return list(self._answered)

    # fault injection

    def blocked(self, chat_id: int | str) -> None:
        """Sending to `chat_id` fails as if the person had blocked the bot (403)."""
        with self._state:
            self._blocked.add(chat_id)

    def unblocked(self, chat_id: int | str) -> None:
        with self._state:
            self._blocked.discard(chat_id)

    def fail_next(self, n: int = 1, status: int = 500, *, retry_after: int = 1) -> None:
        """Answer the next `n` requests with `status`; a 429 carries `retry_after` seconds."""
        fault = Fault(status=status, retry_after=retry_after if status == 429 else None)
        self._add_faults(n, fault)

    def deliver_update(
        self, update: JSONDict, url: str | None = None, *, timeout: float = 10.0
    ) -> httpx.Response:
        """POST `update` to the webhook (or `url`) as Telegram does, with its secret token."""
        webhook = self.webhook
        target = url or (webhook.url if webhook else None)
        if not target:
            raise ValueError("No webhook is set: call setWebhook first or pass url=")
        headers = {}
        if webhook is not None and webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        with httpx.Client(timeout=timeout) as client:
            return client.post(target, json=update, headers=headers)

    # the API

    def _fault_body(self, fault: Fault) -> Response:
        status = fault.status or 500
        if fault.retry_after is not None:
            return _error(
                status,
                f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        return _error(status, HTTPStatus(status).phrase)

    def _handle(self, request: ReceivedRequest) -> Response:
        prefix, _, method = request.path.rpartition("/")
        if not prefix.startswith("/bot"):
            return _error(404, "Not Found")
        if prefix.removeprefix("/bot") != self.token:
            return _error(401, "Unauthorized")
        try:
            params = _params(request)
        except ValueError:
            return _bad_request("can't parse request parameters")
        handler = self._methods.get(method.lower())
        if handler is None:
            return _error(404, "Not Found")
        return handler(self, params)

    def _get_me(self, params: JSONDict) -> Response:
        return _ok(self.me)

    def _send_message(self, params: JSONDict) -> Response:
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id in (None, ""):
            return _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            return _bad_request("chat not found")
        if not text:
            return _bad_request("message text is empty")
        if len(str(text)) > _MAX_TEXT:
            return _bad_request("message is too long")
        reply_markup = params.get("reply_markup")
        with self._state:
            if chat_id in self._blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            self._message_id += 1
            message_id = self._message_id
        message: JSONDict = {
            "message_id": message_id,
            "from": self.me,
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": str(text),
        }
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        self._record(
            SentTelegram(
                chat_id=chat_id,
                text=str(text),
                parse_mode=params.get("parse_mode"),
                reply_markup=reply_markup if isinstance(reply_markup, dict) else None,
                message_id=message_id,
            )
        )
        return _ok(message)

    def _set_webhook(self, params: JSONDict) -> Response:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            return _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            return _bad_request("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        webhook = Webhook(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            allowed_updates=list(allowed) if isinstance(allowed, list) else None,
            max_connections=int(params.get("max_connections") or 40),
        )
        with self._state:
            self._webhook = webhook
        return _ok(True, "Webhook was set")

    def _delete_webhook(self, params: JSONDict) -> Response:
        with self._state:
            had, self._webhook = self._webhook, None
        return _ok(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: JSONDict) -> Response:
        webhook = self.webhook
        info: JSONDict = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if webhook is not None:
            info.update(url=webhook.url, max_connections=webhook.max_connections)
            info["ip_address"] = "127.0.0.1"
            if webhook.allowed_updates is not None:
                info["allowed_updates"] = webhook.allowed_updates
        return _ok(info)

    def _send_chat_action(self, params: JSONDict) -> Response:
        chat_id = params.get("chat_id")
        action = str(params.get("action") or "")
        if not isinstance(chat_id, int):
            return _bad_request("chat not found")
        if action not in _CHAT_ACTIONS:
            return _bad_request("wrong parameter action in request")
        with self._state:
            if chat_id in self._blocked:
                return _error(403, "Forbidden: bot was blocked by the user")
            self._chat_actions.append((chat_id, action))
        return _ok(True)

    def _answer_callback_query(self, params: JSONDict) -> Response:
        query_id = params.get("callback_query_id")
        if not query_id:
            return _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        show_alert = params.get("show_alert") in (True, "true", "True", "1")
        answer = AnsweredCallback(str(query_id), params.get("text"), show_alert)
        with self._state:
            self._answered.append(answer)
        return _ok(True)

    _methods: ClassVar[dict[str, Callable[[FakeTelegram, JSONDict], Response]]] = {
        "getme": _get_me,
        "sendmessage": _send_message,
        "setwebhook": _set_webhook,
        "deletewebhook": _delete_webhook,
        "getwebhookinfo": _get_webhook_info,
        "sendchataction": _send_chat_action,
        "answercallbackquery": _answer_callback_query,
    }


def _params(request: ReceivedRequest) -> JSONDict:
    """The method's parameters, from the query, a JSON body or a url-encoded form."""
    params: JSONDict = dict(request.query)
    if request.content_type == "application/json" and request.body:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
    elif request.content_type == "application/x-www-form-urlencoded":
        params.update(request.form())
    elif request.body:
        raise ValueError(f"unsupported content type {request.content_type!r}")
    # Form values are strings; PTB JSON-encodes the structured ones.
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        if name == "chat_id" and _INTEGER.fullmatch(value):
            params[name] = int(value)
        elif name in _JSON_FIELDS:
            params[name] = json.loads(value)
    return params


def _chat(chat_id: int, first_name: str = "Sam") -> JSONDict:
    if chat_id > 0:
        return {"id": chat_id, "first_name": first_name, "type": "private"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "title": "Group", "type": kind}


# Updates as Telegram POSTs them to the webhook.


def _file_id() -> str:
    return "AgAC" + secrets.token_urlsafe(48)


def _message(
    chat_id: int,
    *,
    message_id: int,
    user_id: int | None,
    first_name: str,
    date: int | None,
    **content: Any,
) -> JSONDict:
    return {
        "message_id": message_id,
        "from": {
            "id": user_id if user_id is not None else chat_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        },
        "chat": _chat(chat_id, first_name),
        "date": date if date is not None else int(time.time()),
        **content,
    }


def text_update(
    update_id: int,
    chat_id: int,
    text: str,
    *,
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
    message_id: int | None = None,
) -> JSONDict:
    message = _message(
        chat_id,
        message_id=message_id or update_id,
        user_id=user_id,
        first_name=first_name,
        date=date,
        text=text,
    )
    return {"update_id": update_id, "message": message}


def edited_text_update(
    update_id: int,
    chat_id: int,
    text: str,
    *,
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
    message_id: int | None = None,
    edit_date: int | None = None,
) -> JSONDict:
    message = text_update(
        update_id,
        chat_id,
        text,
        user_id=user_id,
        first_name=first_name,
        date=date,
        message_id=message_id,
    )["message"]
    message["edit_date"] = edit_date if edit_date is not None else message["date"] + 30
    return {"update_id": update_id, "edited_message": message}


def start_update(
    update_id: int,
    chat_id: int,
    token: str,
    *,
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
) -> JSONDict:
    """What a person's client sends after they open the deep link t.me/<bot>?start=<token>."""
    update = text_update(
        update_id, chat_id, f"/start {token}", user_id=user_id, first_name=first_name, date=date
    )
    update["message"]["entities"] = [{"offset": 0, "length": 6, "type": "bot_command"}]
    return update


def photo_update(
    update_id: int,
    chat_id: int,
    *,
    caption: str | None = None,
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
) -> JSONDict:
    sizes = [
        {
            "file_id": _file_id(),
            "file_unique_id": secrets.token_urlsafe(12),
            "width": width,
            "height": height,
            "file_size": size,
        }
        for width, height, size in ((90, 67, 1402), (320, 240, 16754), (1280, 960, 142817))
    ]
    content: JSONDict = {"photo": sizes}
    if caption is not None:
        content["caption"] = caption
    message = _message(
        chat_id,
        message_id=update_id,
        user_id=user_id,
        first_name=first_name,
        date=date,
        **content,
    )
    return {"update_id": update_id, "message": message}


def sticker_update(
    update_id: int,
    chat_id: int,
    *,
    emoji: str = "👍",
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
) -> JSONDict:
    sticker = {
        "file_id": "CAAC" + secrets.token_urlsafe(48),
        "file_unique_id": secrets.token_urlsafe(12),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "set_name": "HotCherry",
        "file_size": 28014,
    }
    message = _message(
        chat_id,
        message_id=update_id,
        user_id=user_id,
        first_name=first_name,
        date=date,
        sticker=sticker,
    )
    return {"update_id": update_id, "message": message}


def voice_update(
    update_id: int,
    chat_id: int,
    *,
    duration: int = 4,
    user_id: int | None = None,
    first_name: str = "Sam",
    date: int | None = None,
) -> JSONDict:
    voice = {
        "file_id": "AwAC" + secrets.token_urlsafe(48),
        "file_unique_id": secrets.token_urlsafe(12),
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 4000 * duration,
    }
    message = _message(
        chat_id,
        message_id=update_id,
        user_id=user_id,
        first_name=first_name,
        date=date,
        voice=voice,
    )
    return {"update_id": update_id, "message": message}


def callback_query_update(
    update_id: int,
    chat_id: int,
    data: str,
    *,
    message_id: int = 1,
    user_id: int | None = None,
    first_name: str = "Sam",
    bot_id: int = 1,
) -> JSONDict:
    """A press on an inline button of the bot's message `message_id`."""
    user: JSONDict = {
        "id": user_id if user_id is not None else chat_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en",
    }
    bot_message = {
        "message_id": message_id,
        "from": {"id": bot_id, "is_bot": True, "first_name": "Touchpoint"},
        "chat": _chat(chat_id, first_name),
        "date": int(time.time()) - 60,
        "text": "…",
    }
    query = {
        "id": str(secrets.randbits(63)),
        "from": user,
        "message": bot_message,
        "chat_instance": str(secrets.randbits(63)),
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


def unknown_update(
    update_id: int,
    *,
    chat_id: int = 100000001,
    kind: Literal["my_chat_member", "poll"] = "my_chat_member",
    bot_id: int = 1,
) -> JSONDict:
    """An update with no message: the person blocked the bot (default), or a poll changed."""
    if kind == "poll":
        poll = {
            "id": str(secrets.randbits(63)),
            "question": "Which day suits you?",
            "options": [
                {"text": "Monday", "voter_count": 1, "persistent_id": "0"},
                {"text": "Friday", "voter_count": 0, "persistent_id": "1"},
            ],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        return {"update_id": update_id, "poll": poll}
    bot_user = {"id": bot_id, "is_bot": True, "first_name": "Touchpoint"}
    member_update = {
        "chat": _chat(chat_id),
        "from": {"id": chat_id, "is_bot": False, "first_name": "Sam"},
        "date": int(time.time()),
        "old_chat_member": {"user": bot_user, "status": "member"},
        "new_chat_member": {"user": bot_user, "status": "kicked", "until_date": 0},
    }
    return {"update_id": update_id, "my_chat_member": member_update}
