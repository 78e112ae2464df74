"""``config/delivery.yaml``: which adapter delivers each channel, plus the outbox and webhook.

Secrets never live in the YAML: it names environment variables (``api_key_env``,
``password_env``, ``secret_env``) and start-up fails, naming file and path, when one is unset.
A bad file reads like ``config/delivery.yaml: channels.email.adapter: pin-api delivers sms and
voice only; use smtp or outbox``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import yaml

from acs.delivery.base import Channel
from acs.delivery.outbox import DEFAULT_MAX_ENTRIES, DEFAULT_TTL_SECONDS
from acs.issuer.config_files import ConfigError, msgspec_path

DELIVERY_FILE = "delivery.yaml"

T = TypeVar("T")


class OutboxChannel(msgspec.Struct, tag="outbox", tag_field="adapter", forbid_unknown_fields=True):
    """Only the simulator outbox: the ACS generates the code and QA reads it back."""


class PinApiChannel(msgspec.Struct, tag="pin-api", tag_field="adapter", forbid_unknown_fields=True):
    """SMS/voice by a 2FA PIN API: the provider generates and verifies the PIN."""

    base_url: str
    application_id: str
    message_id: str
    api_key_env: str = "ACS_PIN_API_KEY"
    sender: str | None = None
    placeholders: dict[str, str] = msgspec.field(default_factory=dict)
    timeout_seconds: float = 5.0


class SmtpChannel(msgspec.Struct, tag="smtp", tag_field="adapter", forbid_unknown_fields=True):
    """Email by SMTP: the ACS generates the code (in the body) and verifies it."""

    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    tls: bool = False  # implicit TLS, usually port 465
    username: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 10.0
    subjects: dict[str, str] = msgspec.field(default_factory=dict)  # locale -> subject


ChannelConfig = OutboxChannel | PinApiChannel | SmtpChannel

# Which adapters can reach which channels.
CHANNELS_FOR: dict[type[Any], frozenset[Channel]] = {
    OutboxChannel: frozenset(Channel),
    PinApiChannel: frozenset({Channel.SMS, Channel.VOICE}),
    SmtpChannel: frozenset({Channel.EMAIL}),
}


class OutboxConfig(msgspec.Struct, forbid_unknown_fields=True):
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    max_entries: int = DEFAULT_MAX_ENTRIES


class WebhookConfig(msgspec.Struct, forbid_unknown_fields=True):
    """A signed copy of every delivery to the issuer (with the outbox adapter: issuer delivers)."""

    url: str
    secret_env: str = "ACS_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
    include_code: bool = True
    timeout_seconds: float = 5.0


def _outbox_everywhere() -> dict[Channel, ChannelConfig]:
    return {channel: OutboxChannel() for channel in Channel}


class DeliveryConfig(msgspec.Struct, forbid_unknown_fields=True):
    channels: dict[Channel, ChannelConfig] = msgspec.field(default_factory=_outbox_everywhere)
    outbox: OutboxConfig = msgspec.field(default_factory=OutboxConfig)
    webhook: WebhookConfig | None = None

    def __post_init__(self) -> None:
        # a channel left out of the file still works: through the outbox
        for channel in Channel:
            self.channels.setdefault(channel, OutboxChannel())


_SECRET_KEYS = re.compile(r"unknown field `(api_key|apikey|key|password|secret|token)`")


def load_delivery_config(
    file: Path, env: Mapping[str, str] | None = None, *, missing_ok: bool = False
) -> DeliveryConfig:
    """Parse and check ``file``; every environment variable it names must be set in ``env``."""
    env = os.environ if env is None else env
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        if missing_ok:
            return DeliveryConfig()
        raise ConfigError(file, "", "file missing") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(file, "", f"not valid YAML: {exc}") from exc
    if data is None:  # an empty (all-comment) file: the defaults
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(file, "", "expected a mapping with channels:, outbox: and webhook:")
    data = dict(data)
    channels = _channels(file, data.pop("channels", None))
    config = _convert(file, "", data, DeliveryConfig)
    if channels is not None:
        config = DeliveryConfig(channels=channels, outbox=config.outbox, webhook=config.webhook)
    check(file, config, env)
    return config


def _channels(file: Path, raw: Any) -> dict[Channel, ChannelConfig] | None:
    """One channel at a time, so errors say ``channels.sms.adapter`` (msgspec says ``[...]``)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(file, "channels", "expected a mapping: sms, email, voice -> adapter")
    channels: dict[Channel, ChannelConfig] = {}
    for key, value in raw.items():
        try:
            channel = Channel(key)
        except ValueError:
            known = ", ".join(Channel)
            raise ConfigError(file, f"channels.{key}", f"unknown channel; use {known}") from None
        channels[channel] = _convert(file, f"channels.{key}", value, ChannelConfig)  # type: ignore[arg-type]
    return channels


