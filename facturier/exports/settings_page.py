"""Paramètres > Comptabilité: the chart-of-accounts mapping the FEC posts to, the fiscal year, the
journals, the expense accounts of the categories, and the option that protects exported documents.

The page reads the account's AccountingSettings without creating it (unsaved defaults until the first
save); `update_accounting_settings` is the one write: one transaction, the permission, every account
number checked as the FEC needs it (lib.chart_of_accounts.account_problem), and one audit event listing what changed.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from facturier.exports.fec import (
    JOURNAL_FIELDS,
    MAPPING_RULES,
    accounting_settings,
    journal_problem,
    rate_key,
)
from facturier.exports.models import AccountingSettings
from facturier.lib.chart_of_accounts import EXPENSE_RULE, VAT_RULE, account_problem, normalize_account
from facturier.purchases.models import ExpenseCategory
from facturier.tenancy import audit
from facturier.tenancy.access import AccountRequest, Actor, account_view, actor_for
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account

# The French rates that get a VAT-collected account of their own on the page (the CA3 lines).
FRENCH_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"))
# The fields of AccountingSettings a member edits (vat_collected_accounts apart), in page order.
SETTINGS_FIELDS = ["fiscal_year_end_month", *JOURNAL_FIELDS, *MAPPING_RULES, "lock_exported"]


def rate_field_name(rate: Decimal) -> str:
    """vat_collected_20, vat_collected_5_5..."""
    return "vat_collected_" + f"{rate.normalize():f}".replace(".", "_")


def category_field_name(category: ExpenseCategory) -> str:
    return f"category_{category.pk}"


# --- The service ---------------------------------------------------------------------------------


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values as stored, or a ServiceError naming the field that is wrong and why."""
    cleaned = dict(values)
    month = cleaned["fiscal_year_end_month"]
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ServiceError(_("Choisissez le mois de clôture de l'exercice."), field="fiscal_year_end_month")
    for name in JOURNAL_FIELDS:
        cleaned[name] = str(cleaned[name]).strip().upper()
        problem = journal_problem(cleaned[name])
        if problem:
            raise ServiceError(problem, field=name)
    codes = [cleaned[name] for name in JOURNAL_FIELDS]
    if len(set(codes)) != len(codes):
        raise ServiceError(
            _("Les journaux des ventes, des achats et de banque ont chacun leur code."), field="bank_journal"
        )
    for name, rule in MAPPING_RULES.items():
        cleaned[name] = normalize_account(str(cleaned[name]))
        problem = account_problem(cleaned[name], rule)
        if problem:
            raise ServiceError(problem, field=name)
    accounts = {}
    for rate, number in cleaned["vat_collected_accounts"].items():
        number = normalize_account(str(number))
        if not number:
            continue  # this rate then goes to the VAT-collected account of the other rates
        problem = account_problem(number, VAT_RULE)
        if problem:
            raise ServiceError(problem, field=rate_field_name(Decimal(rate)))
        accounts[rate_key(Decimal(rate))] = number
    cleaned["vat_collected_accounts"] = accounts
    cleaned["lock_exported"] = bool(cleaned["lock_exported"])
    return cleaned


@transaction.atomic
def update_accounting_settings(
    actor: Actor,
    account: Account,
    values: dict[str, Any],
    category_accounts: dict[int, str] | None = None,
) -> AccountingSettings:
    """Save the accounting settings: SETTINGS_FIELDS, `vat_collected_accounts` as {rate: account}
    (a blank account drops the rate, which then uses the account of the other rates), and the expense
    account of the account's categories ({category id: account}). Fields not given keep their value.

    Each account number is checked as the FEC needs it (digits, class and group of its role); the audit
    event keeps every changed value before and after. Saving unchanged values writes nothing.
    """
    actor.require("accounting.settings")
    ensure_writable(account)
    unknown = set(values) - {*SETTINGS_FIELDS, "vat_collected_accounts"}
    if unknown:
        raise TypeError(f"Unknown accounting settings: {sorted(unknown)}")
    AccountingSettings.for_account(account)  # the row, created with its defaults on the first save
    settings = AccountingSettings.objects.select_for_update().get(account=account)
    current: dict[str, Any] = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    current["vat_collected_accounts"] = dict(settings.vat_collected_accounts)
    after = _clean(current | values)
    before = {name: current[name] for name in SETTINGS_FIELDS}
    before |= {f"vat_collected_{rate}": number for rate, number in current["vat_collected_accounts"].items()}
    compared = {name: after[name] for name in SETTINGS_FIELDS}
    compared |= {f"vat_collected_{rate}": number for rate, number in after["vat_collected_accounts"].items()}
    compared |= {key: "" for key in before if key.startswith("vat_collected_") and key not in compared}
    categories = _changed_categories(account, category_accounts or {})
    changes = audit.diff(before, compared)
    for category, number in categories:
        changes[f"category:{category.name}"] = [category.accounting_code, number]
    if not changes:
        return settings
    for name in SETTINGS_FIELDS:
        setattr(settings, name, after[name])
    settings.vat_collected_accounts = after["vat_collected_accounts"]
    settings.save()
    for category, number in categories:
        category.accounting_code = number
        category.save(update_fields=["accounting_code"])
    audit.record(actor, account, "accounting.settings_changed", changes=changes)
    return settings


