"""The ``app-challenge`` load generator: virtual 3DS SDKs completing app OTP challenges over HTTP.

Runs as its own process (``python -m benchmarks.appflowgen``; the benchmark starts several so the
client is not what limits the rate). Each of ``--connections`` SDKs repeats one flow, the way a
3DS Server and a 3DS SDK drive it:

1. ``areq``   POST /3ds/areq, an app AReq for a challenge card: expects an ARes with transStatus
   C; then the SDK's work: read acsSignedContent (the signature is verified on every
   ``--verify-every``-th flow, and always by ``--check``), ECDH with acsEphemPubKey, the CEK
2. ``creq``   the first JWE CReq (sdkCounterStoA 000), Content-Type application/jose, to the
   acsURL: expects a JWE CRes with the code screen (acsUiType 01, challengeCompletionInd N)
3. ``outbox`` GET /qa/outbox?acsTransID=...: the code the ACS "sent" (the cardholder's SMS)
4. ``submit`` the JWE CReq 001 with the code: expects the final CRes, challengeCompletionInd Y
   and transStatus Y (the ACS sends the RReq before it answers)

``--start-at`` (Unix time) lines up the measured window of several processes. Flows in flight at
the deadline finish and count in the totals, not the rate. Prints one JSON object on its last
line: ``flowgen.summary``'s figures plus the raw step latencies, which the benchmark merges.
``--check`` runs one flow, every check on, and exits 1 saying why if it fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acs.crypto.secure_channel import Enc, SecureChannel, SecureChannelError
from benchmarks.app_sdk import KEYS_DIR, ROOT_CERT, build_app_areq, open_channel
from benchmarks.flowgen import TIMEOUT_S, Tally, Unexpected, summary

PAN = "4016000000000111"  # catalog challenge card (OTP by SMS, ES256 range): always C
JOSE = {"Content-Type": "application/jose"}
JSON = {"Content-Type": "application/json"}
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _snippet(body: bytes | str) -> str:
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return " ".join(text.split())[:200]


class Sdk:
    """One SDK process's fixed parts: its ephemeral key (reused: the ACS makes its own key per
    transaction, so every CEK differs), the AReq template, the trusted roots."""

    def __init__(
        self, acs: str, ds_url: str, pan: str, enc: Enc, roots: list[x509.Certificate],
        verify_every: int,
    ) -> None:  # fmt: skip
        self.acs = acs
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.template = build_app_areq(pan, self.key, ds_url=ds_url)
        self.enc = enc
        self.roots = roots
        self.verify_every = verify_every
        self.flows = 0
        self.verified = 0

    def _verify_now(self) -> bool:
        self.flows += 1
        return self.verify_every > 0 and (self.flows - 1) % self.verify_every == 0

    async def _creq(
        self,
        http: aiohttp.ClientSession,
        step: str,
        url: str,
        channel: SecureChannel,
        creq: dict[str, Any],
    ) -> dict[str, Any]:
        jwe = channel.encrypt_creq(_encode(creq), enc=self.enc)
        async with http.post(url, data=jwe, headers=JOSE) as resp:
            raw = await resp.read()
            kind = resp.content_type
            if resp.status != 200:
                raise Unexpected(step, f"HTTP {resp.status}: {_snippet(raw)}")
        if kind != "application/jose":  # an Erro comes as plain JSON
            raise Unexpected(step, f"{kind} answer, not a JWE CRes: {_snippet(raw)}")
        try:
            cres = _decode(channel.decrypt_cres(raw))
        except (SecureChannelError, msgspec.DecodeError) as exc:
            raise Unexpected(step, f"CRes does not decrypt: {exc}") from exc
        if not isinstance(cres, dict) or cres.get("messageType") != "CRes":
            raise Unexpected(step, f"not a CRes: {_snippet(str(cres))}")
        if cres.get("acsCounterAtoS") != creq["sdkCounterStoA"]:
            raise Unexpected(step, f"acsCounterAtoS {cres.get('acsCounterAtoS')!r}")
        return cres

    async def flow(self, http: aiohttp.ClientSession, tally: Tally) -> None:
        """One SDK's challenge, step by step; raises ``Unexpected`` at the first bad answer."""
        began = start = time.perf_counter()
        sdk_trans_id = str(uuid.uuid4())
        body = dict(self.template, threeDSServerTransID=str(uuid.uuid4()), sdkTransID=sdk_trans_id)
        async with http.post(f"{self.acs}/3ds/areq", data=_encode(body), headers=JSON) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise Unexpected("areq", f"HTTP {resp.status}: {_snippet(raw)}")
        ares = _decode(raw)
        if not isinstance(ares, dict) or ares.get("transStatus") != "C":
            raise Unexpected("areq", f"expected an ARes with transStatus C: {_snippet(raw)}")
        verify = self._verify_now()
        try:
            challenge = open_channel(ares, self.key, roots=self.roots if verify else None)
        except ValueError as exc:
            raise Unexpected("areq", str(exc)) from exc
        self.verified += verify
        began = tally.step("areq", began)

        creq: dict[str, Any] = {
            "messageType": "CReq",
            "messageVersion": ares["messageVersion"],
            "threeDSServerTransID": ares["threeDSServerTransID"],
            "acsTransID": challenge.acs_trans_id,
            "sdkTransID": sdk_trans_id,
            "sdkCounterStoA": "000",
        }
        url, channel = challenge.acs_url, challenge.channel
        cres = await self._creq(http, "creq", url, channel, creq)
        if cres.get("challengeCompletionInd") != "N" or cres.get("acsUiType") != "01":
            raise Unexpected("creq", f"expected the code screen (UI 01): {cres}")
        began = tally.step("creq", began)

        params = {"acsTransID": challenge.acs_trans_id}
        async with http.get(f"{self.acs}/qa/outbox", params=params) as resp:
            raw = await resp.read()
            if resp.status != 200:
                raise Unexpected("outbox", f"HTTP {resp.status}: {_snippet(raw)}")
        messages = _decode(raw)
        if not isinstance(messages, list) or not messages or not messages[-1].get("code"):
            raise Unexpected("outbox", f"no code in the outbox: {_snippet(raw)}")
        began = tally.step("outbox", began)

        creq |= {"sdkCounterStoA": "001", "challengeDataEntry": str(messages[-1]["code"])}
        cres = await self._creq(http, "submit", url, channel, creq)
        if cres.get("challengeCompletionInd") != "Y" or cres.get("transStatus") != "Y":
            raise Unexpected("submit", f"final CRes is not Y: {cres}")
        if cres.get("acsTransID") != challenge.acs_trans_id:
            raise Unexpected("submit", f"final CRes for another transaction: {cres}")
        ended = tally.step("submit", began)
        tally.completed += 1
        if ended <= tally.deadline:
            tally.latencies["flow"].append(ended - start)


