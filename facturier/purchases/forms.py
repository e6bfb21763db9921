"""Forms of the expense pages: the list's filters, the expense with its line rows, files, a payment."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import BaseFormSet, formset_factory
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing.models import Client, PaymentMethod, SupplyKind
from facturier.lib import uploads, vat
from facturier.lib.filters import FilterDateField
from facturier.lib.money import CURRENCIES
from facturier.purchases import queries, services
from facturier.purchases.models import Expense, ExpenseCategory, ExpenseStatus
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


ACCEPTED_FILES = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
ATTACHMENTS_HELP = lazy(uploads.help_text, str)(lambda: _("PDF, JPEG ou PNG"))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one <input type="file" multiple>, each checked by services.check_upload."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        try:
            uploads.check_batch(files)
        except uploads.UploadError as error:
            raise ValidationError(error.message) from None
        errors = []
        for upload in files:
            try:
                services.check_upload(upload)
            except ServiceError as error:
                errors.append(error.message)
        if errors:
            raise ValidationError(errors)
        return list(files)


# --- The list's filters -------------------------------------------------------------------------


class ExpenseFilterForm(forms.Form):
    """Read from the URL (GET), so a filtered list can be shared or bookmarked."""

    date_from = FilterDateField(label=gettext_lazy("Du"), required=False, widget=_date_input())
    date_to = FilterDateField(label=gettext_lazy("Au"), required=False, widget=_date_input())
    category = forms.ModelChoiceField(
        label=gettext_lazy("Catégorie"),
        required=False,
        queryset=ExpenseCategory.objects.none(),
        empty_label=gettext_lazy("Toutes"),
    )
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Fournisseur"),
        required=False,
        queryset=Client.objects.none(),
        empty_label=gettext_lazy("Tous"),
    )
    status = forms.ChoiceField(label=gettext_lazy("État"), required=False)
    q = forms.CharField(label=gettext_lazy("Recherche"), required=False, max_length=200)
    sort = forms.ChoiceField(
        label=gettext_lazy("Trier par"),
        required=False,
        choices=[
            ("-issue_date", gettext_lazy("Date, plus récentes d'abord")),
            ("issue_date", gettext_lazy("Date, plus anciennes d'abord")),
            ("-gross", gettext_lazy("Montant TTC décroissant")),
            ("gross", gettext_lazy("Montant TTC croissant")),
            ("supplier", gettext_lazy("Fournisseur")),
            ("due_date", gettext_lazy("Échéance")),
        ],
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = queries.categories(account)  # type: ignore[attr-defined]
        self.fields["supplier"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            account=account, kind__in=services.SUPPLIER_KINDS
        ).order_by("name", "id")
        self.fields["status"].choices = [("", _("Tous")), *ExpenseStatus.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("La date de fin doit suivre la date de début."))
        return cleaned

    def filters(self) -> queries.ExpenseFilters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return queries.ExpenseFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            category_id=data["category"].pk if data.get("category") else None,
            supplier_id=data["supplier"].pk if data.get("supplier") else None,
            status=data.get("status") or "",
            text=data.get("q") or "",
            sort=data.get("sort") or queries.DEFAULT_SORT,
        )


# --- The expense and its lines ------------------------------------------------------------------


class ExpenseLineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Désignation"), max_length=300)
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantité"), max_digits=14, decimal_places=4, initial=Decimal(1)
    )
    unit_price = forms.DecimalField(label=gettext_lazy("Prix unitaire"), max_digits=18, decimal_places=4)
    vat_rate = forms.DecimalField(
        label=gettext_lazy("TVA %"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal("99.99"),
        initial=Decimal(20),
        widget=forms.NumberInput(attrs={"list": "vat-rates"}),
    )
    vat_category = forms.ChoiceField(
        label=gettext_lazy("Catégorie de TVA"), choices=vat.CATEGORY_CHOICES, initial=vat.STANDARD
    )
    deductible = forms.BooleanField(label=gettext_lazy("TVA déductible"), required=False, initial=True)
    supply_kind = forms.ChoiceField(
        label=gettext_lazy("Nature"), choices=SupplyKind.choices, initial=SupplyKind.SERVICE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The rows are a table whose column headers are not <label>s: name each input for screen readers.
        suffix = (self.prefix or "").rsplit("-", 1)[-1]
        if suffix.isdigit():
            for field in self.fields.values():
                field.widget.attrs["aria-label"] = _("%(field)s, ligne %(row)d") % {
                    "field": field.label,
                    "row": int(suffix) + 1,
                }

    def to_input(self) -> ExpenseLineInput:
        data = self.cleaned_data
        return ExpenseLineInput(
            name=data["name"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            vat_rate=data["vat_rate"],
            vat_category=data["vat_category"],
            deductible=data["deductible"],
            supply_kind=data["supply_kind"],
        )


class BaseLineFormSet(BaseFormSet[ExpenseLineForm]):
    """A fixed number of line rows, every one optional: a row left as it was shown is ignored, and a
    row emptied of its content removes the line (no delete buttons to manage)."""

    def initial_form_count(self) -> int:
        return 0

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.used_forms():
            raise ValidationError(_("Ajoutez au moins une ligne à la dépense."))

    def used_forms(self) -> list[ExpenseLineForm]:
        return [form for form in self.forms if form.cleaned_data]


def line_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None) -> BaseLineFormSet:
    rows = max(5, len(initial or []) + 2)
    factory = formset_factory(ExpenseLineForm, formset=BaseLineFormSet, extra=rows, max_num=100)
    # Bound forms are compared with the fields' own initial values, not the lines shown (see above).
    return cast(BaseLineFormSet, factory(data, initial=None if data is not None else initial, prefix="lines"))


def _plain(value: Decimal) -> Decimal:
    """1.5000 -> 1.5 and 20.00 -> 20 (normalize() alone would write 2E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def line_initial(expense: Expense) -> list[dict[str, Any]]:
    return [
        {
            "name": line.name,
            "quantity": _plain(line.quantity),
            "unit_price": _plain(line.unit_price),
            "vat_rate": _plain(line.vat_rate),
            "vat_category": line.vat_category,
            "deductible": line.deductible,
            "supply_kind": line.supply_kind,
        }
        for line in expense.lines.all()
    ]


class ExpenseForm(forms.Form):
    supplier = forms.ModelChoiceField(label=gettext_lazy("Fournisseur"), queryset=Client.objects.none())
    supplier_number = forms.CharField(
        label=gettext_lazy("Numéro de la facture du fournisseur"), required=False, max_length=60
    )
    issue_date = forms.DateField(label=gettext_lazy("Date de la facture"), widget=_date_input())
    sell_date = forms.DateField(
        label=gettext_lazy("Date de livraison ou de prestation"), required=False, widget=_date_input()
    )
    due_date = forms.DateField(label=gettext_lazy("Date d'échéance"), required=False, widget=_date_input())
    category = forms.ModelChoiceField(
        label=gettext_lazy("Catégorie"), queryset=ExpenseCategory.objects.none()
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Devise"), choices=[(code, code) for code in CURRENCIES], initial="EUR"
    )
    exchange_rate = forms.DecimalField(
        label=gettext_lazy("Taux de change vers l'euro"),
        help_text=gettext_lazy("Valeur d'une unité de la devise en euros ; 1 pour l'euro."),
        required=False,
        max_digits=14,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        initial=Decimal(1),
    )
    prices_are_gross = forms.BooleanField(label=gettext_lazy("Prix saisis TTC"), required=False)
    vat_on_debits = forms.BooleanField(
        label=gettext_lazy("Fournisseur ayant opté pour les débits"),
        required=False,
        help_text=gettext_lazy(
            "La TVA des services achetés est alors déductible à la date de la facture (sa facture porte "
            "la mention « Option pour le paiement de la taxe d'après les débits »), sinon à mesure des "
            "paiements (art. 269 et 271 du CGI)."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachments = MultipleFileField(
        label=gettext_lazy("Justificatifs"),
        required=False,
        help_text=ATTACHMENTS_HELP,
    )

    def __init__(self, *args: Any, account: Account, expense: Expense | None = None, **kwargs: Any) -> None:
        if expense is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "supplier": expense.supplier_id,
                "supplier_number": expense.supplier_number,
                "issue_date": expense.issue_date,
                "sell_date": expense.sell_date,
                "due_date": expense.due_date,
                "category": expense.category_id,
                "currency": expense.currency,
                "exchange_rate": _plain(expense.exchange_rate),
                "prices_are_gross": expense.prices_are_gross,
                "vat_on_debits": expense.vat_on_debits,
                "notes": expense.notes,
            }
        super().__init__(*args, **kwargs)
        # An archived supplier stays selectable on the expenses that already name it.
        current = expense.supplier_id if expense else None
        self.fields["supplier"].queryset = Client.objects.filter(  # type: ignore[attr-defined]
            Q(archived_at__isnull=True) | Q(pk=current),
            account=account,
            kind__in=services.SUPPLIER_KINDS,
        ).order_by("name", "id")
        self.fields["category"].queryset = queries.categories(account)  # type: ignore[attr-defined]
        if expense is None:
            self.fields["issue_date"].initial = account.today()
            self.fields["vat_on_debits"].initial = services.purchases_vat_on_debits(account)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("currency") == "EUR":
            cleaned["exchange_rate"] = Decimal(1)
        elif (
            cleaned.get("currency")
            and not cleaned.get("exchange_rate")
            and "exchange_rate" not in self.errors
        ):
            self.add_error("exchange_rate", _("Indiquez le taux de change de cette devise vers l'euro."))
        issue_date, due_date = cleaned.get("issue_date"), cleaned.get("due_date")
        if issue_date and due_date and due_date < issue_date:
            self.add_error("due_date", _("L'échéance ne peut pas précéder la date de la facture."))
        return cleaned

    def to_input(self, lines: BaseLineFormSet) -> ExpenseInput:
        data = self.cleaned_data
        return ExpenseInput(
            supplier_id=data["supplier"].pk,
            category_id=data["category"].pk,
            issue_date=data["issue_date"],
            lines=[form.to_input() for form in lines.used_forms()],
            supplier_number=data["supplier_number"],
            sell_date=data["sell_date"],
            due_date=data["due_date"],
            currency=data["currency"],
            exchange_rate=data["exchange_rate"],
            prices_are_gross=data["prices_are_gross"],
            vat_on_debits=data["vat_on_debits"],
            notes=data["notes"],
        )


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(
        label=gettext_lazy("Ajouter des justificatifs"),
        help_text=ATTACHMENTS_HELP,
    )


class ExpensePaymentForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date du paiement"), widget=_date_input())
    amount = forms.DecimalField(
        label=gettext_lazy("Montant"), max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Mode de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    reference = forms.CharField(label=gettext_lazy("Référence"), required=False, max_length=120)