def _changed_categories(account: Account, numbers: dict[int, str]) -> list[tuple[ExpenseCategory, str]]:
    """The account's categories whose expense account changes, each new number checked."""
    changed = []
    categories = ExpenseCategory.objects.select_for_update().filter(account=account, pk__in=list(numbers))
    found = {category.pk: category for category in categories}
    for pk, value in numbers.items():
        category = found.get(pk)
        if category is None:
            raise ServiceError(
                _("Cette catégorie de dépense n'existe pas dans ce compte."), field=f"category_{pk}"
            )
        number = normalize_account(value)
        problem = account_problem(number, EXPENSE_RULE)
        if problem:
            raise ServiceError(problem, field=category_field_name(category))
        if number != category.accounting_code:
            changed.append((category, number))
    return changed


# --- The form ------------------------------------------------------------------------------------

HELP_TEXTS = {
    "fiscal_year_end_month": gettext_lazy(
        "L'exercice se termine le dernier jour de ce mois. Un FEC couvre un seul exercice ; son nom porte "
        "la date de clôture."
    ),
    "sales_journal": gettext_lazy("Par exemple VT."),
    "purchases_journal": gettext_lazy("Par exemple HA ou AC."),
    "bank_journal": gettext_lazy("Paiements reçus et payés. Par exemple BQ."),
    "customer_account": gettext_lazy(
        "Compte collectif (411…). Chaque client y a son compte auxiliaire : le compte auxiliaire de sa "
        "fiche, sinon C suivi de son numéro."
    ),
    "supplier_account": gettext_lazy(
        "Compte collectif (401…). Chaque fournisseur y a son compte auxiliaire : celui de sa fiche, sinon F "
        "suivi de son numéro."
    ),
    "bank_account": gettext_lazy("Par exemple 512000."),
    "suspense_account": gettext_lazy(
        "Les paiements reçus sans client ni facture y attendent d'être affectés. Par exemple 471000."
    ),
    "revenue_services_account": gettext_lazy(
        "Ventes avec TVA française. Un produit peut avoir son propre compte (706…, 707…) : il prime."
    ),
    "revenue_services_exempt_account": gettext_lazy(
        "Exonérations, autoliquidation, exportations, ventes intracommunautaires et ventes à distance (OSS)."
    ),
    "revenue_goods_exempt_account": gettext_lazy(
        "Exonérations, livraisons intracommunautaires, exportations et ventes à distance (OSS)."
    ),
    "vat_collected_account": gettext_lazy("Pour les taux sans compte propre ci-dessus."),
    "vat_oss_account": gettext_lazy("TVA d'un autre État membre, déclarée par le guichet unique (OSS)."),
    "vat_pending_account": gettext_lazy(
        "La TVA des prestations de services est due à l'encaissement (sauf option pour les débits) : "
        "elle attend ici son paiement, puis passe au compte de TVA collectée de son taux."
    ),
    "vat_deductible_pending_account": gettext_lazy(
        "La TVA des services achetés est déductible au paiement du fournisseur (sauf s'il a opté pour les "
        "débits) : elle attend ici ce paiement, puis passe au compte de TVA déductible."
    ),
    "vat_self_assessed_account": gettext_lazy(
        "Autoliquidation (achats intracommunautaires, services de fournisseurs étrangers, sous-traitance "
        "du bâtiment…) : la TVA que vous devez sur ces achats. Par exemple 445200."
    ),
    "vat_self_assessed_deductible_account": gettext_lazy(
        "La même TVA autoliquidée, déductible (4456…). Par exemple 445662."
    ),
    "lock_exported": gettext_lazy(
        "Un document ou une dépense déjà exporté en comptabilité ne peut plus être modifié ni supprimé."
    ),
}


