"""The test PKI: a root CA, the ACS signing certificates, a DS-style CA with DS key pairs, and
TLS certificates for the listeners and for mutual TLS.

Layout (one scheme root, as a card scheme has)::

    root-ca                      self-signed; what a 3DS SDK under test trusts
    ├── acs-ca                   intermediate: issues the ACS signing certificates
    │   ├── acs-signing-rsa      RSA (2048 or 3072 bits): acsSignedContent with PS256
    │   └── acs-signing-ec       EC P-256: acsSignedContent with ES256
    ├── ds-ca                    intermediate: issues the DS certificates
    │   ├── ds-rsa               RSA: sdkEncData with RSA-OAEP-256
    │   └── ds-ec                EC P-256: sdkEncData with ECDH-ES
    ├── tls-server               EC P-256, serverAuth, for localhost, 127.0.0.1 and ::1 (--tls-cert)
    └── tls-client               EC P-256, clientAuth: what a 3DS Server, the DS front and the
                                 ACS's RReq present on mutual TLS (--client-cert)

The TLS certificates come straight from the root, so a TLS peer needs no chain file: trusting
root-ca.crt (``--trust``, ``--ds-client-ca``) is enough.

Each is ``NAME.crt`` (PEM certificate) and ``NAME.key`` (PEM PKCS#8 private key, mode 0600) in
one directory, with a ``manifest.json`` for people and tools. A directory made by an older version
lacks the later roles (the TLS ones): ``acs keys init`` issues them from the CAs already there and
leaves every other file as it is. The CA keys are kept too, so the
simulator can issue more certificates (a chain from another root, an expired one) from the same
root. These are simulator keys: never use them in production.

``PKI.load`` checks a directory in a fixed order and stops at the first problem with the file
and the reason: files present, PEM readable, private keys not readable by others, key matches
certificate, key type and size, CA flags and key usage, issued by its CA (name and signature),
extended key usage (TLS), valid now.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import stat
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "acs-test-pki/1"
RSA_SIGNING_BITS = (2048, 3072)  # what `acs keys init --rsa-bits` offers for the PS256 key
MIN_RSA_BITS = 2048
_ORGANIZATION = "acs simulator test PKI (not for production)"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_E = TypeVar("_E", bound=x509.ExtensionType)


class PKIError(ValueError):
    """A key directory that cannot be used: the file at fault and the reason."""

    def __init__(self, file: Path | str, reason: str) -> None:
        self.file, self.reason = str(file), reason
        super().__init__(f"{file}: {reason}")


class KeyType(StrEnum):
    RSA = "rsa"
    EC = "ec"


class Usage(StrEnum):
    CA = "ca"  # issues certificates
    SIGN = "sign"  # ACS signing: acsSignedContent (JWS)
    ENCRYPT = "encrypt"  # DS: the SDK encrypts sdkEncData to it
    TLS_SERVER = "tls-server"  # a listener's certificate
    TLS_CLIENT = "tls-client"  # presented on mutual TLS


@dataclass(frozen=True, slots=True)
class Role:
    """One certificate of the layout: its file stem, issuer, key and purpose."""

    name: str
    issuer: str | None  # None: self-signed (the root)
    key_type: KeyType
    usage: Usage
    common_name: str
    days: int

    @property
    def cert_file(self) -> str:
        return f"{self.name}.crt"

    @property
    def key_file(self) -> str:
        return f"{self.name}.key"


ROOT = "root-ca"
ACS_CA = "acs-ca"
ACS_RSA = "acs-signing-rsa"
ACS_EC = "acs-signing-ec"
DS_CA = "ds-ca"
DS_RSA = "ds-rsa"
DS_EC = "ds-ec"
TLS_SERVER = "tls-server"
TLS_CLIENT = "tls-client"
TLS_HOSTS = ("localhost", "127.0.0.1", "::1")  # the server certificate's subjectAltName

# Issuers come before what they issue: generation and loading walk this order.
ROLES: tuple[Role, ...] = (
    Role(ROOT, None, KeyType.RSA, Usage.CA, "acs test root CA", 3650),
    Role(ACS_CA, ROOT, KeyType.RSA, Usage.CA, "acs test ACS signing CA", 1825),
    Role(ACS_RSA, ACS_CA, KeyType.RSA, Usage.SIGN, "acs test ACS signing (PS256)", 730),
    Role(ACS_EC, ACS_CA, KeyType.EC, Usage.SIGN, "acs test ACS signing (ES256)", 730),
    Role(DS_CA, ROOT, KeyType.RSA, Usage.CA, "acs test DS CA", 1825),
    Role(DS_RSA, DS_CA, KeyType.RSA, Usage.ENCRYPT, "acs test DS encryption (RSA)", 730),
    Role(DS_EC, DS_CA, KeyType.EC, Usage.ENCRYPT, "acs test DS encryption (EC)", 730),
    # added later: `acs keys init` adds them to a directory made before (see init_keys)
    Role(TLS_SERVER, ROOT, KeyType.EC, Usage.TLS_SERVER, "acs test TLS server (localhost)", 730),
    Role(TLS_CLIENT, ROOT, KeyType.EC, Usage.TLS_CLIENT, "acs test TLS client", 730),
)
_BY_NAME = {role.name: role for role in ROLES}


def key_files(directory: Path) -> list[Path]:
    """Every file `acs keys init` writes, the manifest last."""
    names = [n for role in ROLES for n in (role.cert_file, role.key_file)]
    return [directory / n for n in [*names, MANIFEST]]


@dataclass(frozen=True, slots=True, repr=False)
class Credential:
    """A private key with its certificate and the chain above it (leaf first, no root)."""

    role: Role
    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def __repr__(self) -> str:  # never the key
        return f"Credential({self.role.name}, {self.certificate.subject.rfc4514_string()})"

    @property
    def key_description(self) -> str:
        return describe_key(self.key)


@dataclass(frozen=True, slots=True, repr=False)
class PKI:
    credentials: dict[str, Credential]
    source: Path | None = None  # None: generated in memory at start-up

    def __repr__(self) -> str:
        return f"PKI(source={self.source}, root={self.root_fingerprint[:16]})"

    def __getitem__(self, name: str) -> Credential:
        return self.credentials[name]

    @property
    def root(self) -> x509.Certificate:
        return self.credentials[ROOT].certificate

    @property
    def acs_rsa(self) -> Credential:
        return self.credentials[ACS_RSA]

    @property
    def acs_ec(self) -> Credential:
        return self.credentials[ACS_EC]

    @property
    def ds_rsa(self) -> Credential:
        return self.credentials[DS_RSA]

    @property
    def ds_ec(self) -> Credential:
        return self.credentials[DS_EC]

    @property
    def tls_server(self) -> Credential:
        return self.credentials[TLS_SERVER]

    @property
    def tls_client(self) -> Credential:
        return self.credentials[TLS_CLIENT]

    @property
    def root_fingerprint(self) -> str:
        return self.root.fingerprint(hashes.SHA256()).hex()

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    @property
    def expires(self) -> dt.datetime:
        """When the first certificate of the set expires."""
        return min(c.certificate.not_valid_after_utc for c in self.credentials.values())

    # -- making one ----------------------------------------------------------------------------

    @classmethod
    def generate(
        cls,
        *,
        rsa_bits: int = 2048,
        ca_bits: int = 3072,
        now: dt.datetime | None = None,
    ) -> PKI:
        """A fresh PKI in memory. ``rsa_bits`` sizes the PS256 and DS RSA keys, ``ca_bits`` the
        CA keys."""
        made: dict[str, Credential] = {}
        _issue_roles(made, ROLES, rsa_bits=rsa_bits, ca_bits=ca_bits, now=now)
        return cls(made)

    def write(self, directory: Path, only: Collection[str] | None = None) -> list[Path]:
        """Write every file (replacing what is there), or only the roles named in ``only`` and
        the manifest; private keys 0600, the rest 0644."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        written = []
        for cred in self.credentials.values():
            if only is not None and cred.role.name not in only:
                continue
            key_pem = cred.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            cert_pem = cred.certificate.public_bytes(serialization.Encoding.PEM)
            written.append(_write_file(directory / cred.role.key_file, key_pem, 0o600))
            written.append(_write_file(directory / cred.role.cert_file, cert_pem, 0o644))
        manifest = json.dumps(self.manifest(), indent=2).encode() + b"\n"
        written.append(_write_file(directory / MANIFEST, manifest, 0o644))
        return written

    def manifest(self) -> dict[str, object]:
        def entry(cred: Credential) -> dict[str, object]:
            cert = cred.certificate
            return {
                "certificate": cred.role.cert_file,
                "key": cred.role.key_file,
                "subject": cert.subject.rfc4514_string(),
                "issuer": cert.issuer.rfc4514_string(),
                "key_type": cred.key_description,
                "usage": cred.role.usage.value,
                "not_after": _iso(cert.not_valid_after_utc),
                "sha256": cert.fingerprint(hashes.SHA256()).hex(),
            }

        return {
            "format": MANIFEST_FORMAT,
            "note": "Test keys of the acs simulator. Never use them in production.",
            "trust": self.credentials[ROOT].role.cert_file,
            "acs_signing": {"PS256": ACS_RSA, "ES256": ACS_EC},
            "ds_encryption": {"RSA-OAEP-256": DS_RSA, "ECDH-ES": DS_EC},
            "tls": {"server": TLS_SERVER, "client": TLS_CLIENT, "hosts": list(TLS_HOSTS)},
            "certificates": {name: entry(cred) for name, cred in self.credentials.items()},
        }

    # -- reading one ---------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, *, now: dt.datetime | None = None) -> PKI:
        """Read and check every file; the first problem raises PKIError(file, reason)."""
        if not directory.is_dir():
            raise PKIError(
                directory, f"not a directory; create one with `acs keys init {directory}`"
            )
        return cls(_load(directory, ROLES, now or dt.datetime.now(dt.UTC)), source=directory)


