"""The small exception hierarchy turned into the one error shape in one place."""
from __future__ import annotations


class HandoverError(Exception):
    """Base: an error a user can act on. Subclasses fix the HTTP status."""
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, **params):
        """`message`: the English sentence (API default, logs); `code`: the key of the
        user's-language message in core.messages; `params`: the values that message shows."""
        super().__init__(message)
        self.message = message
        self.params = params
        if code:
            self.code = code


class UserValueError(HandoverError):
    status, code = 400, "invalid"


class Unauthorized(HandoverError):
    status, code = 401, "unauthorized"


class Forbidden(HandoverError):
    status, code = 403, "forbidden"


class NotFound(HandoverError):
    status, code = 404, "not_found"


class Conflict(HandoverError):
    status, code = 409, "conflict"


class TooLarge(HandoverError):
    status, code = 413, "too_large"


class UnsupportedType(HandoverError):
    status, code = 415, "unsupported_media_type"


def error_body(code: str, message: str) -> dict:
    """The shared JSON error shape."""
    return {"error": {"code": code, "message": message}}