def _convert(file: Path, prefix: str, data: Any, kind: type[T]) -> T:
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        where, reason = msgspec_path(exc)
        if _SECRET_KEYS.search(reason):
            reason += "; secrets are not read from the YAML: name an environment variable instead"
        path = ".".join(p for p in (prefix, where) if p).replace(".[", "[")
        raise ConfigError(file, path, reason) from exc


def check(file: Path | str, config: DeliveryConfig, env: Mapping[str, str]) -> None:
    for channel, chosen in config.channels.items():
        where = f"channels.{channel}"
        if channel not in CHANNELS_FOR[type(chosen)]:
            tag = type(chosen).__struct_config__.tag
            reach = " and ".join(sorted(CHANNELS_FOR[type(chosen)]))
            others = ", ".join(
                str(k.__struct_config__.tag) for k, v in CHANNELS_FOR.items() if channel in v
            )
            raise ConfigError(
                file, f"{where}.adapter", f"{tag} delivers {reach} only; use {others} for {channel}"
            )
        if isinstance(chosen, PinApiChannel):
            _url(file, f"{where}.base_url", chosen.base_url)
            _positive(file, f"{where}.timeout_seconds", chosen.timeout_seconds)
            _env(file, f"{where}.api_key_env", chosen.api_key_env, env)
        elif isinstance(chosen, SmtpChannel):
            if chosen.tls and chosen.starttls:
                raise ConfigError(file, f"{where}.tls", "use tls (port 465) or starttls, not both")
            if not 0 < chosen.port < 65536:
                raise ConfigError(file, f"{where}.port", f"{chosen.port} is not a TCP port")
            if "@" not in chosen.sender:
                raise ConfigError(file, f"{where}.sender", "expected an email address")
            _positive(file, f"{where}.timeout_seconds", chosen.timeout_seconds)
            if chosen.password_env is not None:
                if chosen.username is None:
                    raise ConfigError(file, f"{where}.username", "password_env needs a username")
                _env(file, f"{where}.password_env", chosen.password_env, env)
    _positive(file, "outbox.ttl_seconds", config.outbox.ttl_seconds)
    _positive(file, "outbox.max_entries", config.outbox.max_entries)
    if config.webhook is not None:
        _url(file, "webhook.url", config.webhook.url)
        _positive(file, "webhook.timeout_seconds", config.webhook.timeout_seconds)
        _env(file, "webhook.secret_env", config.webhook.secret_env, env)


def _env(file: Path | str, path: str, name: str, env: Mapping[str, str]) -> str:
    value = env.get(name)
    if not value:
        raise ConfigError(file, path, f"environment variable {name} is not set (or empty)")
    return value


def secret(name: str, env: Mapping[str, str]) -> str:
    """The value of a checked environment variable (``check`` has made sure it is set)."""
    return _env("environment", name, name, env)


def _url(file: Path | str, path: str, url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ConfigError(file, path, f"{url!r} is not an http(s) URL")


def _positive(file: Path | str, path: str, value: float) -> None:
    if value <= 0:
        raise ConfigError(file, path, f"must be positive, got {value}")
