"""The invoice JSON is built directly (invoice_output.InvoiceSerializer.to_representation, for the speed
of lists): it must stay what the declared fields, which the OpenAPI document describes, give."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from facturier.api.invoice_output import (
    InvoiceSerializer,
    PositionSerializer,
    position_data,
    with_output_data,
)
from facturier.billing.models import Document
from facturier.billing.tests.factories import make_client, make_product


@pytest.fixture
def documents(owner_api, acme):
    """Documents of every shape the API makes: issued, draft, gross, paid, in a foreign currency,
    reverse charged, cancelled by a credit note, with a delivery address and notes."""
    dupont = make_client(acme)
    product = make_product(acme)
    positions = [
        {"name": "Produit A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1},
        {"product_id": product.pk, "quantity": "1,5", "discount_percent": "12.5"},
    ]
    bodies = [
        {"client_id": dupont.pk, "positions": positions},
        {"client_id": dupont.pk, "status": "draft", "positions": positions[1:]},
        {"client_id": dupont.pk, "status": "paid", "positions": positions[:1], "sell_date": "2026-11"},
        {
            "client_id": dupont.pk,
            "currency": "USD",
            "exchange_currency_rate": "0.912345",
            "positions": [{"name": "Conseil", "quantity": 3, "price_net": "99.9999", "tax": 20}],
        },
        {
            "buyer_name": "Berlin GmbH",
            "buyer_tax_no": "DE136695976",
            "buyer_country": "DE",
            "buyer_street": "Unter den Linden 1",
            "buyer_post_code": "10117",
            "buyer_city": "Berlin",
            "reverse_charge": True,
            "delivery_address_street": "Hafen 2",
            "delivery_address_city": "Hamburg",
            "description": "Merci",
            "internal_note": "appel du 3",
            "oid": "PO-7",
            "positions": [{"name": "Audit", "quantity": 1, "price_net": 500, "tax": 20}],
        },
    ]
    ids = []
    for body in bodies:
        created = owner_api.post("/invoices.json", {"invoice": body})
        assert created.status_code == 201, created.content
        ids.append(created.json()["id"])
    cancelled = owner_api.post(f"/invoices/{ids[0]}/cancel.json", {"cancel_reason": "Erreur"})
    assert cancelled.status_code == 200, cancelled.content
    return list(with_output_data(Document.objects.filter(account=acme), positions=True).order_by("pk"))


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC"])
def test_each_document_is_what_its_declared_fields_give(documents, zone):
    assert len(documents) == 6
    with timezone.override(zone):
        for document in documents:
            serializer = InvoiceSerializer(document)
            fast, declared = serializer.data, serializer.declared_representation(document)
            assert list(fast) == list(declared)  # the same keys, in the same order
            assert fast == declared


def test_a_list_without_positions_leaves_them_out_both_ways(documents):
    rows = InvoiceSerializer(documents, many=True, positions=False).data
    assert all("positions" not in row for row in rows)
    child = InvoiceSerializer(documents[0], positions=False)
    assert dict(child.data) == child.declared_representation(documents[0])


def test_each_position_is_what_its_declared_fields_give(documents):
    lines = [(line, document.prices_are_gross) for document in documents for line in document.lines.all()]
    assert {gross for _line, gross in lines} == {True, False}
    for line, gross in lines:
        declared = serializers.Serializer.to_representation(
            PositionSerializer(context={"prices_are_gross": gross}), line
        )
        assert position_data(line, gross) == dict(declared)
        assert list(position_data(line, gross)) == list(declared)
