"""The public API's own paths (`/clients.json`...), compatible with VosFactures / Fakturownia.

Every resource path ends in `.json`, so none can shadow a page under /<slug>/; the OpenAPI document is
at /api/schema/. The last patterns answer every other `.json` or `.xml` address in JSON (unserved.py).
"""

from django.urls import URLPattern, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.negotiation import DefaultContentNegotiation

from facturier.api import (
    account_api,
    attachments,
    categories,
    clients,
    invoices,
    payments,
    products,
    unserved,
)
from facturier.webhooks import api as webhooks

app_name = "api"

urlpatterns: list[URLPattern] = [
    path("invoices.json", invoices.InvoiceList.as_view(), name="invoices"),
    path("invoices/cancel.json", invoices.InvoiceCancel.as_view(), name="invoice_cancel"),
    path("invoices/<int:pk>.json", invoices.InvoiceDetail.as_view(), name="invoice"),
    path("invoices/<int:pk>.pdf", invoices.InvoicePdf.as_view(), name="invoice_pdf"),
    # Not `/invoices/{id}.xml`: in the public API that is the invoice in its own XML, which Facturier
    # does not serve (unserved.json_only); an e-invoice is another document.
    path("invoices/<int:pk>/einvoice.xml", invoices.InvoiceXml.as_view(), name="invoice_einvoice"),
    path(
        "invoices/<int:pk>/change_status.json", invoices.InvoiceChangeStatus.as_view(), name="invoice_status"
    ),
    path("invoices/<int:pk>/cancel.json", invoices.InvoiceCancel.as_view(), name="invoice_cancel_one"),
    path("invoices/<int:pk>/send_by_email.json", invoices.InvoiceSendByEmail.as_view(), name="invoice_send"),
    path(
        "invoices/<int:pk>/get_new_attachment_credentials.json",
        attachments.AttachmentCredentials.as_view(),
        name="invoice_attachment_credentials",
    ),
    path(
        "invoices/<int:pk>/upload_attachment.json",
        attachments.AttachmentUpload.as_view(),
        name="invoice_attachment_upload",
    ),
    path(
        "invoices/<int:pk>/add_attachment.json",
        attachments.AddAttachment.as_view(),
        name="invoice_add_attachment",
    ),
    path(
        "invoices/<int:pk>/attachments_zip.json",
        attachments.AttachmentsZip.as_view(),
        name="invoice_attachments_zip",
    ),
    path("clients.json", clients.ClientList.as_view(), name="clients"),
    path("clients/<int:pk>.json", clients.ClientDetail.as_view(), name="client"),
    path("clients/<int:pk>/merge.json", clients.ClientMerge.as_view(), name="client_merge"),
    path("products.json", products.ProductList.as_view(), name="products"),
    # One route for ids and codes: with find_by=code, "007" is a code, not the id 7.
    path("products/<str:pk>.json", products.ProductDetail.as_view(), name="product"),
    path("categories.json", categories.CategoryList.as_view(), name="categories"),
    path("categories/<int:pk>.json", categories.CategoryDetail.as_view(), name="category"),
    path("webhooks.json", webhooks.WebhookList.as_view(), name="webhooks"),
    path("webhooks/<int:pk>.json", webhooks.WebhookDetail.as_view(), name="webhook"),
    path("banking/payments.json", payments.PaymentList.as_view(), name="payments"),
    path("banking/payments/<int:pk>.json", payments.PaymentDetail.as_view(), name="payment"),
    path("banking/payment/<int:pk>.json", payments.PaymentDetail.as_view(), name="payment_singular"),
    path("account.json", account_api.AccountApi.as_view(), name="account"),
    path("account/add_user.json", account_api.AddUser.as_view(), name="account_add_user"),
    path("account/unlink.json", account_api.Unlink.as_view(), name="account_unlink"),
    path("account/delete.json", account_api.AccountDelete.as_view(), name="account_delete"),
    path("login.json", account_api.Login.as_view(), name="login"),
    # "api" is a reserved account slug (tenancy/slugs.py): this path cannot meet an account's pages.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(
            authentication_classes=[],
            permission_classes=[],
            throttle_classes=[],  # a static document: no counter to write for it
            content_negotiation_class=DefaultContentNegotiation,
        ),
        name="schema",
    ),
    # The same document as a page to read (Redoc, its scripts from our static files).
    path(
        "api/docs/",
        SpectacularRedocView.as_view(
            url_name="api:schema", authentication_classes=[], permission_classes=[], throttle_classes=[]
        ),
        name="docs",
    ),
    re_path(unserved.UNMANAGED_PATH, unserved.unmanaged),
    re_path(r"^[\w./-]*\.xml$", unserved.json_only),
    re_path(r"^[\w./-]*\.json$", unserved.not_found),
]
