"""Pages of expenses (purchase invoices) under /<slug>/."""

from django.urls import path

from facturier.purchases import views

app_name = "purchases"
urlpatterns = [
    path("expenses/", views.expense_list, name="expense_list"),
    path("expenses/new/", views.expense_new, name="expense_new"),
    path("expenses/<int:pk>/", views.expense_detail, name="expense_detail"),
    path("expenses/<int:pk>/edit/", views.expense_edit, name="expense_edit"),
    path("expenses/<int:pk>/delete/", views.expense_delete, name="expense_delete"),
    path("expenses/<int:pk>/attachments/new/", views.attachment_new, name="attachment_new"),
    path("expenses/attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("expenses/attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("expenses/<int:pk>/payments/new/", views.expense_payment_new, name="expense_payment_new"),
    path("expenses/payments/<int:pk>/delete/", views.expense_payment_delete, name="expense_payment_delete"),
]
