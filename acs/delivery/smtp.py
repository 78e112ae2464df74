"""Email over SMTP, with the stdlib ``smtplib`` in a worker thread.

Why not aiosmtplib: it is well kept too, but this is one short mail per challenge, and smtplib
ships (and gets security fixes) with CPython, so email costs no new dependency. ``to_thread``
keeps the event loop free; the socket timeout bounds the thread, since a cancelled await cannot
stop it. The ACS generates the code (``code`` is in ``msg.text``); the ACS verifies it.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from acs.delivery.base import (
    DeliveryReceipt,
    OtpMessage,
    VerifyResult,
    failed,
    language,
    mask_email,
    not_provider_verified,
    sent,
)

SUBJECTS = {"en": "Your one-time code", "de": "Ihr Einmalcode"}


class SmtpAdapter:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        subjects: Mapping[str, str] | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.name = "smtp"
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.tls = starttls, tls
        self.username, self._password = username, password
        self.timeout = timeout
        self.subjects = {**SUBJECTS, **(subjects or {})}
        self.local_hostname = local_hostname

    def subject(self, locale: str) -> str:
        return self.subjects.get(locale) or self.subjects[language(locale)]

    async def send(self, msg: OtpMessage) -> DeliveryReceipt:
        where = f"SMTP {self.host}:{self.port}"
        try:
            mail = self.compose(msg)
        except ValueError as exc:  # a CR/LF in an address: header injection refused
            return failed(msg, self.name, f"cannot address the email: {exc}")
        try:
            await asyncio.to_thread(self._deliver, mail)
        except smtplib.SMTPAuthenticationError as exc:
            error = f"{where} refused the login ({_reply(exc)}); check username and password_env"
        except smtplib.SMTPNotSupportedError as exc:
            error = f"{where}: {exc}; check the starttls, tls and username settings"
        except smtplib.SMTPRecipientsRefused as exc:
            replies = "; ".join(f"{c} {_text(m)}" for c, m in exc.recipients.values())
            error = f"{where} refused the recipient {mask_email(msg.destination)} ({replies})"
        except smtplib.SMTPSenderRefused as exc:
            error = f"{where} refused the sender {self.sender!r} ({_reply(exc)}); check sender"
        except smtplib.SMTPResponseException as exc:
            error = f"{where} answered {_reply(exc)}"
        except smtplib.SMTPException as exc:
            error = f"{where}: {exc}"
        except ssl.SSLError as exc:
            error = f"TLS with {where} failed ({exc}); check tls, starttls and port"
        except TimeoutError:
            error = f"{where} did not answer within {self.timeout:g}s; check host and port"
        except OSError as exc:
            error = f"cannot connect to {where} ({exc}); check host and port"
        else:
            return sent(msg, self.name, provider_ref=str(mail["Message-ID"]))
        return failed(msg, self.name, error.replace(msg.destination, mask_email(msg.destination)))

    async def resend(self, msg: OtpMessage, previous: DeliveryReceipt) -> DeliveryReceipt:
        return await self.send(msg)  # a mail is a new mail

    async def verify(self, receipt: DeliveryReceipt, pin: str) -> VerifyResult:
        return not_provider_verified(self.name)

    def compose(self, msg: OtpMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = msg.destination
        mail["Subject"] = self.subject(msg.locale)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a code
        mail.set_content(msg.text)
        return mail

    def _deliver(self, mail: EmailMessage) -> None:
        """Runs in a worker thread: blocking smtplib calls only."""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, self.local_hostname, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, self.local_hostname, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self._password or "")
            smtp.send_message(mail)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
