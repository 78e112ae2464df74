"""HMAC-SHA-256 for the per-AReq hot paths, keyed once and copied per message.

OpenSSL 3's one-shot HMAC (``hmac.digest``) fetches its algorithm on every call, which in a busy
process costs several times the hash itself. Here the key is absorbed once into an ``hmac``
object over CPython's own SHA-256, and each message runs on a copy. The digests are the standard
HMAC-SHA-256 and SHA-256 ones.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["KeyedMac", "sha256"]

try:  # CPython's own SHA-256: the module is _sha2 from 3.12, _sha256 before
    from _sha2 import sha256  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the Python version
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:
        sha256 = hashlib.sha256  # no builtin module: OpenSSL's, the same digest


class KeyedMac:
    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, None, sha256)

    def digest(self, message: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(message)
        return mac.digest()

    def hexdigest(self, message: bytes) -> str:
        mac = self._keyed.copy()
        mac.update(message)
        return mac.hexdigest()
