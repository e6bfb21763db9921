from decimal import Decimal as D

from facturier.billing.totals import LineAmounts, compute
from facturier.lib import vat


def test_vat_is_computed_on_the_summed_base_of_each_rate():
    # Three lines of 0.33 at 20 %: per-line VAT would give 3 × 0.07 = 0.21; on the base 0.99 it is 0.20.
    totals = compute([LineAmounts(D(1), D("0.33"), D(20))] * 3)
    assert totals.net_total == D("0.99")
    assert totals.vat_total == D("0.20")
    assert totals.gross_total == D("1.19")


def test_two_rates_give_two_buckets_and_exact_totals():
    totals = compute(
        [
            LineAmounts(D(3), D("19.99"), D(20), discount_percent=D(10)),
            LineAmounts(D("2.5"), D("4.10"), D("5.5"), supply_kind="goods"),
        ]
    )
    assert totals.line_nets == [D("53.97"), D("10.25")]
    assert [(b.key.vat_rate, b.base, b.vat_amount) for b in totals.buckets] == [
        (D(20), D("53.97"), D("10.79")),
        (D("5.5"), D("10.25"), D("0.56")),
    ]
    assert (totals.net_total, totals.vat_total, totals.gross_total) == (D("64.22"), D("11.35"), D("75.57"))
    assert totals.supply_category == "mixed"


def test_gross_prices_are_brought_back_to_net_per_line():
    totals = compute([LineAmounts(D(1), D("12.00"), D(20))], prices_are_gross=True)
    assert (totals.net_total, totals.vat_total, totals.gross_total) == (D("10.00"), D("2.00"), D("12.00"))


def test_exempt_and_reverse_charge_lines_carry_no_vat():
    totals = compute(
        [
            LineAmounts(
                D(1), D(100), D(20), vat_category=vat.REVERSE_CHARGE, exemption_reason="Autoliquidation"
            ),
            LineAmounts(
                D(1), D(50), D(0), vat_category=vat.EXEMPT, exemption_reason=vat.DEFAULT_MENTIONS[vat.EXEMPT]
            ),
        ]
    )
    assert totals.vat_total == D("0.00")
    assert {b.key.vat_category for b in totals.buckets} == {vat.REVERSE_CHARGE, vat.EXEMPT}


def test_foreign_currency_totals_are_converted_per_bucket():
    totals = compute([LineAmounts(D(1), D("100.00"), D(20))], currency="USD", exchange_rate=D("0.912345"))
    assert totals.gross_total == D("120.00")
    assert (totals.net_total_eur, totals.vat_total_eur, totals.gross_total_eur) == (
        D("91.23"),
        D("18.25"),
        D("109.48"),
    )


def test_credit_note_lines_give_negative_totals():
    totals = compute([LineAmounts(D(-2), D("15.00"), D(20))])
    assert (totals.net_total, totals.vat_total, totals.gross_total) == (D("-30.00"), D("-6.00"), D("-36.00"))
