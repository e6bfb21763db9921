"""Importing received e-invoices as expenses (purchase invoices).

`import_einvoice` reads one file (reading.read: Factur-X PDF, CII or UBL), finds or creates its supplier,
and records the expense through purchases.services.create_expense, which applies the permission, the
subscription and the lock date, stores the lines, totals and attachment, and writes its audit events.
Everything happens in one transaction: a file that is refused leaves nothing behind (no supplier, no
expense, no stored file).

Decisions:
- Supplier: the account's client with the seller's SIREN (or the SIREN inside a French VAT number), else
  its VAT number, else its exact name (case-insensitive); suppliers first, then clients who are only
  buyers (turned into "client et fournisseur"); else a new supplier. Creating or changing that client
  goes through billing's client services, so it needs the clients.create / clients.edit permission.
- Duplicates (same supplier, same supplier's number) are refused, naming the expense already there.
- The original file is the expense's attachment: the PDF as is; a bare XML is kept as plain text
  (text/plain), so a browser shows it as text and never runs anything it might carry.
- Supplier credit notes are refused: an expense's total must be positive in purchases (payments,
  statuses and VAT-on-payment reports rely on it), so an "avoir" has no expense to become yet.
- A foreign-currency invoice is imported when it states its VAT in euros (BT-6 = EUR, BT-111): the rate
  is BT-111 / BT-110. Otherwise it is refused (no rate to convert it).
- The expense's totals are recomputed by purchases (VAT per rate on the summed base); a file whose
  totals differ from that computation by even a cent is refused rather than stored with other amounts.
- Autoliquidation: a line the account self-assesses (reverse charge, or an intra-EU acquisition from a
  supplier in another member state: purchases.models.is_self_assessed) shows 0 % on the supplier's
  invoice, but the account owes French VAT on it: it is recorded at `self_assessed_rate` (the standard
  20 % unless the import page says otherwise; each line can be changed on the expense afterwards).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat

from facturier.billing.models import Client
from facturier.billing.services.clients import create_client, update_client
from facturier.billing.totals import Totals
from facturier.einvoice import reading
from facturier.lib import uploads, vat
from facturier.lib.money import CURRENCIES, round_money
from facturier.purchases import services as purchases
from facturier.purchases.models import Expense, ExpenseCategory, is_self_assessed
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_unlocked, ensure_writable
from facturier.tenancy.models import Account

KNOWN_CATEGORIES = {code for code, _label in vat.CATEGORY_CHOICES}
FOUR_PLACES = Decimal("0.0001")
# The category an imported expense goes to when its supplier has none yet: "Autres" (6288).
FALLBACK_ACCOUNTING_CODE = "6288"


class DuplicateError(ServiceError):
    """The supplier's invoice is already an expense of the account: `existing` is that expense."""

    def __init__(self, message: str, existing: Expense) -> None:
        super().__init__(message, field="files")
        self.existing = existing


@dataclass
class Outcome:
    """What became of one file: an expense, or the reason it was refused."""

    filename: str
    expense: Expense | None = None
    error: str = ""
    existing: Expense | None = None

    @property
    def ok(self) -> bool:
        return self.expense is not None


# --- One file -----------------------------------------------------------------------------------


