"""Keeping each account's DocumentTally in step with its documents.

Every save and delete of a Document moves its tally entry (Document.tally_entry: its (kind, status) row
and its amounts) from what it counted for when read to what it counts for now, inside the same
transaction, so the tally can never disagree with the documents a committed transaction left. The
signals catch every path that saves or deletes a document one by one; the services write documents no
other way (a queryset `update()` on a tallied column, or `bulk_create`, would bypass them: the benchmark
dataset, which bulk-creates, calls `rebuild` when it is done).

A service that saves the same document several times (a draft created then issued in one call, a payment
settling several invoices) wraps its work in `deferred()`: the moves add up in memory and are written in
one statement when it ends, the draft's +1 and -1 cancelling out.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save, pre_save

from facturier.billing.models import TALLY_FIELDS, Document, DocumentTally, TallyEntry
from facturier.tenancy.models import Account

_Totals = list[int]
_local = threading.local()


@contextmanager
def deferred() -> Iterator[None]:
    """Tally moves made inside are written once when the block ends without error (an error rolls the
    caller's transaction back, and the moves with it). Nested blocks join the outermost one."""
    if getattr(_local, "pending", None) is not None:
        yield
        return
    pending: dict[tuple[int, str, str], _Totals] = defaultdict(lambda: [0, 0, 0, 0])
    _local.pending = pending
    try:
        yield
    finally:
        _local.pending = None
    _write(pending)


def _move(before: TallyEntry | None, after: TallyEntry | None) -> None:
    if before == after:
        return
    pending = getattr(_local, "pending", None)
    moves: dict[tuple[int, str, str], _Totals] = (
        pending if pending is not None else defaultdict(lambda: [0, 0, 0, 0])
    )
    for entry, sign in ((before, -1), (after, 1)):
        if entry is not None:
            totals = moves[entry.key]
            for index, value in enumerate(entry.values):
                totals[index] += sign * value
    if pending is None:
        _write(moves)


def _write(moves: dict[tuple[int, str, str], _Totals]) -> None:
    """Adds `moves` to the tally rows, in one statement: an upsert adding to the stored counts, which
    the ORM cannot express (update_or_create reads then writes, and two transactions moving the same
    row must both count). Runs as written on PostgreSQL and SQLite."""
    rows = [(key, totals) for key, totals in moves.items() if any(totals)]
    if not rows:
        return
    table = connection.ops.quote_name(DocumentTally._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (account_id, kind, status), totals in rows:
        params.extend((account_id, kind, status, *totals))
    added = ", ".join(
        f"{column} = {table}.{column} + excluded.{column}"
        for column in ("documents", "net_cents", "gross_cents", "remaining_cents")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, kind, status, documents, net_cents, gross_cents, remaining_cents) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (account_id, kind, status) DO UPDATE SET {added}",
            params,
        )


def _before_save(sender: type[Document], instance: Document, raw: bool = False, **kwargs: Any) -> None:
    # A stored document read without the tally's columns (`only()`): its entry is read before it changes.
    if raw or instance._state.adding or hasattr(instance, "_tallied"):
        return
    stored = Document.objects.filter(pk=instance.pk).only(*TALLY_FIELDS).first()
    instance._tallied = stored.tally_entry() if stored is not None else None


def _saved(
    sender: type[Document], instance: Document, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    before = None if created else instance.__dict__.get("_tallied")
    after = instance.tally_entry()
    instance._tallied = after
    _move(before, after)


def _deleted(sender: type[Document], instance: Document, origin: Any = None, **kwargs: Any) -> None:
    # An account deleted with its documents takes its tally rows with it.
    if isinstance(origin, Account) or (hasattr(origin, "model") and origin.model is Account):
        return
    _move(instance.__dict__.get("_tallied", instance.tally_entry()), None)


def connect() -> None:
    """Called once, by the billing app's ready()."""
    pre_save.connect(_before_save, sender=Document, dispatch_uid="billing.tallies.before_save")
    post_save.connect(_saved, sender=Document, dispatch_uid="billing.tallies.saved")
    post_delete.connect(_deleted, sender=Document, dispatch_uid="billing.tallies.deleted")


def entries(documents: Iterable[Document]) -> dict[tuple[int, str, str], _Totals]:
    """The tally rows `documents` make, computed from them (what the stored rows must hold)."""
    totals: dict[tuple[int, str, str], _Totals] = defaultdict(lambda: [0, 0, 0, 0])
    for document in documents:
        entry = document.tally_entry()
        if entry is None:
            continue
        row = totals[entry.key]
        for index, value in enumerate(entry.values):
            row[index] += value
    return {key: row for key, row in totals.items() if any(row)}


def stored(accounts: Iterable[int]) -> dict[tuple[int, str, str], _Totals]:
    """The stored tally rows of `accounts` that count something."""
    rows = DocumentTally.objects.filter(account_id__in=list(accounts))
    return {
        (row.account_id, row.kind, row.status): [
            row.documents,
            row.net_cents,
            row.gross_cents,
            row.remaining_cents,
        ]
        for row in rows
        if any((row.documents, row.net_cents, row.gross_cents, row.remaining_cents))
    }


def rebuild(account_ids: Iterable[int] | None = None) -> int:
    """Counts the documents of `account_ids` (every account when None) again and replaces their tally
    rows; returns the number of rows written. Reads the documents in Python rather than summing in SQL
    so that each is rounded by Document.tally_entry, as the signals round it."""
    documents = Document.objects.only(*TALLY_FIELDS).order_by()
    tallies = DocumentTally.objects.all()
    if account_ids is not None:
        ids = list(account_ids)
        documents, tallies = documents.filter(account_id__in=ids), tallies.filter(account_id__in=ids)
    rows = entries(documents.iterator(chunk_size=5000))
    tallies.delete()
    DocumentTally.objects.bulk_create(
        [
            DocumentTally(
                account_id=account_id,
                kind=kind,
                status=status,
                documents=count,
                net_cents=net,
                gross_cents=gross,
                remaining_cents=remaining,
            )
            for (account_id, kind, status), (count, net, gross, remaining) in rows.items()
        ],
        batch_size=1000,
    )
    return len(rows)
