"""Refusals a service gives for a reason the user can act on. Pages show the message; the API a 422."""

from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.forms import BaseForm


class ServiceError(Exception):
    """A write refused by the rules (not a bug): its message is for the user, already translated."""

    def __init__(self, message: str | Promise, *, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field

    def show_on(self, form: "BaseForm") -> None:
        """On a page: beside the field it names when the form has one, else at the top of the form."""
        form.add_error(self.field if self.field in form.fields else None, self.message)


class ReadOnlyAccountError(ServiceError):
    pass


class LockedPeriodError(ServiceError):
    pass


class PlanLimitError(ServiceError):
    pass
