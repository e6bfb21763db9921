"""Ventes pages: the document list, the draft form with live totals, the detail page and its actions."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing import queries
from facturier.billing.models import Document, Kind, Payment, Status
from facturier.billing.services import documents as services
from facturier.billing.services.payments import pay_in_full
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice, make_product
from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role

D = Decimal
TODAY = datetime.date(2026, 3, 16)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _frozen_time():
    # Mid-March 2026 in Paris: "this month" is March, the chart's year runs April 2025 → March 2026.
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        yield


def url(name, *args, slug="acme"):
    return reverse(f"billing:{name}", args=[slug, *args])


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def form_data(client, lines, **fields):
    """What the document form posts: the header, then the lines as a formset."""
    data = {
        "kind": "vat",
        "client": str(client.pk),
        "issue_date": TODAY.isoformat(),
        "sell_date": "",
        "due_date": "",
        "valid_until": "",
        "currency": "EUR",
        "exchange_rate": "",
        "language": "fr",
        "payment_method": "transfer",
        "buyer_reference": "",
        "delivery_street": "",
        "delivery_post_code": "",
        "delivery_city": "",
        "delivery_country": "",
        "notes": "",
        "internal_note": "",
        "email_to": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "500",
    }
    for index, values in enumerate(lines):
        row = {
            "product": "",
            "name": "Prestation",
            "description": "",
            "quantity": "1",
            "unit": "",
            "unit_price": "100",
            "discount_percent": "0",
            "vat": "FR:20",
            "vat_category": "S",
            "exemption_reason": "",
            "supply_kind": "service",
        }
        row.update(values)
        data.update({f"lines-{index}-{name}": value for name, value in row.items()})
    data.update(fields)
    return data


# Two VAT rates: 2 × 350.00 at 20 % and 3 × 19.99 at 5.5 % with a 10 % discount.
TWO_RATES = [
    {"name": "Conseil", "quantity": "2", "unit_price": "350", "vat": "FR:20"},
    {"name": "Livre", "quantity": "3", "unit_price": "19,99", "discount_percent": "10", "vat": "FR:5.5",
     "supply_kind": "goods"},
]  # fmt: skip
# 700.00 + 53.97 (3 × 19.99 × 0.9 = 53.973) net; VAT 140.00 + 2.97 (53.97 × 5.5 % = 2.968); TTC 896.94.
TWO_RATES_TOTALS = (D("753.97"), D("142.97"), D("896.94"))


def totals_of(document):
    document.refresh_from_db()
    return document.net_total, document.vat_total, document.gross_total


def add_member(account, email, role=permissions.ROLE_MEMBER, codes=None):
    user = make_user(email)
    custom = (
        Role.objects.create(account=account, name=email, permissions=codes) if codes is not None else None
    )
    Membership.objects.create(
        account=account, user=user, role=permissions.ROLE_CUSTOM if custom else role, custom_role=custom
    )
    return logged_in(user)


# --- Who may open the pages ---------------------------------------------------------------------


def every_url(document):
    return [
        ("document_list", []),
        ("document_new", []),
        ("document_totals", []),
        ("document_detail", [document.pk]),
        ("document_edit", [document.pk]),
        ("document_delete", [document.pk]),
        ("document_issue", [document.pk]),
        ("document_status", [document.pk]),
        ("document_convert", [document.pk]),
        ("document_credit_note", [document.pk]),
        ("document_duplicate", [document.pk]),
    ]


def test_every_document_url_is_a_404_for_an_outsider(outsider_client, acme, buyer):
    draft = make_invoice(acme, buyer, issue=False)
    invoice = make_invoice(acme, buyer)
    for document in (draft, invoice):
        for name, args in every_url(document):
            if name in ("document_list", "document_new", "document_totals"):
                continue  # the outsider's own account: see the slug test below
            assert outsider_client.get(url(name, *args)).status_code in (404, 405), name
            assert outsider_client.post(url(name, *args), {"status": "paid"}).status_code == 404, name
    for name in ("document_list", "document_new", "document_totals"):
        assert outsider_client.get(url(name)).status_code in (404, 405)
        assert outsider_client.post(url(name)).status_code == 404
    assert Document.objects.filter(account=acme).count() == 2
    assert Payment.objects.count() == 0


def test_an_outsider_opening_an_acme_document_under_their_own_slug_gets_a_404(outsider_client, acme, buyer):
    invoice = make_invoice(acme, buyer)

    assert outsider_client.get(url("document_detail", invoice.pk, slug="globex")).status_code == 404
    assert outsider_client.post(url("document_duplicate", invoice.pk, slug="globex")).status_code == 404
    assert outsider_client.get(url("document_new", slug="globex") + f"?from={invoice.pk}").status_code == 404


def test_a_member_without_sales_view_gets_a_403_on_every_page(acme, buyer):
    client = add_member(acme, "payments-only@acme.test", codes=["payments.view"])
    document = make_invoice(acme, buyer, issue=False)
    for name, args in every_url(document):
        assert client.get(url(name, *args)).status_code in (403, 405), name
        assert client.post(url(name, *args), {"status": "accepted"}).status_code == 403, name
    assert Document.objects.get(pk=document.pk).is_draft


def test_a_collaborator_creates_and_edits_but_cannot_delete(collaborator_client, acme, buyer):
    draft = make_invoice(acme, buyer, issue=False)

    assert collaborator_client.get(url("document_new")).status_code == 200
    assert collaborator_client.get(url("document_edit", draft.pk)).status_code == 200
    page = collaborator_client.get(url("document_detail", draft.pk)).text
    assert collaborator_client.post(url("document_delete", draft.pk)).status_code == 403

    assert "Supprimer le brouillon" not in page and "Modifier" in page and "Émettre" in page
    assert Document.objects.filter(pk=draft.pk).exists()


def test_the_firm_accountant_reads_documents_but_cannot_create_them(firm_client, acme, buyer):
    invoice = make_invoice(acme, buyer)

    assert firm_client.get(url("document_list")).status_code == 200
    page = firm_client.get(url("document_detail", invoice.pk)).text
    assert firm_client.get(url("document_new")).status_code == 403
    assert firm_client.post(url("document_duplicate", invoice.pk)).status_code == 403

    assert "Dupliquer" not in page and "Enregistrer un paiement" in page
    assert Document.objects.filter(account=acme).count() == 1


# --- List -----------------------------------------------------------------------------------------


def test_the_list_shows_each_document_and_the_totals_of_the_filtered_rows(owner_client, acme, actor, buyer):
    other = make_client(acme, name="Zèbre SAS")
    make_invoice(actor, buyer, lines=[line("D", "1", "999", "20")], issue_date=datetime.date(2026, 1, 5))
    paid = make_invoice(
        actor, buyer, lines=[line("A", "1", "100", "20")], issue_date=datetime.date(2026, 3, 2)
    )
    late = make_invoice(
        actor, other, lines=[line("B", "1", "50", "20")], issue_date=datetime.date(2026, 3, 3),
        due_date=datetime.date(2026, 3, 10),
    )  # fmt: skip
    make_invoice(actor, buyer, issue=False, lines=[line("C", "1", "1000", "20")])
    pay_in_full(actor, paid, date=TODAY)

    response = owner_client.get(url("document_list"), {"period": "this_month", "kind": "vat"})

    assert response.status_code == 200
    html = response.text
    assert paid.number in html and late.number in html and "Brouillon" in html
    assert "F-2026-0001" not in html  # the January invoice is outside this month (numbered first)
    assert "3 documents" in html
    # Net 100 + 50 + 1000 (the draft); TTC 120 + 60 + 1200; owed: only the late invoice's 60.
    assert "1\xa0150,00\xa0€" in html and "1\xa0380,00\xa0€" in html and "60,00\xa0€" in html
    assert "en retard" in html


def test_the_list_escapes_what_users_typed_and_links_each_row_to_its_page(owner_client, acme, actor):
    hostile = make_client(acme, name='<script>alert("x")</script> & Cie')
    invoice = make_invoice(actor, hostile, issue_date=datetime.date(2026, 3, 2))

    html = owner_client.get(url("document_list")).text

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cie" in html
    assert f'<a class="doc-number" href="{url("document_detail", invoice.pk)}">{invoice.number}</a>' in html
    assert ">Facture<" in html and 'class="badge document-status status-issued">Émise<' in html


def test_the_list_filters_by_status_client_search_and_custom_dates(owner_client, acme, actor, buyer):
    other = make_client(acme, name="Zèbre SAS")
    first = make_invoice(
        actor, buyer, issue_date=datetime.date(2026, 2, 10), due_date=datetime.date(2026, 4, 30)
    )
    second = make_invoice(
        actor, other, issue_date=datetime.date(2026, 3, 1), due_date=datetime.date(2026, 3, 5)
    )
    quote = make_invoice(actor, other, kind=Kind.ESTIMATE, issue_date=datetime.date(2026, 3, 2))

    def numbers(**params):
        html = owner_client.get(url("document_list"), params).text
        return [doc.number for doc in (first, second, quote) if f">{doc.number}<" in html]

    assert numbers(client=other.pk) == [second.number, quote.number]
    assert numbers(q="zèbre", kind="estimate") == [quote.number]
    assert numbers(q=first.number) == [first.number]
    assert numbers(status="overdue") == [second.number]
    assert numbers(status="unpaid") == [first.number, second.number]
    assert numbers(period="custom", date_from="2026-02-01", date_to="2026-02-28") == [first.number]
    assert numbers(period="last_month") == [first.number]
    # Values that make no sense are ignored, never a 500.
    assert numbers(period="soon", client="x", status="lost", date_from="2026-13-45") == [
        first.number,
        second.number,
        quote.number,
    ]


@pytest.mark.parametrize("listed", [True, False], ids=["clients-listed", "past-the-limit"])
def test_the_search_finds_a_number_a_buyer_or_a_clients_current_name(
    owner_client, acme, actor, globex, monkeypatch, listed
):
    if not listed:
        # Past the limit the matching clients are no longer listed in the query: same documents.
        monkeypatch.setattr(queries, "SEARCH_CLIENTS_LIMIT", 0)
    renamed = make_client(acme, name="Dupont SARL")
    issued = make_invoice(actor, renamed)
    renamed.name = "Martin et Fils"
    renamed.save()
    draft = make_invoice(actor, make_client(acme, name="Martine Lebrun"), issue=False)
    other = make_invoice(actor, make_client(acme, name="Zèbre SAS"))
    make_invoice(globex, make_client(globex, name="Martin Globex"))

    def found(search):
        html = owner_client.get(url("document_list"), {"q": search}).text
        return {
            label
            for label, document in (("issued", issued), ("draft", draft), ("other", other))
            if url("document_detail", document.pk) + '"' in html
        }

    assert found("martin") == {"issued", "draft"}  # the client's current name; a draft's client
    assert found("dupont") == {"issued"}  # the buyer as the invoice was issued to
    assert found(other.number) == {"other"}
    assert found("globex") == set()


def test_a_search_past_the_limit_shows_its_first_documents_without_a_count_or_totals(
    owner_client, acme, actor, buyer, monkeypatch
):
    monkeypatch.setattr(queries, "SEARCH_COUNT_LIMIT", 2)
    martin = make_client(acme, name="Martin SARL")
    for day in (2, 3):
        make_invoice(
            actor, martin, lines=[line("A", "1", "100", "20")], issue_date=datetime.date(2026, 3, day)
        )

    within = owner_client.get(url("document_list"), {"q": "martin"}).text
    make_invoice(actor, martin, lines=[line("A", "1", "100", "20")], issue_date=datetime.date(2026, 3, 4))
    with CaptureQueriesContext(connection) as queries_past:
        past = owner_client.get(url("document_list"), {"q": "martin"}).text
    with CaptureQueriesContext(connection) as queries_within:
        owner_client.get(url("document_list"), {"q": "sarl", "kind": "estimate"})

    # Within the limit: the count and the exact totals.
    assert "2 documents" in within and "200,00\xa0€" in within and "240,00\xa0€" in within
    # Past it: every document of the page, said to be more than the limit, and no amounts.
    assert past.count("Martin SARL</td>") == 3
    assert "Plus de 2 documents" in past and "Pas de totaux au-delà de 2 documents trouvés" in past
    assert "300,00\xa0€" not in past and "360,00\xa0€" not in past
    assert len(queries_past) == len(queries_within)
    # Without a search the list has no limit.
    assert "3 documents" in owner_client.get(url("document_list")).text


def test_the_totals_give_each_kind_its_own_row_and_never_add_quotes_to_invoices(
    owner_client, acme, actor, buyer
):
    for price in ("100", "300"):
        make_invoice(actor, buyer, lines=[line("A", "1", price, "20")], issue_date=datetime.date(2026, 3, 2))
    make_invoice(
        actor,
        buyer,
        kind=Kind.ESTIMATE,
        lines=[line("B", "1", "1000", "20")],
        issue_date=datetime.date(2026, 3, 3),
    )

    every = owner_client.get(url("document_list")).text  # from the tally
    searched = owner_client.get(url("document_list"), {"q": buyer.name}).text  # summed from the documents
    invoices = owner_client.get(url("document_list"), {"kind": Kind.INVOICE}).text

    for html in (every, searched):
        footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
        assert "Factures : 2 documents (EUR)" in footer and "Devis : 1 document (EUR)" in footer
        assert "400,00\xa0€" in footer and "1\xa0000,00\xa0€" in footer
        assert "1\xa0400,00\xa0€" not in footer  # no sum of invoices and quotes
        assert footer.index("Factures :") < footer.index("Devis :")
    footer = invoices[invoices.index("<tfoot>") : invoices.index("</tfoot>")]
    assert "Factures : 2 documents (EUR)" in footer and "Devis" not in footer


def test_the_list_sorts_only_by_the_offered_columns(owner_client, acme, actor, buyer):
    small = make_invoice(
        actor, buyer, lines=[line("A", "1", "10", "20")], issue_date=datetime.date(2026, 3, 1)
    )
    big = make_invoice(
        actor, buyer, lines=[line("B", "1", "900", "20")], issue_date=datetime.date(2026, 3, 2)
    )

    by_total = owner_client.get(url("document_list"), {"sort": "total"}).text
    by_total_desc = owner_client.get(url("document_list"), {"sort": "-total"}).text
    unknown = owner_client.get(url("document_list"), {"sort": "buyer_siren"})

    assert by_total.index(small.number) < by_total.index(big.number)
    assert by_total_desc.index(big.number) < by_total_desc.index(small.number)
    assert unknown.status_code == 200 and unknown.text.index(big.number) < unknown.text.index(small.number)
    assert 'aria-sort="ascending"' in by_total


def test_the_list_shows_50_documents_a_page(owner_client, acme, buyer):
    for _ in range(55):
        make_invoice(acme, buyer, issue=False)

    first = owner_client.get(url("document_list")).text
    second = owner_client.get(url("document_list"), {"page": "2"}).text
    beyond = owner_client.get(url("document_list"), {"page": "99"})

    assert first.count(">Brouillon</a>") == 50 and "Page 1 sur 2" in first
    assert second.count(">Brouillon</a>") == 5 and "Page 2 sur 2" in second
    assert beyond.status_code == 200 and "Page 2 sur 2" in beyond.text


def list_queries(client, count, acme, buyer):
    clients = [buyer, make_client(acme, name=f"Client {count}")]
    for n in range(count):
        make_invoice(acme, clients[n % 2], issue=n % 3 == 0)
    client.get(url("document_list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("document_list"), {"period": "this_year", "sort": "client"})
    assert response.status_code == 200
    return len(queries)


def test_the_list_runs_the_same_number_of_queries_for_3_or_60_documents(owner_client, acme, buyer):
    few = list_queries(owner_client, 3, acme, buyer)
    Document.objects.filter(account=acme).delete()
    many = list_queries(owner_client, 60, acme, buyer)

    assert few == many
    assert many <= 10


# --- The draft form and its live totals ---------------------------------------------------------


def test_the_live_totals_partial_adds_up_two_vat_rates(owner_client, buyer):
    response = owner_client.post(url("document_totals"), form_data(buyer, TWO_RATES), **HTMX)

    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert 'data-total="net">753,97\xa0€' in html
    assert 'data-total="vat">142,97\xa0€' in html
    assert 'data-total="gross">896,94\xa0€' in html
    assert "700,00" in html and "53,97" in html and "2,97" in html and "140,00" in html
    assert Document.objects.count() == 0


def test_the_live_totals_skip_incomplete_lines_and_show_foreign_currency_in_euros(owner_client, buyer):
    lines = [*TWO_RATES, {"name": "Bizarre", "quantity": "deux"}]
    data = form_data(buyer, lines, currency="USD", exchange_rate="0,5")

    html = owner_client.post(url("document_totals"), data, **HTMX).text

    assert 'data-total="gross">896,94\xa0$' in html
    # Converted bucket by bucket (what reports add up): 350 + 70 + 26.99 + 1.49, not 896.94 / 2.
    assert 'data-total="gross-eur">448,48\xa0€' in html
    assert "1 ligne incomplète n'est pas comptée." in html


def test_the_form_offers_french_rates_and_the_destination_rates_under_oss(owner_client, acme):
    german = make_client(
        acme,
        name="",
        first_name="Jonas",
        last_name="Weber",
        country="DE",
        is_company=False,
        siren="",
        vat_number="",
    )
    page = owner_client.get(url("document_new") + f"?client={german.pk}").text
    assert 'value="FR:5.5"' in page and 'value="DE:19"' not in page

    data = form_data(german, [{"vat": "DE:19", "supply_kind": "goods"}], oss="on")
    response = owner_client.post(url("document_new"), data)

    document = Document.objects.get()
    assert response.status_code == 302
    assert document.oss and list(document.lines.values_list("vat_country", "vat_rate")) == [
        ("DE", D("19.00"))
    ]
    assert totals_of(document) == (D("100.00"), D("19.00"), D("119.00"))


def test_creating_a_draft_with_two_vat_rates_stores_it_through_the_service(owner_client, acme, buyer):
    response = owner_client.post(url("document_new"), form_data(buyer, TWO_RATES, action="draft"))

    document = Document.objects.get(account=acme)
    assert response.status_code == 302 and response.url == url("document_detail", document.pk)
    assert document.is_draft and document.number == ""
    assert totals_of(document) == TWO_RATES_TOTALS
    assert [(row.name, row.net_amount) for row in document.lines.all()] == [
        ("Conseil", D("700.00")),
        ("Livre", D("53.97")),
    ]
    assert document.due_date == TODAY + datetime.timedelta(days=30)
    assert AuditEvent.objects.filter(account=acme, action="document.created").count() == 1


def test_save_and_issue_numbers_the_document(owner_client, acme, buyer):
    response = owner_client.post(url("document_new"), form_data(buyer, TWO_RATES, action="issue"))

    document = Document.objects.get(account=acme)
    assert response.status_code == 302
    assert (document.status, document.number) == (Status.ISSUED, "F-2026-0001")
    assert totals_of(document) == TWO_RATES_TOTALS
    assert AuditEvent.objects.filter(account=acme, action="document.issued", target="F-2026-0001").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines-0-quantity": "deux"}, "Saisissez un nombre."),
        ({"lines-0-vat": "FR:19"}, "Sélectionnez un choix valide"),
        ({"issue_date": "31/02/2026"}, "Saisissez une date valide."),
        ({"currency": "USD"}, "Indiquez le taux de change vers l&#x27;euro."),
        ({"lines-0-vat": "FR:0"}, "Un taux nul demande une catégorie sans TVA"),
        ({"email_to": "compta@dupont, x"}, "n&#x27;est pas une adresse email valide."),
        ({"lines-TOTAL_FORMS": "1", "lines-0-DELETE": "on"}, "Ajoutez au moins une ligne."),
        ({"lines-TOTAL_FORMS": "abc"}, "TOTAL_FORMS"),
    ],
)
def test_bad_input_gets_a_form_error_and_stores_nothing(owner_client, acme, buyer, change, message):
    response = owner_client.post(url("document_new"), {**form_data(buyer, TWO_RATES), **change})

    assert response.status_code == 200
    assert message in response.text
    assert Document.objects.count() == 0


def test_a_client_of_another_account_is_refused_as_unknown(owner_client, globex):
    stranger = make_client(globex, name="Client de Globex")

    response = owner_client.post(url("document_new"), form_data(stranger, TWO_RATES))

    assert response.status_code == 200
    assert "Choisissez un client de la liste." in response.text
    assert "Client de Globex" not in response.text
    assert Document.objects.count() == 0


def test_a_refusal_of_the_service_shows_on_the_form_and_stores_nothing(owner_client, acme, buyer):
    acme.locked_until = TODAY
    acme.save()

    response = owner_client.post(url("document_new"), form_data(buyer, TWO_RATES, action="issue"))

    assert response.status_code == 200
    assert "sont protégés" in response.text
    assert Document.objects.count() == 0


def test_an_issue_refused_after_saving_keeps_the_draft_unchanged(owner_client, acme, actor, buyer):
    make_invoice(actor, buyer, issue_date=TODAY)  # the chronology now starts on TODAY
    draft = make_invoice(actor, buyer, issue=False, lines=[line("Avant", "1", "10", "20")], issue_date=TODAY)
    data = form_data(buyer, TWO_RATES, action="issue", issue_date="2026-03-10")

    response = owner_client.post(url("document_edit", draft.pk), data)

    assert response.status_code == 200 and "ordre chronologique" in response.text
    draft.refresh_from_db()
    assert draft.is_draft and draft.issue_date == TODAY
    assert list(draft.lines.values_list("name", flat=True)) == ["Avant"]


def test_adding_a_line_without_javascript_shows_the_form_again_with_one_more_line(owner_client, buyer):
    response = owner_client.post(url("document_new"), form_data(buyer, TWO_RATES, action="add_line"))

    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="3"' in response.text
    assert 'name="lines-2-name"' in response.text
    assert Document.objects.count() == 0


def test_the_new_form_starts_from_the_query_string(owner_client, acme, actor, buyer):
    make_product(acme, name="Audit", unit_price=D("1200"), vat_rate=D("20"))
    quote = make_invoice(actor, buyer, kind=Kind.ESTIMATE, lines=[line("Audit annuel", "1", "1200", "10")])

    plain = owner_client.get(url("document_new") + f"?kind=estimate&client={buyer.pk}").text
    copied = owner_client.get(url("document_new") + f"?from={quote.pk}").text

    assert '<option value="estimate" selected>' in plain
    assert f'<option value="{buyer.pk}" selected data-country="FR">' in plain
    assert 'data-name="Audit"' in plain and 'data-net="1200"' in plain and 'data-gross="1440"' in plain
    assert 'value="Audit annuel"' in copied and '<option value="vat" selected>' in copied
    assert '<option value="FR:10" selected>' in copied


def test_editing_a_draft_replaces_its_content(owner_client, acme, actor, buyer):
    draft = make_invoice(actor, buyer, issue=False, lines=[line("Avant", "1", "10", "20")])
    page = owner_client.get(url("document_edit", draft.pk)).text
    assert 'value="Avant"' in page and 'data-total="gross">12,00\xa0€' in page

    response = owner_client.post(url("document_edit", draft.pk), form_data(buyer, TWO_RATES))

    assert response.status_code == 302
    assert totals_of(draft) == TWO_RATES_TOTALS
    assert list(draft.lines.values_list("name", flat=True)) == ["Conseil", "Livre"]
    assert AuditEvent.objects.filter(account=acme, action="document.changed", target=str(draft.pk)).exists()


def test_an_issued_document_changes_only_what_the_law_allows(owner_client, acme, actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")])
    assert owner_client.get(url("document_edit", invoice.pk)).url == url("document_detail", invoice.pk)

    response = owner_client.post(
        url("document_edit", invoice.pk),
        {"internal_note": "Relancer", "email_to": "a@dupont.test", "notes": "Merci !", "bank_iban": "FR76 3000",
         "name": "Autre chose"},
    )  # fmt: skip
    bad = owner_client.post(url("document_edit", invoice.pk), {"email_to": "pas une adresse"})

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.internal_note, invoice.email_to) == ("Relancer", "a@dupont.test")
    # What the document prints is not a field of the form once it is issued: left as issued.
    assert (invoice.notes, invoice.bank_iban) == ("", "")
    assert list(invoice.lines.values_list("name", flat=True)) == ["Conseil"]
    assert bad.status_code == 422
    assert Document.objects.get(pk=invoice.pk).email_to == "a@dupont.test"


# --- Detail and actions ---------------------------------------------------------------------------


def test_the_detail_page_shows_the_content_and_the_actions_of_its_state(owner_client, acme, actor, buyer):
    draft = make_invoice(actor, buyer, issue=False)
    invoice = make_invoice(
        actor, buyer, lines=[line("Conseil", "2", "350", "20"), line("Livre", "1", "10", "5.5")]
    )

    draft_page = owner_client.get(url("document_detail", draft.pk)).text
    invoice_page = owner_client.get(url("document_detail", invoice.pk)).text

    assert "Supprimer le brouillon" in draft_page and "Émettre" in draft_page
    assert "Créer un avoir" not in draft_page and "Envoyer par email" not in draft_page
    assert invoice.number in invoice_page and "Créer un avoir" in invoice_page
    assert "Enregistrer un paiement" in invoice_page and "Marquer comme payé" in invoice_page
    assert (
        url("document_pdf", invoice.pk) in invoice_page and url("document_send", invoice.pk) in invoice_page
    )
    assert "Supprimer le brouillon" not in invoice_page
    assert "20 %" in invoice_page and "5,5 %" in invoice_page
    assert 'data-total="remaining">850,55\xa0€' in invoice_page


def test_get_never_changes_a_document(owner_client, acme, actor, buyer):
    draft = make_invoice(actor, buyer, issue=False)
    for name in (
        "document_delete",
        "document_issue",
        "document_status",
        "document_convert",
        "document_duplicate",
    ):
        assert owner_client.get(url(name, draft.pk)).status_code == 405, name
    assert Document.objects.get().is_draft


def test_issuing_and_deleting_drafts_from_the_detail_page(owner_client, acme, actor, buyer):
    draft = make_invoice(actor, buyer, issue=False)
    other = make_invoice(actor, buyer, issue=False)

    issued = owner_client.post(url("document_issue", draft.pk))
    deleted = owner_client.post(url("document_delete", other.pk))
    refused = owner_client.post(url("document_delete", draft.pk), HTTP_REFERER="http://testserver/")

    assert issued.status_code == 302 and Document.objects.get(pk=draft.pk).number == "F-2026-0001"
    assert deleted.url == url("document_list") and not Document.objects.filter(pk=other.pk).exists()
    assert refused.status_code == 302 and Document.objects.filter(pk=draft.pk).exists()
    assert "émettez un avoir" in owner_client.get(refused.url).text


def test_a_quote_is_accepted_then_converted_into_an_invoice(owner_client, acme, actor, buyer):
    quote = make_invoice(actor, buyer, kind=Kind.ESTIMATE, lines=[line("Audit", "1", "1000", "20")])

    accepted = owner_client.post(url("document_status", quote.pk), {"status": "accepted"})
    converted = owner_client.post(url("document_convert", quote.pk), {"kind": "vat"})

    quote.refresh_from_db()
    invoice = Document.objects.get(source_document=quote)
    assert accepted.status_code == 302 and quote.status == Status.ACCEPTED
    assert converted.url == url("document_detail", invoice.pk)
    assert (invoice.kind, invoice.status, invoice.gross_total) == (Kind.INVOICE, Status.DRAFT, D("1200.00"))


def test_an_advance_invoice_takes_a_percentage_of_the_quote(owner_client, acme, actor, buyer):
    quote = make_invoice(actor, buyer, kind=Kind.ESTIMATE, lines=[line("Audit", "1", "1000", "20")])

    missing = owner_client.post(url("document_convert", quote.pk), {"kind": "advance"})
    response = owner_client.post(url("document_convert", quote.pk), {"kind": "advance", "percent": "30"})

    advance = Document.objects.get(source_document=quote)
    assert missing.status_code == 302
    assert response.url == url("document_detail", advance.pk)
    assert (advance.kind, advance.gross_total) == (Kind.ADVANCE, D("360.00"))


def test_a_rejected_quote_cannot_be_converted(owner_client, acme, actor, buyer):
    quote = make_invoice(actor, buyer, kind=Kind.ESTIMATE)
    owner_client.post(url("document_status", quote.pk), {"status": "rejected"})

    response = owner_client.post(url("document_convert", quote.pk), {"kind": "vat"})

    assert response.url == url("document_detail", quote.pk)
    assert "refusé par le client" in owner_client.get(response.url).text
    assert Document.objects.count() == 1


def test_the_collaborator_cannot_mark_a_document_paid_without_payments_create(acme, buyer):
    invoice = make_invoice(acme, buyer)
    client = add_member(acme, "sales-only@acme.test", codes=["sales.view", "sales.edit"])

    response = client.post(url("document_status", invoice.pk), {"status": "paid"})

    assert response.status_code == 403
    assert Payment.objects.count() == 0


def test_duplicating_opens_the_new_draft(owner_client, acme, actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "2", "350", "20")])

    response = owner_client.post(url("document_duplicate", invoice.pk))

    copy = Document.objects.exclude(pk=invoice.pk).get()
    assert response.url == url("document_edit", copy.pk)
    assert copy.is_draft and copy.gross_total == D("840.00")


def test_a_partial_credit_note_from_its_page(owner_client, acme, actor, buyer):
    invoice = make_invoice(
        actor, buyer, lines=[line("Conseil", "10", "100", "20"), line("Livre", "1", "10", "5.5")]
    )
    page = owner_client.get(url("document_credit_note", invoice.pk))
    assert page.status_code == 200 and 'value="-10"' in page.text

    data = form_data(
        buyer, [{"name": "Conseil", "quantity": "-2", "unit_price": "100"}], mode="partial", reason="Remise"
    )
    response = owner_client.post(url("document_credit_note", invoice.pk), data)

    note = Document.objects.get(kind=Kind.CREDIT_NOTE)
    assert response.url == url("document_detail", note.pk)
    assert (note.corrected_document, note.correction_reason, note.gross_total) == (
        invoice,
        "Remise",
        D("-240.00"),
    )


def test_a_draft_credit_note_is_edited_and_keeps_its_invoice(owner_client, acme, actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "10", "100", "20")])
    note = services.create_credit_note(
        actor, invoice, lines=[line("Conseil", "1", "100", "20")], reason="Geste"
    )
    page = owner_client.get(url("document_edit", note.pk)).text
    assert '<option value="correction" selected>' in page and '<option value="vat"' not in page
    assert f"Avoir de la facture {invoice.number}" in page

    data = form_data(buyer, [{"name": "Conseil", "quantity": "-3", "unit_price": "100"}], kind="correction")
    response = owner_client.post(url("document_edit", note.pk), data)

    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.kind, note.corrected_document, note.correction_reason) == (
        Kind.CREDIT_NOTE,
        invoice,
        "Geste",
    )
    assert note.gross_total == D("-360.00")


def test_a_credit_note_needs_a_reason_and_an_issued_invoice(owner_client, acme, actor, buyer):
    invoice = make_invoice(actor, buyer)
    draft = make_invoice(actor, buyer, issue=False)

    no_reason = owner_client.post(url("document_credit_note", invoice.pk), {"mode": "total", "reason": ""})

    assert no_reason.status_code == 200 and "Ce champ est obligatoire." in no_reason.text
    assert owner_client.get(url("document_credit_note", draft.pk)).status_code == 404
    assert Document.objects.filter(kind=Kind.CREDIT_NOTE).count() == 0


# --- The whole flow through the pages -----------------------------------------------------------


def test_draft_issue_partial_payment_full_payment_and_credit_note_through_the_pages(
    owner_client, acme, buyer
):
    owner_client.post(url("document_new"), form_data(buyer, TWO_RATES, action="draft"))
    invoice = Document.objects.get()
    assert owner_client.post(url("document_issue", invoice.pk)).status_code == 302

    payment_page = owner_client.get(url("payment_new") + f"?document={invoice.pk}")
    assert 'value="896,94"' in payment_page.text
    owner_client.post(
        url("payment_new") + f"?document={invoice.pk}",
        {"client": buyer.pk, "documents": [invoice.pk], "date": TODAY.isoformat(), "amount": "500,00",
         "method": "transfer", "reference": "VIR 1", "notes": ""},
    )  # fmt: skip
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.remaining) == (
        Status.PARTIAL,
        D("500.00"),
        D("396.94"),
    )

    owner_client.post(url("document_status", invoice.pk), {"status": "paid"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.remaining) == (Status.PAID, D("896.94"), D("0.00"))

    response = owner_client.post(
        url("document_credit_note", invoice.pk), {"mode": "total", "reason": "Annulation"}
    )
    note = Document.objects.get(kind=Kind.CREDIT_NOTE)
    owner_client.post(url("document_issue", note.pk))

    note.refresh_from_db()
    assert response.url == url("document_detail", note.pk)
    assert (note.number, note.net_total, note.vat_total, note.gross_total) == (
        "AV-2026-0001",
        D("-753.97"),
        D("-142.97"),
        D("-896.94"),
    )
    invoice.refresh_from_db()
    assert invoice.credited_total == D("896.94")
    page = owner_client.get(url("document_detail", invoice.pk)).text
    assert "AV-2026-0001" in page and "Annulation" in page and "VIR 1" in page


# --- In a real browser: the script and htmx of the form ---------------------------------------------


@pytest.fixture
def browser_page(page_as):
    """A function opening a Chromium page logged in as a user, with Playwright's expect."""
    expect = pytest.importorskip("playwright.sync_api").expect
    return lambda user: (page_as(user), expect)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_form_fills_lines_adds_them_by_keyboard_and_totals_them_live(browser_page, live_server):
    owner = make_user("olivia@acme.test")
    acme = make_account(
        "acme",
        "ACME SAS",
        owner,
        subscription_ends_on=datetime.date(2099, 12, 31),
        siren="732829320",
        vat_number="FR44732829320",
        street="1 avenue des Champs-Élysées",
        post_code="75008",
        city="Paris",
    )
    buyer = make_client(acme)
    make_client(acme, name="", first_name="Jonas", last_name="Weber", country="DE", is_company=False, siren="",
                vat_number="")  # fmt: skip
    make_product(acme, name="Conseil", unit="h", unit_price=D("350"), vat_rate=D("20"))
    page, expect = browser_page(owner)
    live_url = live_server.url.replace("127.0.0.1", "localhost")
    page.goto(f"{live_url}{url('document_new')}")

    page.select_option("#id_client", str(buyer.pk))
    page.select_option("#id_lines-0-product", label="Conseil")
    expect(page.locator("#id_lines-0-name")).to_have_value("Conseil")
    page.fill("#id_lines-0-quantity", "2")
    expect(page.locator('#document-totals [data-total="gross"]')).to_have_text("840,00\xa0€")
    # The line's own total, computed by the server, in its row.
    expect(page.locator("#line-total-lines-0")).to_have_text("700,00\xa0€")

    # A second line, added with the keyboard: the new line's product select gets the focus.
    page.locator("[data-add-line]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_lines-1-product")).to_be_focused()
    page.fill("#id_lines-1-name", "Livre")
    page.fill("#id_lines-1-unit_price", "19,99")
    page.select_option("#id_lines-1-vat", "FR:5.5")
    page.fill("#id_lines-1-quantity", "3")
    expect(page.locator('#document-totals [data-total="gross"]')).to_have_text("903,27\xa0€")

    expect(page.locator("#line-total-lines-1")).to_have_text("59,97\xa0€")

    # The exchange rate shows only for another currency; OSS adds the buyer's country rates.
    page.locator("summary", has_text="Devise").click()
    expect(page.locator("#exchange-rate")).to_be_hidden()
    page.select_option("#id_currency", "USD")
    expect(page.locator("#exchange-rate")).to_be_visible()
    page.select_option("#id_currency", "EUR")
    page.select_option("#id_client", label="Jonas Weber")
    page.check("#id_oss")
    expect(page.locator('#id_lines-0-vat option[value="DE:19"]')).to_have_count(1)

    # A category without VAT: the rate goes to 0 % and the legal mention fills in.
    page.locator("[data-line]").nth(1).locator("summary").click()
    page.select_option("#id_lines-1-vat_category", "E")
    expect(page.locator("#id_lines-1-exemption_reason")).to_have_value(
        "TVA non applicable, art. 293 B du CGI"
    )
    expect(page.locator("#id_lines-1-vat")).to_have_value("FR:0")
    expect(page.locator('#document-totals [data-total="gross"]')).to_have_text("899,97\xa0€")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button[value=issue]").click()
    page.wait_for_url(f"{live_url}/acme/documents/*/")
    document = Document.objects.get()
    assert (document.number, document.gross_total) == ("F-2026-0001", D("899.97"))
    assert document.lines.get(name="Livre").exemption_reason == "TVA non applicable, art. 293 B du CGI"


