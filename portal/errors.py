"""The error body of /api/v1 and the handlers that make every failure use it.

Kiosks branch on ``error.code`` alone, so even framework-level failures (validation,
unknown routes) are rewritten into the same shape. Open311 paths keep the list shape
GeoReport v2 prescribes; see :mod:`portal.open311`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

OPEN311_PREFIX = "/open311/"

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_failed",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def default_code(status: int) -> str:
    return _STATUS_CODES.get(status, "bad_request" if status < 500 else "internal_error")


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def open311_response(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _field_name(loc: tuple[Any, ...], skip_source: bool) -> str:
    parts = [str(part) for part in (loc[1:] if skip_source else loc)] or [str(p) for p in loc]
    return ".".join(parts) or "request"


def validation_fields(
    problems: Iterable[Mapping[str, Any]], *, skip_source: bool = True
) -> dict[str, str]:
    """Pydantic's error list as {dotted field: message}. ``skip_source`` drops the first
    element of each location, which for a request says where the value came from
    (body, query, header) rather than which field it was."""
    fields: dict[str, str] = {}
    for problem in problems:
        name = _field_name(tuple(problem.get("loc", ())), skip_source)
        fields.setdefault(name, problem.get("msg", "invalid"))
    return fields


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.exception_handler(Open311Error)
    async def _open311_error(_: Request, exc: Open311Error) -> JSONResponse:
        return open311_response(exc.status, exc.description)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = validation_fields(exc.errors())
        if request.url.path.startswith(OPEN311_PREFIX):
            details = "; ".join(f"{name}: {msg}" for name, msg in fields.items())
            return open311_response(400, f"Invalid request. {details}")
        return error_response(422, "validation_failed", "Some values are not valid.", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail) if exc.detail else "Request failed."
        if request.url.path.startswith(OPEN311_PREFIX):
            return open311_response(exc.status_code, message)
        return error_response(
            exc.status_code, default_code(exc.status_code), message, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette still logs the traceback; the kiosk just needs a parseable body.
        if request.url.path.startswith(OPEN311_PREFIX):
            return open311_response(500, "Internal error.")
        return error_response(500, "internal_error", "The portal had an internal error.")
