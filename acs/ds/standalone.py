"""``acs ds``: the DS front in a process of its own, routing every AReq to one ACS over HTTP
(another acs, or any ACS), with the card ranges of an issuer config folder for PRes."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from acs import tls
from acs.crypto.pki import PKI
from acs.crypto.sdk_enc_data import DsKeys
from acs.ds.config import DEFAULT_DS_PORT, DsConfig, UnknownRange
from acs.ds.server import DirectoryServer
from acs.ds.web import create_ds_app
from acs.issuer.config_files import load_issuer_config
from acs.issuer.models import RangeIndex
from acs.protocol import urls
from acs.protocol.profiles import ValidationProfile
from acs.store.store import Store

METHOD_PATH = "/3ds/method"  # where an acs serves the 3DS Method (acs.flows.method)


class StandaloneError(ValueError):
    """A setting of ``acs ds`` that cannot work; the message says how to fix it."""


@dataclass(slots=True)
class Standalone:
    acs_url: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_DS_PORT
    store: str = "memory"
    config_dir: Path = Path("config")
    keys_dir: Path | None = None
    base_url: str = ""
    method_url: str = ""  # default: the ACS URL's origin + /3ds/method
    unknown_range: UnknownRange = UnknownRange.ARES
    ares_timeout_seconds: float = 10.0
    faults: bool = False  # --faults: X-ACS-Fault on a PReq plays (acs/faults.py)
    validation: ValidationProfile = ValidationProfile.STRICT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None  # mutual TLS for the 3DS Servers and ACSs that call in
    client_cert: Path | None = None  # presented to the ACS
    client_key: Path | None = None
    trust: Path | None = None  # an extra root for the ACS's and 3DS Servers' certificates

    @property
    def public_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (self.base_url or f"{scheme}://{host}:{self.port}").rstrip("/")

    def check(self) -> None:
        if not urls.is_web_url(self.acs_url):
            raise StandaloneError(
                f"--acs-url {self.acs_url!r}: give the ACS's AReq URL, such as "
                "http://127.0.0.1:8443/3ds/areq"
            )
        if not self.config_dir.is_dir():
            raise StandaloneError(f"--config {self.config_dir}: not a directory")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise StandaloneError("--tls-cert and --tls-key go together: give both, or neither")
        if self.client_ca is not None and self.tls_cert is None:
            raise StandaloneError("--client-ca needs --tls-cert and --tls-key: mTLS is TLS first")

    def server_ssl(self) -> ssl.SSLContext | None:
        if self.tls_cert is None or self.tls_key is None:
            return None
        return tls.server_context(self.tls_cert, self.tls_key, self.client_ca)

    def default_method_url(self) -> str:
        parts = urlsplit(self.acs_url)
        return self.method_url or f"{parts.scheme}://{parts.netloc}{METHOD_PATH}"


async def create_standalone(options: Standalone) -> web.Application:
    """Everything that can fail on bad settings fails here, before the port opens."""
    options.check()
    issuer = load_issuer_config(options.config_dir)
    pki = PKI.load(options.keys_dir) if options.keys_dir else PKI.generate(ca_bits=2048)
    client_ssl = tls.client_context(options.client_cert, options.client_key, options.trust)
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=client_ssl) if client_ssl else None
    )
    config = DsConfig(
        public_url=options.public_url,
        method_url=options.default_method_url(),
        acs_url=options.acs_url,
        unknown_range=options.unknown_range,
        validation=options.validation,
        ares_timeout_seconds=options.ares_timeout_seconds,
        faults=options.faults,
    )
    keys = DsKeys(pki.ds_rsa.key, pki.ds_ec.key)  # type: ignore[arg-type]
    store = Store.connect(options.store)
    ds = DirectoryServer(config, store, RangeIndex(issuer.ranges), keys, http)
    return create_ds_app(ds)
