"""The contract between what asks for an export (the Exports tab, the `export` command, the job worker,
the firm batch) and the writers that produce the files (fec.py, tables.py, documents.py).

An `ExportRequest` says what to export: an account, a period (inclusive), and the same filters as the
reports. A writer is a function `write(request, out, progress)` that streams the file into the binary
file object `out`, reading the database in chunks (`.iterator()`, server-side cursors on PostgreSQL) so
memory stays flat whatever the size, and calls `progress(done, total)` now and then. A writer that
cannot produce a correct file raises `ExportError` with a message for the user, before writing anything.
"""

import datetime
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import IO, Any, Literal

from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

# progress(done, total): how far a writer got, in the unit it counts (documents, entries, files).
Progress = Callable[[int, int], None]
Layout = Literal["document", "line"]
Scope = Literal["sales", "purchases", "all"]
# How many rows a reader fetches at a time (one round trip per chunk).
CHUNK_SIZE = 2000


def no_progress(done: int, total: int) -> None:
    """The progress callback of exports nobody watches (tests, small exports streamed at once)."""


class ExportError(ServiceError):
    """An export that cannot be produced as asked (empty period, missing SIREN, ...): the message says
    why and how to fix it; no file is offered."""


@dataclass(frozen=True)
class ExportRequest:
    account: Account
    start: datetime.date
    end: datetime.date
    kinds: tuple[str, ...] = ()  # sales document kinds (billing.models.Kind); empty: all invoice kinds
    statuses: tuple[str, ...] = ()  # billing.models.Status values; empty: every issued status
    countries: tuple[str, ...] = ()  # ISO codes of the client's country
    region: Literal["", "eu", "non-eu"] = ""
    not_exported: bool = False  # only documents not yet marked as exported
    layout: Layout = "document"  # invoice export: one row per document, or per line
    scope: Scope = "all"  # PDF ZIP / print, payments: the sales side, the purchases side, or both
    separator: Literal["|", "\t"] = "|"  # FEC field separator
    extra: dict[str, Any] = field(default_factory=dict)

    def to_params(self) -> dict[str, Any]:
        """The JSON-able parameters stored on an ExportJob (the account is the job's own)."""
        params = asdict(self)
        del params["account"]
        params["start"] = self.start.isoformat()
        params["end"] = self.end.isoformat()
        for key in ("kinds", "statuses", "countries"):
            params[key] = list(params[key])
        return params

    @classmethod
    def from_params(cls, account: Account, params: dict[str, Any]) -> "ExportRequest":
        values = dict(params)
        values["start"] = datetime.date.fromisoformat(values["start"])
        values["end"] = datetime.date.fromisoformat(values["end"])
        for key in ("kinds", "statuses", "countries"):
            values[key] = tuple(values.get(key, ()))
        return cls(account=account, **values)


# A writer writes the export into the file; the firm batch also returns its findings (one line per problem).
Writer = Callable[[ExportRequest, IO[bytes], Progress], "list[str] | None"]