def _load(directory: Path, roles: Collection[Role], now: dt.datetime) -> dict[str, Credential]:
    """Read and check ``roles`` (issuers first); the first problem raises PKIError."""
    loaded: dict[str, Credential] = {}
    for role in roles:
        key = _read_key(directory / role.key_file)
        cert = _read_cert(directory / role.cert_file)
        if role.issuer and role.issuer not in loaded:  # only when reading part of a set
            raise PKIError(
                directory / role.cert_file,
                f"its CA {_BY_NAME[role.issuer].cert_file} is missing",
            )
        issuer = loaded[role.issuer] if role.issuer else None
        problem = _check(role, key, cert, issuer.certificate if issuer else None, now)
        if problem:
            file, reason = problem
            raise PKIError(directory / file, reason)
        loaded[role.name] = Credential(role, key, cert, _chain_below_root(cert, issuer))
    return loaded


def _issue_roles(
    made: dict[str, Credential],
    roles: Collection[Role],
    *,
    rsa_bits: int,
    ca_bits: int,
    now: dt.datetime | None = None,
) -> None:
    """New keys and certificates for ``roles`` (issuers first), issued by the CAs in ``made``."""
    if rsa_bits < MIN_RSA_BITS or ca_bits < MIN_RSA_BITS:
        raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits")
    now = now or dt.datetime.now(dt.UTC)
    for role in roles:
        key = _new_key(role, rsa_bits=rsa_bits, ca_bits=ca_bits)
        issuer = made[role.issuer] if role.issuer else None
        cert = _issue(role, key, issuer, now)
        made[role.name] = Credential(role, key, cert, _chain_below_root(cert, issuer))


