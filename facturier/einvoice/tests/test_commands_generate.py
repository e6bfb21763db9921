"""`manage.py einvoice` writes a document's e-invoice; `manage.py check_einvoice` validates files."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from facturier.billing.models import Kind
from facturier.billing.pdf import render_document_pdf
from facturier.billing.tests.factories import line, make_invoice
from facturier.einvoice.cii import NS
from facturier.einvoice.facturx import xml_from_pdf
from facturier.einvoice.ubl import FRENCH_CTC, ubl_xml


@pytest.fixture
def invoice(seller, french_buyer):
    return make_invoice(
        seller, french_buyer, [line("Conseil", "2", "450", "20"), line("Livre", "1", "30", "5.5")]
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_each_format_and_the_check_passes(invoice, tmp_path):
    for fmt, name in (("facturx", "f.pdf"), ("cii", "f.xml"), ("ubl", "u.xml")):
        target = tmp_path / name
        run("einvoice", "acme", invoice.number, "--format", fmt, "-o", str(target))
        assert target.exists()
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF-")
    assert xml_from_pdf((tmp_path / "f.pdf").read_bytes()) == (tmp_path / "f.xml").read_bytes()
    output = run("check_einvoice", str(tmp_path / "f.pdf"), str(tmp_path / "u.xml"))
    assert output.splitlines() == [
        f"{tmp_path / 'f.pdf'}:",
        "  XSD Factur-X EN 16931: OK",
        "  Schematron Factur-X EN 16931: OK",
        "  Schematron BR-FR (French CTC): OK",
        f"{tmp_path / 'u.xml'}:",
        "  XSD UBL 2.1: OK",
        "  Schematron EN 16931 (UBL): OK",
        "  Schematron BR-FR (French CTC, UBL): OK",
    ]


def test_a_french_platform_ubl_is_also_checked_against_br_fr(invoice, tmp_path):
    target = tmp_path / "fr.xml"
    run("einvoice", "acme", invoice.number, "--format", "ubl", "--french-ctc", "-o", str(target))
    assert target.read_bytes() == ubl_xml(invoice, FRENCH_CTC)
    assert run("check_einvoice", str(target)).splitlines()[1:] == [
        "  XSD UBL 2.1: OK",
        "  Schematron EN 16931 (UBL): OK",
        "  Schematron BR-FR (French CTC, UBL): OK",
    ]


def test_another_profile(invoice, tmp_path):
    target = tmp_path / "basic.xml"
    run("einvoice", "acme", invoice.number, "--format", "cii", "--profile", "basic", "-o", str(target))
    assert "XSD Factur-X BASIC: OK" in run("check_einvoice", str(target))


def test_the_check_prints_each_failed_assert_and_fails(invoice, tmp_path):
    target = tmp_path / "broken.xml"
    run("einvoice", "acme", invoice.number, "--format", "cii", "-o", str(target))
    root = etree.fromstring(target.read_bytes())
    root.xpath("//ram:GrandTotalAmount", namespaces=NS)[0].text = "1.00"
    target.write_bytes(etree.tostring(root))
    out = StringIO()
    with pytest.raises(CommandError, match="1 check"):
        call_command("check_einvoice", str(target), stdout=out)
    lines = out.getvalue().splitlines()
    assert "  Schematron Factur-X EN 16931: 2 failed" in lines
    assert any(line.startswith("    BR-CO-15: [BR-CO-15]-Invoice total amount with VAT") for line in lines)
    assert any(line.startswith("    BR-CO-16: ") for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "F-2026-0001"], "No account with slug 'nope'"),
        (["acme", "F-1999-0001"], "No issued document numbered 'F-1999-0001'"),
    ],
)
def test_einvoice_refuses_bad_input_clearly(invoice, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("einvoice", *args, "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_einvoice_refuses_a_quote_and_a_missing_directory(seller, french_buyer, invoice, tmp_path):
    quote = make_invoice(seller, french_buyer, [line()], kind=Kind.ESTIMATE)
    with pytest.raises(CommandError, match="only issued invoices and credit notes"):
        call_command("einvoice", "acme", quote.number, "-o", str(tmp_path / "q.pdf"))
    with pytest.raises(CommandError, match="No such directory"):
        call_command("einvoice", "acme", invoice.number, "-o", str(tmp_path / "missing" / "f.pdf"))
    assert not (tmp_path / "q.pdf").exists() and not (tmp_path / "missing").exists()


def test_check_einvoice_refuses_what_is_no_e_invoice(invoice, tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(render_document_pdf(invoice))
    with pytest.raises(CommandError, match=r"ne contient pas de fichier factur-x\.xml"):
        call_command("check_einvoice", str(plain), stdout=StringIO())
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(CommandError, match="not an e-invoice XML"):
        call_command("check_einvoice", str(text), stdout=StringIO())
    other = tmp_path / "other.xml"
    other.write_text("<order/>")
    with pytest.raises(CommandError, match="not an e-invoice XML"):
        call_command("check_einvoice", str(other), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("check_einvoice", str(tmp_path / "absent.xml"), stdout=StringIO())
