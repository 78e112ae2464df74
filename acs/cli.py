"""The ``acs`` command. Every ``serve`` flag also reads an ``ACS_*`` environment variable."""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from acs import logs, report_cli, rules_cli
from acs.config import (
    DEFAULT_PORT,
    DEV_ISSUER_SECRET,
    ISSUER_SIM_PATH,
    ProtocolTimers,
    QaAccess,
    Settings,
    SettingsError,
    env,
    parse_data_key,
    parse_validation,
)
from acs.crypto.pki import DS_EC, DS_RSA, PKI, ROOT, RSA_SIGNING_BITS, PKIError, init_keys, summary
from acs.crypto.sdk_enc_data import EC_ALG, RSA_ALG, DsKeys
from acs.ds.config import DEFAULT_DS_PORT, UnknownRange
from acs.issuer.config_files import ConfigError
from acs.issuer.vault import hash_secret
from acs.listeners import Listener, run, serve_listeners, warn_public_url
from acs.risk.loader import RuleLoadError
from acs.scenario import cli as scenario_cli
from acs.sdk import cli as sdk_cli
from acs.tls import TLSError


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the ACS")
    p.add_argument("--host", default=env("HOST", "127.0.0.1"), help="bind address [ACS_HOST]")
    p.add_argument(
        "--port",
        type=int,
        default=int(env("PORT", str(DEFAULT_PORT)) or DEFAULT_PORT),
        help=f"port (default {DEFAULT_PORT}) [ACS_PORT]",
    )
    p.add_argument(
        "--store",
        default=env("STORE", "memory"),
        help="'memory' (in-process, default) or redis://host:port/db [ACS_STORE]",
    )
    p.add_argument(
        "--config", default=env("CONFIG", "config"), help="issuer directory [ACS_CONFIG]"
    )
    p.add_argument(
        "--rules", default=env("RULES", "rules"), help="rules file or folder [ACS_RULES]"
    )
    p.add_argument(
        "--base-url",
        default=env("BASE_URL", ""),
        help="public URL used to build acsURL and other links [ACS_BASE_URL]",
    )
    p.add_argument(
        "--rules-watch",
        action="store_true",
        default=env("RULES_WATCH", "") in ("1", "true", "yes"),
        help="reload the rules when their files change [ACS_RULES_WATCH=1]",
    )
    p.add_argument(
        "--shadow-rules",
        default=env("SHADOW_RULES", ""),
        help="a draft rules file or folder decided beside --rules on every AReq, recorded but "
        "never answered; see acs rules shadow-report [ACS_SHADOW_RULES]",
    )
    p.add_argument(
        "--no-test-cards",
        action="store_true",
        default=env("NO_TEST_CARDS") == "1",
        help="a single --rules file alone, without the test-card set (rules/test-cards.yaml) "
        "otherwise put in front of it [ACS_NO_TEST_CARDS=1]",
    )
    p.add_argument(
        "--first-creq-timeout",
        type=float,
        default=float(env("FIRST_CREQ_TIMEOUT", "30") or 30),
        help="seconds from a C ARes to the first CReq (default 30) [ACS_FIRST_CREQ_TIMEOUT]",
    )
    p.add_argument(
        "--page-timeout",
        type=float,
        default=float(env("PAGE_TIMEOUT", "600") or 600),
        help="seconds per challenge page (default 600) [ACS_PAGE_TIMEOUT]",
    )
    p.add_argument(
        "--rreq-retry",
        type=float,
        default=float(env("RREQ_RETRY", "10") or 10),
        help="seconds between RReq delivery attempts (default 10) [ACS_RREQ_RETRY]",
    )
    p.add_argument(
        "--qa-open",
        action="store_true",
        default=env("QA_OPEN", "") in ("1", "true", "yes"),
        help="leave /qa open without ACS_QA_TOKEN on a non-loopback --host (it shows live "
        "codes) [ACS_QA_OPEN=1]",
    )
    p.add_argument(
        "--persistent",
        action="store_true",
        default=env("PERSISTENT", "") in ("1", "true", "yes"),
        help="the Redis store keeps data that must outlive test runs: DELETE /qa/state is "
        "refused [ACS_PERSISTENT=1]",
    )
    p.add_argument(
        "--validation",
        default=env("VALIDATION", "strict"),
        help="AReq validation profile: strict (elements of another message version are "
        "Erro 203) or lenient (well-formed ones are dropped); a card range's `validation` "
        "overrides it (default strict) [ACS_VALIDATION]",
    )
    p.add_argument(
        "--keys",
        default=env("KEYS", ""),
        help="test PKI directory made by `acs keys init` (ACS signing and DS keys); without it "
        "a PKI is generated in memory at start-up [ACS_KEYS]",
    )
    p.add_argument("--log-level", default=env("LOG_LEVEL", "info"), help="[ACS_LOG_LEVEL]")
    p.add_argument(
        "--no-issuer-sim",
        action="store_true",
        default=env("NO_ISSUER_SIM") == "1",
        help="do not serve the reference issuer service at /issuer-sim [ACS_NO_ISSUER_SIM=1]",
    )
    p.add_argument(
        "--ds",
        action="store_true",
        default=env("DS") == "1",
        help="also run the Directory Server front a 3DS Server talks to: PReq, AReq and the "
        "RReq relay under /ds/ [ACS_DS=1]",
    )
    _ds_arguments(p)
    p.add_argument(
        "--retention",
        type=int,
        default=int(env("RETENTION", "86400") or 86400),
        help="seconds to keep transaction records [ACS_RETENTION]",
    )
    _tls_arguments(p)


