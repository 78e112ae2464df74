"""A pipelined Redis connection for the request path: hiredis packs and parses, futures in order.

Why not redis-py here: its asyncio pipeline spends about 100 us of CPU per round trip (a task, a
pool checkout, an asyncio timeout and a Python read loop per reply), which was half of what an
AReq cost in all. Redis answers the commands of one connection in the order they were sent, so a
queue of futures is all the bookkeeping a pipeline needs; hiredis (the Redis project's C parser,
which redis-py uses too) does the packing and parsing. Everything else - admin writes,
transactions, scripts registered with redis-py - stays on redis-py.

A command fails with ``StoreUnavailable`` when Redis cannot be reached, the connection drops, or
Redis stops answering for ``timeout`` seconds (then the connection is dropped: replies that may
still come would belong to commands already failed); the next command reconnects. An error reply
fails its own command with redis-py's ``ResponseError``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import hiredis
import redis.exceptions
from redis.asyncio.connection import SSLConnection, parse_url

from acs.store.errors import StoreUnavailable, unavailable

Parse = Callable[[Any], Any]
# For an EVALSHA: the script's text and the command, to send it as EVAL after a NOSCRIPT.
Resend = tuple[str, tuple[Any, ...]]
# (future, Resend or None, parse or None): the future gets ``parse(reply)``, so a caller can
# await a finished value without a coroutine of its own.
Waiter = tuple["asyncio.Future[Any]", "Resend | None", "Parse | None"]


def as_eval(resend: Resend) -> tuple[Any, ...]:
    """EVALSHA sha n keys... args... -> EVAL text n keys... args..."""
    text, command = resend
    return ("EVAL", text, *command[2:])


def settle(future: asyncio.Future[Any], parse: Parse | None, reply: Any) -> None:
    """Hand a reply to its caller: ``parse(reply)``, or what ``parse`` raised."""
    if future.done():
        return
    if parse is None:
        future.set_result(reply)
        return
    try:
        value = parse(reply)
    except Exception as exc:
        future.set_exception(exc)
    else:
        future.set_result(value)


@dataclass(frozen=True, slots=True)
class Address:
    """Where and how to connect, from a redis://, rediss:// or unix:// URL."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None  # unix socket
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None

    @classmethod
    def from_url(cls, url: str) -> Address:
        opts: dict[str, Any] = dict(parse_url(url))
        tls = None
        if opts.get("connection_class") is SSLConnection:
            tls = ssl.create_default_context()
            if opts.get("ssl_cert_reqs") in ("none", "optional"):  # as redis-py reads the URL
                tls.check_hostname = False
                tls.verify_mode = ssl.CERT_NONE
        return cls(
            host=opts.get("host", "127.0.0.1"),
            port=int(opts.get("port", 6379)),
            path=opts.get("path"),
            db=int(opts.get("db", 0)),
            username=opts.get("username"),
            password=opts.get("password"),
            tls=tls,
        )

    def handshake(self) -> list[tuple[Any, ...]]:
        commands: list[tuple[Any, ...]] = []
        if self.password is not None:
            user = (self.username,) if self.username else ()
            commands.append(("AUTH", *user, self.password))
        if self.db:
            commands.append(("SELECT", self.db))
        return commands


