"""The store's failures, shared by the redis-py calls and the pipelined request path."""

from __future__ import annotations

import redis.exceptions


class StoreUnavailable(RuntimeError):
    """The store could not be reached; the request may be retried."""


# What "unreachable" looks like from redis-py and from RespConnection.
STORE_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    OSError,
)


def unavailable(description: str, exc: BaseException) -> StoreUnavailable:
    if isinstance(exc, StoreUnavailable):
        return exc
    return StoreUnavailable(f"store {description} unavailable: {exc}")
