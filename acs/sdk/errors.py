"""What the built-in SDK raises: a check it makes failed, or the ACS answered with an Erro."""

from __future__ import annotations

from typing import Any


class SdkCheckError(Exception):
    """A check the SDK makes failed; ``error_code`` is the Erro an SDK would send, if any."""

    def __init__(self, reason: str, error_code: str | None = None) -> None:
        super().__init__(reason if error_code is None else f"{reason} (Erro {error_code})")
        self.reason = reason
        self.error_code = error_code


class ErroReceived(Exception):
    """The ACS answered with an Erro message (plain JSON, or inside the JWE if ``encrypted``)."""

    def __init__(self, erro: dict[str, Any], *, encrypted: bool) -> None:
        super().__init__(
            f"ACS answered Erro {erro.get('errorCode')}: {erro.get('errorDescription')}"
            f" ({erro.get('errorDetail')})"
        )
        self.erro = erro
        self.encrypted = encrypted
