"""The table of docs/api.md "Fidelity to the official API" stays true to the OpenAPI document: every
field it says is honoured in a body is in the request schema, every query parameter in the list's
parameters, every field shown in the answer's schema."""

import re
from pathlib import Path

from drf_spectacular.generators import SchemaGenerator

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"
NAME = re.compile(r"`([a-z_]+)(?:\[\d*\])?`")


def table_rows():
    text = DOC.read_text()
    section = text.split("## Fidelity to the official API", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and not set(cells[0]) <= {"-"} and cells[0] != "field or parameter":
            yield cells


def invoice_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/invoices.json"]
    request = components["InvoiceRequest"]["properties"]
    body = set(request) | set(components["InvoiceInput"]["properties"])
    body |= set(components["InvoicePositionInput"]["properties"])
    query = {parameter["name"].removesuffix("[]") for parameter in operation["get"]["parameters"]}
    shown = set(components["Invoice"]["properties"]) & set(components["Expense"]["properties"])
    return body, query, shown


def test_the_table_names_only_fields_the_schema_has(db):
    body, query, shown = invoice_schema()
    rows = list(table_rows())
    assert len(rows) > 10
    for field, where, answer in rows:
        names = set(NAME.findall(field)) - {"null", "true", "false", "no"}
        if answer.startswith("shown"):
            assert names - {"department_id"} <= shown, field
        elif answer.startswith("honoured") and "list" in where:
            assert names <= query, field
        elif answer.startswith("honoured") and where:
            assert names <= body | query | {"client_id"}, field