class AccountingSettingsForm(forms.ModelForm[AccountingSettings]):
    fiscal_year_end_month = forms.TypedChoiceField(
        label=gettext_lazy("Mois de clôture de l'exercice"), choices=list(MONTHS.items()), coerce=int
    )

    class Meta:
        model = AccountingSettings
        fields = SETTINGS_FIELDS
        help_texts = HELP_TEXTS

    def __init__(self, *args: Any, categories: list[ExpenseCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year_end_month"].help_text = HELP_TEXTS["fiscal_year_end_month"]
        for name in SETTINGS_FIELDS:
            field = self.fields[name]
            field.label = str(field.label)[:1].upper() + str(field.label)[1:]
        for name in (*JOURNAL_FIELDS, *MAPPING_RULES):
            self.fields[name].widget.attrs.update({"size": 12, "autocomplete": "off"})
        stored = self.instance.vat_collected_accounts
        for rate in FRENCH_RATES:
            self.fields[rate_field_name(rate)] = forms.CharField(
                label=_("TVA collectée à %(rate)s %%") % {"rate": f"{rate.normalize():f}".replace(".", ",")},
                required=False,
                max_length=20,
                initial=stored.get(rate_key(rate), ""),
                widget=forms.TextInput(attrs={"size": 12, "autocomplete": "off"}),
            )
        self.categories = categories
        for category in categories:
            self.fields[category_field_name(category)] = forms.CharField(
                label=category.name,
                max_length=20,
                initial=category.accounting_code,
                widget=forms.TextInput(attrs={"size": 12, "autocomplete": "off"}),
            )

    def group(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def journal_fields(self) -> list[forms.BoundField]:
        return self.group(*JOURNAL_FIELDS)

    def third_party_fields(self) -> list[forms.BoundField]:
        return self.group("customer_account", "supplier_account", "bank_account", "suspense_account")

    def revenue_fields(self) -> list[forms.BoundField]:
        return self.group(
            "revenue_services_account",
            "revenue_goods_account",
            "revenue_services_exempt_account",
            "revenue_goods_exempt_account",
        )

    def vat_collected_fields(self) -> list[forms.BoundField]:
        return self.group(
            *(rate_field_name(rate) for rate in FRENCH_RATES),
            "vat_collected_account",
            "vat_oss_account",
            "vat_pending_account",
        )

    def vat_deductible_fields(self) -> list[forms.BoundField]:
        return self.group(
            "vat_deductible_account",
            "vat_deductible_assets_account",
            "vat_deductible_pending_account",
            "vat_self_assessed_account",
            "vat_self_assessed_deductible_account",
        )

    def category_fields(self) -> list[forms.BoundField]:
        return self.group(*(category_field_name(category) for category in self.categories))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        checks = [(name, rule) for name, rule in MAPPING_RULES.items()]
        checks += [(rate_field_name(rate), VAT_RULE) for rate in FRENCH_RATES]
        checks += [(category_field_name(category), EXPENSE_RULE) for category in self.categories]
        for name, rule in checks:
            if name not in cleaned:
                continue  # already refused by its field
            number = cleaned[name] = normalize_account(cleaned[name] or "")
            if number or not name.startswith("vat_collected_"):
                problem = account_problem(number, rule)
                if problem:
                    self.add_error(name, problem)
        for name in JOURNAL_FIELDS:
            if name in cleaned:
                cleaned[name] = (cleaned[name] or "").strip().upper()
                problem = journal_problem(cleaned[name])
                if problem:
                    self.add_error(name, problem)
        return cleaned

    def values(self) -> dict[str, Any]:
        """What update_accounting_settings takes (call after is_valid())."""
        values = {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
        values["vat_collected_accounts"] = {
            rate_key(rate): self.cleaned_data[rate_field_name(rate)] for rate in FRENCH_RATES
        }
        return values

    def category_accounts(self) -> dict[int, str]:
        return {category.pk: self.cleaned_data[category_field_name(category)] for category in self.categories}


# --- The view ------------------------------------------------------------------------------------


@account_view("accounting.settings")
@require_http_methods(["GET", "POST"])
def accounting_settings_page(request: AccountRequest) -> HttpResponse:
    account = request.account
    categories = list(ExpenseCategory.objects.filter(account=account).order_by("name"))
    # Unsaved defaults until the first save: opening the page writes nothing.
    form = AccountingSettingsForm(
        request.POST or None, instance=accounting_settings(account), categories=categories
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_accounting_settings(actor_for(request), account, form.values(), form.category_accounts())
        except ServiceError as error:
            error.show_on(form)
        else:
            messages.success(request, _("Les paramètres de comptabilité ont été enregistrés."))
            return redirect("exports_settings:accounting_settings", slug=account.slug)
    return render(
        request,
        "exports/accounting_settings.html",
        {"account": account, "form": form, "read_only": account.is_read_only},
    )