def import_einvoice(
    actor: Actor,
    account: Account,
    filename: str,
    content: bytes,
    *,
    category: ExpenseCategory | None = None,
    self_assessed_rate: Decimal = vat.DEFAULT_SELF_ASSESSMENT_RATE,
) -> Expense:
    """Record the received e-invoice `content` as an expense of `account` (purchases.create); the lines
    the account self-assesses take the French rate `self_assessed_rate`.

    Raises ServiceError (DuplicateError for a supplier's invoice already recorded) with a message for the
    user when the file is not a valid e-invoice or the rules refuse it; nothing is stored then."""
    actor.require("purchases.create")
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "facture"
    limit = uploads.limits().file_bytes
    if len(content) > limit:
        raise ServiceError(uploads.too_large_message(name, len(content), limit), field="files")
    try:
        invoice = reading.read(content)
    except reading.ReadError as error:
        raise ServiceError(error.message, field="files") from None
    _check_acceptable(account, invoice)
    data = _expense_input(invoice)
    computed = purchases.compute_totals(
        data.lines, prices_are_gross=False, currency=data.currency, exchange_rate=data.exchange_rate
    )
    _check_same_totals(invoice, computed.totals)
    if category is not None and category.account_id != account.pk:
        raise ServiceError(_("Choisissez une catégorie de ce compte."), field="category")

    with transaction.atomic():
        ensure_writable(account)
        ensure_unlocked(account, invoice.issue_date)  # before a supplier is created for nothing
        supplier = _supplier(actor, account, invoice.seller)
        existing = (
            Expense.objects.filter(account=account, supplier=supplier, supplier_number=invoice.number)
            .select_related("supplier")
            .first()
        )
        if existing is not None:
            raise DuplicateError(
                _(
                    "La facture %(number)s de %(supplier)s est déjà enregistrée : dépense du %(date)s "
                    "de %(amount)s."
                )
                % {
                    "number": invoice.number,
                    "supplier": supplier.name,
                    "date": formats.date_format(existing.issue_date, "SHORT_DATE_FORMAT"),
                    "amount": _money(existing.gross_total, existing.currency),
                },
                existing,
            )
        data.supplier_id = supplier.pk
        data.lines = [
            replace(line, vat_rate=self_assessed_rate)
            if is_self_assessed(line.vat_category, supplier.country)
            else line
            for line in data.lines
        ]
        data.category_id = (category.pk if category else None) or _default_category(account, supplier)
        # Recorded before the expense: create_expense is the last write, so when it fails the files it
        # stored are removed by it and this event is rolled back with the rest.
        audit.record(
            actor,
            account,
            "expense.imported",
            target=f"{supplier.name} {invoice.number}",
            summary=_("Facture électronique « %(file)s » (%(format)s) importée en dépense.")
            % {"file": name, "format": invoice.format_label},
        )
        if invoice.container == "facturx":
            return purchases.create_expense(actor, account, data, files=[ContentFile(content, name=name)])
        xml = purchases.CheckedFile(
            upload=ContentFile(content, name=name),
            name=uploads.name_for(name, uploads.XML),
            content_type=uploads.XML.content_type,
            extension=uploads.XML.extension,
            size=len(content),
        )
        return purchases.create_expense(actor, account, data, checked_files=[xml])


def _money(amount: Decimal, currency: str) -> str:
    return f"{formats.number_format(amount, 2)} {currency}"


def _check_acceptable(account: Account, invoice: reading.ReceivedInvoice) -> None:
    if invoice.kind == "credit_note":
        references = ", ".join(number for number, _date in invoice.preceding_invoices)
        raise ServiceError(
            _(
                "« %(number)s » est un avoir%(reference)s : les avoirs de fournisseurs ne peuvent pas "
                "encore être enregistrés en dépense. Modifiez la dépense de la facture d'origine."
            )
            % {
                "number": invoice.number,
                "reference": (_(" (sur la facture %(numbers)s)") % {"numbers": references})
                if references
                else "",
            },
            field="files",
        )
    buyer = invoice.buyer
    buyer_siren = buyer.siren or _siren_of_vat(buyer.vat_number)
    if (account.siren and buyer_siren and buyer_siren != account.siren) or (
        account.vat_number and buyer.vat_number and _compact_vat(buyer.vat_number) != account.vat_number
    ):
        raise ServiceError(
            _("Cette facture est adressée à %(buyer)s, pas à %(account)s.")
            % {"buyer": buyer.name or buyer_siren or buyer.vat_number, "account": account.name},
            field="files",
        )
    max_number = Expense._meta.get_field("supplier_number").max_length or 60
    if len(invoice.number) > max_number:
        raise ServiceError(
            _("Le numéro de la facture a plus de %(max)d caractères.") % {"max": max_number}, field="files"
        )
    if invoice.currency not in CURRENCIES:
        raise ServiceError(_("Devise inconnue : %(code)s.") % {"code": invoice.currency}, field="files")
    used = {line.vat_category for line in invoice.lines} | {
        a.vat_category for a in invoice.allowances_charges
    }
    unknown = sorted(used - KNOWN_CATEGORIES)
    if unknown:
        raise ServiceError(
            _("Catégorie de TVA non prise en charge : %(codes)s.") % {"codes": ", ".join(unknown)},
            field="files",
        )


