"""A circuit breaker: after a service fails, skip it for a short while instead of waiting on it.

A Redis that hangs would otherwise cost every request its timeout. After one failure the
breaker opens: for ``pause`` seconds every call is refused at once, as if the service had
failed again, and its users do what they do without it (render the page, run the job in
the process, count limits in memory). When the pause is over the next calls try again; a
success closes the breaker, a failure opens it for another pause.

Every Redis client of the app is made by ``redis_client`` (the rate limits' storage takes the
same connection class through its options), so they share one breaker per process: a frozen
Redis costs one timeout per pause, not one per request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from threading import Lock
from typing import Any

import redis
from flask import Flask

log = logging.getLogger(__name__)


class Breaker:
    """Open (refusing) for ``pause`` seconds after a failure; closed after a success."""

    def __init__(self, name: str, pause: float, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.pause = pause
        self._clock = clock
        self._open_until = 0.0
        self._lock = Lock()

    def allows(self) -> bool:
        """May a call go to the service now?"""
        return self._clock() >= self._open_until

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if not self._open_until:
                log.warning("%s failed (%s): skipped for %.0f s", self.name, error, self.pause)
            self._open_until = self._clock() + self.pause

    def succeeded(self) -> None:
        if self._open_until:
            with self._lock:
                if self._open_until:
                    log.info("%s answers again", self.name)
                self._open_until = 0.0


class SkippedError(redis.ConnectionError):
    """Not sent: Redis failed moments ago (the breaker is open)."""


class GuardedConnection(redis.Connection):
    """A Redis connection that asks the breaker before each step and tells it how it went."""

    def __init__(self, *args: Any, breaker: Breaker, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.breaker = breaker

    def _guarded(self, step: Callable, *args: Any, **kwargs: Any) -> Any:
        if not self.breaker.allows():
            raise SkippedError(f"{self.breaker.name} skipped: it failed moments ago")
        try:
            result = step(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            if not isinstance(error, SkippedError):
                self.breaker.failed(error)
            raise
        self.breaker.succeeded()
        return result

    def connect(self) -> None:
        self._guarded(super().connect)

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        self._guarded(super().send_packed_command, *args, **kwargs)

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return self._guarded(super().read_response, *args, **kwargs)


def redis_breaker(app: Flask) -> Breaker:
    """The process's one breaker for Redis (``REDIS_PAUSE_SECONDS``)."""
    return app.extensions.setdefault(
        "redis_breaker", Breaker("Redis", float(app.config.get("REDIS_PAUSE_SECONDS", 10)))
    )


def redis_options(app: Flask, timeout: float | None) -> dict:
    """Keyword arguments for ``redis.from_url``: the shared breaker, and ``timeout`` per call."""
    return {
        "connection_class": GuardedConnection,
        "breaker": redis_breaker(app),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }


def redis_client(app: Flask, url: str, timeout: float | None) -> redis.Redis:
    """A Redis client behind the process's breaker; ``None`` timeout for a worker's long waits."""
    return redis.Redis.from_url(url, **redis_options(app, timeout))
