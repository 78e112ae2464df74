"""Runtime settings: CLI flags with ``ACS_*`` environment defaults, validated once at start-up."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import ssl
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from acs import tls
from acs.protocol import urls
from acs.protocol.profiles import ValidationProfile

DEFAULT_PORT = 8443
AREQ_MAX_BODY = 256 * 1024  # deviceInfo (64 000) + messageExtension (81 920) + the rest
ADMIN_MAX_BODY = 64 * 1024


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which one and how to fix it."""


@dataclass(slots=True)
class ProtocolTimers:
    """Protocol timers (reference section 8). Tests shorten them here, never by sleeping."""

    first_creq_seconds: float = 30.0
    challenge_page_seconds: float = 600.0
    rres_wait_seconds: float = 5.0
    rreq_retry_seconds: float = 10.0
    rreq_max_attempts: int = 8  # immediate retry, then every rreq_retry_seconds
    # the DS front (acs/ds): how long it waits for an ARes (DS-defined; then Erro 402) and,
    # relaying an RReq, for the 3DS Server's RRes (reference section 8)
    ds_ares_seconds: float = 10.0
    ds_rres_wait_seconds: float = 3.0
    # the longest a decoupled approval may take, whatever threeDSRequestorDecMaxTime asks for
    decoupled_max_seconds: float = 3600.0
    poll_seconds: float = 0.5  # how often each node looks at the due-set
    # how long a claimed timer (an RReq attempt included) is held before another node may take
    # it over; longer than rres_wait_seconds, so a live attempt is not repeated while it waits
    timer_lease_seconds: float = 15.0


class QaAccess(StrEnum):
    """Who may read /qa (the outbox there shows live codes)."""

    BEARER = "bearer"  # ACS_QA_TOKEN set: bearer token required
    LOOPBACK = "loopback"  # no token, bound to loopback: only this machine reaches it
    OPEN = "open"  # no token, another address, --qa-open given: anyone who reaches the port
    CLOSED = "closed"  # no token, another address, no --qa-open: refused


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; anything else (0.0.0.0, a LAN address, a name) is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


ISSUER_SIM_PATH = "/issuer-sim"  # where this process serves the reference issuer service
# the simulator's default: the built-in issuer-sim uses it too; set ACS_ISSUER_SECRET for real ones
DEV_ISSUER_SECRET = "dev-issuer-secret"  # noqa: S105


@dataclass(slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    store: str = "memory"
    config_dir: Path = Path("config")
    rules_path: Path = Path("rules")
    base_url: str = ""
    admin_token: str | None = None
    qa_token: str | None = None  # when set, /qa needs it too
    qa_open: bool = False  # --qa-open: no token and not loopback, and /qa stays open anyway
    data_key: bytes | None = None
    log_level: str = "info"
    retention_seconds: int = 24 * 3600
    # the store holds what must outlive the tests (--persistent): DELETE /qa/state is refused
    persistent: bool = False
    rules_watch: bool = False
    validation: ValidationProfile = ValidationProfile.STRICT  # card ranges may say otherwise
    keys_dir: Path | None = None  # the test PKI (`acs keys init`); None: generated in memory
    # signs the callbacks to the issuer's systems and checks theirs (ACS_ISSUER_SECRET)
    issuer_secret: str = DEV_ISSUER_SECRET
    issuer_sim: bool = True  # serve the reference issuer service at /issuer-sim
    timers: ProtocolTimers = field(default_factory=ProtocolTimers)
    # TLS (acs/tls.py): the listeners' certificate, and a second listener for the DS-facing
    # routes (is_ds_facing), with mutual TLS when ds_client_ca is set
    tls_cert: Path | None = None
    tls_key: Path | None = None
    ds_port: int | None = None
    ds_client_ca: Path | None = None
    # presented on outgoing calls (the RReq to the DS) when the server asks; trust: an extra root
    client_cert: Path | None = None
    client_key: Path | None = None
    trust: Path | None = None
    # the DS front (acs/ds) in this process (--ds): what a PAN in no card range gets
    ds_front: bool = False
    ds_unknown_range: str = "ares"  # or "erro" (Erro 305)
    # rules (acs/flows/rules.py): a draft set decided beside the live one, recorded only; and
    # whether a single --rules file gets the test-card set in front of it
    shadow_rules_path: Path | None = None
    test_cards: bool = True
    # per-request faults (X-ACS-Fault, messageExtension acs.fault): off unless --faults; card
    # and rule faults always play (acs/faults.py)
    faults: bool = False

    @property
    def public_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return (self.base_url or f"{self.scheme}://{host}:{self.port}").rstrip("/")

    @property
    def scheme(self) -> str:
        """What the listeners speak."""
        return "https" if self.tls_cert else "http"

    @property
    def own_origin(self) -> str:
        """Where this process answers itself (its mounted issuer-sim): the bind address, not the
        public URL, which may not route back from inside a container."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def own_ds_origin(self) -> str:
        """Where this process's DS-facing routes answer it: ``own_origin`` on the DS port."""
        if self.ds_port is None:
            return self.own_origin
        return f"{self.own_origin.rsplit(':', 1)[0]}:{self.ds_port}"

    @property
    def qa_access(self) -> QaAccess:
        if self.qa_token:
            return QaAccess.BEARER
        if is_loopback(self.host):
            return QaAccess.LOOPBACK
        return QaAccess.OPEN if self.qa_open else QaAccess.CLOSED

    @property
    def uses_memory_store(self) -> bool:
        return self.store == "memory"

    def check(self) -> None:
        if not (
            self.store == "memory" or self.store.startswith(("redis://", "rediss://", "unix://"))
        ):
            raise SettingsError(
                f"--store {self.store!r}: use 'memory' or a redis URL such as redis://localhost:6379/0"
            )
        if not self.uses_memory_store and self.data_key is None:
            raise SettingsError(
                "ACS_DATA_KEY is required with a Redis store, so that encrypted PANs stay readable "
                "across restarts and by every ACS process; create one with `acs keys data-key`"
            )
        if self.persistent and self.uses_memory_store:
            raise SettingsError(
                "--persistent: the memory store ends with the process; use it with a Redis "
                "store (--store redis://...), or leave it out"
            )
        if self.ds_unknown_range not in ("ares", "erro"):
            raise SettingsError(
                f"--ds-unknown-range {self.ds_unknown_range!r}: use ares (ARes N/13) or erro "
                "(Erro 305) [ACS_DS_UNKNOWN_RANGE]"
            )
        if self.timers.timer_lease_seconds <= self.timers.rres_wait_seconds:
            raise SettingsError(
                "timer lease must be longer than the RRes wait, or a live RReq attempt would be "
                "repeated by another node"
            )
        if not urls.is_web_url(self.public_url):
            # acsURL and every challenge page's form target are built from it (and its CSP)
            where = "--base-url" if self.base_url else "the URL from --host and --port"
            raise SettingsError(
                f"{where} {self.public_url!r}: must be {urls.WEB_URL_RULE}; "
                "set --base-url, such as https://acs.example.com"
            )
        if not self.config_dir.is_dir():
            raise SettingsError(f"--config {self.config_dir}: not a directory")
        if not self.rules_path.exists():
            raise SettingsError(f"--rules {self.rules_path}: no such file or directory")
        if self.shadow_rules_path is not None and not self.shadow_rules_path.exists():
            raise SettingsError(
                f"--shadow-rules {self.shadow_rules_path}: no such file or directory"
            )
        if self.keys_dir is not None and not self.keys_dir.is_dir():
            raise SettingsError(
                f"--keys {self.keys_dir}: not a directory; create the keys with "
                f"`acs keys init {self.keys_dir}`"
            )
        self._check_tls()

    def _check_tls(self) -> None:
        """The TLS flags go together as they should, and their files load (contexts made once
        here only to fail before any port opens)."""
        for cert, key, flags in (
            (self.tls_cert, self.tls_key, "--tls-cert and --tls-key"),
            (self.client_cert, self.client_key, "--client-cert and --client-key"),
        ):
            if (cert is None) != (key is None):
                raise SettingsError(f"{flags} go together: give both files, or neither")
        if self.ds_port is not None and (not 0 < self.ds_port < 65536 or self.ds_port == self.port):
            raise SettingsError(
                f"--ds-port {self.ds_port}: give a free port other than --port {self.port}, "
                "such as 8444"
            )
        if self.ds_client_ca is not None:
            if self.ds_port is None:
                raise SettingsError(
                    "--ds-client-ca needs --ds-port: mutual TLS happens on the DS listener only "
                    "(browsers reach the public one without a client certificate)"
                )
            if self.tls_cert is None:
                raise SettingsError(
                    "--ds-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first"
                )
        self.server_ssl(ds=True)
        self.client_ssl()

    def _tls_flag(self, exc: tls.TLSError) -> SettingsError:
        flags = {
            self.tls_cert: "--tls-cert [ACS_TLS_CERT]",
            self.tls_key: "--tls-key [ACS_TLS_KEY]",
            self.ds_client_ca: "--ds-client-ca [ACS_DS_CLIENT_CA]",
            self.client_cert: "--client-cert [ACS_CLIENT_CERT]",
            self.client_key: "--client-key [ACS_CLIENT_KEY]",
            self.trust: "--trust [ACS_TRUST]",
        }
        return SettingsError(f"{flags.get(exc.file, 'TLS')} {exc}")

    def server_ssl(self, *, ds: bool = False) -> ssl.SSLContext | None:
        """The public listener's TLS (None: plain HTTP), or with ``ds`` the DS listener's:
        mutual with --ds-client-ca."""
        if self.tls_cert is None or self.tls_key is None:
            return None
        try:
            client_ca = self.ds_client_ca if ds else None
            return tls.server_context(self.tls_cert, self.tls_key, client_ca)
        except tls.TLSError as exc:
            raise self._tls_flag(exc) from exc

    def client_ssl(self) -> ssl.SSLContext | None:
        """Outgoing TLS (the RReq, issuer callbacks): None leaves aiohttp's defaults."""
        try:
            return tls.client_context(self.client_cert, self.client_key, self.trust)
        except tls.TLSError as exc:
            raise self._tls_flag(exc) from exc


def parse_data_key(text: str) -> bytes:
    """ACS_DATA_KEY: 32 bytes as 64 hex digits or base64."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SettingsError("ACS_DATA_KEY: give 32 bytes as 64 hex digits or base64") from exc
    if len(key) != 32:
        raise SettingsError(f"ACS_DATA_KEY: must be 32 bytes, got {len(key)}")
    return key


def parse_validation(text: str) -> ValidationProfile:
    """--validation / ACS_VALIDATION: strict or lenient."""
    try:
        return ValidationProfile(text.strip().lower())
    except ValueError as exc:
        raise SettingsError(
            f"--validation {text!r}: use strict or lenient [ACS_VALIDATION]"
        ) from exc


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"ACS_{name}", default)