def _tls_arguments(p: argparse.ArgumentParser) -> None:
    """TLS for the listeners and the outgoing calls; paths, as `acs keys init` writes them."""
    tls = p.add_argument_group("TLS (certificates from `acs keys init DIR`: DIR/tls-*.crt)")

    def path(flag: str, name: str, text: str) -> None:
        tls.add_argument(flag, type=Path, default=env(name) or None, help=f"{text} [ACS_{name}]")

    path(
        "--tls-cert", "TLS_CERT", "PEM certificate: the listeners speak https (DIR/tls-server.crt)"
    )
    path("--tls-key", "TLS_KEY", "its PEM private key (DIR/tls-server.key)")
    tls.add_argument(
        "--ds-port",
        type=int,
        default=env("DS_PORT") or None,
        help="a second listener, for the routes a DS or 3DS Server calls (/3ds/areq, /ds/...); "
        "the public port then serves only the rest (pages, 3DS Method, QA, admin) [ACS_DS_PORT]",
    )
    path(
        "--ds-client-ca",
        "DS_CLIENT_CA",
        "mutual TLS on --ds-port: only clients with a certificate from a CA in this PEM file "
        "complete the handshake (DIR/root-ca.crt)",
    )
    path(
        "--client-cert",
        "CLIENT_CERT",
        "PEM certificate presented on outgoing calls, such as the RReq to the DS "
        "(DIR/tls-client.crt)",
    )
    path("--client-key", "CLIENT_KEY", "its PEM private key (DIR/tls-client.key)")
    path(
        "--trust",
        "TRUST",
        "extra root CA (PEM) trusted on outgoing calls, beside the system's (DIR/root-ca.crt)",
    )


def _ds_arguments(p: argparse.ArgumentParser) -> None:
    """What the DS front answers by itself; shared by `serve --ds` and `acs ds`."""
    p.add_argument(
        "--ds-unknown-range",
        choices=[u.value for u in UnknownRange],
        default=env("DS_UNKNOWN_RANGE", UnknownRange.ARES.value),
        help="the DS's answer for a PAN in no card range: ares (ARes N/13, not enrolled; the "
        "default) or erro (Erro 305) [ACS_DS_UNKNOWN_RANGE]",
    )
    p.add_argument(
        "--ds-ares-timeout",
        type=float,
        default=float(env("DS_ARES_TIMEOUT", "10") or 10),
        help="seconds the DS front waits for an ACS's ARes before Erro 402 (default 10) "
        "[ACS_DS_ARES_TIMEOUT]",
    )
    p.add_argument(
        "--faults",
        action="store_true",
        default=env("FAULTS", "") in ("1", "true", "yes"),
        help="play the faults a request asks for (X-ACS-Fault header, AReq messageExtension "
        "acs.fault; README 'Faults'); off, they are ignored and the answer says so. Card and "
        "rule faults always play [ACS_FAULTS=1]",
    )


