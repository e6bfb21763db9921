"""Two-factor authentication in the platform's admin: staff reset a user's second factor, nothing more.

django-otp's own admin pages are taken away: they would let staff read a user's app secret (its QR
code) or recovery codes, or add a device in a user's name. What staff need is the reset of a user who
lost their devices (the action below, or `manage.py reset_second_factor`), which removes everything and
is written to the audit trail of each of the user's accounts, and to the admin's history of the user.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.accounts.admin import UserAdmin
from facturier.accounts.models import User
from facturier.mfa import services
from facturier.tenancy.access import client_ip

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.action(description=gettext_lazy("Réinitialiser la double authentification"))
def reset_second_factor(modeladmin: UserAdmin, request: HttpRequest, queryset: "QuerySet[User]") -> None:
    staff = request.user if isinstance(request.user, User) else None
    for user in queryset:
        removed = services.reset(user, by=staff, ip=client_ip(request))
        modeladmin.log_change(
            request,
            user,
            _("Double authentification réinitialisée (%(count)d appareil(s) retiré(s)).")
            % {"count": removed},
        )
    count = len(queryset)
    modeladmin.message_user(
        request,
        ngettext(
            "Double authentification réinitialisée pour %(n)d utilisateur.",
            "Double authentification réinitialisée pour %(n)d utilisateurs.",
            count,
        )
        % {"n": count},
        messages.SUCCESS,
    )


class SecondFactorUserAdmin(UserAdmin):
    """accounts' user admin, with the reset action of this app."""

    actions = [reset_second_factor]


admin.site.unregister(User)
admin.site.register(User, SecondFactorUserAdmin)
