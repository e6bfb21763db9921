"""Django's database sessions, read with one SQL statement instead of the ORM.

Every request of a logged-in user reads its session. Through the ORM, building the query and the
Session instance cost more than the database takes to answer (a primary-key lookup); this engine
reads only the session's data, with the same condition (the key, not expired). Writes, expiry and
`clearsessions` stay Django's.
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        if self.session_key is None:  # no cookie, or one that is not a session key
            return {}
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: a new session gets a new key
            return {}
        return self.decode(row[0])