def issuer_line(settings: Settings) -> str:
    """Where the card ranges' issuer: {url: /issuer-sim} calls go, and how they are signed."""
    secret = (
        "ACS_ISSUER_SECRET" if settings.issuer_secret != DEV_ISSUER_SECRET else "the dev secret"
    )
    if not settings.issuer_sim:
        return f"reference issuer service off (--no-issuer-sim); callbacks signed with {secret}"
    url = settings.public_url + ISSUER_SIM_PATH
    return f"reference issuer service at {url}; callbacks signed with {secret}"


def settings_from(args: argparse.Namespace) -> Settings:
    data_key = env("DATA_KEY")
    return Settings(
        host=args.host,
        port=args.port,
        store=args.store,
        config_dir=Path(args.config),
        rules_path=Path(args.rules),
        base_url=args.base_url,
        admin_token=env("ADMIN_TOKEN") or None,
        qa_token=env("QA_TOKEN") or None,
        qa_open=args.qa_open,
        data_key=parse_data_key(data_key) if data_key else None,
        log_level=args.log_level,
        retention_seconds=args.retention,
        persistent=args.persistent,
        rules_watch=args.rules_watch,
        shadow_rules_path=Path(args.shadow_rules) if args.shadow_rules else None,
        test_cards=not args.no_test_cards,
        validation=parse_validation(args.validation),
        keys_dir=Path(args.keys) if args.keys else None,
        issuer_secret=env("ISSUER_SECRET") or DEV_ISSUER_SECRET,
        issuer_sim=not args.no_issuer_sim,
        timers=ProtocolTimers(
            first_creq_seconds=args.first_creq_timeout,
            challenge_page_seconds=args.page_timeout,
            rreq_retry_seconds=args.rreq_retry,
            ds_ares_seconds=args.ds_ares_timeout,
        ),
        ds_front=args.ds,
        ds_unknown_range=args.ds_unknown_range,
        faults=args.faults,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        ds_port=args.ds_port,
        ds_client_ca=args.ds_client_ca,
        client_cert=args.client_cert,
        client_key=args.client_key,
        trust=args.trust,
    )


def ds_line(settings: Settings, pki: PKI) -> str:
    """Where a 3DS Server points at the DS front of `serve --ds`, and the DS keys an SDK
    encrypts sdkEncData to (empty without --ds)."""
    if not settings.ds_front:
        return ""
    base = settings.public_url
    if settings.ds_port is not None:  # the DS-facing routes answer on the DS listener only
        parts = urlsplit(base)
        base = f"{parts.scheme}://{parts.hostname}:{settings.ds_port}"
    keys = DsKeys(pki.ds_rsa.key, pki.ds_ec.key)  # type: ignore[arg-type]
    where = f"{pki.source}/" if pki.source is not None else "(in memory: --keys keeps them) "
    return (
        f"\n  ds:     DS front: 3DS Servers send PReq to {base}/ds/preq and AReq to "
        f"{base}/ds/areq;\n          no 3DS Server at hand? threeDSServerURL "
        f"{base}/ds/sink/rreq acknowledges RReqs;\n          sdkEncData to "
        f"{where}{DS_RSA}.crt (RSA-OAEP-256, kid {keys.kid(RSA_ALG)}) or "
        f"{DS_EC}.crt (ECDH-ES, kid {keys.kid(EC_ALG)})"
    )


def faults_line(enabled: bool) -> str:
    """Whether per-request faults play, for the start-up lines."""
    if enabled:
        return "per-request faults ON (X-ACS-Fault, messageExtension acs.fault): for QA only"
    return "per-request faults off (--faults to play X-ACS-Fault); card and rule faults play"


def qa_line(settings: Settings) -> str:
    """Who can read /qa, for the start-up lines."""
    host = settings.host
    return {
        QaAccess.BEARER: "token required (ACS_QA_TOKEN)",
        QaAccess.LOOPBACK: f"open on loopback {host} (set ACS_QA_TOKEN to require a token)",
        QaAccess.OPEN: f"open on {host} (--qa-open): whoever reaches the port reads live codes",
        QaAccess.CLOSED: f"closed on {host} (not loopback): set ACS_QA_TOKEN, or start with "
        "--qa-open",
    }[settings.qa_access]


