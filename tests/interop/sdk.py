"""The independent 3DS SDK the tests drive the app channel with: the built-in SDK (``acs.sdk``),
which import-linter keeps apart from the ACS's code and crypto (it runs on jwcrypto and
``cryptography``), so what it accepts is checked by a second implementation."""

from acs.sdk.errors import ErroReceived, SdkCheckError
from acs.sdk.jose import channel_key, concat_kdf, concat_kdf_other_info, decrypt_jwe
from acs.sdk.session import SdkSession

__all__ = [
    "ErroReceived",
    "SdkCheckError",
    "SdkSession",
    "channel_key",
    "concat_kdf",
    "concat_kdf_other_info",
    "decrypt_jwe",
]
