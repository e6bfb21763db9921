"""`manage.py export_account_data`: every row and file of one account, nothing of another, no secrets."""

import io
import json
import zipfile

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from facturier.api.tests.conftest import token_of
from facturier.billing.models import Client, IssuedFile
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.purchases.tests.conftest import PDF, make_expense, upload
from facturier.tenancy.models import Account, ApiToken
from facturier.webhooks.models import Kind as WebhookKind
from facturier.webhooks.models import Webhook


@pytest.fixture
def books(acme, owner, outsider):
    invoice = make_invoice(acme, make_client(acme), lines=[line("Conseil", "1", "100", "20")])
    supplier = Client.objects.create(
        account=acme, kind=Client.Kind.SUPPLIER, name="Bureau Vallée", country="FR"
    )
    expense = make_expense(acme, owner, supplier, files=[upload("recu.pdf", PDF)])
    token_of(owner, acme)
    hook = Webhook.objects.create(
        account=acme, kind=WebhookKind.INVOICE_CREATE, url="https://hooks.example/x"
    )
    globex = Account.objects.get(slug="globex")
    other = make_invoice(
        globex, make_client(globex, name="Client de Globex"), lines=[line("Autre", "1", "5", "20")]
    )
    return invoice, expense, hook, other


def export(tmp_path, slug="acme"):
    output = tmp_path / "export.zip"
    out = io.StringIO()
    call_command("export_account_data", slug, str(output), stdout=out)
    return zipfile.ZipFile(output), out.getvalue()


def rows(archive, label):
    return list(serializers.deserialize("json", archive.read(f"data/{label}.json")))


def test_the_export_holds_every_row_and_file_of_the_account(tmp_path, acme, books):
    invoice, expense, _hook, _other = books

    archive, said = export(tmp_path)

    names = archive.namelist()
    assert {
        "account.json",
        "members.json",
        "data/billing.Document.json",
        "data/purchases.Attachment.json",
    } <= set(names)
    assert [row.object.number for row in rows(archive, "billing.Document")] == [invoice.number]
    assert [row.object.pk for row in rows(archive, "purchases.Expense")] == [expense.pk]
    assert len(rows(archive, "billing.DocumentLine")) == 1
    members = json.loads(archive.read("members.json"))
    assert members == [
        {
            "email": "olivia@acme.test",
            "first_name": "Olivia",
            "last_name": "Martin",
            "role": "Administrateur",
            "owner": True,
        }
    ]
    kept = IssuedFile.objects.get(document=invoice)
    assert archive.read(f"files/{kept.file.name}") == kept.file.open("rb").read()
    attachment = expense.attachments.get()
    assert archive.read(f"files/{attachment.file.name}") == PDF
    assert "missing-files.txt" not in names
    assert said.startswith(f"{tmp_path / 'export.zip'}: ") and "2 fichiers" in said


def test_the_export_holds_nothing_of_another_account_and_no_secret(tmp_path, acme, books):
    _invoice, _expense, hook, other = books
    token = ApiToken.objects.get(account=acme)

    archive, _said = export(tmp_path)

    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Client de Globex" not in everything and b"globex" not in everything
    assert other.pk not in [row.object.pk for row in rows(archive, "billing.Document")]
    assert token.secret_hash.encode() not in everything and hook.secret.encode() not in everything
    (exported_hook,) = rows(archive, "webhooks.Webhook")
    assert (
        exported_hook.object.url == "https://hooks.example/x" and exported_hook.object.secret != hook.secret
    )


def test_a_file_lost_from_storage_is_listed_not_fatal(tmp_path, acme, books):
    _invoice, expense, _hook, _other = books
    attachment = expense.attachments.get()
    attachment.file.storage.delete(attachment.file.name)

    archive, said = export(tmp_path)

    assert archive.read("missing-files.txt").decode() == f"{attachment.file.name}\n"
    assert "1 fichiers introuvables" in said


def test_bad_arguments_get_a_french_message_and_write_nothing(tmp_path, acme):
    with pytest.raises(CommandError, match="Aucun compte « nope »"):
        call_command("export_account_data", "nope", str(tmp_path / "a.zip"))
    existing = tmp_path / "b.zip"
    existing.write_bytes(b"keep")
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("export_account_data", "acme", str(existing))
    assert existing.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip"]
