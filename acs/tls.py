"""TLS contexts from PEM files: the listeners' (server TLS, mutual TLS) and the outgoing calls'
(a client certificate, an extra root to trust).

Files are read and checked here first, with ``cryptography``, so that a wrong file stops start-up
with the file at fault and what is wrong with it, rather than OpenSSL's ``[SSL] PEM lib``; and an
encrypted key is refused instead of OpenSSL asking for its passphrase on the terminal.
"""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

MIN_VERSION = ssl.TLSVersion.TLSv1_2  # EMV 3DS requires TLS 1.2 or later


class TLSError(ValueError):
    """A TLS file that cannot be used: the file and the reason."""

    def __init__(self, file: Path, reason: str) -> None:
        self.file, self.reason = file, reason
        super().__init__(f"{file}: {reason}")


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A listener's TLS, 1.2 or later. With ``client_ca``, mutual TLS: a client without a
    certificate, or with one no CA in that file issued, fails the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = MIN_VERSION
    _load_pair(context, cert, key)
    if client_ca is not None:
        _load_roots(context, client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    cert: Path | None, key: Path | None, trust: Path | None
) -> ssl.SSLContext | None:
    """Outgoing TLS: the system's roots plus ``trust`` (such as the test root), hostnames
    checked, and ``cert`` with ``key`` presented when a server asks for a client certificate.
    None when there is nothing to add to the defaults."""
    if cert is None and trust is None:
        return None
    context = ssl.create_default_context()
    context.minimum_version = MIN_VERSION
    if trust is not None:
        _load_roots(context, trust)
    if cert is not None:
        _load_pair(context, cert, key or cert)
    return context


def own_context(cert: Path, client_cert: Path | None, client_key: Path | None) -> ssl.SSLContext:
    """For calls this process makes to its own listener (serve --ds: the RReq to its DS front):
    only ``cert``, this process's certificate, is trusted, and its names are not checked, as
    the call goes to the bind address, which a real certificate need not name. The client
    certificate goes along, for the DS listener's mutual TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MIN_VERSION
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the leaf alone is the anchor
    _load_roots(context, cert)
    if client_cert is not None:
        _load_pair(context, client_cert, client_key or client_cert)
    return context


def _load_pair(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    leaf = _certificates(cert)[0]
    now = dt.datetime.now(dt.UTC)
    if now > leaf.not_valid_after_utc:
        raise TLSError(cert, f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if now < leaf.not_valid_before_utc:
        raise TLSError(cert, f"not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    private = _private_key(key)
    der, spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(der, spki) != leaf.public_key().public_bytes(der, spki):
        raise TLSError(
            cert, f"does not match the key {key}: the certificate holds another public key"
        )
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:  # what cryptography accepts and OpenSSL does not
        raise TLSError(cert, f"refused by OpenSSL: {exc.reason or exc}") from exc


def _load_roots(context: ssl.SSLContext, path: Path) -> None:
    _certificates(path)
    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        raise TLSError(path, f"refused by OpenSSL: {exc.reason or exc}") from exc


def _certificates(path: Path) -> list[x509.Certificate]:
    data = _read(path)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TLSError(path, "no PEM certificate in it (-----BEGIN CERTIFICATE-----)") from exc


def _private_key(path: Path) -> PrivateKeyTypes:
    data = _read(path)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise TLSError(
            path,
            f"the private key is encrypted; give an unencrypted PEM key "
            f"(openssl pkey -in {path} -out plain.key)",
        ) from exc
    except ValueError as exc:  # the message never quotes the key
        raise TLSError(path, "not a PEM private key (-----BEGIN PRIVATE KEY-----)") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise TLSError(path, "no such file") from exc
    except OSError as exc:
        raise TLSError(path, f"cannot read: {exc.strerror or exc}") from exc