def test_past_a_hundred_buyers_the_client_filter_keeps_only_the_chosen_client(owner_client, acme):
    from facturier.billing.models import Client
    from facturier.billing.views.documents import CLIENT_FILTER_LIMIT

    Client.objects.bulk_create(
        Client(account=acme, name=f"Client {n:03}") for n in range(CLIENT_FILTER_LIMIT + 1)
    )
    chosen = Client.objects.get(account=acme, name="Client 042")
    url = reverse("billing:document_list", kwargs={"slug": "acme"})

    listed = owner_client.get(url).content.decode()
    filtered = owner_client.get(url, {"client": chosen.pk}).content.decode()

    assert "Client 041" not in listed and "Client 042" not in listed
    assert f'value="{chosen.pk}" selected' in filtered and "Client 041" not in filtered


def test_the_client_filter_offers_the_buyers_by_name_and_no_supplier(owner_client, acme, globex):
    from facturier.billing.models import Client

    Client.objects.bulk_create(
        [
            Client(account=acme, name="Zinc SA", kind=Client.Kind.BOTH),
            Client(account=acme, name="Atelier Bois", kind=Client.Kind.BUYER),
            Client(account=acme, name="Papeterie Fournisseur", kind=Client.Kind.SUPPLIER),
            Client(account=globex, name="Globex Client", kind=Client.Kind.BUYER),
        ]
    )
    other = Client.objects.get(name="Globex Client")
    url = reverse("billing:document_list", kwargs={"slug": "acme"})

    html = owner_client.get(url).content.decode()
    foreign = owner_client.get(url, {"client": other.pk})

    options = html[html.index('name="client"') : html.index("</select>", html.index('name="client"'))]
    assert options.index("Atelier Bois") < options.index("Zinc SA")
    assert "Papeterie Fournisseur" not in options and "Globex Client" not in options
    assert foreign.status_code == 200 and "Globex Client" not in foreign.content.decode()
