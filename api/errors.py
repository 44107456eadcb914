"""API errors and the spec's error envelope.

ApiError                 (root: every expected failure, rendered as {"success": false, "error": ...})
├── AuthError            401
├── NotFoundError        404 (also for another tenant's resources: never leak existence)
├── ConflictError        409 (invalid status change, version races)
├── PayloadTooLargeError 413 (a request body over WORKFLOWS_API_MAX_BODY_BYTES)
├── UnprocessableError   422 (validation problems, each with its JSON path)
└── RateLimitedError     429 (with Retry-After: e.g. a webhook token called too often)
"""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": {"code": self.code, "message": self.message, "details": self.details},
        }


class AuthError(ApiError):
    status_code = 401
    code = "unauthorized"


class NotFoundError(ApiError):
    status_code = 404
    code = "not_found"


class ConflictError(ApiError):
    status_code = 409
    code = "conflict"


class UnprocessableError(ApiError):
    status_code = 422
    code = "validation_failed"


class PayloadTooLargeError(ApiError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(ApiError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, details={"retryAfterSeconds": math.ceil(retry_after_s)})
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        # Whole seconds, rounded up: a retry that comes too early would be refused again.
        return {"Retry-After": str(max(1, math.ceil(self.retry_after_s)))}
