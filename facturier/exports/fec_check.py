"""The FEC checker: every rule of reference/regulatory.md §1.3 that can be read from a file.

It runs on each FEC before the export offers it, and on any file with `manage.py check_fec FILE`.
The file is read as a stream, one line at a time (a year of a large account is a million lines), and
only the current entry, the sequences and the totals are kept. Rules:

- NOM: the file name is `<SIREN>FEC<AAAAMMJJ>.txt` (or .csv), the SIREN passing its Luhn key and the
  date (the closing date of the fiscal year) a real date (A47 A-1, IX);
- L1: the header holds the 18 column names in order, every line has them all, and the mandatory fields
  (1-6, 9-11, 16) are filled in; L4: no field separator inside a field (a line with too many fields);
- L2: Debit and Credit are numbers with a decimal comma and no thousands separator, zero written 0,00,
  and exactly one of the two is not zero; L3: EcritureLet ⇔ DateLet, Montantdevise ⇔ Idevise,
  CompAuxNum ⇔ CompAuxLib; L5: dates are real calendar dates in AAAAMMJJ; L6: Idevise is an ISO 4217
  currency code (column 18); L7: a line on a customer or supplier account (411, 401) names its auxiliary
  account (CompAuxNum), without which the customer or supplier ledger cannot be rebuilt from the file;
- F1: entries in chronological order of EcritureDate, all of one fiscal year; F4: EcritureNum is one
  continuous sequence, without gaps or inversions (or one per journal, which the BOFiP tolerates);
- E1: each entry (JournalCode, EcritureNum) balances, and so does the file; E2: one EcritureDate per
  entry, within the fiscal year of the file name, and ValidDate on or after EcritureDate.

Not checkable on a file: F2 (which closing entries belong) and F3 (opening entries: Facturier writes
none, the general ledger holds them).
"""

import codecs
import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO

from babel.numbers import list_currencies
from django.utils.translation import gettext as _
from stdnum.fr import siren as stdnum_siren

from facturier.exports.fec import COLUMNS

# 0-based positions of the columns.
(JOURNAL_CODE, JOURNAL_LIB, ECRITURE_NUM, ECRITURE_DATE, COMPTE_NUM, COMPTE_LIB, COMP_AUX_NUM, COMP_AUX_LIB,
 PIECE_REF, PIECE_DATE, ECRITURE_LIB, DEBIT, CREDIT, ECRITURE_LET, DATE_LET, VALID_DATE, MONTANT_DEVISE,
 IDEVISE) = range(18)  # fmt: skip
# Mandatory fields that must not be blank (Debit and Credit are checked as numbers, rule L2).
MANDATORY = (
    JOURNAL_CODE, JOURNAL_LIB, ECRITURE_NUM, ECRITURE_DATE, COMPTE_NUM, COMPTE_LIB, PIECE_REF, PIECE_DATE,
    ECRITURE_LIB, VALID_DATE,
)  # fmt: skip
DEFAULT_LIMIT = 1000

_NUMBER = re.compile(r"^(?:[+-]?\d+(?:,\d+)?|\d+(?:,\d+)?[+-])$")
_DATE = re.compile(r"^\d{8}$")
_SEQUENCE = re.compile(r"^(.*?)(\d+)$")
_FILE_NAME = re.compile(r"^(\d{9})FEC(\d{8})\.(?:txt|csv)$", re.IGNORECASE)
# The ISO 4217 codes (CLDR's list, which babel ships: current and withdrawn codes alike).
ISO_CURRENCIES = frozenset(list_currencies())
# Third-party accounts whose lines name the customer or supplier (PCG 411 Clients, 401 Fournisseurs).
THIRD_PARTY_ACCOUNTS = ("411", "401")


@dataclass(frozen=True)
class Violation:
    """A rule broken at a line of the file (1 is the header; 0: the file as a whole)."""

    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        where = _("ligne %(line)d") % {"line": self.line} if self.line else _("fichier")
        return f"{where} : [{self.rule}] {self.message}"