def _chain_below_root(
    cert: x509.Certificate, issuer: Credential | None
) -> tuple[x509.Certificate, ...]:
    """The x5c order: the certificate, then its CAs up to (not including) the root."""
    if issuer is None or issuer.role.issuer is None:
        return (cert,)
    return (cert, *issuer.chain)


# A root no SDK trusts, and a signing certificate from it: the ``bad-x5c`` fault's
# acsSignedContent (acs/faults.py). EC, so making it at start-up costs a few milliseconds.
ROGUE_ROLES: tuple[Role, ...] = (
    Role("rogue-ca", None, KeyType.EC, Usage.CA, "acs rogue CA (fault bad-x5c; trust it not)", 365),
    Role("rogue-signing", "rogue-ca", KeyType.EC, Usage.SIGN, "acs rogue signing (ES256)", 365),
)


def rogue_signing(now: dt.datetime | None = None) -> Credential:
    """A fresh ES256 signing credential whose chain (leaf, then its own root: x5c as a
    careless ACS would send it) reaches no root of the test PKI."""
    made: dict[str, Credential] = {}
    _issue_roles(made, ROGUE_ROLES, rsa_bits=MIN_RSA_BITS, ca_bits=MIN_RSA_BITS, now=now)
    root, leaf = (made[role.name] for role in ROGUE_ROLES)
    return Credential(leaf.role, leaf.key, leaf.certificate, (leaf.certificate, root.certificate))


