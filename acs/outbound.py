"""Outbound HTTP: one JSON POST with a deadline, for the delivery adapters and the issuer
callbacks; any transport failure becomes a message."""

from __future__ import annotations

from ssl import SSLContext

import aiohttp


class HttpFailure(Exception):
    """No HTTP answer at all (refused, DNS, TLS, timeout); the message says which."""


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
    *,
    ssl: SSLContext | bool = True,
) -> tuple[int, bytes]:
    """Return (HTTP status, body). Status codes are the caller's business; transport is ours.
    ``ssl``: True checks the server as the session does; a context of its own replaces that
    (``acs.tls.own_context`` for calls to this process)."""
    try:
        async with session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
            timeout=aiohttp.ClientTimeout(total=seconds),
            allow_redirects=False,  # a redirect would re-send the body (and its code) elsewhere
            ssl=ssl,
        ) as resp:
            return resp.status, await resp.read()
    except TimeoutError as exc:  # before ClientError: ServerTimeoutError is both
        raise HttpFailure(f"no answer from {url} within {seconds:g}s") from exc
    except aiohttp.ClientError as exc:
        raise HttpFailure(f"cannot reach {url}: {exc or type(exc).__name__}") from exc


def snippet(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."
