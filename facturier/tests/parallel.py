"""Helpers for tests that run requests on parallel threads, each on its own database connection.

On PostgreSQL the threads race for real. The SQLite test database lives in memory, shared between
connections in SQLite's shared-cache mode, where a writer meets "database table is locked" instead of
waiting; `shared_database` moves the test onto a file copy of it, opened with the project's settings
(WAL, a busy timeout, IMMEDIATE transactions): the connections then queue for the write lock as the
web processes of a real SQLite deployment do.
"""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")


def shared_database(folder: Path) -> Iterator[None]:
    """For the length of a transactional test, a database every thread's connection really shares."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():  # type: ignore[attr-defined]
        yield
        return
    connection.ensure_connection()
    memory = connection.connection
    path = folder / "parallel.sqlite3"
    copy = sqlite3.connect(path)
    memory.backup(copy)
    copy.close()
    name = connection.settings_dict["NAME"]
    # The wrapper refuses to close an in-memory database (closing would drop it): it is set aside, and
    # every connection opened from now on, in any thread, opens the file (they share settings_dict).
    connection.settings_dict["NAME"] = str(path)
    connection.connection = None
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def in_parallel(count: int, work: Callable[[int], T]) -> list[T]:
    """work(i) for i in range(count), on `count` threads released together; the results in order."""
    start = threading.Barrier(count)

    def run(i: int) -> T:
        try:
            start.wait()
            return work(i)
        finally:
            connection.close()  # each thread has its own connection: close it, or the test DB stays busy

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def collect(into: list[Any]) -> Callable[[Any], None]:
    lock = threading.Lock()

    def add(item: Any) -> None:
        with lock:
            into.append(item)

    return add
