"""The FEC checker: a correct file passes; a file breaking each rule is caught at the right line.

The files are the golden FEC (golden/, hand-checked) with one thing broken. Its lines: 1 the header,
2-6 the first entry (VT 1), 7-11 VT 2, 12-15 BQ 3, 16-18 VT 4, 19-20 VT 5, 21-23 HA 6, 24-25 VT 7,
26-27 BQ 8, 28-29 BQ 9, 30-31 BQ 10.
"""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from facturier.exports.fec import COLUMNS
from facturier.exports.fec_check import Violation, check_fec, inspect_fec

GOLDEN = Path(__file__).parent / "golden" / "732829320FEC20251231.txt"
NAME = GOLDEN.name


def golden_text() -> str:
    return GOLDEN.read_bytes().decode()


def golden_lines() -> list[list[str]]:
    return [line.split("|") for line in golden_text().split("\r\n")[:-1]]


def text_of(lines: list[list[str]], separator: str = "|", end: str = "\r\n") -> str:
    return "".join(separator.join(fields) + end for fields in lines)


def changed(*edits: tuple[int, str, str]) -> str:
    """The golden file with (line, column, value) edits."""
    lines = golden_lines()
    for number, column, value in edits:
        lines[number - 1][COLUMNS.index(column)] = value
    return text_of(lines)


def found(text: str, name: str | None = NAME) -> list[tuple[int, str]]:
    return [(v.line, v.rule) for v in check_fec(io.StringIO(text), name)]


def test_the_golden_file_passes_from_a_path_a_binary_or_a_text_stream():
    assert check_fec(GOLDEN) == []
    assert check_fec(io.BytesIO(GOLDEN.read_bytes()), NAME) == []
    assert check_fec(io.StringIO(golden_text()), NAME) == []
    report = inspect_fec(GOLDEN)
    assert (report.entries, report.lines, report.debit, report.credit) == (
        10,
        30,
        Decimal("5544.18"),
        Decimal("5544.18"),
    )


@pytest.mark.parametrize("end", ["\n", "\r"], ids=["LF", "CR"])
def test_lines_may_end_with_lf_or_cr_alone(end):
    assert found(text_of(golden_lines(), end=end)) == []


def test_a_tab_separated_file_is_recognised():
    assert found(text_of(golden_lines(), separator="\t")) == []


def test_an_iso_8859_15_file_is_accepted():
    data = text_of(golden_lines()).encode("iso8859-15")

    assert check_fec(io.BytesIO(data), NAME) == []


@pytest.mark.parametrize(
    "name",
    ["FEC20251231.txt", "732829320FEC2025.txt", "732829321FEC20251231.txt", "732829320FEC20250231.txt"],
    ids=["no SIREN", "short date", "bad Luhn key", "no such date"],
)
def test_a_bad_file_name_is_caught(name):
    assert ("NOM" in {rule for _line, rule in found(golden_text(), name)}) is True
    assert found(golden_text(), name)[0][0] == 0


def test_the_header_must_hold_the_18_columns_in_order():
    lines = golden_lines()
    lines[0][3], lines[0][4] = lines[0][4], lines[0][3]

    assert found(text_of(lines)) == [(1, "L1")]


def test_an_empty_file_or_one_without_entries_is_caught():
    assert found("") == [(1, "L1")]
    assert found("|".join(COLUMNS) + "\r\n") == [(1, "L1")]


def test_a_line_with_a_missing_column_is_caught():
    lines = golden_lines()
    del lines[4][17]

    assert found(text_of(lines)) == [(0, "E1"), (2, "E1"), (5, "L1")]


def test_a_separator_inside_a_field_is_caught():
    assert found(changed((8, "EcritureLib", "Facture | F-2025-0002"))) == [(0, "E1"), (7, "E1"), (8, "L4")]


def test_a_blank_mandatory_field_is_caught():
    violations = check_fec(io.StringIO(changed((9, "CompteLib", ""), (9, "PieceRef", " "))), NAME)

    assert [(v.line, v.rule) for v in violations] == [(9, "L1")]
    assert violations[0].message == "Champs obligatoires vides : CompteLib, PieceRef."


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        ([(3, "Credit", "1000.00")], [(0, "E1"), (2, "E1"), (3, "L2")]),
        ([(3, "Credit", "1 000,00")], [(0, "E1"), (2, "E1"), (3, "L2")]),
        ([(3, "Credit", "")], [(0, "E1"), (2, "E1"), (3, "L2")]),
        ([(3, "Debit", "5,00"), (3, "Credit", "1005,00")], [(3, "L2")]),
        ([(3, "Credit", "0,00"), (2, "Debit", "252,75")], [(3, "L2")]),
        ([(19, "Montantdevise", "1.000,00")], [(19, "L2")]),
    ],
    ids=["decimal point", "thousands separator", "blank", "debit and credit", "neither", "currency amount"],
)
def test_amounts_are_decimal_comma_numbers_one_side_only(edits, expected):
    assert found(changed(*edits)) == expected


def test_signed_amounts_are_numbers():
    assert found(changed((19, "Montantdevise", "1000,00+"), (20, "Montantdevise", "1000,00-"))) == []


@pytest.mark.parametrize(
    ("edits", "line"),
    [
        ([(19, "DateLet", "")], 19),
        ([(19, "EcritureLet", "")], 19),
        ([(20, "Idevise", "")], 20),
        ([(2, "CompAuxLib", "")], 2),
    ],
    ids=[
        "EcritureLet without DateLet",
        "DateLet without EcritureLet",
        "Montantdevise alone",
        "CompAuxNum alone",
    ],
)
def test_fields_that_go_together(edits, line):
    assert found(changed(*edits)) == [(line, "L3")]


