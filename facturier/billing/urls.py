"""Pages of the invoicing product under /<slug>/."""

from django.urls import path

from facturier.billing.views import clients, documents, payments, products, sending, settings

app_name = "billing"
urlpatterns = [
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_new, name="client_new"),
    path("clients/quick/", clients.client_quick, name="client_quick"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<int:pk>/archive/", clients.client_archive, name="client_archive"),
    path("clients/<int:pk>/delete/", clients.client_delete, name="client_delete"),
    path("products/", products.product_list, name="product_list"),
    path("products/new/", products.product_new, name="product_new"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("products/<int:pk>/archive/", products.product_archive, name="product_archive"),
    path("products/<int:pk>/delete/", products.product_delete, name="product_delete"),
    path("settings/billing/", settings.billing_settings, name="billing_settings"),
    path("documents/", documents.document_list, name="document_list"),
    path("documents/new/", documents.document_new, name="document_new"),
    path("documents/clients/", documents.document_clients, name="document_clients"),
    path("documents/totals/", documents.document_totals, name="document_totals"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/edit/", documents.document_edit, name="document_edit"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document_delete"),
    path("documents/<int:pk>/issue/", documents.document_issue, name="document_issue"),
    path("documents/<int:pk>/status/", documents.document_status, name="document_status"),
    path("documents/<int:pk>/convert/", documents.document_convert, name="document_convert"),
    path("documents/<int:pk>/credit-note/", documents.document_credit_note, name="document_credit_note"),
    path("documents/<int:pk>/duplicate/", documents.document_duplicate, name="document_duplicate"),
    path("documents/<int:pk>/pdf/", sending.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/print/", sending.document_print, name="document_print"),
    path("documents/<int:pk>/statement/", sending.document_statement, name="document_statement"),
    path("documents/<int:pk>/send/", sending.document_send, name="document_send"),
    path("documents/deliveries/<int:pk>/resend/", sending.delivery_resend, name="delivery_resend"),
    path("payments/", payments.payment_list, name="payment_list"),
    path("payments/new/", payments.payment_new, name="payment_new"),
    path("payments/<int:pk>/", payments.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/delete/", payments.payment_delete, name="payment_delete"),
    path("payments/<int:pk>/receipt/", payments.payment_receipt, name="payment_receipt"),
]
