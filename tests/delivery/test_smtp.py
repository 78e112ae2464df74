"""The SMTP adapter against a real local aiosmtpd server."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from acs.delivery.base import Channel
from acs.delivery.smtp import SmtpAdapter
from tests.delivery.fakes import EMAIL, message
from tests.redis_server import free_port

SENDER = "no-reply@bank.example"


@dataclass
class Inbox:
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def only(self) -> EmailMessage:
        (envelope,) = self.envelopes
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"acs", b"s3cret")
    return AuthResult(success=ok, handled=False)


def _serve(**kwargs: Any) -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from _serve()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpServer]:
    yield from _serve(authenticator=_authenticator, auth_require_tls=False)


def adapter(port: int, **kw: Any) -> SmtpAdapter:
    return SmtpAdapter("127.0.0.1", port, SENDER, timeout=5, local_hostname="acs.test", **kw)


async def test_mail_reaches_the_server(smtp_server: SmtpServer) -> None:
    msg = message(Channel.EMAIL)
    receipt = await adapter(smtp_server.port).send(msg)

    assert receipt.status == "sent" and receipt.error is None
    assert receipt.destination_masked == "c***@example.com"
    assert receipt.provider_verifies is False
    assert smtp_server.inbox.envelopes[0].rcpt_tos == [EMAIL]
    mail = smtp_server.inbox.only()
    assert mail["To"] == EMAIL
    assert mail["From"] == SENDER
    assert mail["Subject"] == "Your one-time code"
    assert mail["Message-ID"] == receipt.provider_ref
    body = mail.get_body()
    assert body is not None and body.get_content().strip() == msg.text


async def test_subject_is_localised_and_non_ascii_survives(smtp_server: SmtpServer) -> None:
    text = "Demo Bank: 123456 ist Ihr Code für 49,99 € bei Beispiel. Nie weitergeben."
    smtp = adapter(smtp_server.port, subjects={"de": "Ihr Bestätigungscode"})
    receipt = await smtp.send(message(Channel.EMAIL, locale="de-DE", text=text))
    assert receipt.status == "sent"
    mail = smtp_server.inbox.only()
    assert mail["Subject"] == "Ihr Bestätigungscode"
    body = mail.get_body()
    assert body is not None and body.get_content().strip() == text


async def test_default_german_subject(smtp_server: SmtpServer) -> None:
    await adapter(smtp_server.port).send(message(Channel.EMAIL, locale="de"))
    assert smtp_server.inbox.only()["Subject"] == "Ihr Einmalcode"


async def test_login(smtp_auth_server: SmtpServer) -> None:
    good = await adapter(smtp_auth_server.port, username="acs", password="s3cret").send(
        message(Channel.EMAIL)
    )
    assert good.status == "sent"

    bad = await adapter(smtp_auth_server.port, username="acs", password="nope").send(
        message(Channel.EMAIL)
    )
    assert bad.status == "failed"
    assert bad.error is not None
    assert "refused the login (535" in bad.error and "password_env" in bad.error
    assert len(smtp_auth_server.inbox.envelopes) == 1


async def test_starttls_not_offered(smtp_server: SmtpServer) -> None:
    receipt = await adapter(smtp_server.port, starttls=True).send(message(Channel.EMAIL))
    assert receipt.status == "failed"
    assert receipt.error is not None and "STARTTLS" in receipt.error
    assert "check the starttls" in receipt.error


async def test_server_down_gives_a_failed_receipt() -> None:
    port = free_port()
    receipt = await adapter(port).send(message(Channel.EMAIL))
    assert receipt.status == "failed"
    assert receipt.error is not None
    assert receipt.error.startswith(f"cannot connect to SMTP 127.0.0.1:{port}")
    assert EMAIL not in receipt.error


async def test_header_injection_is_refused() -> None:
    receipt = await adapter(free_port()).send(
        message(Channel.EMAIL, destination="a@example.com\r\nBcc: all@example.com")
    )
    assert receipt.status == "failed"
    assert receipt.error is not None and receipt.error.startswith("cannot address the email")
