"""Django's cached_db sessions, with a login that survives a cache outage and a logout that does not lie.

The cache (Redis) may be away (facturier/lib/cache.py serves it as empty then). Deleting a session is the
one cache call that must not be skipped: a session deleted from the database but still in Redis would be
found there first once Redis is back, and a logged-out cookie would work again. So a failed delete still
raises, and the cache is deleted from first: when it fails, the database row stays too and both agree
(Django's cached_db deletes the row first, then the cache).
At login, though, the delete is the one of the session before it (cycle_key: a new key against session
fixation); that old, anonymous key may stay until it expires, and the login goes on.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db, db
from django.core.cache import caches

from facturier.lib.cache import UNAVAILABLE

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is not None:
            caches[settings.SESSION_CACHE_ALIAS].delete(self.cache_key_prefix + key)  # raises when away
        db.SessionStore.delete(self, session_key)

    def cycle_key(self) -> None:
        try:
            super().cycle_key()
        except UNAVAILABLE as error:
            # The new session is created and holds the data; only the old key could not be deleted.
            logger.warning(
                "Cache unavailable: the session before this login stays until it expires: %s", error
            )
