"""The live issuer directory: card ranges and cardholders in the store, cached per node.

Card ranges are few and read on every AReq, so each node keeps them in memory and reloads them
when the store's directory version moves (the version comes back with the cardholder lookup, in
the same round trip). Cardholders are read from the store per AReq by keyed PAN hash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import msgspec
import structlog

from acs.issuer.config_files import IssuerConfig, find_overlap
from acs.issuer.models import (
    CardholderInput,
    CardholderRecord,
    CardRange,
    ChallengeMethod,
    ChallengeProfile,
    KbaQuestion,
    KbaRecord,
    RangeIndex,
    slug,
)
from acs.issuer.vault import Vault, normalise_answer
from acs.logs import mask_pan
from acs.store.store import Conflict, Store

log = structlog.get_logger("acs.directory")

_decode_range = msgspec.json.Decoder(CardRange).decode
_decode_cardholder = msgspec.json.Decoder(CardholderRecord).decode
_encode = msgspec.json.Encoder().encode


class Directory:
    def __init__(self, store: Store, vault: Vault) -> None:
        self.store = store
        self.vault = vault
        self._version = -1
        self._index = RangeIndex([])
        self._by_id: dict[str, CardRange] = {}
        # what seed() wrote: range (id, json), cardholder (id, PAN hash, json)
        self._seed: tuple[list[tuple[str, bytes]], list[tuple[str, str, bytes]]] | None = None
        self._reseeding = asyncio.Lock()
        self.profiles: dict[str, ChallengeProfile] = {}  # from config/, fixed at start-up

    # -- start-up -----------------------------------------------------------------------------

    async def seed(self, config: IssuerConfig) -> None:
        """Write config/ into the store. Entries from config/ are authoritative for their ids;
        entries added through the admin API persist alongside them. The records are built once
        (secrets hashed, PANs encrypted) and kept, to write again if the store loses them."""
        self.profiles = dict(config.profiles)
        ranges = [(r.id, _encode(r)) for r in config.ranges]
        # config/ often gives many cardholders one demo secret: each clear value is hashed once
        hashes: dict[str, str] = {}
        records = [await self.build_record(ch, hashes=hashes) for ch in config.cardholders]
        self._seed = (ranges, [(r.id, r.pan_hash, _encode(r)) for r in records])
        await self._write_seed()

    async def _write_seed(self) -> None:
        assert self._seed is not None
        await self.store.seed_directory(*self._seed)
        await self.refresh()

    async def ensure_seeded(self) -> None:
        """Write config/ again if the store lost the directory: Redis restarted without
        persistence, or someone flushed it. Entries added through the admin API are gone then.
        One reseed per node at a time; two nodes reseeding at once write the same entries."""
        if self._seed is None or await self.store.directory_version() != 0:
            return
        async with self._reseeding:
            if await self.store.directory_version() == 0:
                log.warning("directory.reseeded", reason="the store held no directory")
                await self._write_seed()

    # -- lookups on the AReq path -----------------------------------------------------------

    def lookup(
        self, pan: str, pan_hash: str
    ) -> Awaitable[tuple[CardRange | None, CardholderRecord | None]]:
        """The card range and cardholder of a PAN; queued at the call (see store/batch.py)."""
        return self._lookup(pan, pan_hash, self.store.cardholder_by_pan(pan_hash))

    async def _lookup(
        self, pan: str, pan_hash: str, pending: Awaitable[tuple[int, bytes | None]]
    ) -> tuple[CardRange | None, CardholderRecord | None]:
        version, raw = await pending
        if version == 0 and self._seed is not None:  # the store lost the directory
            await self.ensure_seeded()
            version, raw = await self.store.cardholder_by_pan(pan_hash)
        if version != self._version:
            await self.refresh()
        cardholder = _decode_cardholder(raw) if raw else None
        return self.find_range(pan), cardholder

    def find_range(self, pan: str) -> CardRange | None:
        return self._index.find_range(pan)

    async def refresh(self) -> None:
        version, raws = await self.store.list_ranges()
        self._index, self._version = RangeIndex([_decode_range(r) for r in raws]), version
        self._by_id = {r.id: r for r in self._index.ranges}

    @property
    def ranges(self) -> list[CardRange]:
        return list(self._index.ranges)

    def range_by_id(self, range_id: str) -> CardRange | None:
        return self._by_id.get(range_id)

    async def fetch_range(self, range_id: str) -> CardRange | None:
        """Like range_by_id, reloading once when another node added the range since."""
        found = self._by_id.get(range_id)
        if found is None:
            await self.refresh()
            found = self._by_id.get(range_id)
        return found

    # -- admin --------------------------------------------------------------------------------

    async def build_record(
        self, ch: CardholderInput, ch_id: str | None = None, hashes: dict[str, str] | None = None
    ) -> CardholderRecord:
        """The stored form: clear secrets hashed (``hashes``: reuse the hash of a value already
        hashed), the PAN encrypted."""
        memo = {} if hashes is None else hashes

        async def hashed(value: str) -> str:
            if value not in memo:
                memo[value] = await self.vault.hash_secret_async(value)
            return memo[value]

        kba = [
            KbaRecord(
                question=k.question or "",
                question_id=KbaQuestion(k.question_id) if k.question_id else None,
                answer_hash=k.answer_hash or await hashed(normalise_answer(k.answer or "")),
            )
            for k in ch.kba
        ]
        passcode_hash = ch.passcode_hash
        if ch.passcode:
            passcode_hash = await hashed(ch.passcode)
        return CardholderRecord(
            id=ch_id or ch.id or slug(f"{ch.name}-{ch.pan[-4:]}"),
            pan_hash=self.vault.pan_hash(ch.pan),
            pan_enc=self.vault.encrypt_pan(ch.pan),
            pan_masked=mask_pan(ch.pan),
            name=ch.name,
            mobile=ch.mobile,
            email=ch.email,
            methods=list(ch.methods),
            kba=kba,
            passcode_hash=passcode_hash,
            totp_secret_enc=self.vault.encrypt_secret(ch.totp_secret) if ch.totp_secret else None,
            trusted_beneficiaries=list(ch.trusted_beneficiaries),
            locale=ch.locale,
            delivery=ch.delivery,
            history=list(ch.history),
        )

    async def add_cardholder(
        self, ch: CardholderInput, *, replace_id: str | None = None
    ) -> CardholderRecord:
        if self.find_range(ch.pan) is None:
            await self.refresh()
            if self.find_range(ch.pan) is None:
                raise Conflict("pan: outside every card range of this ACS; add a card range first")
        record = await self.build_record(ch, replace_id)
        mode = "replace" if replace_id else "add"
        await self.store.put_cardholder(record.id, record.pan_hash, _encode(record), mode=mode)
        return record

    async def set_passcode(self, ch_id: str, passcode: str) -> CardholderRecord:
        """Enrol or change the passcode (hashed here; the caller refused weak ones). KeyError
        when there is no such cardholder."""
        record = await self._existing(ch_id)
        updated = msgspec.structs.replace(
            record,
            passcode_hash=await self.vault.hash_secret_async(passcode),
            methods=_with(record.methods, ChallengeMethod.PASSCODE),
        )
        await self.store.put_cardholder(ch_id, record.pan_hash, _encode(updated), mode="replace")
        return updated

    async def enrol_totp(self, ch_id: str, secret: str) -> CardholderRecord:
        """A new authenticator-app secret (encrypted at rest) replaces any earlier one."""
        record = await self._existing(ch_id)
        updated = msgspec.structs.replace(
            record,
            totp_secret_enc=self.vault.encrypt_secret(secret),
            methods=_with(record.methods, ChallengeMethod.TOTP),
        )
        await self.store.put_cardholder(ch_id, record.pan_hash, _encode(updated), mode="replace")
        return updated

    async def _existing(self, ch_id: str) -> CardholderRecord:
        record = await self.get_cardholder(ch_id)
        if record is None:
            raise KeyError(ch_id)
        return record

    async def trust_merchant(self, ch_id: str, merchant: str) -> bool:
        """Add a trusted beneficiary (after an SCA that asked for it); False if already there."""
        record = await self.get_cardholder(ch_id)
        if record is None or merchant in record.trusted_beneficiaries:
            return False
        updated = msgspec.structs.replace(
            record, trusted_beneficiaries=[*record.trusted_beneficiaries, merchant]
        )
        await self.store.put_cardholder(ch_id, record.pan_hash, _encode(updated), mode="replace")
        return True

    async def delete_cardholder(self, ch_id: str) -> bool:
        return await self.store.delete_cardholder(ch_id)

    async def get_cardholder(self, ch_id: str) -> CardholderRecord | None:
        raw = await self.store.get_cardholder(ch_id)
        return _decode_cardholder(raw) if raw else None

    async def list_cardholders(self) -> list[CardholderRecord]:
        records = [_decode_cardholder(r) for r in await self.store.list_cardholders()]
        return sorted(records, key=lambda r: r.id)

    async def put_range(self, card_range: CardRange, *, replace: bool) -> None:
        await self.refresh()
        others = [r for r in self._index.ranges if r.id != card_range.id]
        if not replace and len(others) != len(self._index.ranges):
            raise Conflict(f"id: card range {card_range.id!r} already exists; use PUT to change it")
        if replace and len(others) == len(self._index.ranges):
            raise KeyError(card_range.id)
        overlap = find_overlap([*others, card_range])
        if overlap:
            other = overlap[0] if overlap[1] is card_range else overlap[1]
            raise Conflict(f"start: range overlaps card range {other.id!r}")
        await self.store.put_range(card_range.id, _encode(card_range))
        await self.refresh()

    async def delete_range(self, range_id: str) -> bool:
        removed = await self.store.delete_range(range_id)
        await self.refresh()
        return removed


def _with(methods: list[ChallengeMethod], method: ChallengeMethod) -> list[ChallengeMethod]:
    return methods if method in methods else [*methods, method]
