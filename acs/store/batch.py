"""Auto-pipelining: commands issued in the same event-loop pass travel in one pipeline.

Every Redis command costs a round trip and tens of microseconds of client CPU. Under load many
AReqs are in flight at once, so their independent commands (a cardholder lookup, a counter
update, a record write) are queued and flushed together as one non-transactional pipeline on the
next loop pass. Each caller still awaits its own result, so a write is durable before the ARes
goes out. Atomic multi-key changes stay in Lua scripts; this only batches independent commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

COMMAND_TIMEOUT = 2.0  # seconds for one pipelined batch


class Script:
    """A Lua script called by SHA; reloaded transparently when Redis has forgotten it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


class AutoPipeline:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._pending: list[tuple[tuple[Any, ...], asyncio.Future[Any], Script | None]] = []
        self._scheduled = False
        # Batches in flight and when they left. A watchdog cancels any older than
        # COMMAND_TIMEOUT: one timer for all batches, where asyncio.timeout per batch cost about
        # a tenth of an AReq's CPU.
        self._inflight: dict[asyncio.Task[None], float] = {}
        self._watchdog: asyncio.Task[None] | None = None

    def command(self, *args: Any) -> asyncio.Future[Any]:
        return self._queue(args, None)

    def script(self, script: Script, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        return self._queue(("EVALSHA", script.sha, len(keys), *keys, *args), script)

    def _queue(self, args: tuple[Any, ...], script: Script | None) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((args, future, script))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        batch, self._pending, self._scheduled = self._pending, [], False
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._send(batch))
        self._inflight[task] = loop.time()
        task.add_done_callback(self._sent)
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch())

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        _consume(task)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._inflight:
            await asyncio.sleep(COMMAND_TIMEOUT / 4)
            deadline = loop.time() - COMMAND_TIMEOUT
            for task, started in list(self._inflight.items()):
                if started < deadline:
                    task.cancel()

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog

    async def _send(
        self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any], Script | None]]
    ) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for args, _, _ in batch:
                pipe.execute_command(*args)
            results = await pipe.execute(raise_on_error=False)
        except asyncio.CancelledError:  # the watchdog: Redis took too long; treat as an outage
            error = TimeoutError(f"Redis did not answer within {COMMAND_TIMEOUT} s")
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(error)
            return
        except Exception as exc:  # the connection failed: every caller gets the error
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (args, future, script), result in zip(batch, results, strict=True):
            if isinstance(result, redis.exceptions.NoScriptError) and script is not None:
                await self._retry_loaded(args, future, script)
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _retry_loaded(
        self, args: tuple[Any, ...], future: asyncio.Future[Any], script: Script
    ) -> None:
        """After a Redis restart the script cache is empty: load the script and run it once more."""
        try:
            await self.client.script_load(script.text)
            future.set_result(await self.client.execute_command(*args))  # type: ignore[no-untyped-call]
        except Exception as exc:
            future.set_exception(exc)


def _consume(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
