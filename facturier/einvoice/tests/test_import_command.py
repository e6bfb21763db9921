"""`manage.py import_einvoice SLUG FILE... [--user EMAIL]`: one line per file, non-zero exit on refusal."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from facturier.einvoice.tests.test_reading import facturx_pdf, fixture
from facturier.purchases.models import Expense
from facturier.tenancy.models import AuditEvent


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_einvoice", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "PM-2026-0042.pdf").write_bytes(facturx_pdf(fixture("cii_invoice.xml")))
    (tmp_path / "ubl_invoice.xml").write_bytes(fixture("ubl_invoice.xml"))
    (tmp_path / "note.txt").write_bytes(b"pas une facture")
    return tmp_path


def test_it_imports_each_file_and_prints_a_line_for_it(acme, owner, files):
    out, err = run(
        "acme", str(files / "PM-2026-0042.pdf"), str(files / "ubl_invoice.xml"), "--user", owner.email
    )

    first, second = Expense.objects.filter(account=acme).order_by("pk")
    assert out.splitlines() == [
        f"{files / 'PM-2026-0042.pdf'} : dépense {first.pk} créée (Papeterie Martin SARL PM-2026-0042, 49.19 EUR TTC).",
        f"{files / 'ubl_invoice.xml'} : dépense {second.pk} créée (Müller Bürobedarf GmbH MB-7781, 300.00 EUR TTC).",
    ]
    assert err == ""
    assert first.created_by == owner
    assert AuditEvent.objects.filter(action="expense.imported", actor=owner).count() == 2


def test_it_fails_when_any_file_is_refused_and_still_imports_the_others(acme, files):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 fichier\\(s\\) sur 3 refusé\\(s\\)"):
        call_command(
            "import_einvoice",
            "acme",
            str(files / "note.txt"),
            str(files / "ubl_invoice.xml"),
            str(files / "absent.xml"),
            stdout=out,
            stderr=err,
        )

    assert Expense.objects.filter(account=acme).count() == 1
    assert "note.txt : refusé. Ce fichier n'est pas une facture électronique" in err.getvalue()
    assert "absent.xml : refusé. Fichier illisible" in err.getvalue()


def test_it_refuses_an_unknown_account_or_a_user_who_is_not_a_member(acme, outsider, files):
    with pytest.raises(CommandError, match="Compte inconnu : nope"):
        run("nope", str(files / "ubl_invoice.xml"))
    with pytest.raises(CommandError, match="n'est pas membre du compte acme"):
        run("acme", str(files / "ubl_invoice.xml"), "--user", outsider.email)
    assert not Expense.objects.exists()


def test_it_self_assesses_at_the_rate_it_is_given(acme, files):
    run("acme", str(files / "ubl_invoice.xml"), "--self-assessed-rate", "5.5")

    assert Expense.objects.get(account=acme).self_assessed_vat_total == Decimal("16.50")
    with pytest.raises(CommandError):
        run("acme", str(files / "ubl_invoice.xml"), "--self-assessed-rate", "0")
