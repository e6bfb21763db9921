"""Paramètres > Utilisateurs: the account's members, adding one, changing a role, removing, the owner.

Every page needs users.manage; the services check it again, and transfer_ownership also checks that
the actor is the owner.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from facturier.tenancy import services
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.forms.users import (
    AddMemberForm,
    RoleChoiceForm,
    membership_role_value,
    role_option_groups,
)
from facturier.tenancy.models import Membership, Role


def _custom_roles(request: AccountRequest) -> list[Role]:
    return list(Role.objects.filter(account=request.account))


def _membership(request: AccountRequest, pk: int) -> Membership:
    return get_in_account(Membership.objects.select_related("account", "user"), request.account, pk=pk)


def _back_to_list(request: AccountRequest) -> HttpResponse:
    return redirect("tenancy:users", slug=request.account.slug)


@account_view("users.manage")
def user_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    memberships = list(
        Membership.objects.filter(account=account)
        .select_related("user", "custom_role", "firm")
        .order_by("-is_owner", "user__email")
    )
    granter = request.membership
    for membership in memberships:
        membership.role_value = membership_role_value(membership)  # type: ignore[attr-defined]
        # The role list is offered only where a change could pass (ensure_may_act_on).
        membership.role_changeable = services.may_act_on(granter, membership)  # type: ignore[attr-defined]
    return render(
        request,
        "tenancy/users.html",
        {
            "account": account,
            "memberships": memberships,
            "role_groups": role_option_groups(_custom_roles(request), granter),
            "counted": services.counted_members(account),
            "plan": account.plan_info,
        },
    )


@account_view("users.manage")
def user_add(request: AccountRequest) -> HttpResponse:
    custom_roles = _custom_roles(request)
    data = request.POST if request.method == "POST" else None
    form = AddMemberForm(data, custom_roles=custom_roles, granter=request.membership)
    if request.method == "POST" and form.is_valid():
        role, custom_role = form.chosen_role()
        email = form.cleaned_data["email"]
        try:
            services.add_member(
                actor_for(request),
                request.account,
                email=email,
                role=role,
                custom_role=custom_role,
                password=form.cleaned_data["password"] or None,
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            if form.cleaned_data["password"]:
                message = _("%(email)s a été ajouté. Communiquez-lui le mot de passe que vous avez choisi.")
            else:
                message = _("%(email)s a été ajouté et a reçu un email.")
            messages.success(request, message % {"email": email})
            return _back_to_list(request)
    return render(request, "tenancy/user_add.html", {"account": request.account, "form": form})


@account_view("users.manage")
@require_POST
def user_role(request: AccountRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    form = RoleChoiceForm(request.POST, custom_roles=_custom_roles(request), granter=request.membership)
    if not form.is_valid():
        messages.error(request, _("Choisissez un rôle dans la liste."))
        return _back_to_list(request)
    role, custom_role = form.chosen_role()
    try:
        membership = services.change_role(actor_for(request), membership, role=role, custom_role=custom_role)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(email)s a maintenant le rôle %(role)s.")
            % {"email": membership.user.email, "role": membership.role_label},
        )
    return _back_to_list(request)


@account_view("users.manage")
@require_POST
def user_remove(request: AccountRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    try:
        client_accounts = services.remove_member(actor_for(request), membership)
    except ServiceError as error:
        messages.error(request, error.message)
        return _back_to_list(request)
    if membership.user_id == request.user.pk:
        # They removed themselves: the account's pages are no longer theirs.
        messages.success(request, _("Vous avez quitté le compte %(name)s.") % {"name": request.account.name})
        return redirect("accounts:home")
    if client_accounts:
        message = ngettext(
            "%(email)s a été retiré du cabinet et de %(count)d compte client.",
            "%(email)s a été retiré du cabinet et de %(count)d comptes clients.",
            client_accounts,
        )
    else:
        message = _("%(email)s a été retiré du compte.")
    messages.success(request, message % {"email": membership.user.email, "count": client_accounts})
    return _back_to_list(request)


@account_view("users.manage")
@require_POST
def user_make_owner(request: AccountRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    try:
        services.transfer_ownership(actor_for(request), membership)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(email)s est désormais propriétaire du compte ; vous en restez administrateur.")
            % {"email": membership.user.email},
        )
    return _back_to_list(request)
