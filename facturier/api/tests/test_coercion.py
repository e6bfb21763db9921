"""Input as the public API's clients send it (issue 7, section 5), one helper at a time."""

from decimal import Decimal

import pytest

from facturier.api import coercion
from facturier.api.coercion import Field
from facturier.api.errors import InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, Decimal("10")),
        ("10", Decimal("10")),
        ("10.23", Decimal("10.23")),
        ("10,23", Decimal("10.23")),
        ("0,00", Decimal("0")),
        (" 1 000,5 ", Decimal("1000.5")),
        (Decimal("5.5"), Decimal("5.5")),
        (0.1, Decimal("0.1")),
    ],
)
def test_numbers_come_as_numbers_or_strings_with_a_point_or_a_comma(value, expected):
    assert coercion.to_decimal(value, "price") == expected


@pytest.mark.parametrize(
    "value", ["", "abc", "1,2,3", "NaN", "Infinity", "-inf", True, None, [], {}, "1e400", "1e-400"]
)
def test_anything_else_is_refused_as_a_number_naming_the_field(value):
    with pytest.raises(InputError) as refused:
        coercion.to_decimal(value, "price")
    assert list(refused.value.messages) == ["price"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False),
        ("yes", True), ("no", False), ("true", True), ("false", False), ("TRUE", True), ("", False),
    ],
)  # fmt: skip
def test_booleans_come_as_1_0_yes_no_true_false(value, expected):
    assert coercion.to_bool(value, "company") is expected


@pytest.mark.parametrize("value", [2, "maybe", [], {}, Decimal("0.5")])
def test_other_booleans_are_refused(value):
    with pytest.raises(InputError):
        coercion.to_bool(value, "company")


def test_integers_refuse_fractions_and_out_of_range_values():
    assert coercion.to_int("30", "days") == 30
    assert coercion.to_int("30,0", "days") == 30
    for value in ["30,5", "1e30", 10**40]:
        with pytest.raises(InputError):
            coercion.to_int(value, "days")
    with pytest.raises(InputError):
        coercion.to_id(0, "id")
    with pytest.raises(InputError):
        coercion.to_id(2**63, "id")


def test_text_refuses_what_the_databases_cannot_store():
    assert coercion.to_text("Café", "name") == "Café"
    assert coercion.to_text(42, "name") == "42"
    for value in ["a\x00b", "\ud800", [], {}, True]:
        with pytest.raises(InputError):
            coercion.to_text(value, "name")


def test_ids_come_as_a_list_or_comma_separated():
    assert coercion.to_ids(["1,2", 3, " 4 "], "ids") == [1, 2, 3, 4]
    assert coercion.to_ids(["", "5,"], "ids") == [5]


FIELDS = [Field("name", "name"), Field("company", "is_company", coercion.to_bool)]


def test_read_keeps_known_keys_and_ignores_unknown_and_read_only_ones():
    data = {"id": 12, "name": "Dupont", "company": "0", "created_at": "2024-01-01", "view_url": "x"}
    assert coercion.read(data, FIELDS) == {"name": "Dupont", "is_company": False}


def test_null_means_absent():
    assert coercion.read({"name": None, "company": "null"}, FIELDS) == {}


def test_read_reports_every_field_at_fault_together():
    with pytest.raises(InputError) as refused:
        coercion.read({"name": ["x"], "company": "peut-être"}, FIELDS)
    assert set(refused.value.messages) == {"name", "company"}


def test_the_resource_is_read_under_its_wrapper_key_or_from_the_body_itself():
    assert coercion.resource_body({"api_token": "t", "client": {"name": "A"}}, "client") == {"name": "A"}
    assert coercion.resource_body({"name": "A"}, "client") == {"name": "A"}
    assert coercion.resource_body({"client": None}, "client") == {}
    for body in [[], "x", {"client": [1]}, {"client": "A"}]:
        with pytest.raises(InputError):
            coercion.resource_body(body, "client")


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_string_is_absent_except_for_a_free_text(blank):
    fields = [Field("note", "notes"), Field("country", "country", coercion.to_code),
              Field("price", "price", coercion.to_decimal), Field("paid", "paid", coercion.to_bool)]  # fmt: skip
    values = coercion.read({"note": blank, "country": blank, "price": blank, "paid": blank}, fields)

    assert values == {"notes": blank}
