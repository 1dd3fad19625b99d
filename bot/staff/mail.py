"""Email to staff through the trust's SMTP server (TOUCHPOINT_SMTP_URL, with aiosmtplib).

`smtps://user:password@host:465` connects over TLS; `smtp://user:password@host:587`
upgrades with STARTTLS (required when a password is given; used when offered otherwise,
as by a relay on 127.0.0.1). What the server says maps onto the outbox's outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.outbox import Failed, Outcome, Retry, Sent, Unsure
from bot.settings import Settings


class MailSettingsError(ValueError):
    """TOUCHPOINT_SMTP_URL or TOUCHPOINT_MAIL_FROM is unusable: a sentence saying why."""


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    tls: bool  # implicit TLS (smtps://)
    username: str | None
    password: str | None
    sender: str
    timeout: float = 10.0

    def message(self, to: str, subject: str, body: str, message_id: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(localtime=False)
        # The same for every attempt: a copy sent again after a crash can be told apart.
        mail["Message-ID"] = message_id
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(body)
        return mail

    async def send(self, mail: EmailMessage) -> Outcome:
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.tls,
                start_tls=None if self.tls or not self.username else True,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError):
            return Retry("smtp_connect")  # never reached the server
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = {e.code for e in exc.recipients}
            return Failed("smtp_refused") if min(codes) >= 500 else Retry("smtp_refused")
        except aiosmtplib.SMTPResponseException as exc:
            code = f"smtp_{exc.code}"
            return Failed(code) if exc.code >= 500 and exc.code != 554 else Retry(code)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
            return Unsure("smtp_lost")  # the server may have taken it: sent again later
        except (aiosmtplib.SMTPException, OSError):
            return Retry("smtp_error")
        return Sent(None)


def message_id(notification_id: int, sender: str) -> str:
    domain = sender.rpartition("@")[2].strip("> ") or "touchpoint.invalid"
    return make_msgid(idstring=f"alert-notification-{notification_id}", domain=domain)


def build_mailer(settings: Settings, *, timeout: float = 10.0) -> Mailer | None:
    """The mailer, or None when TOUCHPOINT_SMTP_URL is not set."""
    if settings.smtp_url is None:
        return None
    url = urlsplit(settings.smtp_url.get_secret_value())
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise MailSettingsError(
            "TOUCHPOINT_SMTP_URL must look like smtp://user:password@host:587 (STARTTLS) "
            "or smtps://user:password@host:465."
        )
    if not settings.mail_from:
        raise MailSettingsError(
            "Set TOUCHPOINT_MAIL_FROM to the address alert emails come from, for example "
            "touchpoint@trust.nhs.uk."
        )
    tls = url.scheme == "smtps"
    return Mailer(
        host=url.hostname,
        port=url.port or (465 if tls else 587),
        tls=tls,
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        sender=settings.mail_from,
        timeout=timeout,
    )
