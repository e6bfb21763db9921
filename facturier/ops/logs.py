"""Request ids and the log format.

Every request gets an id: the `X-Request-ID` its proxy sent (when it looks like one), else a new one. It is
sent back in the response's `X-Request-ID`, written on every log line of the request, and given to the
error reports, so one id ties a user's report, the proxy's log, our logs and the error together.
"""

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# What we accept from a proxy: short, plain characters (a UUID, a trace id); anything else is replaced.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id(proposed: str | None) -> str:
    return proposed if proposed and _ACCEPTED.match(proposed) else uuid.uuid4().hex


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("" outside a request: the worker, commands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def logging_config(*, json: bool, level: str) -> dict[str, object]:
    """settings.LOGGING: JSON lines (one object per line, for a log collector) or readable text."""
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if json
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "facturier.ops.logs.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"]}
        },
        "root": {"handlers": ["console"], "level": level},
        # factur-x logs every step of every file at INFO: our commands and pages say what matters.
        "loggers": {"factur-x": {"level": "WARNING"}},
    }
