"""Refusals a service gives for a reason the user can act on. Pages show the message; the API a 422."""

from django.utils.functional import Promise


class ServiceError(Exception):
    """A write refused by the rules (not a bug): its message is for the user, already translated."""

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class ReadOnlyAccountError(ServiceError):
    pass


class LockedPeriodError(ServiceError):
    pass


class PlanLimitError(ServiceError):
    pass
