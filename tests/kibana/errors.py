"""The error bodies Kibana answers with, so clients under test parse the same shapes they would in production."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class ApiError(Exception):
    """An HTTP error the stand-in answers with; `body()` is Kibana's `{statusCode, error, message}` shape.

    Detection-engine route handlers in Kibana answer `{status_code, message}` instead; `siem=True` adds
    `status_code` so a client may read either.
    """

    def __init__(self, status: int, message: str, *, siem: bool = False, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.siem = siem
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"statusCode": self.status, "error": HTTPStatus(self.status).phrase}
        body["message"] = self.message
        if self.siem:
            body["status_code"] = self.status
        return {**body, **self.extra}


def siem_error(status: int, message: str) -> ApiError:
    """An error raised by a detection-engine route handler (as opposed to Kibana's HTTP layer)."""
    return ApiError(status, message, siem=True)
