"""The firm's list of client accounts ("Comptes clients"), its bulk actions, and adding a user to one.

Every page needs firm.manage in the firm's own account, and that account must be a firm (module on,
accounting plan). Client accounts come only from firm/queries.py (managed_by = this firm): a selection
naming any other account is refused as a whole. Writes go through firm/services.py, which check again.
A bulk action is two POSTs: the list posts the selection, the action's page shows what will happen
(and asks for a date, a collaborator...), and its own POST, marked `confirm`, does it.
"""

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from facturier.billing.queries import PageWindow
from facturier.exports import jobs
from facturier.exports.base import ExportRequest
from facturier.exports.forms import BatchForm
from facturier.exports.models import ExportFormat
from facturier.firm import exports, queries, services
from facturier.firm.forms_list import AddClientUserForm, LockDatesForm, StaffForm
from facturier.firm.queries import ListParams
from facturier.lib.filters import parse_id
from facturier.tenancy.access import AccountRequest, account_view, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, Membership
from facturier.tenancy.services import counted_members

PAGE_SIZE = 50
LIST_COLUMNS = [
    ("name", gettext_lazy("Nom")),
    ("created", gettext_lazy("Date de création")),
    ("locked", gettext_lazy("Date de protection des documents")),
    ("users", gettext_lazy("Utilisateurs")),
    ("plan", gettext_lazy("Formule")),
    ("ends", gettext_lazy("Fin de l'abonnement")),
]
# Names shown in a success message; the confirmation pages list them all.
NAMES_IN_MESSAGE = 5


def firm_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the firm module: firm.manage in the account, and the account must be a firm; else
    back to where the module is turned on, with the reason."""

    @account_view("firm.manage")
    @functools.wraps(view)
    def wrapper(request: AccountRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = request.account
        if not account.is_firm:
            messages.info(request, services.not_a_firm_message(account))
            if request.membership.has_perm("settings.manage"):
                return redirect("tenancy:account", slug=account.slug)
            return redirect("web:dashboard", slug=account.slug)
        return view(request, *args, **kwargs)

    return wrapper


def _list_url(firm: Account, params: ListParams) -> str:
    """The list as the user left it: same search and sort."""
    query = {"q": params.search} if params.search else {}
    if params.sort != queries.DEFAULT_SORT or params.descending:
        query |= {"sort": params.sort, "dir": "desc" if params.descending else "asc"}
    url = reverse("firm:account_list", kwargs={"slug": firm.slug})
    return f"{url}?{urlencode(query)}" if query else url


def _names(accounts: list[Account]) -> str:
    names = ", ".join(account.name for account in accounts[:NAMES_IN_MESSAGE])
    return names + (" …" if len(accounts) > NAMES_IN_MESSAGE else "")


# --- The list -------------------------------------------------------------------------------------


@firm_page
def account_list(request: AccountRequest) -> HttpResponse:
    firm = request.account
    params = ListParams.from_data(request.GET)
    count = queries.matching_accounts(firm, params.search).count()
    window = PageWindow.of(request.GET.get("page"), count, PAGE_SIZE)
    rows = queries.client_account_list(firm, params, user_id=request.user.pk)
    accounts = list(rows[window.offset : window.offset + window.per_page])
    columns = []
    for key, label in LIST_COLUMNS:
        current = params.sort == key
        columns.append(
            {
                "key": key,
                "label": label,
                "state": ("descending" if params.descending else "ascending") if current else "",
                # A click on the sorted column reverses it; any other column starts ascending.
                "next_dir": "asc" if current and params.descending else "desc" if current else "asc",
            }
        )
    context = {
        "account": firm,
        "params": params,
        "accounts": accounts,
        "window": window,
        "columns": columns,
        "export_formats": exports.FORMATS,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "firm/_account_results.html", context)
    return render(request, "firm/account_list.html", context)


# --- Bulk actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The accounts a bulk action is about: ticked ids, or every account matching the search."""

    ids: tuple[int, ...]
    all_matching: bool

    @classmethod
    def from_post(cls, data: QueryDict) -> "Selection | None":
        """None when an id is not an id (ASCII digits within a BIGINT, lib.filters.parse_id): the list
        posts nothing else, so no account can be meant."""
        parsed = [parse_id(value) for value in data.getlist("ids")]
        if None in parsed:
            return None
        ids = tuple(sorted({pk for pk in parsed if pk is not None}))
        return cls(ids=ids, all_matching=data.get("select_all_matching") == "1")

    def accounts(self, firm: Account, params: ListParams, user_id: int) -> list[Account] | None:
        """The selected client accounts, in the list's order; None when an id is not one of them."""
        rows = queries.client_account_list(
            firm, params, user_id=user_id, ids=None if self.all_matching else self.ids
        )
        accounts = list(rows)
        if not self.all_matching and len(accounts) != len(self.ids):
            return None
        return accounts


