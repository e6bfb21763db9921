"""Paramètres > Rôles: the role × permission matrix, and the account's custom roles."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.tenancy import permissions, services
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.forms.roles import RoleForm
from facturier.tenancy.models import Role


@dataclass(frozen=True)
class MatrixColumn:
    label: str | Promise
    codes: frozenset[str]
    role: Role | None = None  # None for a built-in role


@dataclass(frozen=True)
class MatrixRow:
    permission: permissions.Permission
    grants: list[bool]  # one per column, in column order


def _matrix(
    custom_roles: Sequence[Role],
) -> tuple[list[MatrixColumn], list[tuple[str | Promise, list[MatrixRow]]]]:
    columns = [
        MatrixColumn(label, permissions.BUILTIN_ROLE_PERMISSIONS[code])
        for code, label in permissions.BUILTIN_ROLE_LABELS.items()
    ] + [MatrixColumn(role.name, role.permission_set, role) for role in custom_roles]
    groups = [
        (group, [MatrixRow(p, [p.code in column.codes for column in columns]) for p in perms])
        for group, perms in permissions.grouped_catalogue()
    ]
    return columns, groups


@account_view("users.manage")
def role_list(request: AccountRequest) -> HttpResponse:
    custom_roles = list(Role.objects.filter(account=request.account).annotate(member_count=Count("members")))
    columns, groups = _matrix(custom_roles)
    return render(
        request,
        "tenancy/roles.html",
        {"account": request.account, "custom_roles": custom_roles, "columns": columns, "groups": groups},
    )


@account_view("users.manage")
def role_edit(request: AccountRequest, pk: int | None = None) -> HttpResponse:
    """Create a custom role (no pk) or change one of the account's."""
    role = get_in_account(Role, request.account, pk=pk) if pk is not None else None
    form = RoleForm.for_role(role, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_role(
                actor_for(request),
                request.account,
                name=form.cleaned_data["name"],
                codes=form.cleaned_data["permissions"],
                role=role,
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            message = _("Rôle « %(name)s » enregistré.") if role else _("Rôle « %(name)s » créé.")
            messages.success(request, message % {"name": saved.name})
            return redirect("tenancy:roles", slug=request.account.slug)
    return render(request, "tenancy/role_form.html", {"account": request.account, "form": form, "role": role})


@account_view("users.manage")
@require_POST
def role_delete(request: AccountRequest, pk: int) -> HttpResponse:
    role = get_in_account(Role.objects.select_related("account"), request.account, pk=pk)
    try:
        services.delete_role(actor_for(request), role)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rôle « %(name)s » supprimé.") % {"name": role.name})
    return redirect("tenancy:roles", slug=request.account.slug)
