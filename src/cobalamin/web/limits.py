"""Request-size limits and a time limit on the work, as two small ASGI middlewares.

``BodyLimit``: a request whose ``Content-Length`` is over its route's limit is answered 413
at once, without reading the body; a body sent without a length (chunked) is counted as it
streams in and stopped with 413 at the first chunk over the limit, so no body larger than the
limit is ever held (lab uploads stream to a temporary file, everything else is parsed once
read). ``TimeLimit``: a request whose answer has not started within the limit is answered 503
with ``Retry-After``; the calculation's thread cannot be killed, so it finishes in the
background and its answer is dropped.

Both answer in the form the app's errors use (JSON for the API and machines, the error page
for browsers) through ``respond``, with the app's security headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cobalamin.errors import InputError

__all__ = ["BodyLimit", "TimeLimit", "body_limit_for", "check_simulation_size", "human_bytes"]

Respond = Callable[[Request, int, str, dict[str, str]], Response]


def human_bytes(size: int) -> str:
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _too_large(limit: int) -> str:
    return f"the request body is larger than this route's limit of {human_bytes(limit)}"


@dataclass(frozen=True)
class _Limits:
    default: int
    uploads: dict[str, int]  # exact path of a POST upload route -> its larger limit


def body_limit_for(scope: Scope, default: int, uploads: dict[str, int]) -> int:
    if scope.get("method") == "POST":
        return uploads.get(scope.get("path", ""), default)
    return default


class BodyLimit:
    """413 for a body over ``default`` bytes (over ``uploads[path]`` on upload routes)."""

    def __init__(
        self, app: ASGIApp, *, default: int, uploads: dict[str, int], respond: Respond
    ) -> None:
        self.app = app
        self.limits = _Limits(default, dict(uploads))
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope, self.limits.default, self.limits.uploads)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            response = self.respond(Request(scope), 413, _too_large(limit), {})
            await response(scope, _drained(receive), send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # an HTTPException: the app's own handler answers it, as JSON or a page
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _drained(receive: Receive) -> Receive:
    """A receive that never hands the (refused) body to anyone."""

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    return nothing


class TimeLimit:
    """503 when a request has not started its answer within ``seconds`` (``exempt`` path
    prefixes, such as uploads that take long to arrive, are not timed)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        seconds: float,
        respond: Respond,
        exempt: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.respond = respond
        self.exempt = exempt
        self._background: set[asyncio.Task[Any]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or self.seconds <= 0 or path.startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        started = False
        timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return  # the client already has its 503
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if done or started:
            await task  # finished, or answering (a download): let it finish
            return
        timed_out = True
        # The work runs in a thread that cannot be stopped: let it end in the background,
        # keeping a reference so its task is not collected, and never raise from it.
        self._background.add(task)
        task.add_done_callback(_forget(self._background))
        task.cancel()
        message = (
            f"the calculation took longer than this server's limit of {self.seconds:g} s; "
            "try again later or with a smaller input"
        )
        response = self.respond(Request(scope), 503, message, {"Retry-After": "5"})
        await response(scope, receive, send)


def _forget(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it with the request's data

    return done


def check_simulation_size(days: int, people: int | None, max_person_days: int) -> None:
    """Refuse a store-model scenario (already parsed) of more people x days than one request
    may compute: the time limit answers 503 but cannot stop the calculation's thread, so work
    that could never finish in time is refused before it starts (422 naming the field)."""
    if days * (people or 1) > max_person_days:
        raise InputError(
            "days" if people is None else "population.n",
            f"{people or 1:,} people x {days:,} days is more than this server simulates in "
            "one request; run it with `cobalamin simulate`",
            f"people x days up to {max_person_days:,}",
        )
