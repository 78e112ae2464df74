"""The typed fast path of AReq validation: one msgspec decode, straight into the AReq.

For each plan with a known version, channel and category there is a Struct subclass of
``AReq`` whose members have the plan's shape types (``fields.shape_type``), whose R members
have no default and refuse null, and whose envelope is fixed by Literals. Decoding the body
into it checks in C what the shape checks, and the object it builds is the AReq the handler
uses: no dict, no second conversion. That is most of the cost of a valid AReq, the common case.

The typed path only ever says "valid, and here it is" or "cannot vouch" (None). Whatever it
cannot vouch for goes to the full path (``validate``), which finds and reports the problem:
a null, an unknown or repeated name (the Struct drops them or reads None, and writes back
fewer members: the colon count in ``parse`` notices), a member whose value the Struct
cannot hold as the walk sees it (see ``_member``), a missing conditional member, a critical
extension, an element of another version (no value passes its type: the full path applies
the validation profile, so this path answers the same in every profile). The equivalence
tests in ``tests/protocol/test_fast_path.py`` hold the two paths to the same answers.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, replace
from itertools import product
from typing import Annotated, Any, NamedTuple, cast

import msgspec

from acs.protocol.codes import DeviceChannel, MessageCategory, MessageType, MessageVersion
from acs.protocol.fields import (
    NEVER,
    CompiledField,
    Kind,
    Message,
    ObjectPlan,
    independent,
    plan_for,
    post_accepts,
    shape_type,
)
from acs.protocol.messages import AReq

# Present -> the full path: its own check (validate._check_extensions) runs there.
_ALWAYS_WALKED = frozenset({"messageExtension"})


@dataclass(frozen=True, slots=True)
class TypedPlan:
    plan: ObjectPlan  # its ``post`` without the checks of ``arrays`` (they read JSON objects)
    decode: typing.Callable[[bytes], AReq]
    walked: tuple[str, ...]  # members whose presence sends the message to the full path
    arrays: tuple[tuple[str, ObjectPlan], ...]  # arrays of typed sub-objects, and their plans


class _Member(NamedTuple):
    type: Any
    walked: bool = False  # present -> the full path
    items: ObjectPlan | None = None  # an array of typed sub-objects: their plan


def _struct_in(annotation: Any) -> type[msgspec.Struct] | None:
    """The one Struct a JSON object may become under ``annotation`` (``X | list[X] | None``
    holds an object as ``X``), else None."""
    found = [
        a
        for a in typing.get_args(annotation) or (annotation,)
        if isinstance(a, type) and issubclass(a, msgspec.Struct)
    ]
    return found[0] if len(found) == 1 else None


def _holds_struct(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return True
    return any(_holds_struct(a) for a in typing.get_args(annotation))


def _member(f: CompiledField, declared: Any) -> _Member:
    """The member's type in the typed Struct, and what is left to Python.

    The type must reject what the shape rejects and build what the AReq declares: the shape's
    own type where it is a plain JSON type, the typed sub-Struct where the shape nests one (or
    a list of them for an array of objects), and the declared type where the shape leaves the
    value to a Python check (``Any``) - then that check must be able to read what the declared
    type builds, which it cannot when that holds Structs (it reads JSON objects): such a
    member, when present, is walked.
    """
    typ, _ = shape_type(f)
    inner = _struct_in(declared)
    if f.sub is not None and typ is f.sub.shape:
        if inner is None:
            return _Member(declared, walked=True)
        sub, walked, arrays = _typed_struct(f.sub, inner)
        return _Member(declared, walked=True) if walked or arrays else _Member(sub)
    if typ is Any and _is_plain_object_array(f) and inner is not None:
        assert f.sub is not None
        sub, walked, arrays = _typed_struct(f.sub, inner)
        if not walked and not arrays:
            limits = msgspec.Meta(min_length=max(1, f.spec.min_items), max_length=f.spec.max_items)
            return _Member(Annotated[list[sub], limits], items=f.sub)  # type: ignore[valid-type]
    if typ is Any:
        return _Member(declared, walked=_holds_struct(declared))
    if typ is dict and inner is not None:
        return _Member(declared)  # any object passes the shape; the Struct checks the rest
    return _Member(typ)


# What JSON value a required member may hold: any but null. An optional member given null is
# found by the colon count (None is not written back); a required one is always written.
_ANY_BUT_NULL: Any = str | int | float | bool | list[Any] | dict[str, Any]


def _not_null(typ: Any) -> Any:
    if typ is Any:
        return _ANY_BUT_NULL
    if typing.get_origin(typ) in (typing.Union, types.UnionType):
        kept = tuple(a for a in typing.get_args(typ) if a is not type(None))
        return typing.Union[kept]  # noqa: UP007 - built from a tuple
    return typ


def _is_plain_object_array(f: CompiledField) -> bool:
    """An array of objects whose rules read nothing but the objects (no size limit in JSON)."""
    return (
        f.allowed
        and f.spec.kind is Kind.OBJECT_ARRAY
        and f.spec.max_json_len is None
        and f.sub is not None
        and independent(f.sub)
    )


def _typed_struct(
    plan: ObjectPlan, base: type[msgspec.Struct], envelope: tuple[tuple[str, Any], ...] = ()
) -> tuple[type[msgspec.Struct], tuple[str, ...], tuple[tuple[str, ObjectPlan], ...]]:
    declared = {f.name: f.type for f in msgspec.structs.fields(base)}
    members: list[tuple[str, Any] | tuple[str, Any, Any]] = list(envelope)
    walked: list[str] = []
    arrays: list[tuple[str, ObjectPlan]] = []
    for f in plan.fields.values():
        if f.name not in declared:
            raise TypeError(f"{base.__name__} has no member {f.name} (fields.py defines it)")
        member = _member(f, declared[f.name])
        if member.walked or f.name in _ALWAYS_WALKED:
            walked.append(f.name)
        if member.items is not None:
            arrays.append((f.name, member.items))
        if f.required is True:
            members.append((f.name, _not_null(member.type)))
        else:  # absent, it takes the AReq's default (None): msgspec does not check defaults
            members.append((f.name, member.type, None))
    members.extend((name, NEVER, None) for name in sorted(plan.foreign))
    struct = msgspec.defstruct(
        f"Typed{base.__name__}",
        members,
        bases=(base,),
        kw_only=True,
        omit_defaults=True,
        namespace={"__eq__": _equal_as(base), "__hash__": None, "get": _get},
    )
    return struct, tuple(walked), tuple(arrays)


def _get(self: Any, name: str, default: Any = None) -> Any:
    """``dict.get``, for the field-table conditions (they read the message as a dict): absent
    members are None in the Struct, and missing keys in the dict."""
    value = getattr(self, name, None)
    return default if value is None else value


def _equal_as(base: type[msgspec.Struct]) -> typing.Callable[[Any, Any], Any]:
    """Equality by value with the base class (msgspec's own needs the same class)."""
    names = base.__struct_fields__

    def __eq__(self: Any, other: Any) -> Any:
        if not isinstance(other, base):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    return __eq__


def _typed_plan(
    version: MessageVersion, channel: DeviceChannel, category: MessageCategory
) -> TypedPlan:
    plan = plan_for(version, channel, category)
    envelope = (
        ("messageType", typing.Literal[MessageType.AREQ.value]),
        ("messageVersion", typing.Literal[version.value]),
        ("deviceChannel", typing.Literal[channel.value]),
        ("messageCategory", typing.Literal[category.value]),
    )
    struct, walked, arrays = _typed_struct(plan, AReq, envelope)
    decoder: msgspec.json.Decoder[AReq] = msgspec.json.Decoder(struct)
    in_arrays = {name for name, _ in arrays}
    post = tuple(p for p in plan.post if p[0] not in in_arrays)
    return TypedPlan(replace(plan, post=post), decoder.decode, walked, arrays)


_TYPED: dict[tuple[str, str, str], TypedPlan] = {
    (v.value, ch.value, cat.value): _typed_plan(v, ch, cat)
    for v, ch, cat in product(MessageVersion, DeviceChannel, MessageCategory)
}


class _Envelope(msgspec.Struct):
    """What picks the plan; the rest of the body is skipped."""

    messageVersion: Any = None
    deviceChannel: Any = None
    messageCategory: Any = None


_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_encode = msgspec.json.Encoder().encode


def parse(data: bytes, colons: int) -> tuple[AReq, bytes] | None:
    """The AReq, and its msgspec encoding, when the typed path vouches for ``data``; else None
    (the full path decides). The encoding is made for the count below; the caller may reuse it.

    ``colons``: how many the body holds, where each is a member's or a string's (validate's
    ``_plain_colons``). Each member written back is one colon, so fewer than received means a
    name was repeated or unknown (the Struct keeps one / none) or a null was given (None is not
    written back).
    """
    try:
        envelope = _decode_envelope(data)
        version, channel = envelope.messageVersion, envelope.deviceChannel
        category = envelope.messageCategory
        if not (type(version) is str and type(channel) is str and type(category) is str):
            return None
        typed = _TYPED.get((version, channel, category))
        if typed is None:
            return None
        areq = typed.decode(data)
        encoded = _encode(areq)
        if encoded.count(b":") != colons:
            return None
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None
    return (areq, encoded) if _accepts(typed, areq) else None


def _accepts(typed: TypedPlan, areq: AReq) -> bool:
    """True when the full walk would find nothing to report in an AReq decoded by ``typed``
    (the Struct has already checked the types, lengths, values and R members)."""
    read = getattr
    for name in typed.walked:
        if read(areq, name) is not None:
            return False
    plan = typed.plan
    root = cast(Message, areq)  # the conditions read it with ``get`` (see ``_get``)
    if not post_accepts(plan, areq, root, read, None):
        return False
    for name, items_plan in typed.arrays:
        items = read(areq, name)
        if items is not None and not all(
            post_accepts(items_plan, i, root, read, None) for i in items
        ):
            return False
    tests = plan.conditional_tests
    return not any(tests[name](root) for name in plan.conditional_names if read(areq, name) is None)
