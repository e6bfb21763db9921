"""Importer des factures électroniques: the page that turns received e-invoices into expenses.

Several files at once; each one is imported on its own (importing.import_files) and gets its line in
the results: the expense created, or the reason it was refused (nothing is stored for that file).
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from facturier.einvoice import importing
from facturier.einvoice.import_forms import EinvoiceImportForm
from facturier.tenancy.access import AccountRequest, account_view, actor_for


@account_view("purchases.create")
def expense_import(request: AccountRequest) -> HttpResponse:
    account = request.account
    outcomes: list[importing.Outcome] = []
    if request.method == "POST":
        form = EinvoiceImportForm(request.POST, request.FILES, account=account)
        if form.is_valid():
            actor = actor_for(request)
            category = form.cleaned_data["category"]
            for upload in form.cleaned_data["einvoices"]:
                name = upload.name or _("fichier sans nom")
                refused = importing.refused_upload(name, upload)  # before it is read into memory
                if refused is not None:
                    outcomes.append(refused)
                    continue
                upload.seek(0)
                outcomes += importing.import_files(
                    actor,
                    account,
                    [(name, upload.read())],
                    category=category,
                    self_assessed_rate=form.cleaned_data["self_assessed_rate"],
                )
            form = EinvoiceImportForm(account=account)  # the next batch starts from an empty form
    else:
        form = EinvoiceImportForm(account=account)
    imported = sum(1 for outcome in outcomes if outcome.ok)
    context = {
        "account": account,
        "form": form,
        "outcomes": outcomes,
        "imported": imported,
        "refused": len(outcomes) - imported,
    }
    return render(request, "einvoice/import.html", context)
