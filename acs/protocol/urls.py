"""URL rules, in one place: what a cardholder's browser must be able to use later is refused
where it enters (AReq, 3DS Method data, card ranges, settings), by the same rule the page
renderer applies, never first on a live page.

A *web URL* is a navigation or form target a challenge page can name in its CSP
``form-action``: http(s), a host of letters, digits and hyphens in dot-separated labels (the CSP
host grammar: no underscore, no empty label) or a bracketed IPv6 address, an optional port, and
no whitespace or control character anywhere. An *image source* is what the pages' ``img-src``
allows: an https:// web URL, or a same-origin ``/path``.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

MAX_URL_CHARS = 2048

_NETLOC = re.compile(
    r"(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9A-Fa-f]*")
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # whitespace, controls, backslash


def _host_ok(host: str, ipv6: str | None) -> bool:
    if ipv6 is not None:
        try:
            address = ipaddress.IPv6Address(ipv6)
        except ValueError:
            return False
        # the browser writes the address in its short form; the CSP source must match that
        return address.compressed == ipv6.lower()
    # a host whose last label is a number is an IPv4 address to a browser ("1.2.3" becomes
    # 1.2.0.3): only the canonical dotted quad means the same to the browser and the CSP
    last = host.rsplit(".", 1)[-1]
    return not _NUMERIC_LABEL.fullmatch(last) or _DOTTED_QUAD.fullmatch(host) is not None


def web_origin(url: object) -> str | None:
    """``scheme://host[:port]`` (lower case) of a web URL; None when ``url`` is not one."""
    return _web_origin(url) if isinstance(url, str) else None


# Every AReq names its notificationURL, and requestors send the same few again and again: the
# answer is kept (bounded, so a requestor sending new URLs only churns the cache).
@lru_cache(maxsize=4096)
def _web_origin(url: str) -> str | None:
    if len(url) > MAX_URL_CHARS or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[bad" and the like
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        return None
    netloc = _NETLOC.fullmatch(parts.netloc)
    if netloc is None or not _host_ok(netloc["host"], netloc["ipv6"]):
        return None
    port = netloc["port"]
    if port is not None and int(port) > 65535:
        return None
    return f"{scheme}://{parts.netloc}".lower()


def is_web_url(url: object) -> bool:
    """An absolute http(s) URL a challenge page can post to (see the module docstring)."""
    return web_origin(url) is not None


def is_local_path(url: object) -> bool:
    """A same-origin path: ``/x``, not ``//host`` (scheme-relative) nor anything unsafe."""
    return (
        isinstance(url, str)
        and url.startswith("/")
        and not url.startswith("//")
        and len(url) <= MAX_URL_CHARS
        and _UNSAFE.search(url) is None
    )


def is_form_target(url: object) -> bool:
    """A web URL or a same-origin path: what a page of ours may post a form to."""
    return is_local_path(url) or is_web_url(url)


def is_image_source(url: object) -> bool:
    """An https:// web URL or a same-origin path: what the pages' img-src allows."""
    if is_local_path(url):
        return True
    origin = web_origin(url)
    return origin is not None and origin.startswith("https://")


WEB_URL_RULE = "an http(s) URL whose host is letters, digits, dots and hyphens or [IPv6]"
IMAGE_SOURCE_RULE = "an https:// URL (host of letters, digits, dots, hyphens) or a /path"