def _exchange_rate(invoice: reading.ReceivedInvoice) -> Decimal:
    if invoice.currency == "EUR":
        return Decimal(1)
    if invoice.tax_currency == "EUR" and invoice.vat_total_in_tax_currency and invoice.vat_total:
        return (invoice.vat_total_in_tax_currency / invoice.vat_total).quantize(Decimal("0.000001"))
    raise ServiceError(
        _(
            "La facture est en %(currency)s sans sa TVA en euros : le taux de change est inconnu. "
            "Saisissez cette dépense à la main."
        )
        % {"currency": invoice.currency},
        field="files",
    )


def _fits(quantity: Decimal, price: Decimal, net: Decimal, currency: str) -> bool:
    """Whether quantity × price, as purchases stores and rounds them, gives the line's net amount."""
    return (
        quantity == quantity.quantize(FOUR_PLACES)
        and price == price.quantize(FOUR_PLACES)
        and abs(quantity) < 10**10
        and abs(price) < 10**14
        and round_money(quantity * price, currency) == net
    )


def _line_input(line: reading.ReceivedLine, currency: str) -> purchases.ExpenseLineInput:
    quantity, price = line.quantity, line.unit_price
    if not _fits(quantity, price, line.net_amount, currency):
        # Line allowances or charges, or a price with more decimals than purchases keeps: the net amount
        # is what counts, spread over the quantity when that is exact, else as one unit.
        price = (line.net_amount / quantity).quantize(FOUR_PLACES) if quantity else line.net_amount
        if not _fits(quantity, price, line.net_amount, currency):
            quantity, price = Decimal(1), line.net_amount
    return purchases.ExpenseLineInput(
        name=line.name[:300],
        quantity=quantity,
        unit_price=price,
        vat_rate=line.vat_rate if line.vat_category == vat.STANDARD else Decimal(0),
        vat_category=line.vat_category,
    )


def _expense_input(invoice: reading.ReceivedInvoice) -> purchases.ExpenseInput:
    lines = [_line_input(line, invoice.currency) for line in invoice.lines]
    for item in invoice.allowances_charges:
        label = _("Frais") if item.is_charge else _("Remise")
        lines.append(
            purchases.ExpenseLineInput(
                name=(f"{label} : {item.reason}" if item.reason else label)[:300],
                quantity=Decimal(1),
                unit_price=item.amount if item.is_charge else -item.amount,
                vat_rate=item.vat_rate if item.vat_category == vat.STANDARD else Decimal(0),
                vat_category=item.vat_category,
            )
        )
    notes = [
        _("Importée de la facture électronique %(number)s (%(format)s).")
        % {"number": invoice.number, "format": invoice.format_label}
    ]
    if invoice.payment_terms:
        notes.append(_("Conditions de paiement : %(terms)s") % {"terms": invoice.payment_terms})
    if invoice.prepaid:
        notes.append(
            _("Déjà payé selon la facture : %(amount)s.")
            % {"amount": _money(invoice.prepaid, invoice.currency)}
        )
    return purchases.ExpenseInput(
        supplier_id=0,  # set once the supplier is found or created, inside the transaction
        category_id=0,
        issue_date=invoice.issue_date,
        lines=lines,
        supplier_number=invoice.number,
        sell_date=invoice.delivery_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        exchange_rate=_exchange_rate(invoice),
        notes="\n".join(notes),
    )


def _check_same_totals(invoice: reading.ReceivedInvoice, totals: Totals) -> None:
    if (totals.net_total, totals.vat_total, totals.gross_total) != (
        invoice.net_total,
        invoice.vat_total,
        invoice.gross_total,
    ):
        raise ServiceError(
            _(
                "Les totaux de la facture (%(net)s HT, %(vat)s de TVA) diffèrent de ceux que Facturier calcule "
                "(%(our_net)s HT, %(our_vat)s de TVA, TVA arrondie par taux) : saisissez cette dépense "
                "à la main."
            )
            % {
                "net": _money(invoice.net_total, invoice.currency),
                "vat": _money(invoice.vat_total, invoice.currency),
                "our_net": _money(totals.net_total, invoice.currency),
                "our_vat": _money(totals.vat_total, invoice.currency),
            },
            field="files",
        )


# --- The supplier -------------------------------------------------------------------------------


def _compact_vat(number: str) -> str:
    return str(eu_vat.compact(number)) if number else ""


def _siren_of_vat(number: str) -> str:
    compact = _compact_vat(number)
    return compact[4:] if compact.startswith("FR") and len(compact) == 13 else ""