@dataclass
class FecReport:
    """What a check found: the violations (at most `limit`, then `truncated`) and the file's figures."""

    violations: list[Violation] = field(default_factory=list)
    truncated: bool = False
    entries: int = 0
    lines: int = 0  # lines of entries, the header apart
    debit: Decimal = Decimal("0.00")
    credit: Decimal = Decimal("0.00")

    @property
    def passed(self) -> bool:
        return not self.violations


class _Stop(Exception):
    """Enough violations: the check ends there."""


def check_fec(
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    file_name: str | None = None,
    *,
    limit: int | None = DEFAULT_LIMIT,
) -> list[Violation]:
    """The violations of the FEC at `source` (a path, or a binary or text stream), in file order.

    `file_name` is checked by rule NOM and gives the closing date the entries must fall before; by
    default the name of the path. Reading stops after `limit` violations (None: no limit)."""
    return inspect_fec(source, file_name, limit=limit).violations


def inspect_fec(
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    file_name: str | None = None,
    *,
    limit: int | None = DEFAULT_LIMIT,
) -> FecReport:
    """check_fec, with the file's figures (entries, lines, total debit and credit)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open("rb") as stream:
            return _Checker(file_name or path.name, limit).run(stream)
    return _Checker(file_name, limit).run(source)


def _lines(stream: IO[bytes] | IO[str]) -> Iterator[str]:
    """The file's lines without their ends, whatever they are (CR LF, LF or CR alone), decoded from
    UTF-8 (a byte-order mark is skipped) or, failing that, ISO 8859-15: the encodings the law allows.
    Any binary or text stream that yields lines will do (a file, a storage's file, a BytesIO)."""
    first = True
    for raw in stream:
        if isinstance(raw, bytes):
            if first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                line = raw.decode()
            except UnicodeDecodeError:
                line = raw.decode("iso8859-15")
        else:
            line = raw.removeprefix("\ufeff") if first else raw
        first = False
        line = line.removesuffix("\n").removesuffix("\r")
        yield from line.split("\r")  # a CR alone ends a line too


class _Checker:
    def __init__(self, file_name: str | None, limit: int | None) -> None:
        self.file_name = file_name
        self.limit = limit
        self.report = FecReport()
        self.closing: datetime.date | None = None
        self.dates: dict[str, datetime.date | None] = {}
        # The entry being read: its key, first line, date, and its debit and credit so far.
        self.entry_key: tuple[str, str] | None = None
        self.entry_line = 0
        self.entry_date: datetime.date | None = None
        self.entry_debit = Decimal("0.00")
        self.entry_credit = Decimal("0.00")
        self.previous_date: datetime.date | None = None
        self.first_date: datetime.date | None = None
        # F4, both ways at once: one sequence per prefix of EcritureNum ("VT000012" -> "VT"), or one per
        # journal and prefix. The file is judged by the reading with fewer breaks.
        self.last_number: dict[str, int] = {}  # by prefix, and by journal + TAB + prefix
        self.sequence_breaks: list[Violation] = []
        self.journal_sequence_breaks: list[Violation] = []

    def add(self, line: int, rule: str, message: str) -> None:
        self.report.violations.append(Violation(line, rule, message))
        if self.limit is not None and len(self.report.violations) >= self.limit:
            self.report.truncated = True
            raise _Stop

    def run(self, stream: IO[bytes] | IO[str]) -> FecReport:
        try:
            self._check_name()
            self._check_lines(_lines(stream))
        except _Stop:
            pass
        # File order; the sequence breaks, judged at the end, and the file's own rules (line 0) first.
        self.report.violations.sort(key=lambda violation: violation.line)
        return self.report

    # --- The file name -----------------------------------------------------------------------

    def _check_name(self) -> None:
        if self.file_name is None:
            return
        name = Path(self.file_name).name
        found = _FILE_NAME.match(name)
        if found is None:
            self.add(
                0,
                "NOM",
                _("Le nom du fichier « %(name)s » doit être SIRENFECAAAAMMJJ.txt (par exemple %(example)s).")
                % {"name": name, "example": "732829320FEC20261231.txt"},
            )
            return
        siren, closing = found.groups()
        if not stdnum_siren.is_valid(siren):
            self.add(
                0,
                "NOM",
                _(
                    "Le SIREN du nom du fichier (%(siren)s) est invalide : sa clé de contrôle ne correspond pas."
                )
                % {"siren": siren},
            )
        self.closing = self._date(closing)
        if self.closing is None:
            self.add(
                0,
                "NOM",
                _("La date de clôture du nom du fichier (%(date)s) n'est pas une date valide.")
                % {"date": closing},
            )

    # --- Lines -----------------------------------------------------------------------------------

    def _check_lines(self, lines: Iterator[str]) -> None:
        header = next(lines, None)
        if header is None or not header.strip():
            self.add(
                1, "L1", _("Le fichier est vide : la première ligne doit porter les noms des 18 colonnes.")
            )
            return
        separator = "|" if "|" in header else "\t" if "\t" in header else None
        if separator is None:
            self.add(
                1,
                "L1",
                _(
                    "La première ligne n'est pas séparée par des tabulations ni par des « | » : elle doit porter les noms des 18 colonnes."
                ),
            )
            return
        names = header.split(separator)
        if tuple(names) != COLUMNS:
            self.add(
                1,
                "L1",
                _(
                    "L'en-tête doit porter les 18 colonnes dans cet ordre : %(expected)s ; il porte : %(found)s."
                )
                % {"expected": ", ".join(COLUMNS), "found": ", ".join(names)},
            )
        number = 1
        for number, line in enumerate(lines, 2):
            self._check_line(number, line.split(separator))
        self._close_entry()
        report = self.report
        if report.lines == 0:
            self.add(1, "L1", _("Le fichier ne contient aucune écriture."))
        self._report_sequence()
        if report.debit != report.credit:
            self.add(
                0,
                "E1",
                _("Le fichier n'est pas équilibré : total des débits %(debit)s, des crédits %(credit)s.")
                % {"debit": _text(report.debit), "credit": _text(report.credit)},
            )

    def _check_line(self, number: int, fields: list[str]) -> None:
        self.report.lines += 1
        if len(fields) != len(COLUMNS):
            if len(fields) > len(COLUMNS):
                self.add(
                    number,
                    "L4",
                    _(
                        "%(count)d champs au lieu de 18 : un champ contient le séparateur (remplacez-le par une espace)."
                    )
                    % {"count": len(fields)},
                )
            else:
                self.add(
                    number,
                    "L1",
                    _(
                        "%(count)d champs au lieu de 18 : il manque des colonnes (ou un champ contient un retour à la ligne)."
                    )
                    % {"count": len(fields)},
                )
            return
        missing = [COLUMNS[i] for i in MANDATORY if not fields[i].strip()]
        if missing:
            self.add(
                number, "L1", _("Champs obligatoires vides : %(fields)s.") % {"fields": ", ".join(missing)}
            )
        dates = self._line_dates(number, fields)
        debit = self._amount(number, fields, DEBIT)
        credit = self._amount(number, fields, CREDIT)
        if debit is not None and credit is not None:
            if debit and credit:
                self.add(
                    number, "L2", _("La ligne porte un débit et un crédit : un seul des deux est non nul.")
                )
            elif not debit and not credit:
                self.add(
                    number, "L2", _("La ligne n'a ni débit ni crédit : l'un des deux doit être non nul.")
                )
        if fields[MONTANT_DEVISE].strip():
            self._amount(number, fields, MONTANT_DEVISE)
        self._check_pairs(number, fields)
        currency = fields[IDEVISE].strip()
        if currency and currency not in ISO_CURRENCIES:
            self.add(
                number,
                "L6",
                _("Idevise « %(value)s » n'est pas un code de devise ISO 4217 (par exemple EUR, USD).")
                % {"value": currency},
            )
        account = fields[COMPTE_NUM].strip()
        if account.startswith(THIRD_PARTY_ACCOUNTS) and not fields[COMP_AUX_NUM].strip():
            self.add(
                number,
                "L7",
                _(
                    "Le compte %(account)s est un compte de tiers : la ligne indique le client ou le "
                    "fournisseur dans CompAuxNum et CompAuxLib."
                )
                % {"account": account},
            )
        self._check_entry(number, fields, dates, debit or Decimal("0.00"), credit or Decimal("0.00"))

    def _line_dates(self, number: int, fields: list[str]) -> dict[int, datetime.date]:
        """The line's dates that are valid (L5), by column."""
        found = {}
        for column in (ECRITURE_DATE, PIECE_DATE, DATE_LET, VALID_DATE):
            text = fields[column].strip()
            if not text:
                continue
            day = self._date(text)
            if day is None:
                self.add(
                    number,
                    "L5",
                    _(
                        "%(column)s « %(value)s » n'est pas une date valide (AAAAMMJJ, une date du calendrier)."
                    )
                    % {"column": COLUMNS[column], "value": text},
                )
            else:
                found[column] = day
        if ECRITURE_DATE in found and VALID_DATE in found and found[VALID_DATE] < found[ECRITURE_DATE]:
            self.add(
                number,
                "E2",
                _("ValidDate (%(valid)s) précède EcritureDate (%(date)s).")
                % {"valid": fields[VALID_DATE], "date": fields[ECRITURE_DATE]},
            )
        return found

    def _date(self, text: str) -> datetime.date | None:
        if text not in self.dates:
            day = None
            if _DATE.match(text):
                try:
                    day = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
                except ValueError:
                    day = None
            self.dates[text] = day
        return self.dates[text]

    def _amount(self, number: int, fields: list[str], column: int) -> Decimal | None:
        text = fields[column].strip()
        if not text:
            self.add(
                number, "L2", _("%(column)s est vide : zéro s'écrit 0,00.") % {"column": COLUMNS[column]}
            )
            return None
        if not _NUMBER.match(text):
            self.add(
                number,
                "L2",
                _(
                    "%(column)s « %(value)s » n'est pas un montant : virgule décimale, sans séparateur de milliers (1234,56)."
                )
                % {"column": COLUMNS[column], "value": text},
            )
            return None
        if text.endswith(("-", "+")):
            text = text[-1] + text[:-1]
        return Decimal(text.replace(",", "."))

    def _check_pairs(self, number: int, fields: list[str]) -> None:
        for first, second in (
            (ECRITURE_LET, DATE_LET),
            (MONTANT_DEVISE, IDEVISE),
            (COMP_AUX_NUM, COMP_AUX_LIB),
        ):
            if bool(fields[first].strip()) != bool(fields[second].strip()):
                self.add(
                    number,
                    "L3",
                    _("%(first)s et %(second)s vont ensemble : remplissez les deux ou aucun.")
                    % {"first": COLUMNS[first], "second": COLUMNS[second]},
                )

    # --- Entries ---------------------------------------------------------------------------------

    def _check_entry(
        self, number: int, fields: list[str], dates: dict[int, datetime.date], debit: Decimal, credit: Decimal
    ) -> None:
        key = (fields[JOURNAL_CODE], fields[ECRITURE_NUM])
        day = dates.get(ECRITURE_DATE)
        if key != self.entry_key:
            self._close_entry()
            self._open_entry(number, key, day)
        elif day is not None and self.entry_date is not None and day != self.entry_date:
            self.add(
                number,
                "E2",
                _(
                    "L'écriture %(journal)s %(entry)s porte deux dates (%(first)s et %(second)s) : une seule par écriture."
                )
                % {"journal": key[0], "entry": key[1], "first": _day(self.entry_date), "second": _day(day)},
            )
        self.entry_debit += debit
        self.entry_credit += credit
        self.report.debit += debit
        self.report.credit += credit

    def _open_entry(self, number: int, key: tuple[str, str], day: datetime.date | None) -> None:
        self.entry_key, self.entry_line, self.entry_date = key, number, day
        self.entry_debit = self.entry_credit = Decimal("0.00")
        self.report.entries += 1
        self._check_sequence(number, key)
        if day is None:
            return
        if self.previous_date is not None and day < self.previous_date:
            self.add(
                number,
                "F1",
                _(
                    "L'écriture %(journal)s %(entry)s du %(date)s suit une écriture du %(previous)s : les écritures sont classées par date."
                )
                % {
                    "journal": key[0],
                    "entry": key[1],
                    "date": _day(day),
                    "previous": _day(self.previous_date),
                },
            )
        self.previous_date = max(day, self.previous_date or day)
        if self.closing is not None:
            opening = _year_before(self.closing)
            if not opening < day <= self.closing:
                self.add(
                    number,
                    "E2",
                    _(
                        "L'écriture %(journal)s %(entry)s du %(date)s est hors de l'exercice du fichier (du %(start)s au %(end)s)."
                    )
                    % {
                        "journal": key[0],
                        "entry": key[1],
                        "date": _day(day),
                        "start": _day(opening + datetime.timedelta(days=1)),
                        "end": _day(self.closing),
                    },
                )
            return
        if self.first_date is None:
            self.first_date = day
        elif day > _year_after(self.first_date):
            self.add(
                number,
                "F1",
                _(
                    "L'écriture %(journal)s %(entry)s du %(date)s est à plus d'un an de la première (%(first)s) : un FEC couvre un seul exercice."
                )
                % {"journal": key[0], "entry": key[1], "date": _day(day), "first": _day(self.first_date)},
            )

    def _close_entry(self) -> None:
        if self.entry_key is None or self.entry_debit == self.entry_credit:
            return
        self.add(
            self.entry_line,
            "E1",
            _("L'écriture %(journal)s %(entry)s n'est pas équilibrée : débit %(debit)s, crédit %(credit)s.")
            % {
                "journal": self.entry_key[0],
                "entry": self.entry_key[1],
                "debit": _text(self.entry_debit),
                "credit": _text(self.entry_credit),
            },
        )

    def _check_sequence(self, number: int, key: tuple[str, str]) -> None:
        journal, text = key
        found = _SEQUENCE.match(text.strip())
        if found is None:
            self.add(
                number, "F4", _("EcritureNum « %(num)s » ne se termine pas par un numéro.") % {"num": text}
            )
            return
        prefix, value = found.group(1), int(found.group(2))
        self._follow(self.sequence_breaks, self.last_number, prefix, number, text, value)
        self._follow(
            self.journal_sequence_breaks, self.last_number, f"{journal}\t{prefix}", number, text, value
        )

    def _follow(
        self, breaks: list[Violation], last: dict[str, int], sequence: str, number: int, text: str, value: int
    ) -> None:
        previous = last.get(sequence)
        last[sequence] = value
        if previous is None or value == previous + 1 or len(breaks) >= (self.limit or DEFAULT_LIMIT):
            return
        if value <= previous:
            message = _("EcritureNum %(num)s après %(previous)d : numéro en arrière ou répété.")
        else:
            message = _("EcritureNum %(num)s après %(previous)d : il manque des numéros.")
        breaks.append(Violation(number, "F4", message % {"num": text, "previous": previous}))

    def _report_sequence(self) -> None:
        """The breaks of the reading that has fewer: one sequence for the file, or one per journal."""
        breaks = min(self.sequence_breaks, self.journal_sequence_breaks, key=len)
        for violation in breaks:
            self.add(violation.line, violation.rule, violation.message)


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _year_after(day: datetime.date) -> datetime.date:
    """The last day of the twelve months starting at `day`."""
    try:
        return day.replace(year=day.year + 1) - datetime.timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _day(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _text(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
