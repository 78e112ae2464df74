"""Auto-pipelining: commands issued in the same event-loop pass travel in one pipeline.

Under load many requests are in flight at once, so their independent commands (a cardholder
lookup, a counter update, a record write) are queued and flushed together on the next loop pass.
Each caller still awaits its own future, so a write is durable before the answer goes out. Atomic
multi-key changes stay in Lua scripts; this only batches independent commands.

Issue now, await later: ``command`` and ``script`` queue at the call and return a future, so a
handler that starts several reads before awaiting any gets them all in one round trip, without a
task per read.

Two ways to send a batch, one meaning: to a real Redis over ``RespConnection`` (hiredis, one
pipelined connection), and to the in-process store through redis-py's pipeline.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar, overload

import redis.asyncio as aioredis
import redis.exceptions

from acs.store.errors import STORE_ERRORS, unavailable
from acs.store.resp import Parse, Resend, Waiter, as_eval, settle

COMMAND_TIMEOUT = 2.0  # seconds Redis may stay silent while commands wait


class Script:
    """A Lua script called by SHA; sent in full when Redis has forgotten it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


class Sender(Protocol):
    def send(self, commands: Sequence[tuple[Any, ...]], waiters: list[Waiter]) -> None: ...

    def close(self) -> None: ...


class AutoPipeline:
    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self._commands: list[tuple[Any, ...]] = []
        self._waiters: list[Waiter] = []

    def command(self, *args: Any, parse: Parse | None = None) -> asyncio.Future[Any]:
        """Queue a command; the future gets the reply, or ``parse(reply)`` when given."""
        return self._queue(args, None, parse)

    def script(
        self, script: Script, keys: list[str], args: list[Any], parse: Parse | None = None
    ) -> asyncio.Future[Any]:
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        return self._queue(command, (script.text, command), parse)

    def _queue(
        self, args: tuple[Any, ...], resend: Resend | None, parse: Parse | None
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._commands:
            loop.call_soon(self._flush)
        self._commands.append(args)
        self._waiters.append((future, resend, parse))
        return future

    def _flush(self) -> None:
        commands, waiters = self._commands, self._waiters
        self._commands, self._waiters = [], []
        self.sender.send(commands, waiters)

    def close(self) -> None:
        self.sender.close()


class RedisPySender:
    """Batches through a redis-py client's pipeline: the in-process store (fakeredis)."""

    def __init__(self, client: aioredis.Redis, description: str) -> None:
        self.client = client
        self.description = description
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, commands: Sequence[tuple[Any, ...]], waiters: list[Waiter]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(commands, waiters))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, commands: Sequence[tuple[Any, ...]], waiters: list[Waiter]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for args in commands:
                pipe.execute_command(*args)
            results = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the connection failed: every caller gets the error
            if isinstance(exc, STORE_ERRORS):
                exc = unavailable(self.description, exc)
            for future, _, _ in waiters:
                if not future.done():
                    future.set_exception(exc)
            return
        for (future, resend, parse), result in zip(waiters, results, strict=True):
            if isinstance(result, redis.exceptions.NoScriptError) and resend is not None:
                try:
                    result = await self.client.execute_command(*as_eval(resend))  # type: ignore[no-untyped-call]
                except Exception as exc:
                    result = exc
            if isinstance(result, Exception):
                if not future.done():
                    future.set_exception(result)
            else:
                settle(future, parse, result)

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()


T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")


@overload
async def await_all(a: Awaitable[T1], b: Awaitable[T2], /) -> tuple[T1, T2]: ...
@overload
async def await_all(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], /
) -> tuple[T1, T2, T3]: ...
async def await_all(*pending: Awaitable[Any]) -> tuple[Any, ...]:
    """Await reads already queued (issue now, await later), like asyncio.gather without a task
    each. Every one is awaited even after a failure, so no error is left unretrieved; the first
    failure is raised."""
    results: list[Any] = []
    error: BaseException | None = None
    for item in pending:
        try:
            results.append(await item)
        except Exception as exc:
            error = error or exc
            results.append(None)
    if error is not None:
        raise error
    return tuple(results)
