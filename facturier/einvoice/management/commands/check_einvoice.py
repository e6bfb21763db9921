"""`manage.py check_einvoice FILE... [--strict] [--no-br-fr]`: validate e-invoices offline, running on each
file every rule set it declares.

A Factur-X PDF (its embedded factur-x.xml) or a CII XML: the Factur-X XSD and schematron of the profile it
declares (BASIC, EN 16931, EXTENDED), then the French BR-FR rules. A UBL XML: the UBL 2.1 XSD and the
EN 16931 rules for UBL; the BR-FR rules when it declares the French profile (a French "cadre de
facturation" in ProfileID); the Peppol BIS 3.0 rules when its CustomizationID is Peppol's (when they are
installed: validation.peppol_rules; otherwise the file is reported as not checked against them, a
warning).

Every failed assert is printed with its rule id, flag and text. Errors (XSD errors, fatal or unflagged
asserts) make the exit status 1; warnings are printed and leave it 0, unless --strict.

The file is read as the import reads it (einvoice/reading.invoice_xml): only the embedded invoice XML,
within the upload limits, so checking a received file costs no more than importing it.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.einvoice import reading, validation

PROFILE_NAMES = {"basic": "BASIC", "en16931": "EN 16931", "extended": "EXTENDED"}


@dataclass
class Check:
    title: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    note: str = ""  # why it did not run


class Command(BaseCommand):
    help = (
        "Check Factur-X PDFs, CII or UBL XML files against the XSDs and every official rule set they "
        "declare. Exit status 1 on errors; warnings only with --strict."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help="Factur-X PDF, CII or UBL XML")
        parser.add_argument(
            "--no-br-fr",
            action="store_true",
            help="skip the French platform rules (BR-FR), e.g. for an invoice outside French e-invoicing",
        )
        parser.add_argument(
            "--strict", action="store_true", help="fail on warnings too (and on rules that could not run)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        errors = warnings = 0
        for name in options["files"]:
            checks = self._checks(Path(name), with_br_fr=not options["no_br_fr"])
            errors += sum(1 for check in checks if check.errors)
            warnings += sum(1 for check in checks if check.warnings or check.note)
        if errors:
            raise CommandError(f"{errors} check(s) failed.")
        if warnings and options["strict"]:
            raise CommandError(f"{warnings} check(s) with warnings (--strict).")

    def _checks(self, path: Path, *, with_br_fr: bool) -> list[Check]:
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
            checks = [
                Check(f"XSD Factur-X {PROFILE_NAMES[profile]}", validation.xsd_errors(xml, "cii", profile))
            ]
            checks.append(self._rules(xml, f"Schematron Factur-X {PROFILE_NAMES[profile]}", profile))
            if with_br_fr:
                checks.append(self._rules(xml, "Schematron BR-FR (French CTC)", "br-fr"))
        else:
            checks = [Check("XSD UBL 2.1", validation.xsd_errors(xml, "ubl"))]
            checks.append(self._rules(xml, "Schematron EN 16931 (UBL)", "ubl-en16931"))
            if with_br_fr and validation.ubl_is_french_ctc(root):
                checks.append(self._rules(xml, "Schematron BR-FR (French CTC, UBL)", "ubl-br-fr"))
            if validation.ubl_declares_peppol(root):
                title = "Schematron Peppol BIS Billing 3.0"
                if validation.peppol_rules() is None:
                    note = "not run: the official Peppol rules are not installed (EINVOICE_PEPPOL_XSLT)"
                    checks.append(Check(title, note=note))
                else:
                    checks.append(self._rules(xml, title, validation.PEPPOL))
        for check in checks:
            self._print(check)
        return checks

    def _print(self, check: Check) -> None:
        if check.note:
            self.stdout.write(f"  {check.title}: {check.note}")
            return
        if check.errors:
            self.stdout.write(f"  {check.title}: {len(check.errors)} failed")
        elif check.warnings:
            self.stdout.write(f"  {check.title}: OK, {len(check.warnings)} warning(s)")
        else:
            self.stdout.write(f"  {check.title}: OK")
        for problem in [*check.errors, *check.warnings]:
            self.stdout.write(f"    {problem}")

    def _rules(self, xml: bytes, title: str, name: str) -> Check:
        failures = validation.schematron_report(xml, name)
        return Check(
            title,
            errors=[str(failure) for failure in failures if failure.is_error],
            warnings=[str(failure) for failure in failures if not failure.is_error],
        )

    def _xml(self, path: Path) -> bytes:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            return reading.invoice_xml(content)
        except reading.ReadError as error:
            raise CommandError(f"{path}: {error.reason}") from None
