"""Totals of a document from its lines: per line, per VAT bucket, for the document; Decimal only.

Pure functions, shared by the services (which store the result), the live totals of the forms, and
purchases. Rules (docs/architecture.md, "Totals", says why):
- net (HT) prices: a line's net amount is quantity × unit price × (1 − discount), rounded to the minor
  unit (BT-131); VAT is computed per bucket on the bucket's summed net amounts, then rounded (EN 16931
  BR-CO-17), and a line's gross amount is its net amount plus its rate, rounded (shown only);
- gross (TTC) prices keep their gross amounts: a line's gross amount is quantity × unit price ×
  (1 − discount), rounded; a bucket's net base is its summed gross ÷ (1 + rate), rounded, and its VAT
  the difference, so the document's total is exactly the sum of its lines' gross amounts. The lines'
  net amounts share the base out by cumulative rounding, so they add up to it (BR-S-08) and each is
  within a minor unit of its gross ÷ (1 + rate);
- the document's net total is the sum of the buckets' bases (the line net amounts), its VAT the sum of
  bucket VAT (BR-CO-10/14), its gross total net + VAT.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from facturier.lib import vat
from facturier.lib.money import ZERO, round_money, to_eur

HUNDRED = Decimal(100)
UNIT_PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class LineAmounts:
    """What a line contributes: only the fields totals need."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_percent: Decimal = ZERO
    vat_category: str = vat.STANDARD
    vat_country: str = "FR"
    supply_kind: str = "service"
    exemption_reason: str = ""


@dataclass(frozen=True)
class BucketKey:
    vat_rate: Decimal
    vat_category: str
    vat_country: str
    supply_kind: str
    exemption_reason: str


@dataclass
class Bucket:
    key: BucketKey
    base: Decimal = ZERO
    vat_amount: Decimal = ZERO
    gross: Decimal = ZERO  # the summed gross amounts of its lines (gross prices only)
    base_eur: Decimal = ZERO
    vat_amount_eur: Decimal = ZERO


@dataclass
class Totals:
    line_nets: list[Decimal] = field(default_factory=list)
    line_grosses: list[Decimal] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    net_total: Decimal = ZERO
    vat_total: Decimal = ZERO
    gross_total: Decimal = ZERO
    net_total_eur: Decimal = ZERO
    vat_total_eur: Decimal = ZERO
    gross_total_eur: Decimal = ZERO

    @property
    def supply_category(self) -> str:
        """'goods', 'service' or 'mixed' (the category of operation printed since the 2026 reform)."""
        kinds = {bucket.key.supply_kind for bucket in self.buckets}
        if not kinds:
            return ""
        return kinds.pop() if len(kinds) == 1 else "mixed"


def effective_rate(line: LineAmounts) -> Decimal:
    """The rate actually applied: categories without VAT (exempt, reverse charge...) apply none."""
    return line.vat_rate if line.vat_category == vat.STANDARD else ZERO


def unit_prices(
    unit_price: Decimal, vat_rate: Decimal, vat_category: str, *, prices_are_gross: bool
) -> tuple[Decimal, Decimal]:
    """(net, gross) of one unit before discount: the price as entered, the other derived at the rate the
    line applies, rounded half-up to four decimals. What the PDF, the e-invoices (BT-146) and the API
    print of a line's unit price."""
    factor = 1 + (vat_rate if vat_category == vat.STANDARD else ZERO) / HUNDRED
    if prices_are_gross:
        return (unit_price / factor).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP), unit_price
    return unit_price, (unit_price * factor).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


def line_amount(line: LineAmounts, currency: str) -> Decimal:
    """Quantity × unit price × (1 − discount), rounded: the line's amount in the kind of its prices."""
    return round_money(
        line.quantity * line.unit_price * (HUNDRED - line.discount_percent) / HUNDRED, currency
    )


def compute(
    lines: Iterable[LineAmounts],
    *,
    prices_are_gross: bool = False,
    currency: str = "EUR",
    exchange_rate: Decimal = Decimal(1),
) -> Totals:
    totals = Totals()
    buckets: dict[BucketKey, Bucket] = {}
    for line in lines:
        rate = effective_rate(line)
        factor = 1 + rate / HUNDRED
        key = BucketKey(rate, line.vat_category, line.vat_country, line.supply_kind, line.exemption_reason)
        bucket = buckets.setdefault(key, Bucket(key))
        amount = line_amount(line, currency)
        if prices_are_gross:
            # The base so far is the rounded net of the gross so far: each line takes its increment.
            bucket.gross += amount
            base = round_money(bucket.gross / factor, currency)
            net, gross = base - bucket.base, amount
        else:
            base = bucket.base + amount
            net, gross = amount, round_money(amount * factor, currency)
        bucket.base = base
        totals.line_nets.append(net)
        totals.line_grosses.append(gross)
    for bucket in buckets.values():
        if prices_are_gross:
            bucket.vat_amount = bucket.gross - bucket.base
        else:
            bucket.vat_amount = round_money(bucket.base * bucket.key.vat_rate / HUNDRED, currency)
        bucket.base_eur = to_eur(bucket.base, exchange_rate)
        bucket.vat_amount_eur = to_eur(bucket.vat_amount, exchange_rate)
    totals.buckets = sorted(
        buckets.values(), key=lambda b: (-b.key.vat_rate, b.key.vat_category, b.key.vat_country)
    )
    totals.net_total = sum((b.base for b in totals.buckets), ZERO)
    totals.vat_total = sum((b.vat_amount for b in totals.buckets), ZERO)
    totals.gross_total = totals.net_total + totals.vat_total
    # EUR totals are sums of the EUR buckets, so a report summing buckets matches the document exactly.
    totals.net_total_eur = sum((b.base_eur for b in totals.buckets), ZERO)
    totals.vat_total_eur = sum((b.vat_amount_eur for b in totals.buckets), ZERO)
    totals.gross_total_eur = totals.net_total_eur + totals.vat_total_eur
    return totals
