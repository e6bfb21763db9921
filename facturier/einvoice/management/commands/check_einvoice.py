"""`manage.py check_einvoice FILE...`: validate e-invoices offline, as the French platforms would.

A Factur-X PDF (its embedded factur-x.xml) or a CII XML: the Factur-X XSD and schematron of the profile
it declares (BASIC, EN 16931, EXTENDED), then the French BR-FR rules. A UBL XML: the UBL 2.1 XSD and
the EN 16931 rules for UBL, and the BR-FR rules when it is made for a French platform (its ProfileID is
a French "cadre de facturation", not Peppol's). Prints every failed assert with its rule id and text, and exits with a
non-zero status when anything fails.

The file is read as the import reads it (einvoice/reading.invoice_xml): only the embedded invoice XML,
within the upload limits, so checking a received file costs no more than importing it.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.einvoice import reading, validation

PROFILE_NAMES = {"basic": "BASIC", "en16931": "EN 16931", "extended": "EXTENDED"}


class Command(BaseCommand):
    help = "Check Factur-X PDFs, CII or UBL XML files against the XSDs and the official schematrons."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="Factur-X PDF, CII or UBL XML")
        parser.add_argument(
            "--no-br-fr",
            action="store_true",
            help="skip the French platform rules (BR-FR), e.g. for an invoice outside French e-invoicing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = 0
        for name in options["files"]:
            failed += self._check(Path(name), with_br_fr=not options["no_br_fr"])
        if failed:
            raise CommandError(f"{failed} check(s) failed.")

    def _check(self, path: Path, *, with_br_fr: bool) -> int:
        self.stdout.write(f"{path}:")
        xml = self._xml(path)
        try:
            root = validation.parse(xml)
            flavor = validation.flavor_of(root)
        except validation.InvalidXml as error:
            raise CommandError(f"{path}: not an e-invoice XML ({error}).") from None
        if flavor == "cii":
            profile = validation.cii_profile_of(root)
            if profile is None:
                raise CommandError(
                    f"{path}: a CII of a profile this command does not check (BASIC, EN 16931 and EXTENDED only)."
                )
            checks = [(f"XSD Factur-X {PROFILE_NAMES[profile]}", validation.xsd_errors(xml, "cii", profile))]
            checks.append((f"Schematron Factur-X {PROFILE_NAMES[profile]}", self._rules(xml, profile)))
            if with_br_fr:
                checks.append(("Schematron BR-FR (French CTC)", self._rules(xml, "br-fr")))
        else:
            checks = [("XSD UBL 2.1", validation.xsd_errors(xml, "ubl"))]
            checks.append(("Schematron EN 16931 (UBL)", self._rules(xml, "ubl-en16931")))
            if with_br_fr and validation.ubl_is_french_ctc(root):
                checks.append(("Schematron BR-FR (French CTC, UBL)", self._rules(xml, "ubl-br-fr")))
        failed = 0
        for title, problems in checks:
            if problems:
                failed += 1
                self.stdout.write(f"  {title}: {len(problems)} failed")
                for problem in problems:
                    self.stdout.write(f"    {problem}")
            else:
                self.stdout.write(f"  {title}: OK")
        return failed

    def _rules(self, xml: bytes, name: str) -> list[str]:
        return validation.schematron_failures(xml, name)

    def _xml(self, path: Path) -> bytes:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            return reading.invoice_xml(content)
        except reading.ReadError as error:
            raise CommandError(f"{path}: {error.reason}") from None
