"""Rate limits on signing in and on failed tokens: a sliding window per client address.

``SlidingWindow.hit(key)`` counts one event and returns None while the key has had at most
``limit`` events in the last ``window`` seconds, else the seconds until the oldest counted
event leaves the window (the ``Retry-After``). Kept in memory (one process), or in Redis when
the server has a ``redis_url`` (several workers share the count). Keys are a purpose and a
client address (``login:127.0.0.1``): never a user name, token or anything personal.

Limited (the numbers are settings, cobalamin conventions):
  - ``POST /login`` and the single sign-on callback: each failed sign-in counts, and once over
    the limit the sign-in routes (the sign-on start included) answer 429; a successful
    sign-in never counts (many users behind one hospital address);
  - a wrong or expired bearer token (records API, ``/fhir``) and a CDS Hooks JWT that fails:
    each failure counts, and once over the limit the address gets 429 before its token is
    even checked, so guessing tokens is slow.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import HTTPException, Request

__all__ = [
    "MemoryWindow",
    "RateLimits",
    "RedisWindow",
    "SlidingWindow",
    "client_address",
    "rate_limits",
    "too_many",
]


class SlidingWindow(Protocol):
    limit: int
    window: float

    def hit(self, key: str) -> float | None: ...

    def blocked(self, key: str) -> float | None: ...


@dataclass
class MemoryWindow:
    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def _wait(self, events: deque[float], now: float) -> float | None:
        if len(events) <= self.limit:
            return None
        return max(events[-self.limit - 1] + self.window - now, 0.0)

    def hit(self, key: str) -> float | None:
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            events.append(now)
            if len(self._events) > 100_000:  # many addresses: forget the quiet ones
                self._events = {k: v for k, v in self._events.items() if v}
            return self._wait(events, now)

    def blocked(self, key: str) -> float | None:
        """The wait, if the key has used up its events (counts nothing)."""
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            if len(events) < self.limit:
                return None
            return max(events[-self.limit] + self.window - now, 0.0)


class _Redis(Protocol):
    def pipeline(self) -> Any: ...


@dataclass
class RedisWindow:
    """The same window in a Redis sorted set per key (score = time)."""

    client: _Redis
    limit: int
    window: float
    prefix: str = "cobalamin:rate:"

    def _count(self, key: str, add: bool) -> tuple[int, float | None]:
        now = time.time()
        name = self.prefix + key
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(name, 0, now - self.window)
        if add:
            pipe.zadd(name, {f"{now}:{uuid.uuid4().hex}": now})
            pipe.expire(name, math.ceil(self.window) + 1)
        pipe.zrange(name, 0, -1, withscores=True)
        answer = pipe.execute()
        scores = sorted(score for _, score in answer[-1])
        return len(scores), (scores[-self.limit - 1] if len(scores) > self.limit else None)

    def hit(self, key: str) -> float | None:
        _, oldest = self._count(key, add=True)
        return None if oldest is None else max(oldest + self.window - time.time(), 0.0)

    def blocked(self, key: str) -> float | None:
        count, _ = self._count(key, add=False)
        return None if count < self.limit else self.window  # a conservative wait

    @classmethod
    def from_url(cls, url: str, limit: int, window: float) -> RedisWindow:
        import redis

        return cls(redis.Redis.from_url(url), limit, window)


@dataclass
class RateLimits:
    login: SlidingWindow
    token_failures: SlidingWindow

    @classmethod
    def from_settings(cls, settings: Any) -> RateLimits:
        login = (
            int(getattr(settings, "login_attempts", 10)),
            float(getattr(settings, "login_window_seconds", 60.0)),
        )
        failures = (
            int(getattr(settings, "token_failures", 30)),
            float(getattr(settings, "token_failure_window_seconds", 60.0)),
        )
        url = getattr(settings, "redis_url", None)
        if url:
            return cls(RedisWindow.from_url(url, *login), RedisWindow.from_url(url, *failures))
        return cls(MemoryWindow(*login), MemoryWindow(*failures))


def rate_limits(request: Request) -> RateLimits:
    """The app's limits (made with the defaults on an app that has none, e.g. records-only)."""
    state = request.app.state
    limits = getattr(state, "rate_limits", None)
    if limits is None:
        limits = RateLimits.from_settings(getattr(state, "settings", None))
        state.rate_limits = limits
    assert isinstance(limits, RateLimits)
    return limits


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def too_many(wait: float, what: str) -> HTTPException:
    seconds = max(1, math.ceil(wait))
    return HTTPException(
        429,
        f"too many {what} from this address; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )
