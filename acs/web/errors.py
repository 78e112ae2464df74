"""JSON errors for the admin and QA APIs: what went wrong, which field, and how to fix it."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, *, field: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.hint = status, message, field, hint

    def response(self) -> web.Response:
        body: dict[str, Any] = {"error": self.message}
        if self.field:
            body["field"] = self.field
        if self.hint:
            body["hint"] = self.hint
        return web.json_response(body, status=self.status)


def acs_trans_id(value: str) -> str:
    """An acsTransID from a path or a query: a 400 naming the field unless it is a UUID."""
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise ApiError(400, "acsTransID must be a UUID", field="acsTransID") from exc
    return value
