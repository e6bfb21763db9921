"""System checks of the ops app (`manage.py check`, run by every management command)."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.checks import CheckMessage, Error, Tags, Warning

from facturier.ops import tasks
from facturier.ops.staticfiles import StaticFilesStorage, manifest_path


def static_files_collected(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Pages work without `collectstatic` (facturier/ops/staticfiles.py), but browsers then re-fetch the
    style sheet and scripts every minute instead of keeping them for a year: say so to the operator."""
    if not isinstance(staticfiles_storage, StaticFilesStorage):
        return []
    if manifest_path().exists():
        return []
    return [
        Warning(
            f"Static files are not collected (no {manifest_path()}): pages are served with the package's "
            "files, which browsers cannot cache for long.",
            hint="Run `facturier collectstatic --noinput` once per release (it needs STATIC_ROOT, "
            "FACTURIER_VAR_DIR/static by default).",
            id="ops.W001",
        )
    ]


def supported_task_backends(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The settings refuse an unsupported TASKS_BACKEND at start-up; this catches a TASKS written by
    another settings module (facturier/ops/tasks.py)."""
    messages: list[CheckMessage] = []
    for alias, options in settings.TASKS.items():
        reason = tasks.refusal(str(options.get("BACKEND", "")), settings.DEBUG)
        if reason is not None:
            messages.append(Error(f"TASKS[{alias!r}]: {reason}", id="ops.E001"))
    return messages


def register() -> None:
    from django.core import checks

    checks.register(supported_task_backends)
    checks.register(static_files_collected, Tags.staticfiles, deploy=True)