# -- keys init --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InitResult:
    pki: PKI
    created: bool
    message: str


def init_keys(
    directory: Path, *, force: bool = False, rsa_bits: int = 2048, ca_bits: int = 3072
) -> InitResult:
    """`acs keys init`: create the PKI in ``directory``; a second run changes nothing, and an
    existing set is replaced only with ``force``. A set made by an older version gets the roles
    it lacks (both files absent) issued by its own CAs, the other files untouched. ``rsa_bits``
    sizes the PS256 and DS RSA keys, ``ca_bits`` the CA keys."""
    if rsa_bits not in RSA_SIGNING_BITS:
        raise PKIError(directory, f"--rsa-bits {rsa_bits}: use 2048 or 3072")
    present = [p for p in key_files(directory) if p.exists()]
    if present and not force:
        absent = _absent_roles(directory)
        try:
            loaded = _load(
                directory, [r for r in ROLES if r not in absent], dt.datetime.now(dt.UTC)
            )
        except PKIError as exc:
            raise PKIError(
                exc.file,
                f"{exc.reason}; {directory} already holds key files, so nothing was changed: "
                f"fix them, or replace the whole set with `acs keys init --force {directory}`",
            ) from exc
        if not absent:
            return InitResult(
                PKI(loaded, source=directory),
                created=False,
                message=f"{directory}: a valid test PKI is already there; nothing changed "
                "(--force replaces it)",
            )
        _issue_roles(loaded, absent, rsa_bits=rsa_bits, ca_bits=ca_bits)
        names = [role.name for role in absent]
        PKI(loaded).write(directory, only=names)
        return InitResult(
            PKI.load(directory),
            created=True,
            message=f"{directory}: added {', '.join(names)} to the test PKI (same root; "
            "the other keys unchanged)",
        )
    pki = PKI.generate(rsa_bits=rsa_bits, ca_bits=ca_bits)
    pki.write(directory)
    pki = PKI.load(directory)  # what serve will read, checked once
    verb = "replaced" if present else "created"
    return InitResult(pki, created=True, message=f"{directory}: test PKI {verb}")


def _absent_roles(directory: Path) -> list[Role]:
    """Roles with neither file in ``directory``, which init may add; never the root (without
    it nothing else can be checked, and a new one is a new set: --force)."""
    return [
        role
        for role in ROLES
        if role.name != ROOT
        and not (directory / role.cert_file).exists()
        and not (directory / role.key_file).exists()
    ]


