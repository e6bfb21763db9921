"""No input to the invoice endpoints yields a server error: seeded random bodies and query strings,
mixing valid values, ids of real rows and hostile ones (NUL, lone surrogates, huge numbers...)."""

import random
from typing import Any
from urllib.parse import quote

from facturier.billing.tests.factories import line, make_client, make_invoice

VALUES: list[Any] = [
    None, "null", "", " ", 0, -1, 1, "1", "0", "-1", True, False, "abc", "\x00", "\ud800x", [], {}, [1],
    {"a": 1}, "1e999", "99999999999999999999999", "2026-02-30", "2026-11-28", "2026-11", "off", "1,5", 1.5,
    "fr/en", "np", "zw", "x" * 600, "paid", "draft", "issued", "sent", "accepted", "estimate", "correction",
    "advance", "final", "EUR", "USD",
]  # fmt: skip
KEYS = [
    "kind", "number", "status", "issue_date", "sell_date", "payment_to", "payment_to_kind", "currency", "lang",
    "payment_type", "oid", "description", "buyer_email", "buyer_name", "buyer_tax_no", "buyer_company",
    "client_id", "reverse_charge", "use_oss", "invoice_id", "copy_invoice_from", "total_correction",
    "advance_value", "advance_creation_mode", "invoice_ids", "income", "correction_reason", "additional_fields",
    "seller_bank_account",
]  # fmt: skip
POSITION_KEYS = [
    "id", "_destroy", "product_id", "name", "quantity", "tax", "price_net", "price_gross", "total_price_net",
    "total_price_gross", "discount_percent", "correction_before_attributes", "correction_after_attributes",
]  # fmt: skip


def test_random_bodies_never_yield_a_500(owner_api, acme):
    rng = random.Random(7)
    client = make_client(acme)
    issued = make_invoice(acme, client)
    draft = make_invoice(acme, client, issue=False, lines=[line(), line("B")])
    quote_ = make_invoice(acme, client, kind="estimate")
    ids = [issued.pk, draft.pk, quote_.pk, client.pk, *(row.pk for row in draft.lines.all())]
    for _ in range(400):
        body: dict = {key: rng.choice(VALUES + ids) for key in rng.sample(KEYS, rng.randint(0, 6))}
        if rng.random() < 0.7:
            body["positions"] = [
                {key: rng.choice(VALUES + ids) for key in rng.sample(POSITION_KEYS, rng.randint(0, 5))}
                for _ in range(rng.randint(0, 3))
            ]
        document = rng.choice(ids[:3])
        path, data = rng.choice(
            [
                ("/invoices.json", {"invoice": body}),
                (f"/invoices/{document}.json", {"invoice": body}),
                (f"/invoices/{document}/change_status.json", body),
                ("/invoices/cancel.json", body),
                (f"/invoices/{document}/send_by_email.json", body),
            ]
        )
        send = owner_api.put if path == f"/invoices/{document}.json" else owner_api.post
        response = send(path, data)
        assert response.status_code < 500, (body, response.content[:300])


def test_random_list_queries_never_yield_a_500(owner_api, acme):
    rng = random.Random(3)
    make_invoice(acme, make_client(acme))
    keys = [
        "period", "date_from", "date_to", "search_date_type", "income", "kind", "kinds[]", "number",
        "invoice_ids", "client_id", "include_positions", "status", "order", "page", "per_page", "invoice_id",
        "from_invoice_id",
    ]  # fmt: skip
    values = [
        "", "all", "more", "x", "\x00", "1", "0", "-1", "2026-11-01", "2026-13-01", "abc,1", "1e99", "paid_date",
        "number.desc", "id.desc", "9" * 30, "yes", "vat", "kp", "payment_to", "last_12_months", "this_half_year",
    ]  # fmt: skip
    for _ in range(300):
        params = "&".join(
            f"{quote(k)}={quote(rng.choice(values))}" for k in rng.sample(keys, rng.randint(1, 5))
        )
        response = owner_api.get(f"/invoices.json?{params}")
        assert response.status_code in (200, 422), (params, response.content[:300])
