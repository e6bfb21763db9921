"""The tamper-evidence chain of an account's issued documents (regulatory.md §6).

Each issued document gets `chain_index` (1, 2, 3... per account, in issuing order) and
`chain_hash = sha256(previous hash + canonical JSON of its legal content)`. The JSON is built from the
stored rows with sort_keys, ASCII and compact separators, Decimals as text at their stored precision, so
recomputing it later from the database gives the same bytes. Changing any hashed value of a stored
document, or removing or reordering a document, breaks the chain from that point: `verify` finds it.

The head of the chain (its length and last hash) lives on BillingSettings, updated in the issuing
transaction under the settings row lock, so a deleted last document is detected too.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from facturier.billing.models import BillingSettings, Document, DocumentLine, DocumentVatLine
from facturier.tenancy.models import Account

_DOCUMENT_FIELDS = [
    "number", "kind", "issue_date", "sell_date", "due_date", "valid_until", "currency", "exchange_rate",
    "prices_are_gross", "reverse_charge", "oss", "buyer_name", "buyer_is_company", "buyer_siren",
    "buyer_vat_number", "buyer_street", "buyer_post_code", "buyer_city", "buyer_country",
    "delivery_street", "delivery_post_code", "delivery_city", "delivery_country", "correction_reason",
    "net_total", "vat_total", "gross_total", "net_total_eur", "vat_total_eur", "gross_total_eur",
    "advances_deducted", "supply_category",
]  # fmt: skip
_LINE_FIELDS = [
    "position", "name", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_rate",
    "vat_category", "vat_country", "exemption_reason", "supply_kind", "net_amount", "gross_amount",
]  # fmt: skip
_VAT_FIELDS = [
    "vat_rate", "vat_category", "vat_country", "supply_kind", "exemption_reason", "base", "vat_amount",
    "base_eur", "vat_amount_eur",
]  # fmt: skip

# The rows verify() reads, in chunks: the lines and VAT rows come with each chunk (two queries).
_CHUNK = 500


def _value(instance: models.Model, name: str) -> Any:
    value = getattr(instance, name)
    if isinstance(value, Decimal):
        # At the field's stored precision: 100 in memory and 100.0000 read back hash the same.
        places = instance._meta.get_field(name).decimal_places  # type: ignore[union-attr]
        return str(value.quantize(Decimal(1).scaleb(-places)))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical_content(
    document: Document,
    lines: list[DocumentLine],
    vat_lines: list[DocumentVatLine],
    corrected_number: str,
) -> str:
    """The legal content of an issued document as canonical JSON (the bytes that get hashed)."""
    content = {
        **{name: _value(document, name) for name in _DOCUMENT_FIELDS},
        "chain_index": document.chain_index,
        "seller": document.seller,
        "corrected_document": corrected_number,
        "lines": [{name: _value(line, name) for name in _LINE_FIELDS} for line in lines],
        # VAT rows have no order of their own: sort them by content so the JSON does not depend on ids.
        "vat": sorted(
            ({name: _value(row, name) for name in _VAT_FIELDS} for row in vat_lines),
            key=lambda row: json.dumps(row, sort_keys=True),
        ),
    }
    if document.pdf_sha256:
        # The PDF made at issue. Documents issued before PDFs were kept have none in their chained content,
        # which therefore hashes as it did when they were issued.
        content["pdf_sha256"] = document.pdf_sha256
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def document_hash(document: Document, previous_hash: str) -> str:
    """sha256(previous hash + canonical content), read from the stored lines and VAT rows."""
    lines = _prefetched(document, "lines")
    if lines is None:
        lines = list(document.lines.order_by("position", "id"))
    vat_lines = _prefetched(document, "vat_lines")
    if vat_lines is None:
        vat_lines = list(document.vat_lines.all())
    corrected = document.corrected_document.number if document.corrected_document_id else ""  # type: ignore[union-attr]
    payload = previous_hash + canonical_content(document, lines, vat_lines, corrected)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _prefetched(document: Document, relation: str) -> list[Any] | None:
    cache = getattr(document, "_prefetched_objects_cache", {})
    return list(cache[relation]) if relation in cache else None


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the stored chain and its recomputation disagree."""

    number: str
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.number or '-'} (index {self.index}): {self.reason}"


def chained_documents(account: Account) -> "models.QuerySet[Document]":
    return (
        Document.objects.filter(account=account, chain_index__isnull=False)
        .select_related("corrected_document")
        .prefetch_related(
            Prefetch("lines", queryset=DocumentLine.objects.order_by("position", "id")), "vat_lines"
        )
        .order_by("chain_index")
    )


def verify(account: Account) -> ChainBreak | None:
    """Walk the account's issued documents in chain order and recompute every hash.

    Returns the first broken link (a changed document, a missing or extra index, a head that does not
    match the last document), or None when the whole chain holds.
    """
    previous_hash = ""
    expected_index = 0
    last: Document | None = None
    for document in chained_documents(account).iterator(chunk_size=_CHUNK):
        expected_index += 1
        assert document.chain_index is not None  # filtered above
        if document.chain_index != expected_index:
            return ChainBreak(
                document.number,
                document.chain_index,
                _("index %(expected)d attendu : un document manque avant celui-ci")
                % {"expected": expected_index},
            )
        recomputed = document_hash(document, previous_hash)
        if recomputed != document.chain_hash:
            return ChainBreak(
                document.number,
                document.chain_index,
                _(
                    "empreinte différente : enregistrée %(stored)s, recalculée %(recomputed)s "
                    "(son contenu ou le maillon précédent a été modifié)"
                )
                % {"stored": document.chain_hash or "-", "recomputed": recomputed},
            )
        previous_hash, last = recomputed, document
    return _check_head(account, expected_index, previous_hash, last)


def _check_head(account: Account, length: int, last_hash: str, last: Document | None) -> ChainBreak | None:
    head = BillingSettings.objects.filter(account=account).values("chain_length", "chain_last_hash").first()
    head_length, head_hash = (head["chain_length"], head["chain_last_hash"]) if head else (0, "")
    if head_length != length or head_hash != last_hash:
        return ChainBreak(
            last.number if last else "",
            length,
            _(
                "la tête de chaîne indique %(head_length)d documents finissant par %(head_hash)s, "
                "trouvé %(length)d finissant par %(last_hash)s : des documents ont été supprimés ou ajoutés"
            )
            % {
                "head_length": head_length,
                "head_hash": head_hash or "-",
                "length": length,
                "last_hash": last_hash or "-",
            },
        )
    return None


def chain_length(account: Account) -> int:
    return Document.objects.filter(account=account, chain_index__isnull=False).count()