async def _one(sdk: Sdk, http: aiohttp.ClientSession, tally: Tally) -> None:
    tally.started += 1
    try:
        await sdk.flow(http, tally)
    except Unexpected as exc:
        tally.failed(exc.step, str(exc))
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        tally.failed("other", f"{type(exc).__name__}: {exc}")


async def run(sdk: Sdk, duration: float, connections: int, start_at: float) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        late = max(0.0, time.time() - start_at) if start_at else 0.0  # ready after start_at
        cpu_start = time.process_time()
        start = time.perf_counter()
        tally = Tally(deadline=start + duration - late)  # the window ends when the others' does

        async def cardholder() -> None:
            while time.perf_counter() < tally.deadline:
                await _one(sdk, http, tally)

        await asyncio.gather(*(cardholder() for _ in range(connections)))
        drained = time.perf_counter() - start
    raw = {name: [round(s * 1000, 3) for s in values] for name, values in tally.latencies.items()}
    return summary(tally, duration, drained) | {
        "cpu_s": time.process_time() - cpu_start,  # the measured window and the drain only
        "verified": sdk.verified,
        "late_s": round(late, 3),
        "latencies_ms": raw,
    }


async def check(sdk: Sdk) -> dict[str, Any]:
    tally = Tally(deadline=float("inf"))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as http:
        await _one(sdk, http, tally)
    return summary(tally, 1.0, 0.0) | {"verified": sdk.verified}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="app (3DS SDK) challenge flows against an ACS")
    parser.add_argument("acs_url", help="the ACS base URL, e.g. http://127.0.0.1:8443")
    parser.add_argument("ds_url", help="dsURL for the AReqs: where the ACS sends the RReq")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16, help="concurrent SDKs")
    parser.add_argument("--start-at", type=float, default=0.0, help="Unix time to start at")
    parser.add_argument("--pan", default=PAN)
    parser.add_argument("--enc", choices=[e.value for e in Enc], default=Enc.A128CBC_HS256.value)
    parser.add_argument(
        "--keys", type=Path, default=KEYS_DIR, help=f"the ACS's test PKI (its {ROOT_CERT})"
    )
    parser.add_argument(
        "--verify-every", type=int, default=100,
        help="verify acsSignedContent (chain and signature) on one flow in N; 0: never",
    )  # fmt: skip
    parser.add_argument("--check", action="store_true", help="one flow; exit 1 if it fails")
    args = parser.parse_args(argv)
    roots = [x509.load_pem_x509_certificate((args.keys / ROOT_CERT).read_bytes())]
    sdk = Sdk(args.acs_url.rstrip("/"), args.ds_url, args.pan, Enc(args.enc), roots,
              1 if args.check else args.verify_every)  # fmt: skip
    if args.check:
        result = asyncio.run(check(sdk))
    else:
        result = asyncio.run(run(sdk, args.duration, args.connections, args.start_at))
    print(json.dumps(result), flush=True)
    return 1 if args.check and result["completed_total"] != 1 else 0


if __name__ == "__main__":
    sys.exit(main())
