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


# --- Every rule set a file declares; warnings apart from errors -----------------------------------


@pytest.fixture
def exempt(seller, french_buyer):
    reason = "Exonération de TVA, art. 261-4-4° a du CGI"
    lines = [line("Formation", "1", "1500", "0", vat_category="E", exemption_reason=reason)]
    return make_invoice(seller, french_buyer, lines, buyer_reference="BC-5")


def checked(path, *options: str) -> tuple[list[str], str]:
    """The lines check_einvoice prints, and its refusal ("" when it exits 0)."""
    out = StringIO()
    try:
        call_command("check_einvoice", str(path), *options, stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines()[1:], str(error)
    return out.getvalue().splitlines()[1:], ""


def test_the_extended_profile_is_clean_and_its_warnings_would_not_fail_without_strict(exempt, tmp_path):
    target = tmp_path / "extended.xml"
    run("einvoice", "acme", exempt.number, "--format", "cii", "--profile", "extended", "-o", str(target))
    assert checked(target, "--strict") == (
        [
            "  XSD Factur-X EXTENDED: OK",
            "  Schematron Factur-X EXTENDED: OK",
            "  Schematron BR-FR (French CTC): OK",
        ],
        "",
    )
    # Without the exemption on its line, the EXTENDED rules warn (BR-FXEXT-E-08rev): printed, exit 0.
    root = etree.fromstring(target.read_bytes())
    for reason in root.xpath(
        "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReason", namespaces=NS
    ):
        reason.getparent().remove(reason)
    target.write_bytes(etree.tostring(root))
    lines, refusal = checked(target)
    assert refusal == ""
    assert "  Schematron Factur-X EXTENDED: OK, 1 warning(s)" in lines
    assert any(line.startswith("    BR-FXEXT-E-08rev [warning]: ") for line in lines)
    assert checked(target, "--strict")[1] == "1 check(s) with warnings (--strict)."


def test_a_peppol_ubl_says_the_peppol_rules_did_not_run_when_they_are_not_installed(
    exempt, tmp_path, settings
):
    settings.EINVOICE_PEPPOL_XSLT = ""
    target = tmp_path / "peppol.xml"
    run("einvoice", "acme", exempt.number, "--format", "ubl", "--variant", "peppol", "-o", str(target))
    lines, refusal = checked(target)
    assert lines == [
        "  XSD UBL 2.1: OK",
        "  Schematron EN 16931 (UBL): OK",
        "  Schematron Peppol BIS Billing 3.0: not run: the official Peppol rules are not installed "
        "(EINVOICE_PEPPOL_XSLT)",
    ]
    assert refusal == ""
    assert checked(target, "--strict")[1] == "1 check(s) with warnings (--strict)."


# A stand-in for the official PEPPOL-EN16931-UBL.xslt, in the same SVRL shape, to show the command runs
# the file an installation names and reads its flags: fatal is an error, warning is not.
STAND_IN = """<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <xsl:template match="/">
    <svrl:schematron-output>
      <xsl:if test="count(/*/cbc:Note) &gt; 1">
        <svrl:failed-assert id="PEPPOL-EN16931-R002" flag="fatal">
          <svrl:text>No more than one note is allowed on document level.</svrl:text></svrl:failed-assert>
      </xsl:if>
      <svrl:failed-assert id="TEST-W" flag="warning"><svrl:text>A warning.</svrl:text></svrl:failed-assert>
    </svrl:schematron-output>
  </xsl:template>
</xsl:stylesheet>"""


def test_the_peppol_rules_an_installation_names_are_run(exempt, tmp_path, settings):
    rules = tmp_path / "PEPPOL-EN16931-UBL.xslt"
    rules.write_text(STAND_IN)
    settings.EINVOICE_PEPPOL_XSLT = str(rules)
    target = tmp_path / "peppol.xml"
    run("einvoice", "acme", exempt.number, "--format", "ubl", "--variant", "peppol", "-o", str(target))
    lines, refusal = checked(target)
    assert lines[-2:] == [
        "  Schematron Peppol BIS Billing 3.0: OK, 1 warning(s)",
        "    TEST-W [warning]: A warning.",
    ]
    assert refusal == ""
    # A French CTC file declares no Peppol: the Peppol rules do not run on it; three notes would break R002.
    french = tmp_path / "fr.xml"
    run("einvoice", "acme", exempt.number, "--format", "ubl", "--variant", "fr-ctc", "-o", str(french))
    assert not any("Peppol" in line for line in checked(french)[0])
    root = etree.fromstring(french.read_bytes())
    root.xpath("*[local-name()='CustomizationID']")[
        0
    ].text = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    french.write_bytes(etree.tostring(root))
    lines, refusal = checked(french)
    assert "  Schematron Peppol BIS Billing 3.0: 1 failed" in lines
    assert "    PEPPOL-EN16931-R002 [fatal]: No more than one note is allowed on document level." in lines
    assert refusal == "1 check(s) failed."


def test_einvoice_refuses_a_peppol_ubl_without_what_peppol_requires(invoice, tmp_path):
    with pytest.raises(CommandError, match="Peppol exige la référence de l'acheteur"):
        call_command(
            "einvoice",
            "acme",
            invoice.number,
            "--format",
            "ubl",
            "--variant",
            "peppol",
            "-o",
            str(tmp_path / "u.xml"),
        )
    assert not (tmp_path / "u.xml").exists()
