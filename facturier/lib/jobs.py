"""Background jobs that lose no work: retries with back-off, and what to do with a job cut short.

Retries. A job that fails on a transient error (a network or SMTP hiccup, a dropped database
connection) queues itself again with `run_after` at the next step of BACKOFF (1 min, 5 min, 30 min,
2 h, 12 h: six attempts in all, about 15 hours; webhooks wait the same), then gives up; a permanent error (an address the server refuses) gives
up at once. Each job keeps its own record of the attempts (EmailDelivery, WebhookDelivery) so a retry
that finds the work done does nothing: a retry never sends twice.

Interrupted jobs. A worker killed in the middle of a job leaves its task row RUNNING for ever. Each job
declares, with `@on_interrupted`, how long it may run (or how long without a heartbeat) and what its
interruption means: queue it again (the job is idempotent) or give up with a message its owner sees.
The worker (`manage.py run_worker`) looks for such rows every minute (facturier/web/worker.py).
"""

import datetime
import http.client
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone
from django_tasks.base import Task

logger = logging.getLogger(__name__)

BACKOFF = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=12),
]
MAX_ATTEMPTS = len(BACKOFF) + 1


class Interrupted(Exception):
    """Recorded on a task row found RUNNING after its worker died."""


def is_transient(error: BaseException) -> bool:
    """An error that may well not happen again: network (OSError covers sockets, TLS and SMTP errors),
    an HTTP exchange cut short, a database connection lost. Callers rule out their permanent cases first
    (an SMTP 5xx refusal is an OSError too)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DatabaseError):
        return False
    return isinstance(error, OSError | http.client.HTTPException | TimeoutError)


def retry_at(attempts: int, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When to try again after `attempts` failed attempts, or None once they are all spent."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    return (now or timezone.now()) + BACKOFF[attempts - 1]


def can_defer(task: Task[Any, Any]) -> bool:
    """Whether the task's backend can hold a task until a given time (the database and RQ backends can;
    the immediate backend of the tests cannot, so there a transient failure is final)."""
    return bool(task.get_backend().supports_defer)


def enqueue_at(task: Task[Any, Any], when: datetime.datetime, *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` to run at `when` (the caller checked can_defer)."""
    task.using(run_after=when).enqueue(*args, **kwargs)


@dataclass(frozen=True)
class Recovery:
    """What the worker does with a task row of this task found RUNNING too long.

    time_limit: how long the task may run (from its start, or from its last heartbeat when `heartbeat`
    gives one). resume: called with the task's arguments; True queues the same call again (the task is
    idempotent), False leaves the task failed (resume told its owner why).
    """

    time_limit: datetime.timedelta
    resume: Callable[..., bool]
    heartbeat: Callable[..., datetime.datetime | None] | None = None


# Task path ("module.function") → its recovery. Filled by @on_interrupted where each task is defined.
RECOVERIES: dict[str, Recovery] = {}
# A task that declared nothing: given up after an hour, logged at ERROR, never run twice.
DEFAULT_TIME_LIMIT = datetime.timedelta(hours=1)


def on_interrupted(
    task: Task[Any, Any],
    time_limit: datetime.timedelta,
    heartbeat: Callable[..., datetime.datetime | None] | None = None,
) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Declare what an interruption of `task` means (see Recovery)."""

    def register(resume: Callable[..., bool]) -> Callable[..., bool]:
        RECOVERIES[task.module_path] = Recovery(time_limit, resume, heartbeat)
        return resume

    return register