def _best(candidates: Iterable[Client]) -> Client | None:
    """Suppliers before buyers, active before archived, the oldest first."""
    ranked = sorted(
        candidates,
        key=lambda c: (c.kind not in purchases.SUPPLIER_KINDS, c.archived_at is not None, c.pk),
    )
    return ranked[0] if ranked else None


def match_supplier(account: Account, seller: reading.Party) -> Client | None:
    """The account's client that is this seller: by SIREN, then VAT number, then exact name."""
    clients = Client.objects.filter(account=account)
    siren = seller.siren or seller.siret[:9] or _siren_of_vat(seller.vat_number)
    if siren:
        found = _best(clients.filter(siren=siren))
        if found:
            return found
    if seller.vat_number:
        found = _best(clients.filter(vat_number__iexact=_compact_vat(seller.vat_number)))
        if found:
            return found
    return _best(clients.filter(name__iexact=seller.name.strip()))


def _supplier(actor: Actor, account: Account, seller: reading.Party) -> Client:
    client = match_supplier(account, seller)
    if client is not None:
        if client.kind in purchases.SUPPLIER_KINDS:
            return client
        if not actor.can("clients.edit"):
            raise ServiceError(
                _(
                    "%(name)s est un client de ce compte : il faut en faire aussi un fournisseur, ce que "
                    "votre rôle ne permet pas."
                )
                % {"name": client.name},
                field="files",
            )
        return update_client(actor, client, kind=Client.Kind.BOTH)
    if not actor.can("clients.create"):
        raise ServiceError(
            _(
                "Le fournisseur %(name)s n'existe pas encore dans ce compte et votre rôle ne permet pas de "
                "le créer : demandez à un administrateur de l'ajouter, puis importez à nouveau la facture."
            )
            % {"name": seller.name},
            field="files",
        )
    try:
        return create_client(
            actor,
            account,
            kind=Client.Kind.SUPPLIER,
            is_company=True,
            name=seller.name[:200],
            siren=seller.siren or seller.siret[:9],
            siret=seller.siret,
            vat_number=seller.vat_number,
            street=seller.street[:300],
            post_code=seller.post_code[:20],
            city=seller.city[:120],
            country=seller.country or account.country,
            email=seller.email,
        )
    except ServiceError as error:
        raise ServiceError(
            _(
                "Le fournisseur %(name)s ne peut pas être créé : %(reason)s Créez-le à la main, puis "
                "importez à nouveau la facture."
            )
            % {"name": seller.name, "reason": error.message},
            field="files",
        ) from None


def _default_category(account: Account, supplier: Client) -> int:
    """The category of the supplier's latest expense, else "Autres" (6288), else the first one."""
    purchases.ensure_default_categories(account)
    latest = (
        Expense.objects.filter(account=account, supplier=supplier)
        .order_by("-issue_date", "-pk")
        .values_list("category_id", flat=True)
        .first()
    )
    if latest:
        return latest
    categories = ExpenseCategory.objects.filter(account=account)
    fallback = categories.filter(accounting_code=FALLBACK_ACCOUNTING_CODE).order_by("pk").first()
    fallback = fallback or categories.order_by("name", "pk").first()
    assert fallback is not None  # ensure_default_categories gave the account some
    return fallback.pk


# --- Several files --------------------------------------------------------------------------------


def import_files(
    actor: Actor,
    account: Account,
    files: Iterable[tuple[str, bytes]],
    *,
    category: ExpenseCategory | None = None,
    self_assessed_rate: Decimal = vat.DEFAULT_SELF_ASSESSMENT_RATE,
) -> list[Outcome]:
    """Import each file on its own: one that is refused does not stop the others."""
    outcomes = []
    for filename, content in files:
        outcome = Outcome(filename)
        try:
            outcome.expense = import_einvoice(
                actor, account, filename, content, category=category, self_assessed_rate=self_assessed_rate
            )
        except DuplicateError as error:
            outcome.error, outcome.existing = error.message, error.existing
        except ServiceError as error:
            outcome.error = error.message
        except PermissionDenied as error:
            outcome.error = str(error)
        outcomes.append(outcome)
    return outcomes


def refused_upload(filename: str, upload: File[bytes]) -> Outcome | None:
    """The outcome of a file refused before it is read (too large, or cut off with its request), else
    None: it may be read."""
    try:
        uploads.check_received(upload)
    except uploads.UploadError as error:
        return Outcome(filename, error=error.message)
    return None
