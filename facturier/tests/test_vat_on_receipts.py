"""The VAT-on-receipts rules have one home each: which buckets fall due as a sales document is paid
(billing.models.vat_due_at_payment) and the share each payment settles (money.settled_share). The VAT
register and the FEC both read them; these tests pin the rules themselves."""

import random
from decimal import Decimal

import pytest

from facturier.billing.models import Kind, SupplyKind, vat_due_at_payment
from facturier.lib.money import cumulative_shares, settled_share


@pytest.mark.parametrize(
    ("kind", "owes", "on_debits", "supply_kind", "expected"),
    [
        (Kind.INVOICE, True, False, SupplyKind.SERVICE, True),  # services: at payment
        (Kind.INVOICE, True, True, SupplyKind.SERVICE, False),  # unless the seller opted for debits
        (Kind.INVOICE, True, False, SupplyKind.GOODS, False),  # goods: at delivery
        (Kind.ADVANCE, True, False, SupplyKind.GOODS, True),  # a deposit on goods: at its receipt
        (Kind.ADVANCE, True, True, SupplyKind.GOODS, True),
        (Kind.INVOICE, False, False, SupplyKind.SERVICE, False),  # nothing to pay: with the document
    ],
)
def test_it_says_which_vat_falls_due_at_payment(kind, owes, on_debits, supply_kind, expected):
    assert vat_due_at_payment(kind, owes, on_debits, supply_kind) is expected


@pytest.mark.parametrize("category", ["AE", "K"])
def test_what_the_buyer_self_assesses_is_chargeable_when_performed_in_every_regime(category):
    for kind in (Kind.INVOICE, Kind.ADVANCE):
        for on_debits in (False, True):
            assert vat_due_at_payment(kind, True, on_debits, SupplyKind.SERVICE, category) is False
    assert vat_due_at_payment(Kind.INVOICE, True, False, SupplyKind.SERVICE, "S") is True


def test_payments_settling_the_amount_due_give_back_the_whole_vat():
    generator = random.Random(16)
    for _ in range(2000):
        due = Decimal(generator.randint(1, 10**8)) / 100
        vat_amount = Decimal(generator.randint(0, 10**7)) / 100
        parts: list[tuple[int, Decimal]] = []
        left = due
        while left > 0:
            part = min(left, Decimal(generator.randint(1, 10**8)) / 100)
            parts.append((len(parts), part))
            left -= part
        shares = [share for _, share in cumulative_shares(vat_amount, parts, due)]
        assert sum(shares) == vat_amount
        assert all(
            abs(share - vat_amount * part / due) < Decimal("0.01")
            for share, (_, part) in zip(shares, parts, strict=True)
        )


def test_a_share_rounds_half_up_to_the_minor_unit():
    assert settled_share(Decimal("0.05"), Decimal(1), Decimal(2)) == Decimal("0.03")
    assert settled_share(Decimal("-0.05"), Decimal(1), Decimal(2)) == Decimal("-0.03")
    assert settled_share(Decimal("15"), Decimal(1), Decimal(2), "JPY") == Decimal("8")
    assert settled_share(Decimal("10"), Decimal(1), Decimal(0)) == Decimal("0.00")