def keys_line(pki: PKI, written: list[Path] | None = None) -> str:
    """Where the signing keys come from, and the root certificate a 3DS SDK under test trusts.
    A PKI made in memory has its root written to a new file, as nothing else holds it; the file
    goes into ``written``, for serve to remove when the process (and so the PKI) ends."""
    if pki.source is not None:
        where = f"{pki.source}/ (test PKI, valid until {pki.expires:%Y-%m-%d})"
        root = str(pki.source / f"{ROOT}.crt")
    else:
        where = "test PKI made in memory, new at each start (--keys DIR keeps one: acs keys init)"
        fd, root = tempfile.mkstemp(prefix="acs-root-ca-", suffix=".pem")
        with os.fdopen(fd, "wb") as out:
            out.write(pki.root_pem())
        os.chmod(root, 0o644)  # a certificate: for the SDK's trust store
        if written is not None:
            written.append(Path(root))
    return f"{where}\n          SDKs trust {root} (SHA-256 {pki.root_fingerprint[:16]}...)"


def listener_lines(settings: Settings, where: list[Listener]) -> str:
    """Where the DS-facing routes answer, and the TLS in use, for the start-up lines."""
    from acs.web.middleware import AREQ_PATH

    ds = next((listener for listener in where if listener.name == "ds"), None)
    if ds is None:
        lines = [f"  areq:   {settings.public_url}{AREQ_PATH}"]
    else:  # the public URL's host (what others reach) with the DS port
        host = urlsplit(settings.public_url).hostname or settings.host
        host = f"[{host}]" if ":" in host else host
        scheme = "https" if ds.ssl else "http"
        clients = (
            f"mutual TLS, clients from {settings.ds_client_ca}"
            if ds.mutual
            else "no client certificate asked (--ds-client-ca)"
        )
        lines = [
            f"  AReq:   {scheme}://{host}:{ds.port}{AREQ_PATH} (DS listener on "
            f"{ds.host}:{ds.port}; {clients}); the public port answers it 404"
        ]
    if settings.tls_cert:
        lines.append(f"  tls:    {settings.tls_cert} (TLS 1.2+)")
    if settings.client_cert or settings.trust:
        cert = settings.client_cert or "no client certificate"
        trust = f", trusting {settings.trust} too" if settings.trust else ""
        lines.append(f"  out:    {cert}{trust}")
    return "\n".join(lines)


def serve(args: argparse.Namespace) -> int:
    from acs.app import build_services, create_app

    written: list[Path] = []  # the in-memory PKI's root file, removed on the way out

    async def make_app() -> web.Application:
        services = await build_services(settings)
        # Start-up objects (field tables, ISO code lists) live for the whole run: keep them out of
        # every garbage collection, which otherwise rescans them and lengthens the latency tail.
        gc.collect()
        gc.freeze()
        # Request garbage is freed by reference counting; a young-generation pass every 700
        # allocations mostly rescans the objects of requests still in flight (~5% of an AReq).
        gc.set_threshold(10_000, 50, 100)
        print(
            f"acs listening on {where[0].origin} (public URL {settings.public_url})\n"
            f"{listener_lines(settings, where)}\n"
            f"  store:  {services.store.description}\n"
            f"  config: {settings.config_dir}/ ({len(services.directory.ranges)} card ranges, "
            f"{len(services.catalog)} test cards)\n"
            f"  rules:  {rules_cli.rules_line(services)}\n"
            f"  keys:   {keys_line(services.pki, written)}\n"
            f"  admin:  {'enabled' if settings.admin_token else 'disabled (set ACS_ADMIN_TOKEN)'}\n"
            f"  qa:     {qa_line(settings)}\n"
            f"  faults: {faults_line(settings.faults)}\n"
            f"  issuer: {issuer_line(settings)}"
            f"{ds_line(settings, services.pki)}",
            file=sys.stderr,
            flush=True,
        )
        warn_public_url(settings, lambda line: print(line, file=sys.stderr, flush=True))
        return create_app(services)

    try:
        settings = settings_from(args)
        logs.configure(settings.log_level)
        where = serve_listeners(settings)
        run(make_app(), where)
    except (SettingsError, ConfigError, RuleLoadError, PKIError, OSError) as exc:
        print(f"acs: cannot start: {exc}", file=sys.stderr)
        return 2
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    return 0


