"""The app channel's secure channel: the reference vectors, jwcrypto both ways, bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from hypothesis import given, settings
from hypothesis import strategies as st
from jwcrypto import jwe as jw_jwe
from jwcrypto import jwk as jw_jwk

from acs.crypto.secure_channel import (
    DecryptionError,
    Enc,
    EphemeralKey,
    EphemeralKeyError,
    KidMismatchError,
    SecureChannel,
    SecureChannelError,
    concat_kdf_other_info,
    derive_cek,
    ecdh,
    jwe_kid,
    parse_public_jwk,
    public_jwk,
)

VECTOR_PATH = Path(__file__).resolve().parents[1] / "vectors" / "secure-channel.json"
VECTORS: dict[str, Any] = json.loads(VECTOR_PATH.read_text())
SDK_REF = VECTORS["sdkReferenceNumber (partyVInfo)"]
CEK = bytes.fromhex(VECTORS["CEK_32_hex"])
CBC = VECTORS["A128CBC-HS256"]
GCM = VECTORS["A128GCM"]
ACS_TRANS_ID = json.loads(CBC["creq_plaintext"])["acsTransID"]
OTHER_TRANS_ID = "0b6f4c1e-7a2d-4f43-9d8a-3c1b2e4f5a60"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def channel() -> SecureChannel:
    return SecureChannel(CEK, ACS_TRANS_ID)


def sdk_key() -> EphemeralKey:
    return EphemeralKey.from_bytes(bytes.fromhex(VECTORS["sdk_private_d_hex"]))


def acs_key() -> EphemeralKey:
    return EphemeralKey.from_bytes(bytes.fromhex(VECTORS["acs_private_d_hex"]))


# --- the vectors ----------------------------------------------------------------------------


def test_vector_private_keys_give_the_vector_public_jwks() -> None:
    assert sdk_key().public_jwk() == VECTORS["sdkEphemPubKey"]
    assert acs_key().public_jwk() == VECTORS["acsEphemPubKey"]


def test_vector_ecdh_agrees_both_ways_and_gives_z() -> None:
    z = VECTORS["Z_shared_secret_hex"]
    sdk_pub = parse_public_jwk(VECTORS["sdkEphemPubKey"])
    acs_pub = parse_public_jwk(VECTORS["acsEphemPubKey"], field="acsEphemPubKey")
    assert ecdh(acs_key().private_key, sdk_pub).hex() == z
    assert ecdh(sdk_key().private_key, acs_pub).hex() == z


def test_vector_other_info_and_cek() -> None:
    assert concat_kdf_other_info(SDK_REF).hex() == VECTORS["concatkdf_otherinfo_hex"]
    z = bytes.fromhex(VECTORS["Z_shared_secret_hex"])
    assert derive_cek(z, SDK_REF) == CEK
    sdk_pub = parse_public_jwk(VECTORS["sdkEphemPubKey"])
    acs_pub = parse_public_jwk(VECTORS["acsEphemPubKey"])
    assert acs_key().derive_cek(sdk_pub, SDK_REF) == CEK
    assert sdk_key().derive_cek(acs_pub, SDK_REF) == CEK


def test_vector_check_kdf_equals_cryptography_concat_kdf() -> None:
    # the vectors' 'checks': our one-round KDF is cryptography's ConcatKDFHash
    z = bytes.fromhex(VECTORS["Z_shared_secret_hex"])
    kdf = ConcatKDFHash(hashes.SHA256(), 32, concat_kdf_other_info(SDK_REF))
    assert kdf.derive(z) == CEK
    manual = hashlib.sha256(
        b"\x00\x00\x00\x01" + z + bytes.fromhex(VECTORS["concatkdf_otherinfo_hex"])
    )
    assert manual.digest() == CEK


def test_vector_key_halves() -> None:
    assert CEK[:16].hex() == CBC["mac_key_hex"] == GCM["sdk_to_acs_key_hex"]
    assert CEK[16:].hex() == CBC["aes_key_hex"] == GCM["acs_to_sdk_key_hex"]


def test_vector_cbc_creq_decrypts_and_is_reproduced() -> None:
    ch = channel()
    assert ch.decrypt_creq(CBC["jwe"]) == CBC["creq_plaintext"].encode()
    assert ch.creq_enc is Enc.A128CBC_HS256
    iv = bytes.fromhex(CBC["iv_hex"])
    assert ch.encrypt_creq(CBC["creq_plaintext"].encode(), iv=iv) == CBC["jwe"]


def test_vector_cbc_cres_direction_uses_the_same_key() -> None:
    # CBC-HS256 has one key for both directions: the same bytes encrypted ACS->SDK are the vector
    ch = channel()
    iv = bytes.fromhex(CBC["iv_hex"])
    jwe = ch.encrypt_cres(CBC["creq_plaintext"].encode(), enc=Enc.A128CBC_HS256, iv=iv)
    assert jwe == CBC["jwe"]
    assert ch.decrypt_cres(CBC["jwe"]) == CBC["creq_plaintext"].encode()


def test_vector_gcm_creq_decrypts_and_is_reproduced() -> None:
    ch = channel()
    plaintext = ch.decrypt_creq(GCM["creq_jwe"])
    assert plaintext == CBC["creq_plaintext"].encode()  # the vector reuses the CBC CReq
    assert ch.creq_enc is Enc.A128GCM
    iv = bytes.fromhex(GCM["creq_iv_hex"])
    assert ch.encrypt_creq(plaintext, enc=Enc.A128GCM, iv=iv) == GCM["creq_jwe"]


def test_vector_gcm_cres_decrypts_and_is_reproduced() -> None:
    ch = channel()
    assert ch.decrypt_cres(GCM["cres_jwe"]) == GCM["cres_plaintext"].encode()
    ch.decrypt_creq(GCM["creq_jwe"])  # the CRes answers with the CReq's enc
    iv = bytes.fromhex(GCM["cres_iv_hex"])
    assert ch.encrypt_cres(GCM["cres_plaintext"].encode(), iv=iv) == GCM["cres_jwe"]


def test_vector_gcm_directions_are_not_interchangeable() -> None:
    ch = channel()
    with pytest.raises(DecryptionError, match="tag"):
        ch.decrypt_cres(GCM["creq_jwe"])
    with pytest.raises(DecryptionError, match="tag"):
        ch.decrypt_creq(GCM["cres_jwe"])


def test_vector_jwes_name_the_acs_trans_id() -> None:
    for jwe in (CBC["jwe"], GCM["creq_jwe"], GCM["cres_jwe"]):
        assert jwe_kid(jwe) == ACS_TRANS_ID
        assert jwe_kid(jwe.encode()) == ACS_TRANS_ID


# --- jwcrypto, an independent JOSE implementation -------------------------------------------


def oct_key(key: bytes) -> jw_jwk.JWK:
    return jw_jwk.JWK(kty="oct", k=b64u(key))


# the key jwcrypto needs for a JWE going one way: EMV's per-direction halves for GCM
ACS_TO_SDK = {Enc.A128CBC_HS256: CEK, Enc.A128GCM: CEK[16:]}
SDK_TO_ACS = {Enc.A128CBC_HS256: CEK, Enc.A128GCM: CEK[:16]}


def jwcrypto_decrypt(token: str, key: bytes) -> tuple[dict[str, Any], bytes]:
    obj = jw_jwe.JWE()
    obj.deserialize(token, key=oct_key(key))
    return json.loads(obj.objects["protected"]), obj.payload


def jwcrypto_encrypt(payload: bytes, key: bytes, enc: Enc, kid: str) -> str:
    header = {"alg": "dir", "enc": enc.value, "kid": kid}
    obj = jw_jwe.JWE(payload, protected=json.dumps(header))
    obj.add_recipient(oct_key(key))
    token: str = obj.serialize(compact=True)
    return token


@pytest.mark.parametrize("enc", list(Enc))
def test_jwcrypto_decrypts_the_acs_cres(enc: Enc) -> None:
    payload = GCM["cres_plaintext"].encode()
    token = channel().encrypt_cres(payload, enc=enc)
    header, plaintext = jwcrypto_decrypt(token, ACS_TO_SDK[enc])
    assert plaintext == payload
    assert header == {"alg": "dir", "enc": enc.value, "kid": ACS_TRANS_ID}
    if enc is Enc.A128GCM:  # the other half is the wrong key
        with pytest.raises(jw_jwe.InvalidJWEData):
            jwcrypto_decrypt(token, SDK_TO_ACS[enc])


@pytest.mark.parametrize("enc", list(Enc))
def test_acs_decrypts_a_jwcrypto_creq(enc: Enc) -> None:
    payload = CBC["creq_plaintext"].encode()
    token = jwcrypto_encrypt(payload, SDK_TO_ACS[enc], enc, ACS_TRANS_ID)
    ch = channel()
    assert ch.decrypt_creq(token) == payload
    assert ch.creq_enc is enc


@pytest.mark.parametrize("enc", list(Enc))
def test_jwcrypto_and_acs_agree_on_the_sdk_side(enc: Enc) -> None:
    payload = b'{"messageType":"CReq"}'
    header, plaintext = jwcrypto_decrypt(channel().encrypt_creq(payload, enc=enc), SDK_TO_ACS[enc])
    assert plaintext == payload
    assert header["enc"] == enc.value
    token = jwcrypto_encrypt(payload, ACS_TO_SDK[enc], enc, ACS_TRANS_ID)
    assert channel().decrypt_cres(token) == payload


def test_jwcrypto_decrypts_the_vectors() -> None:
    assert jwcrypto_decrypt(CBC["jwe"], CEK)[1] == CBC["creq_plaintext"].encode()
    assert jwcrypto_decrypt(GCM["creq_jwe"], CEK[:16])[1] == CBC["creq_plaintext"].encode()
    assert jwcrypto_decrypt(GCM["cres_jwe"], CEK[16:])[1] == GCM["cres_plaintext"].encode()


# --- round trips ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(max_size=600),
    enc=st.sampled_from(list(Enc)),
    cek=st.binary(min_size=32, max_size=32),
    kid=st.text(max_size=40),
)
def test_round_trips_both_directions(payload: bytes, enc: Enc, cek: bytes, kid: str) -> None:
    ch = SecureChannel(cek, kid)
    assert ch.decrypt_creq(ch.encrypt_creq(payload, enc=enc)) == payload
    assert ch.creq_enc is enc
    cres = ch.encrypt_cres(payload)
    assert jwe_kid(cres) == kid
    assert ch.decrypt_cres(cres) == payload
    assert "=" not in cres and "+" not in cres and "/" not in cres  # what Stripe's SDK insists on


def test_output_ivs_are_fresh() -> None:
    ch = channel()
    for enc, length in ((Enc.A128CBC_HS256, 16), (Enc.A128GCM, 12)):
        ivs = {ch.encrypt_cres(b"same", enc=enc).split(".")[2] for _ in range(50)}
        assert len(ivs) == 50
        assert all(len(unb64u(iv)) == length for iv in ivs)


def test_ephemeral_key_round_trips_through_its_scalar() -> None:
    key = EphemeralKey.generate()
    scalar = key.to_bytes()
    assert len(scalar) == 32
    again = EphemeralKey.from_bytes(scalar)
    assert again.public_jwk() == key.public_jwk()
    assert parse_public_jwk(key.public_jwk()).public_numbers() == (
        key.private_key.public_key().public_numbers()
    )
    assert "private" not in repr(key).replace("<P-256 private key>", "")


@pytest.mark.parametrize("scalar", [b"\x00" * 32, b"\xff" * 32, b"\x01" * 31, b"\x01" * 33])
def test_ephemeral_key_refuses_bad_scalars(scalar: bytes) -> None:
    with pytest.raises(ValueError):
        EphemeralKey.from_bytes(scalar)


def test_fresh_key_pairs_agree() -> None:
    acs, sdk = EphemeralKey.generate(), EphemeralKey.generate()
    cek = acs.derive_cek(parse_public_jwk(sdk.public_jwk()), "REF")
    assert cek == sdk.derive_cek(parse_public_jwk(acs.public_jwk()), "REF")
    assert cek != acs.derive_cek(parse_public_jwk(sdk.public_jwk()), "OTHER")


# --- bad sdkEphemPubKey ---------------------------------------------------------------------


def good_jwk() -> dict[str, Any]:
    return dict(VECTORS["sdkEphemPubKey"])


def p384_jwk() -> dict[str, str]:
    n = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    return {"kty": "EC", "crv": "P-384", "x": b64u(n.x.to_bytes(48)), "y": b64u(n.y.to_bytes(48))}


P256_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1


def with_(**members: Any) -> dict[str, Any]:
    jwk = good_jwk()
    for name, value in members.items():
        if value is None:
            del jwk[name]
        else:
            jwk[name] = value
    return jwk


def off_curve() -> dict[str, Any]:
    y = int.from_bytes(unb64u(good_jwk()["y"])) + 1
    return with_(y=b64u(y.to_bytes(32)))


BAD_JWKS = [
    ("not a dict", "not a JWK", "must be a JSON object"),
    ("list", [good_jwk()], "must be a JSON object"),
    ("kty RSA", with_(kty="RSA"), "kty must be EC"),
    ("kty missing", with_(kty=None), "kty must be EC"),
    ("crv P-384", p384_jwk(), "crv must be P-256"),
    ("crv lower case", with_(crv="p-256"), "crv must be P-256"),
    ("P-384 coordinates", {**p384_jwk(), "crv": "P-256"}, "x must encode 32 bytes"),
    ("x missing", with_(x=None), "x must be a base64url string"),
    ("y a number", with_(y=12345), "y must be a base64url string"),
    ("x padded", with_(x=good_jwk()["x"] + "="), "x is not unpadded base64url"),
    ("y standard base64", with_(y=good_jwk()["y"].replace("-", "+")), "not unpadded base64url"),
    ("y base64 with a '/'", with_(y=good_jwk()["y"].replace("-", "/")), "not unpadded base64url"),
    ("x short", with_(x=b64u(b"\x01" * 31)), "x must encode 32 bytes for P-256, has 31"),
    ("y long", with_(y=b64u(b"\x01" * 33)), "y must encode 32 bytes for P-256, has 33"),
    ("x >= p", with_(x=b64u(P256_PRIME.to_bytes(32))), "x is not a P-256 field element"),
    ("off the curve", off_curve(), "not on the P-256 curve"),
    ("zero point", with_(x=b64u(bytes(32)), y=b64u(bytes(32))), "not on the P-256 curve"),
    ("private part", with_(d=b64u(bytes.fromhex(VECTORS["sdk_private_d_hex"]))), "private part"),
]


@pytest.mark.parametrize(("jwk", "reason"), [c[1:] for c in BAD_JWKS], ids=[c[0] for c in BAD_JWKS])
def test_bad_sdk_ephem_pub_key(jwk: object, reason: str) -> None:
    with pytest.raises(EphemeralKeyError, match=reason) as info:
        parse_public_jwk(jwk)
    assert info.value.field == "sdkEphemPubKey"
    assert str(info.value).startswith("sdkEphemPubKey: ")


def test_extra_jwk_members_are_ignored() -> None:
    assert parse_public_jwk(with_(kid="sdk-1", use="enc", alg="ECDH-ES"))


def test_jwk_error_names_the_field_it_was_given() -> None:
    with pytest.raises(EphemeralKeyError, match=r"^acsEphemPubKey: crv must be P-256, got 'P-521'"):
        parse_public_jwk(with_(crv="P-521"), field="acsEphemPubKey")


def test_ecdh_refuses_a_peer_on_another_curve() -> None:
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(EphemeralKeyError, match="must be on P-256, is on secp384r1"):
        acs_key().derive_cek(other, SDK_REF)


# --- bad JWEs -------------------------------------------------------------------------------


def parts(jwe: str) -> list[str]:
    return jwe.split(".")


def rebuild_header(jwe: str, **members: Any) -> str:
    """The JWE with its protected header changed (the tag then no longer matches)."""
    p = parts(jwe)
    header = json.loads(unb64u(p[0]))
    for name, value in members.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    p[0] = b64u(json.dumps(header, separators=(",", ":")).encode())
    return ".".join(p)


def flip(jwe: str, index: int, byte: int = 0) -> str:
    """The JWE with one bit of the decoded part ``index`` flipped."""
    p = parts(jwe)
    raw = bytearray(unb64u(p[index]))
    raw[byte] ^= 0x01
    p[index] = b64u(bytes(raw))
    return ".".join(p)


def replace_part(jwe: str, index: int, value: str) -> str:
    p = parts(jwe)
    p[index] = value
    return ".".join(p)


CREQS = {Enc.A128CBC_HS256: CBC["jwe"], Enc.A128GCM: GCM["creq_jwe"]}
IV_LEN = {Enc.A128CBC_HS256: 16, Enc.A128GCM: 12}


@pytest.mark.parametrize("enc", list(Enc))
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda j: flip(j, 4), "tag does not match"),
        (lambda j: flip(j, 4, byte=15), "tag does not match"),
        (lambda j: flip(j, 3), "tag does not match"),
        (lambda j: flip(j, 3, byte=-1), "tag does not match"),
        (lambda j: flip(j, 2), "tag does not match"),
        (lambda j: rebuild_header(j, extra="x"), "tag does not match"),
        (lambda j: rebuild_header(j, kid=None), "has no kid"),
        (lambda j: rebuild_header(j, kid=7), "has no kid"),
        (lambda j: rebuild_header(j, alg="A128KW"), "alg must be dir, got 'A128KW'"),
        (lambda j: rebuild_header(j, alg=None), "alg must be dir, got None"),
        (lambda j: rebuild_header(j, enc="A256GCM"), "enc must be A128CBC-HS256 or A128GCM"),
        (lambda j: rebuild_header(j, enc=["A128GCM"]), "enc must be A128CBC-HS256 or A128GCM"),
        (lambda j: rebuild_header(j, zip="DEF"), "zip is not supported"),
        (lambda j: rebuild_header(j, crit=["exp"], exp=1), "crit is not supported"),
        (lambda j: replace_part(j, 1, b64u(b"k" * 16)), "encrypted key must be empty"),
        (lambda j: replace_part(j, 2, b64u(b"\x00" * 8)), "IV must be"),
        (lambda j: replace_part(j, 2, ""), "IV must be"),
        (lambda j: replace_part(j, 4, parts(j)[4][:-2]), "tag must be 16 bytes"),
        (lambda j: replace_part(j, 4, ""), "tag must be 16 bytes"),
        (lambda j: replace_part(j, 3, parts(j)[3] + "="), "not unpadded base64url"),
        (lambda j: replace_part(j, 3, parts(j)[3][:-1] + "+"), "not unpadded base64url"),
        (lambda j: replace_part(j, 3, parts(j)[3][:-1]), "not unpadded base64url|tag|blocks"),
        (lambda j: replace_part(j, 0, parts(j)[0] + "="), "header is not unpadded base64url"),
        (lambda j: replace_part(j, 0, b64u(b"not json")), "header is not JSON"),
        (lambda j: replace_part(j, 0, b64u(b"\xff\xfe\x00")), "header is not JSON"),
        (lambda j: replace_part(j, 0, b64u(b'["dir"]')), "not a JSON object"),
        (
            lambda j: replace_part(
                j, 0, b64u(b'{"alg":"dir","enc":"A128GCM","kid":"a","kid":"b"}')
            ),
            "duplicate member",
        ),
        (lambda j: j.rsplit(".", 1)[0], "5 parts, this has 4"),
        (lambda j: j + ".", "5 parts, this has 6"),
        (lambda j: "", "5 parts, this has 1"),
        (lambda j: j + "\n", "not unpadded base64url"),
        (lambda j: " " + j, "not unpadded base64url"),
        (lambda j: j.encode() + "é".encode(), "not ASCII"),
    ],
)
def test_broken_creq(enc: Enc, tamper: Any, reason: str) -> None:
    with pytest.raises(DecryptionError, match=reason):
        channel().decrypt_creq(tamper(CREQS[enc]))


def test_cbc_ciphertext_must_be_whole_blocks() -> None:
    # a truncated CBC ciphertext is refused before any MAC or AES work
    for ciphertext in (b"", b"\x00" * 17):
        with pytest.raises(DecryptionError, match="whole AES-CBC blocks"):
            channel().decrypt_creq(replace_part(CBC["jwe"], 3, b64u(ciphertext)))


def test_cbc_truncated_by_a_block_fails_the_tag() -> None:
    truncated = replace_part(CBC["jwe"], 3, b64u(unb64u(parts(CBC["jwe"])[3])[:-16]))
    with pytest.raises(DecryptionError, match="tag does not match"):
        channel().decrypt_creq(truncated)


def test_cbc_bad_padding_under_a_valid_tag() -> None:
    # only someone with the CEK can make this: the MAC holds, the padding does not
    ch = channel()
    header = parts(ch.encrypt_creq(b"x"))[0]
    iv = bytes(16)
    encryptor = Cipher(algorithms.AES(CEK[16:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(b"\x00" * 16) + encryptor.finalize()  # last byte 0: bad padding
    aad = header.encode()
    mac = hmac.digest(CEK[:16], aad + iv + ciphertext + struct.pack(">Q", len(aad) * 8), "sha256")
    token = ".".join([header, "", b64u(iv), b64u(ciphertext), b64u(mac[:16])])
    with pytest.raises(DecryptionError, match="padding"):
        ch.decrypt_creq(token)


@pytest.mark.parametrize("enc", list(Enc))
def test_wrong_kid_is_its_own_error(enc: Enc) -> None:
    with pytest.raises(KidMismatchError) as info:
        SecureChannel(CEK, OTHER_TRANS_ID).decrypt_creq(CREQS[enc])
    assert info.value.expected == OTHER_TRANS_ID
    assert info.value.got == ACS_TRANS_ID
    assert not isinstance(info.value, DecryptionError)
    assert OTHER_TRANS_ID in str(info.value)


def test_wrong_kid_is_reported_before_the_tag() -> None:
    # another transaction's kid under a broken tag is still a 301, not a 302
    broken = rebuild_header(CBC["jwe"], kid=OTHER_TRANS_ID)
    with pytest.raises(KidMismatchError):
        channel().decrypt_creq(broken)


def test_a_long_kid_is_cut_short_in_the_message() -> None:
    token = SecureChannel(CEK, "k" * 5000).encrypt_cres(b"x", enc=Enc.A128GCM)
    with pytest.raises(KidMismatchError) as info:
        channel().decrypt_cres(token)
    assert len(str(info.value)) < 200
    assert info.value.got == "k" * 5000


def test_wrong_key_fails_the_tag() -> None:
    other = SecureChannel(bytes(32), ACS_TRANS_ID)
    for jwe in CREQS.values():
        with pytest.raises(DecryptionError, match="tag does not match"):
            other.decrypt_creq(jwe)


@settings(max_examples=150, deadline=None)
@given(
    enc=st.sampled_from(list(Enc)),
    index=st.integers(min_value=0),
    char=st.sampled_from("AQgw_-0aZ9="),
)
def test_any_changed_character_is_refused(enc: Enc, index: int, char: str) -> None:
    jwe = CREQS[enc]
    index %= len(jwe)
    if jwe[index] == char:
        return
    changed = jwe[:index] + char + jwe[index + 1 :]
    with pytest.raises(SecureChannelError):
        channel().decrypt_creq(changed)


def test_jwe_kid_refuses_what_it_cannot_read() -> None:
    with pytest.raises(DecryptionError, match="5 parts"):
        jwe_kid("abc")
    with pytest.raises(DecryptionError, match="has no kid"):
        jwe_kid(rebuild_header(CBC["jwe"], kid=None))


def test_encrypt_cres_needs_an_enc() -> None:
    with pytest.raises(ValueError, match="pass enc"):
        channel().encrypt_cres(b"x")
    with pytest.raises(ValueError, match="IV must be 12 bytes"):
        channel().encrypt_cres(b"x", enc=Enc.A128GCM, iv=bytes(16))


def test_channel_refuses_a_short_cek_and_hides_it() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SecureChannel(CEK[:16], ACS_TRANS_ID)
    assert CEK.hex() not in repr(channel()) and ACS_TRANS_ID in repr(channel())


def test_public_jwk_pads_coordinates() -> None:
    # a coordinate with leading zero bytes still takes 43 characters
    while True:
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        if key.public_numbers().x < 2**248:
            break
    jwk = public_jwk(key)
    assert len(jwk["x"]) == 43 and len(jwk["y"]) == 43
    assert parse_public_jwk(jwk).public_numbers() == key.public_numbers()
