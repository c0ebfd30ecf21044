"""The documented error answers of the API, so that the OpenAPI says what each route can
answer (schemathesis checks every answer against it).

``Problem`` is every JSON error body the app writes: ``detail`` is a sentence (401, 403, 404,
413, 429, 503), the list of field errors (422, as the CLI's exit 2), or one field
(``{field, message, allowed}``, the records API). ``with_limit_answers`` adds to every
operation what the limits can answer anywhere: 413 with a body, 503 always, 429 where a
token is checked. ``json_answer`` writes a successful JSON body without FastAPI's generic
encoder.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

__all__ = [
    "OPERATION_OUTCOME",
    "ErrorItem",
    "FieldProblem",
    "Problem",
    "json_answer",
    "problems",
    "with_limit_answers",
]


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    allowed: str | None = None


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str
    message: str
    allowed: str | None = None


class Problem(BaseModel):
    """An error: a sentence, the field errors (422) or one field (records API)."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[ErrorItem] | FieldProblem
    message: str | None = None


DESCRIPTIONS = {
    400: "The body is not what the route reads (not JSON, or not a request of this kind).",
    401: "No token or session, or one that is not valid.",
    403: "The role may not do this, or a CSRF token is missing or wrong.",
    404: "No such thing (patient, pack, job, service).",
    409: "Conflicts with a stored record.",
    412: "Data the service needs was neither sent nor fetchable.",
    413: "The body is larger than the route's limit (the message names it).",
    422: "Bad input: the field, the problem, what is allowed.",
    429: "Too many attempts from this address; wait for Retry-After seconds.",
    503: "The work took longer than the server's time limit; try again after Retry-After.",
}

OPERATION_OUTCOME: dict[str, Any] = {
    "schema": {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
    }
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries with the ``Problem`` body for these status codes."""
    return {code: {"model": Problem, "description": DESCRIPTIONS[code]} for code in codes}


def with_limit_answers(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI with 413 (operations with a body), 503 (all) and 429 (operations that
    document a 401) added where the operation does not document them itself."""
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            answers = operation["responses"]
            extra = [503]
            if "requestBody" in operation:
                extra.append(413)
            if "401" in answers:
                extra.append(429)
            for code in extra:
                answers.setdefault(str(code), {"description": DESCRIPTIONS[code], "content": ref})
    return schema


def json_answer(data: Any) -> Response:
    """``data`` as the JSON body FastAPI would write for it (the bytes of its JSONResponse),
    without walking every value through ``jsonable_encoder`` first: the calculators' answers
    are plain JSON already, and for a 10-year simulation that walk took four times as long as
    the writing. A value json cannot write (a date, say) still goes through the encoder."""
    body = json.dumps(
        data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=jsonable_encoder
    )
    return Response(body.encode("utf-8"), media_type="application/json")
