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


GROSS_RATES = [D(20), D(10), D("5.5"), D("2.1")]


def test_a_gross_price_keeps_its_total_where_rounding_its_net_first_would_not():
    # 10.23 TTC at 20 %: net 8.53, and 8.53 + 20 % = 10.236 would make 10.24.
    totals = compute([LineAmounts(D(1), D("10.23"), D(20))], prices_are_gross=True)
    assert (totals.net_total, totals.vat_total, totals.gross_total) == (D("8.53"), D("1.70"), D("10.23"))
    assert (totals.line_nets, totals.line_grosses) == ([D("8.53")], [D("10.23")])


def test_every_gross_price_up_to_100_keeps_its_total_at_every_french_rate():
    for rate in GROSS_RATES:
        changed = []
        for cents in range(1, 10001):
            price = D(cents) / 100
            totals = compute([LineAmounts(D(1), price, rate)], prices_are_gross=True)
            if totals.gross_total != price or totals.line_grosses != [price]:
                changed.append(price)
            base, vat_amount = totals.buckets[0].base, totals.buckets[0].vat_amount
            # BR-CO-17 (to the cent the schematrons check within): VAT = base × rate, give or take a cent.
            assert abs(vat_amount - (base * rate / 100).quantize(D("0.01"))) <= D("0.01"), price
        assert changed == [], rate


def test_gross_lines_share_their_bucket_base_out_exactly():
    lines = [
        LineAmounts(D(3), D("0.99"), D(20)),
        LineAmounts(D(1), D("10.23"), D(20), discount_percent=D(15)),
        LineAmounts(D("2.5"), D("4.10"), D("5.5"), supply_kind="goods"),
        LineAmounts(D(-1), D("0.01"), D(20)),
        LineAmounts(D(7), D("1.17"), D(20)),
        LineAmounts(D(1), D(50), D(0), vat_category=vat.EXEMPT, exemption_reason="Exonération"),
    ]
    totals = compute(lines, prices_are_gross=True)
    assert totals.line_grosses == [D("2.97"), D("8.70"), D("10.25"), D("-0.01"), D("8.19"), D("50.00")]
    assert totals.gross_total == sum(totals.line_grosses)
    assert totals.net_total == sum(totals.line_nets)
    by_rate = {b.key.vat_rate: b for b in totals.buckets}
    assert (by_rate[D(20)].base, by_rate[D(20)].vat_amount) == (D("16.54"), D("3.31"))
    assert (by_rate[D("5.5")].base, by_rate[D("5.5")].vat_amount) == (D("9.72"), D("0.53"))
    assert (by_rate[D(0)].base, by_rate[D(0)].vat_amount) == (D("50.00"), D("0.00"))
    for line, net, gross in zip(lines, totals.line_nets, totals.line_grosses, strict=True):
        assert abs(net - gross / (1 + line.vat_rate / 100)) < D("0.01")
    twenty = [net for line, net in zip(lines, totals.line_nets, strict=True) if line.vat_rate == 20]
    assert sum(twenty) == by_rate[D(20)].base  # BR-S-08: the base is the sum of its lines' net amounts


def test_a_total_credit_note_of_gross_lines_is_the_exact_opposite():
    lines = [LineAmounts(D(1), D("10.23"), D(20)), LineAmounts(D(3), D("0.35"), D(20))]
    invoice = compute(lines, prices_are_gross=True)
    note = compute(
        [LineAmounts(-line.quantity, line.unit_price, line.vat_rate) for line in lines], prices_are_gross=True
    )
    assert note.line_nets == [-net for net in invoice.line_nets]
    assert (note.net_total, note.vat_total, note.gross_total) == (
        -invoice.net_total,
        -invoice.vat_total,
        -invoice.gross_total,
    )