def summary(pki: PKI) -> Iterator[str]:
    """Lines for people: what each file is, and what to trust."""
    where = f"{pki.source}/" if pki.source else ""
    for cred in pki.credentials.values():
        cert = cred.certificate
        yield (
            f"  {where}{cred.role.cert_file:<22} {cred.key_description:<9} "
            f"{cred.role.usage.value:<10} until {cert.not_valid_after_utc:%Y-%m-%d}  "
            f"{cred.role.common_name}"
        )
    yield f"  trust anchor for SDKs: {where}{ROOT}.crt (SHA-256 {pki.root_fingerprint})"
    yield (
        f"  TLS server (--tls-cert/--tls-key): {where}{TLS_SERVER}.crt/.key, "
        f"for {', '.join(TLS_HOSTS)}"
    )
    yield (
        f"  TLS client (--client-cert/--client-key): {where}{TLS_CLIENT}.crt/.key; "
        f"both sides trust {where}{ROOT}.crt (--trust, --ds-client-ca)"
    )


# -- generation -------------------------------------------------------------------------------


def _new_key(role: Role, *, rsa_bits: int, ca_bits: int) -> PrivateKey:
    if role.key_type is KeyType.EC:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(65537, ca_bits if role.usage is Usage.CA else rsa_bits)


def _issue(
    role: Role, key: PrivateKey, issuer: Credential | None, now: dt.datetime
) -> x509.Certificate:
    """A certificate for ``key``, signed by ``issuer`` (or by ``key`` itself for the root)."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, role.common_name),
        ]
    )
    is_ca = role.usage is Usage.CA
    start = now - dt.timedelta(hours=1)  # clock skew between the ACS and the SDK's device
    end = start + dt.timedelta(days=role.days)
    if issuer is not None:  # never outlive the CA
        end = min(end, issuer.certificate.not_valid_after_utc)
    signer = issuer.key if issuer else key
    path_length = (None if issuer is None else 0) if is_ca else None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
        .add_extension(_key_usage(role), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )
    for extension in _tls_extensions(role):
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(signer, hashes.SHA256())


_EKU = {  # the extendedKeyUsage each TLS role needs, and its name in messages
    Usage.TLS_SERVER: (ExtendedKeyUsageOID.SERVER_AUTH, "serverAuth"),
    Usage.TLS_CLIENT: (ExtendedKeyUsageOID.CLIENT_AUTH, "clientAuth"),
}


def _tls_extensions(role: Role) -> list[x509.ExtensionType]:
    """extendedKeyUsage for the TLS certificates, and the server's hosts (clients check the
    subjectAltName, not the common name)."""
    if role.usage not in _EKU:
        return []
    extensions: list[x509.ExtensionType] = [x509.ExtendedKeyUsage([_EKU[role.usage][0]])]
    if role.usage is Usage.TLS_SERVER:
        names: list[x509.GeneralName] = [x509.DNSName(TLS_HOSTS[0])]
        names += [x509.IPAddress(ipaddress.ip_address(h)) for h in TLS_HOSTS[1:]]
        extensions.append(x509.SubjectAlternativeName(names))
    return extensions


def _key_usage(role: Role) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if role.usage is Usage.CA:
        flags.update(key_cert_sign=True, crl_sign=True, digital_signature=True)
    elif role.usage in (Usage.SIGN, Usage.TLS_SERVER, Usage.TLS_CLIENT):
        flags.update(digital_signature=True)  # TLS with an EC key: ECDHE-ECDSA signs
    elif role.key_type is KeyType.RSA:
        flags.update(key_encipherment=True)
    else:
        flags.update(key_agreement=True)
    return x509.KeyUsage(**flags)


def _write_file(path: Path, data: bytes, mode: int) -> Path:
    """Write through a temporary file in the same directory, created with ``mode``, then rename:
    a private key is never readable by others, not even for a moment."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- checks -----------------------------------------------------------------------------------


def _read_cert(path: Path) -> x509.Certificate:
    data = _read(path)
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise PKIError(path, f"not a PEM certificate ({exc})") from exc