def selection_key(accounts: list[Account]) -> str:
    """A fingerprint of the accounts a confirmation page listed. "All matching the search" is sent
    again as the search, so the confirmation compares fingerprints to act on what the user saw."""
    ids = ",".join(str(pk) for pk in sorted(account.pk for account in accounts))
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


@dataclass
class BulkRequest:
    request: AccountRequest
    params: ListParams
    selection: Selection
    accounts: list[Account]
    # The confirmation page was sent (and still lists the same accounts).
    confirmed: bool

    @property
    def firm(self) -> Account:
        return self.request.account

    def back_to_list(self) -> HttpResponse:
        return redirect(_list_url(self.firm, self.params))

    def page(self, template: str, **context: Any) -> HttpResponse:
        return render(
            self.request,
            template,
            {
                "account": self.firm,
                "params": self.params,
                "selection": self.selection,
                "accounts": self.accounts,
                "selection_key": selection_key(self.accounts),
                "list_url": _list_url(self.firm, self.params),
                **context,
            },
        )


@firm_page
@require_POST
def bulk_action(request: AccountRequest) -> HttpResponse:
    firm = request.account
    params = ListParams.from_data(request.POST)
    handler = BULK_ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        messages.error(request, _("Choisissez une action dans la liste."))
        return redirect(_list_url(firm, params))
    selection = Selection.from_post(request.POST)
    if selection is None:
        messages.error(
            request,
            _(
                "La sélection n'a pas pu être lue (un des comptes n'est pas désigné par un numéro) : rien "
                "n'a été fait. Cochez de nouveau les comptes dans la liste."
            ),
        )
        return redirect(_list_url(firm, params))
    accounts = selection.accounts(firm, params, request.user.pk)
    if accounts is None:
        messages.error(
            request,
            _(
                "La sélection contient des comptes qui ne sont pas (ou plus) des comptes clients de votre "
                "cabinet : rien n'a été fait."
            ),
        )
        return redirect(_list_url(firm, params))
    if not accounts:
        messages.error(
            request, _("Aucun compte client sélectionné : cochez au moins un compte dans la liste.")
        )
        return redirect(_list_url(firm, params))
    confirmed = request.POST.get("confirm") == "1"
    if confirmed and selection.all_matching and request.POST.get("selection_key") != selection_key(accounts):
        messages.warning(
            request,
            _(
                "Les comptes correspondant à la recherche ont changé depuis votre sélection : "
                "vérifiez la liste ci-dessous, puis confirmez."
            ),
        )
        confirmed = False
    return handler(BulkRequest(request, params, selection, accounts, confirmed))


def _disconnect(bulk: BulkRequest) -> HttpResponse:
    if not bulk.confirmed:
        return bulk.page("firm/bulk_disconnect.html")
    try:
        done = services.disconnect_client_accounts(actor_for(bulk.request), bulk.firm, bulk.accounts)
    except ServiceError as error:
        messages.error(bulk.request, error.message)
        return bulk.page("firm/bulk_disconnect.html")
    messages.success(
        bulk.request,
        ngettext(
            "%(count)d compte client a été déconnecté : %(names)s. Son propriétaire a été prévenu par email.",
            "%(count)d comptes clients ont été déconnectés : %(names)s. Leurs propriétaires ont été prévenus "
            "par email.",
            len(done),
        )
        % {"count": len(done), "names": _names(done)},
    )
    return bulk.back_to_list()


def _lock_date(bulk: BulkRequest) -> HttpResponse:
    form = LockDatesForm(bulk.request.POST if bulk.confirmed else None)
    if bulk.confirmed and form.is_valid():
        try:
            services.set_lock_dates(
                actor_for(bulk.request),
                bulk.firm,
                bulk.accounts,
                form.cleaned_data["new_date"],
                form.cleaned_data["reason"],
            )
        except ServiceError as error:
            field = {"locked_until": "new_date"}.get(error.field or "", error.field)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(
                bulk.request,
                ngettext(
                    "Date de protection des documents changée pour %(count)d compte client : %(names)s.",
                    "Date de protection des documents changée pour %(count)d comptes clients : %(names)s.",
                    len(bulk.accounts),
                )
                % {"count": len(bulk.accounts), "names": _names(bulk.accounts)},
            )
            return bulk.back_to_list()
    return bulk.page("firm/bulk_lock_date.html", form=form)


def _export(bulk: BulkRequest) -> HttpResponse:
    # A read: the selection comes by POST (it can be long), but nothing is stored.
    export_format = bulk.request.POST.get("format", "")
    if export_format not in exports.FORMATS:
        messages.error(bulk.request, _("Choisissez le format du fichier : CSV ou Excel (XLSX)."))
        return bulk.back_to_list()
    rows = exports.rows(bulk.accounts)
    if export_format == exports.XLSX:
        return exports.xlsx_response(bulk.firm, rows)
    return exports.csv_response(bulk.firm, rows)