def _ds_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ds",
        help="run the Directory Server front alone, routing to an ACS over HTTP",
        description="What a 3DS Server talks to: PReq (card ranges of --config), AReq (DS "
        "fields added, sdkEncData opened with the DS keys of --keys, routed to --acs-url) and "
        "the ACS's RReq, relayed to the AReq's threeDSServerURL. `acs serve --ds` runs the "
        "same front beside the ACS in one process.",
    )
    p.add_argument(
        "--acs-url",
        default=env("DS_ACS_URL"),
        required=env("DS_ACS_URL") is None,
        help="the ACS's AReq URL, such as http://127.0.0.1:8443/3ds/areq [ACS_DS_ACS_URL]",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_DS_PORT, help="port (default 8445)")
    p.add_argument(
        "--base-url",
        default="",
        help="the URL ACSs reach this DS at (dsURL is it + /ds/rreq); default from host, port",
    )
    p.add_argument("--store", default="memory", help="'memory' or redis://host:port/db")
    p.add_argument("--config", default="config", help="issuer directory: the card ranges")
    p.add_argument(
        "--keys", default=env("KEYS", ""), help="test PKI (`acs keys init DIR`): the DS keys"
    )
    p.add_argument(
        "--method-url", default="", help="3DS Method URL in PRes (default: the ACS's origin)"
    )
    p.add_argument("--validation", default="strict", help="strict or lenient AReq checks")
    _ds_arguments(p)
    p.add_argument("--tls-cert", type=Path, help="PEM certificate: the DS speaks https")
    p.add_argument("--tls-key", type=Path, help="its PEM private key")
    p.add_argument("--client-ca", type=Path, help="mutual TLS: callers need a cert from it")
    p.add_argument("--client-cert", type=Path, help="PEM certificate presented to the ACS")
    p.add_argument("--client-key", type=Path, help="its PEM private key")
    p.add_argument("--trust", type=Path, help="extra root CA (PEM) for outgoing calls")
    p.add_argument("--log-level", default="info")


def ds_command(args: argparse.Namespace) -> int:
    from acs.ds.standalone import Standalone, StandaloneError, create_standalone

    try:
        options = Standalone(
            acs_url=args.acs_url,
            host=args.host,
            port=args.port,
            store=args.store,
            config_dir=Path(args.config),
            keys_dir=Path(args.keys) if args.keys else None,
            base_url=args.base_url,
            method_url=args.method_url,
            unknown_range=UnknownRange(args.ds_unknown_range),
            ares_timeout_seconds=args.ds_ares_timeout,
            faults=args.faults,
            validation=parse_validation(args.validation),
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            client_ca=args.client_ca,
            client_cert=args.client_cert,
            client_key=args.client_key,
            trust=args.trust,
        )
        options.check()
        logs.configure(args.log_level)
        listener = Listener("ds", options.host, options.port, options.server_ssl())
        print(
            f"acs ds listening on {listener.origin}\n"
            f"  3DS Servers: PReq {options.public_url}/ds/preq, "
            f"AReq {options.public_url}/ds/areq\n"
            f"  ACS:    {options.acs_url} (dsURL {options.public_url}/ds/rreq)\n"
            f"  faults: {faults_line(options.faults)}",
            file=sys.stderr,
            flush=True,
        )
        run(create_standalone(options), [listener])
    except (StandaloneError, SettingsError, ConfigError, PKIError, TLSError, OSError) as exc:
        print(f"acs ds: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


def _issuer_sim_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "issuer-sim",
        help="run the reference issuer service the ACS calls back",
        description="The issuer's side of the callbacks (check-authentication-method, "
        "validate-passcode, otp/*, biometric), with a documented deterministic policy. The "
        "shared signing secret comes from ACS_ISSUER_SECRET.",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8444, help="port (default 8444)")
    p.add_argument(
        "--biometric",
        choices=["approve", "deny", "pending", "timeout"],
        default="pending",
        help="biometric verdicts: at once, or pending then a signed callback, or no answer "
        "for 35 s (default pending)",
    )
    p.add_argument(
        "--biometric-delay",
        type=float,
        default=1.0,
        help="seconds before a pending verdict's callback (default 1.0)",
    )


