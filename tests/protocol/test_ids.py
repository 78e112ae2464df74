"""new_uuid: what str(uuid.uuid4()) gives, faster."""

from __future__ import annotations

import uuid

from acs.protocol.fields import is_uuid
from acs.protocol.ids import new_uuid


def test_new_uuid_is_a_canonical_random_uuid() -> None:
    seen = {new_uuid() for _ in range(2000)}
    assert len(seen) == 2000
    for text in seen:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical: lower-case, hyphens in place
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert is_uuid(text)