def _accounting_export(bulk: BulkRequest) -> HttpResponse:
    """The firm batch: one job writes a ZIP with each selected account's FEC, invoice and payments
    exports and PDFs for one period; its page shows the progress (exports/batch.py)."""
    form = BatchForm(bulk.request.POST if bulk.confirmed else QueryDict(), today=bulk.firm.today())
    if bulk.confirmed and form.is_valid():
        filters = form.filters()
        request = ExportRequest(
            account=bulk.firm,
            start=filters.start,
            end=filters.end,
            extra={"account_ids": [a.pk for a in bulk.accounts], "user_id": bulk.request.user.pk},
        )
        job = jobs.create_job(
            bulk.firm, ExportFormat.FIRM_BATCH, request, bulk.request.user, total=len(bulk.accounts)
        )
        jobs.enqueue(job)
        messages.info(
            bulk.request,
            _("Le lot comptable est en préparation ; vous recevrez aussi un email quand il sera prêt."),
        )
        return redirect("exports:job", bulk.firm.slug, job.pk)
    return bulk.page("firm/bulk_accounting_export.html", form=form)


def _staff(bulk: BulkRequest, *, grant: bool) -> HttpResponse:
    data = bulk.request.POST if bulk.confirmed else None
    # Offering oneself first: a firm administrator often gives themself access to open an account.
    form = StaffForm(
        data,
        firm=bulk.firm,
        granter=bulk.request.membership,
        with_role=grant,
        initial={"user": bulk.request.user.pk},
    )
    if bulk.confirmed and form.is_valid():
        user = form.cleaned_data["user"]
        actor = actor_for(bulk.request)
        try:
            if grant:
                count = len(
                    services.grant_staff(actor, bulk.firm, bulk.accounts, user, form.cleaned_data["role"])
                )
            else:
                count = services.revoke_staff(actor, bulk.firm, bulk.accounts, user)
        except ServiceError as error:
            error.show_on(form)
        else:
            if grant:
                message = ngettext(
                    "%(email)s a maintenant accès à %(count)d compte client.",
                    "%(email)s a maintenant accès à %(count)d comptes clients.",
                    count,
                )
            elif count:
                message = ngettext(
                    "L'accès de %(email)s a été retiré de %(count)d compte client.",
                    "L'accès de %(email)s a été retiré de %(count)d comptes clients.",
                    count,
                )
            else:
                message = _(
                    "%(email)s n'avait accès à aucun de ces comptes pour le cabinet : rien à retirer."
                )
            messages.success(bulk.request, message % {"email": user.email, "count": count})
            return bulk.back_to_list()
    return bulk.page("firm/bulk_staff.html", form=form, grant=grant, action="grant" if grant else "revoke")


BULK_ACTIONS: dict[str, Callable[[BulkRequest], HttpResponse]] = {
    "disconnect": _disconnect,
    "lock_date": _lock_date,
    "export": _export,
    "accounting_export": _accounting_export,
    "grant": functools.partial(_staff, grant=True),
    "revoke": functools.partial(_staff, grant=False),
}


# --- Adding a user to one client account ----------------------------------------------------------


@firm_page
def account_add_user(request: AccountRequest, pk: int) -> HttpResponse:
    firm = request.account
    account = queries.managed_accounts(firm).filter(pk=pk).first()
    if account is None:
        raise Http404
    # The user is added as the firm user's own membership in the client account (its rules apply):
    # without users.manage there, say so and how to get it rather than showing a form bound to fail.
    membership = (
        Membership.objects.filter(account=account, user=request.user).select_related("custom_role").first()
    )
    can_add = membership is not None and membership.has_perm("users.manage")
    form = AddClientUserForm(request.POST if request.method == "POST" else None, granter=membership)
    if request.method == "POST" and can_add and form.is_valid():
        role, _custom_role = form.chosen_role()
        email = form.cleaned_data["email"]
        try:
            services.add_client_user(
                actor_for(request),
                firm,
                account,
                email=email,
                role=role,
                password=form.cleaned_data["password"] or None,
            )
        except ServiceError as error:
            error.show_on(form)
        else:
            if form.cleaned_data["password"]:
                message = _(
                    "%(email)s a été ajouté au compte %(name)s. Communiquez-lui le mot de passe que vous avez choisi."
                )
            else:
                message = _("%(email)s a été ajouté au compte %(name)s et a reçu un email.")
            messages.success(request, message % {"email": email, "name": account.name})
            return redirect("firm:account_list", slug=firm.slug)
    return render(
        request,
        "firm/account_add_user.html",
        {
            "account": firm,
            "client_account": account,
            "form": form,
            "can_add": can_add,
            "has_membership": membership is not None,
            "counted": counted_members(account),
            "plan": account.plan_info,
        },
    )
