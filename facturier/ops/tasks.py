"""Which job backend Facturier runs on: the database backend of django-tasks-db, nothing else.

The jobs rely on it (lib/jobs.py, docs/decisions/jobs-that-never-vanish.md): a job row is written in the
caller's transaction, so a rolled-back change sends nothing; retries wait in their row (`run_after`);
the worker finds the rows of tasks whose worker died. Any number of `run_worker` processes share the
queue: each takes a job with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL. A Redis (RQ) backend keeps
none of these promises and is not installed: naming one stops the process with this module's message,
rather than an import error deep in the start-up.
"""

from django.core.exceptions import ImproperlyConfigured

DATABASE = "django_tasks_db.DatabaseBackend"
# Run jobs in the caller (tests, a development shell) or drop them: never on a server.
DEVELOPMENT_ONLY = (
    "django_tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.dummy.DummyBackend",
)


def refusal(backend: str, debug: bool) -> str | None:
    """Why `backend` may not run the jobs (None when it may)."""
    if backend == DATABASE or (debug and backend in DEVELOPMENT_ONLY):
        return None
    if backend in DEVELOPMENT_ONLY:
        return (
            f"TASKS_BACKEND={backend} runs jobs in the web request or drops them: development only. "
            "Leave TASKS_BACKEND unset on a server (the database backend) and run `facturier run_worker`."
        )
    return (
        f"TASKS_BACKEND={backend} is not supported. Facturier's jobs run on the database backend "
        f"({DATABASE}, the default: leave TASKS_BACKEND unset); for more throughput, start more "
        "`facturier run_worker` processes, on as many machines as needed (docs/deployment.md, step 6)."
    )


def task_backend(backend: str, debug: bool) -> str:
    """The backend of the settings' TASKS, refused at start-up when it is not one we run on."""
    reason = refusal(backend, debug)
    if reason is not None:
        raise ImproperlyConfigured(reason)
    return backend
