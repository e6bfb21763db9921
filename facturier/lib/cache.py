"""A Redis cache that treats an unreachable server as an empty cache instead of an error.

Sessions (cached_db) and the pages' caches read through the cache on every request. With Django's own
RedisCache a Redis restart makes every page answer 500, although the database behind the cache still holds
what matters (sessions are written through to it). Here a connection or timeout error on a read is a miss
and on a write a no-op, logged once a minute. Deleting is the exception: it still fails while Redis is
away, because a session deleted from the database but left in Redis (a logout) would log its cookie in
again once Redis is back; a logout answering an error is the lesser harm. the timeouts of the settings (a fraction of a second) keep a
dead server from holding a request. `/readyz` still reports the cache as down (it writes and reads back).
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
LOG_EVERY_SECONDS = 60
T = TypeVar("T")


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    def _or(self, fallback: T, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except UNAVAILABLE as error:
            now = time.monotonic()
            if now - ResilientRedisCache._last_logged > LOG_EVERY_SECONDS:
                ResilientRedisCache._last_logged = now
                logger.warning("Cache unavailable, serving without it: %s", error)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._or(default, lambda: super(ResilientRedisCache, self).get(key, default, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._or({}, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).has_key(key, version))

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._or(list(data), lambda: super(ResilientRedisCache, self).set_many(data, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version))