@pytest.mark.parametrize("code", ["EURO", "usd", "XYZ", "€"])
def test_the_currency_must_be_an_iso_4217_code(code):
    assert found(changed((20, "Idevise", code))) == [(20, "L6")]


def test_a_customer_or_supplier_line_must_name_its_auxiliary_account():
    # Line 2: 411000 Clients of the first sales entry; line 23: 401000 Fournisseurs of the purchase.
    assert golden_lines()[1][COLUMNS.index("CompteNum")] == "411000"
    assert golden_lines()[22][COLUMNS.index("CompteNum")] == "401000"
    blank = ("CompAuxNum", ""), ("CompAuxLib", "")

    assert found(changed(*((2, column, value) for column, value in blank))) == [(2, "L7")]
    assert found(changed(*((23, column, value) for column, value in blank))) == [(23, "L7")]
    # Other accounts need none: the revenue line stays without one.
    assert found(changed((3, "CompAuxNum", ""))) == []


def test_dates_must_exist_in_the_calendar():
    assert found(changed((10, "PieceDate", "20250230"), (19, "DateLet", "2025-04-02"))) == [
        (10, "L5"),
        (19, "L5"),
    ]


def test_an_unbalanced_entry_and_file_are_caught_at_the_entry_first_line():
    violations = check_fec(io.StringIO(changed((13, "Credit", "600,01"))), NAME)

    assert [(v.line, v.rule) for v in violations] == [(0, "E1"), (12, "E1")]
    assert violations[1].message == "L'écriture BQ 3 n'est pas équilibrée : débit 695,79, crédit 695,80."
    assert str(violations[1]) == "ligne 12 : [E1] " + violations[1].message
    assert str(violations[0]).startswith("fichier : [E1] Le fichier n'est pas équilibré")


def test_an_entry_has_one_date_and_is_validated_on_or_after_it():
    text = changed(
        (14, "EcritureDate", "20250211"), (14, "ValidDate", "20250211"), (15, "ValidDate", "20250209")
    )

    assert found(text) == [(14, "E2"), (15, "E2")]


def test_entries_outside_the_fiscal_year_of_the_file_name_are_caught():
    assert found(golden_text(), "732829320FEC20240630.txt") == [
        (line, "E2") for line in (2, 7, 12, 16, 19, 21, 24, 26, 28, 30)
    ]


def test_entries_must_come_in_date_order():
    # VT 2 dated 2 January, after VT 1 of 10 January.
    text = changed(
        *[(line, column, "20250102") for line in range(7, 12) for column in ("EcritureDate", "ValidDate")]
    )

    assert found(text) == [(7, "F1")]


def test_a_file_spanning_more_than_a_year_is_caught_without_a_name():
    text = changed(
        *[(line, column, "20260115") for line in (30, 31) for column in ("EcritureDate", "ValidDate")]
    )

    assert found(text, name=None) == [(30, "F1")]


def test_entry_numbers_must_follow_each_other():
    without_third = [fields for fields in golden_lines() if fields[2] != "3"]
    swapped = changed(
        *[(line, "EcritureNum", "2") for line in range(2, 7)],
        *[(line, "EcritureNum", "1") for line in range(7, 12)],
    )

    assert found(text_of(without_third)) == [(12, "F4")]  # 2 then 4: a gap
    assert found(swapped) == [(7, "F4"), (12, "F4")]  # 2, 1, 3: backwards, then a gap
    assert found(changed(*[(line, "EcritureNum", "X") for line in (30, 31)])) == [(30, "F4")]


def test_one_sequence_per_journal_is_tolerated():
    lines = golden_lines()
    counters: dict[str, int] = {}
    previous = None
    for fields in lines[1:]:
        if fields[2] != previous:
            previous = fields[2]
            counters[fields[0]] = counters.get(fields[0], 0) + 1
        fields[2] = f"{fields[0]}{counters[fields[0]]:06d}"

    assert found(text_of(lines)) == []


def test_the_check_stops_after_the_limit():
    text = changed(*[(line, "CompteLib", "") for line in range(2, 12)])

    report = inspect_fec(io.StringIO(text), NAME, limit=3)

    assert report.truncated is True
    assert [v.line for v in report.violations] == [2, 3, 4]
    assert all(isinstance(v, Violation) for v in report.violations)


# --- manage.py check_fec --------------------------------------------------------------------------


def test_the_command_prints_a_summary_when_the_file_passes(capsys):
    call_command("check_fec", str(GOLDEN))

    assert capsys.readouterr().out == (
        "732829320FEC20251231.txt est conforme : 10 écritures, 30 lignes, débit = crédit = 5\xa0544,18.\n"
    )


def test_the_command_names_line_and_rule_of_each_violation_and_fails(tmp_path, capsys):
    broken = tmp_path / NAME
    broken.write_text(changed((3, "Credit", "1000.00")), newline="")

    with pytest.raises(CommandError, match="n'est pas conforme : 3 anomalie"):
        call_command("check_fec", str(broken))

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("fichier : [E1] ")
    assert out[1].startswith("ligne 2 : [E1] L'écriture VT 1 n'est pas équilibrée")
    assert out[2] == (
        "ligne 3 : [L2] Credit « 1000.00 » n'est pas un montant : virgule décimale, sans séparateur de "
        "milliers (1234,56)."
    )


def test_the_command_checks_the_name_given(capsys):
    with pytest.raises(CommandError):
        call_command("check_fec", str(GOLDEN), "--name", "export.txt")

    assert "[NOM]" in capsys.readouterr().out


def test_the_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("check_fec", str(tmp_path / "none.txt"))