def _read_key(path: Path) -> PrivateKey:
    data = _read(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PKIError(
            path, f"private key readable by group or others (mode {mode:04o}); chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        # the message of a bad key never quotes the key
        raise PKIError(path, "not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PKIError(path, f"a {type(key).__name__}; expected an RSA or EC key")
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise PKIError(
            path, f"file missing; create the keys with `acs keys init {path.parent}`"
        ) from exc
    except OSError as exc:
        raise PKIError(path, f"cannot read: {exc.strerror}") from exc


def _check(
    role: Role,
    key: PrivateKey,
    cert: x509.Certificate,
    issuer: x509.Certificate | None,
    now: dt.datetime,
) -> tuple[str, str] | None:
    """The first problem of one certificate and its key, as (file, reason), else None."""
    crt, kf = role.cert_file, role.key_file
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        return crt, f"does not match {kf}: the certificate holds another public key"
    wanted = _key_problem(role, key)
    if wanted:
        return kf, wanted
    constraints = _extension(cert, x509.BasicConstraints)
    is_ca = role.usage is Usage.CA
    if constraints is None or constraints.ca != is_ca:
        want = "a CA certificate (basicConstraints CA:TRUE)" if is_ca else "not a CA certificate"
        return crt, f"must be {want}"
    usage = _extension(cert, x509.KeyUsage)
    needed = {
        Usage.CA: "key_cert_sign",
        Usage.SIGN: "digital_signature",
        Usage.ENCRYPT: "key_encipherment" if role.key_type is KeyType.RSA else "key_agreement",
        Usage.TLS_SERVER: "digital_signature",
        Usage.TLS_CLIENT: "digital_signature",
    }[role.usage]
    if usage is None or not getattr(usage, needed):
        what = _USAGE_TEXT[role.usage]
        return crt, f"keyUsage must include {_camel(needed)} ({what})"
    if role.usage in _EKU:
        oid, wanted = _EKU[role.usage]
        purposes = _extension(cert, x509.ExtendedKeyUsage)
        if purposes is None or oid not in purposes:
            return crt, f"extendedKeyUsage must include {wanted} ({_USAGE_TEXT[role.usage]})"
    signer = issuer or cert
    signer_file = _BY_NAME[role.issuer].cert_file if role.issuer else crt
    try:
        cert.verify_directly_issued_by(signer)
    except ValueError:
        return crt, (
            f"not issued by {signer_file}: its issuer is {cert.issuer.rfc4514_string()!r}, "
            f"{signer_file} is {signer.subject.rfc4514_string()!r}"
        )
    except (InvalidSignature, TypeError):
        return crt, f"not issued by {signer_file}: the signature does not verify with its key"
    if now < cert.not_valid_before_utc:
        return crt, f"not valid before {_iso(cert.not_valid_before_utc)}"
    if now > cert.not_valid_after_utc:
        return crt, f"expired on {_iso(cert.not_valid_after_utc)}"
    return None


_USAGE_TEXT = {
    Usage.CA: "a CA certificate",
    Usage.SIGN: "an ACS signing certificate",
    Usage.ENCRYPT: "a DS encryption certificate",
    Usage.TLS_SERVER: "a TLS server certificate",
    Usage.TLS_CLIENT: "a TLS client certificate",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _key_problem(role: Role, key: PrivateKey) -> str | None:
    what = "CA" if role.usage is Usage.CA else role.name
    if role.key_type is KeyType.EC:
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            return f"{describe_key(key)} key; {what} needs an EC P-256 key"
        return None
    if role.usage is Usage.CA:
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
            return f"{describe_key(key)} key; {what} needs at least {MIN_RSA_BITS} bits"
        return None  # a CA may be RSA or EC
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        return f"{describe_key(key)} key; {what} needs an RSA key of {MIN_RSA_BITS}+ bits"
    return None


def describe_key(key: PrivateKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
    return f"EC {names.get(key.curve.name, key.curve.name)}"


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