def _error(reply: hiredis.ReplyError) -> redis.exceptions.ResponseError:
    text = str(reply)
    if text.startswith("NOSCRIPT"):
        return redis.exceptions.NoScriptError(text)
    return redis.exceptions.ResponseError(text)


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: RespConnection) -> None:
        self.owner = owner
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            self.owner.replies(self)
        except hiredis.ProtocolError as exc:  # not RESP: nothing after it can be trusted
            self.owner.lost(self, exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.lost(self, exc)


class RespConnection:
    def __init__(
        self, address: Address, description: str, *, timeout: float, connect_timeout: float = 1.0
    ) -> None:
        self.address = address
        self.description = description  # names the store in errors (no password)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._handshaking: _Protocol | None = None  # connected, AUTH/SELECT not yet answered
        self._backlog: list[tuple[bytes, list[Waiter]]] = []  # sent once connected
        self._waiters: deque[Waiter] = deque()
        self._progress = 0.0  # loop time of the last reply, or of the first command waiting
        self._watch: asyncio.TimerHandle | None = None

    # -- sending ------------------------------------------------------------------------------

    def send(self, commands: Sequence[tuple[Any, ...]], waiters: list[Waiter]) -> None:
        """Send commands (one waiter each, in order); replies and failures land on the futures."""
        packed = b"".join([hiredis.pack_command(c) for c in commands])
        protocol = self._protocol
        if protocol is None or protocol.transport is None or protocol.transport.is_closing():
            self._backlog.append((packed, waiters))
            if self._connecting is None:
                self._connecting = asyncio.get_running_loop().create_task(self._connect())
            return
        self._write(protocol, packed, waiters)

    def _write(self, protocol: _Protocol, packed: bytes, waiters: list[Waiter]) -> None:
        assert protocol.transport is not None
        if not self._waiters:
            self._progress = asyncio.get_running_loop().time()
        self._waiters.extend(waiters)
        protocol.transport.write(packed)
        if self._watch is None:
            self._arm_watch()

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                if self.address.path:
                    _, protocol = await loop.create_unix_connection(
                        lambda: _Protocol(self), self.address.path
                    )
                else:
                    _, protocol = await loop.create_connection(
                        lambda: _Protocol(self),
                        self.address.host,
                        self.address.port,
                        ssl=self.address.tls,
                    )
                self._handshaking = protocol
                handshake = self.address.handshake()
                futures = [loop.create_future() for _ in handshake]
                if handshake:
                    packed = b"".join([hiredis.pack_command(c) for c in handshake])
                    self._write(protocol, packed, [(f, None, None) for f in futures])
                for future in futures:
                    await future
        except (OSError, TimeoutError, redis.exceptions.RedisError, StoreUnavailable) as exc:
            error = _as_connection_error(exc, self.address)
            if self._handshaking is not None:
                self._drop(self._handshaking, error)
            self._connecting = self._handshaking = None
            self._fail_backlog(error)
            return
        self._protocol, self._connecting, self._handshaking = protocol, None, None
        backlog, self._backlog = self._backlog, []
        for packed, waiters in backlog:
            self._write(protocol, packed, waiters)

    # -- receiving ----------------------------------------------------------------------------

    def replies(self, protocol: _Protocol) -> None:
        waiters = self._waiters
        reply = protocol.reader.gets()
        while reply is not False:
            if not waiters:  # a reply nobody asked for: the stream is out of step, start again
                self._drop(protocol, redis.exceptions.ConnectionError("unexpected Redis reply"))
                return
            future, resend, parse = waiters.popleft()
            if type(reply) is hiredis.ReplyError:
                error = _error(reply)
                if resend is not None and isinstance(error, redis.exceptions.NoScriptError):
                    # Redis restarted or flushed its scripts: EVAL sends the text and caches it
                    self.send([as_eval(resend)], [(future, None, parse)])
                elif not future.done():
                    future.set_exception(error)
            else:
                settle(future, parse, reply)
            reply = protocol.reader.gets()
        self._progress = asyncio.get_running_loop().time()

    def lost(self, protocol: _Protocol, exc: Exception | None) -> None:
        if protocol is self._protocol or protocol is self._handshaking:
            reason = f": {exc}" if exc else ""
            error = redis.exceptions.ConnectionError(
                f"connection to Redis at {self._where()} lost{reason}"
            )
            self._drop(protocol, error)

    def _drop(self, protocol: _Protocol | None, cause: Exception) -> None:
        """Close the connection and fail every command waiting on it."""
        error = unavailable(self.description, cause)
        self._protocol = None
        waiters, self._waiters = self._waiters, deque()
        if protocol is not None and protocol.transport is not None:
            protocol.transport.abort()  # its later replies would answer commands failed here
        for future, _, _ in waiters:
            if not future.done():
                future.set_exception(error)

    # -- liveness -----------------------------------------------------------------------------

    def _arm_watch(self) -> None:
        self._watch = asyncio.get_running_loop().call_later(self.timeout / 4, self._check)

    def _check(self) -> None:
        """While commands wait, Redis must answer something every ``timeout`` seconds."""
        self._watch = None
        if not self._waiters:
            return
        if asyncio.get_running_loop().time() - self._progress < self.timeout:
            self._arm_watch()
            return
        error = redis.exceptions.TimeoutError(
            f"Redis at {self._where()} did not answer within {self.timeout} s"
        )
        self._drop(self._protocol or self._handshaking, error)

    def _fail_backlog(self, cause: Exception) -> None:
        error = unavailable(self.description, cause)
        backlog, self._backlog = self._backlog, []
        for _, waiters in backlog:
            for future, _, _ in waiters:
                if not future.done():
                    future.set_exception(error)

    def _where(self) -> str:
        return self.address.path or f"{self.address.host}:{self.address.port}"

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self._connecting is not None:
            self._connecting.cancel()
            self._connecting = None
        error = redis.exceptions.ConnectionError("store closed")
        self._drop(self._protocol, error)
        self._fail_backlog(error)


def _as_connection_error(exc: BaseException, address: Address) -> Exception:
    if isinstance(exc, StoreUnavailable):  # the connection dropped during the handshake
        return exc
    where = address.path or f"{address.host}:{address.port}"
    if isinstance(exc, redis.exceptions.ResponseError):  # AUTH or SELECT refused
        return redis.exceptions.AuthenticationError(f"Redis at {where} refused: {exc}")
    if isinstance(exc, TimeoutError):
        return redis.exceptions.TimeoutError(f"connecting to Redis at {where} timed out")
    return redis.exceptions.ConnectionError(f"cannot connect to Redis at {where}: {exc}")