def issuer_sim(args: argparse.Namespace) -> int:
    from acs.issuer_sim.app import create_issuer_sim

    secret = env("ISSUER_SECRET")
    if not secret:
        secret = "dev-issuer-secret"  # noqa: S105 - the documented development default
        print(
            "acs issuer-sim: ACS_ISSUER_SECRET is not set, signing with 'dev-issuer-secret': "
            "set ACS_ISSUER_SECRET to the secret the ACS uses",
            file=sys.stderr,
        )
    try:
        app = create_issuer_sim(
            secret, biometric=args.biometric, biometric_delay=args.biometric_delay
        )
    except ValueError as exc:
        print(f"acs: cannot start: {exc}", file=sys.stderr)
        return 2
    logs.configure(env("LOG_LEVEL", "info") or "info")
    print(
        f"acs issuer-sim listening on http://{args.host}:{args.port} (biometric {args.biometric})",
        file=sys.stderr,
        flush=True,
    )
    try:
        web.run_app(app, host=args.host, port=args.port, print=None)
    except OSError as exc:
        print(f"acs: cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


def secrets_hash(_args: argparse.Namespace) -> int:
    """Hash a passcode or KBA answer for config/cardholders.yaml, reading it without echo."""
    value = os.environ.get("ACS_SECRET") or getpass.getpass("secret to hash: ")
    if not value:
        print("acs: nothing to hash: type a value or set ACS_SECRET", file=sys.stderr)
        return 2
    print(hash_secret(value))
    return 0


def data_key(_args: argparse.Namespace) -> int:
    print(os.urandom(32).hex())
    return 0


def keys_init(args: argparse.Namespace) -> int:
    """Create the test PKI in a directory; a second run changes nothing unless --force."""
    try:
        result = init_keys(Path(args.dir), force=args.force, rsa_bits=args.rsa_bits)
    except PKIError as exc:
        print(f"acs: keys init: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"acs: keys init: {args.dir}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(result.message)
    if result.created:
        print("\n".join(summary(result.pki)))
    return 0


def _keys_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="key helpers")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    keys_sub.add_parser("data-key", help="print a new random ACS_DATA_KEY")
    init = keys_sub.add_parser(
        "init",
        help="create the test PKI (root CA, ACS signing certificates, DS keys) in DIR",
        description="Create a root CA, an ACS signing CA with an RSA (PS256) and an EC P-256 "
        "(ES256) signing certificate, and a DS CA with RSA and EC DS key pairs, as PEM files "
        "(private keys 0600) with a manifest.json. Run again, it checks the set and changes "
        "nothing; --force replaces it. Give 3DS SDKs under test DIR/root-ca.crt to trust.",
    )
    init.add_argument("dir", help="directory to create or check, such as .acs/keys")
    init.add_argument(
        "--force", action="store_true", help="replace the keys already in DIR (a new root)"
    )
    init.add_argument(
        "--rsa-bits",
        type=int,
        choices=RSA_SIGNING_BITS,
        default=2048,
        help="size of the PS256 signing and DS RSA keys (default 2048)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="acs", description="EMV 3-D Secure 2 ACS simulator")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    sec = sub.add_parser("secrets", help="secret helpers")
    sec_sub = sec.add_subparsers(dest="action", required=True)
    sec_sub.add_parser("hash", help="scrypt-hash a passcode or KBA answer (ACS_SECRET or prompt)")
    _keys_parser(sub)
    _issuer_sim_parser(sub)
    _ds_parser(sub)
    rules_cli.add_parser(sub)
    sdk_cli.add_parser(sub)
    scenario_cli.add_parser(sub)
    report_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "rules":
        return rules_cli.main(args)
    if args.command == "secrets":
        return secrets_hash(args)
    if args.command == "issuer-sim":
        return issuer_sim(args)
    if args.command == "ds":
        return ds_command(args)
    if args.command == "sdk":
        return sdk_cli.main(args)
    if args.command == "scenario":
        return scenario_cli.main(args)
    if args.command == "report":
        return report_cli.main(args)
    if args.action == "init":
        return keys_init(args)
    return data_key(args)


if __name__ == "__main__":
    sys.exit(main())
