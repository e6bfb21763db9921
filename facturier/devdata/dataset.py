"""A large deterministic dataset for benchmarks and demos, written with bulk inserts.

`manage.py generate_dataset` drives `generate()`. The rows are those the services would store for the
same documents (create_draft, issue, create_credit_note, pay_in_full): totals from billing/totals.py,
numbers from billing/numbering.py, seller and buyer snapshots and due dates from the pure helpers of
billing/services/documents.py (reused, so the two cannot drift), one DocumentVatLine per VAT bucket, the
tamper-evidence chain from billing/chain.py, and at the end the tally of documents and the reports' VAT
summary (billing.tallies.rebuild, reports.summaries.rebuild: what the services update as they issue). Only the writing differs:
bulk_create in batches, one transaction per batch. tests/test_dataset.py compares generated documents
with documents issued through the services, column by column. Not generated: audit events (the
dataset is not a history of user actions), products and expenses.

Its shape follows reference/perf-baselines.md:
- account sizes follow Zipf's law with s = 1.117 over all accounts: with 500 accounts and 1,000,000
  documents, bench-0001 gets 20 % of them (about 200,000, i.e. 66,000 a year over 3 years), bench-0002
  about 92,000, bench-0010 15,000, the median account about 420 and the smallest about 190;
- issue dates are uniform over the `years` years ending on `until`, and the accounts are interleaved in
  date order, so ids follow dates across accounts like in a real multi-tenant table;
- buyers: 85 % French (companies and people), 10 % other EU (companies: reverse charge or intra-EU
  supply; people: the VAT of their country under OSS), 5 % outside the EU (exports, half of them in
  USD, GBP, CHF or CAD);
- 1 to 5 lines per document (3 on average), several VAT rates, some discounts and TTC prices;
- of all documents: 76 % paid invoices (for 2 % of all documents, after a partial credit note),
  16 % issued unpaid invoices, 4 % credit notes, 2 % drafts, 2 % invoices cancelled by a total credit
  note; a paid invoice has one payment of what it owes, dated within its payment terms (+20 days).

Everything comes from random.Random seeded with the seed and the account's number: the same arguments
give the same documents, numbers and hashes.
"""

import datetime
import hashlib
import heapq
import itertools
import random
import re
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from stdnum import iban, luhn

from facturier.accounts.models import User
from facturier.billing import chain, numbering, snapshots, tallies
from facturier.billing.models import (
    BillingSettings,
    Client,
    Document,
    DocumentLine,
    DocumentVatLine,
    Kind,
    NumberingSeries,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Status,
    SupplyKind,
)
from facturier.billing.services.documents import (
    _INPUT_FIELDS,
    _LINE_FIELDS,
    DocumentInput,
    LineInput,
    _default_due_date,
    apply_totals,
    settle,
)
from facturier.lib import vat
from facturier.reports import summaries
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, Membership

ZIPF_S = 1.117
SLUG_PREFIX = "bench-"
# The dataset's accounts: bench-0001, bench-0002... Their owners' addresses end in @<slug>.invalid,
# which is how --replace tells them from an account someone happened to call "bench-0042".
SLUG_PATTERN = re.compile(r"^bench-[0-9]{4,}$")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# Shares of all documents (see the module docstring); the rest are paid invoices.
CANCELLED_SHARE = Decimal("0.02")  # invoices cancelled by a total credit note (as many credit notes)
PART_CREDITED_SHARE = Decimal("0.02")  # paid invoices partly credited first (as many credit notes)
DRAFT_SHARE = Decimal("0.02")
UNPAID_SHARE = Decimal("0.16")
# Buyers: French, other EU, outside the EU.
FR_SHARE, EU_SHARE = 0.85, 0.10


def owner_email(slug: str) -> str:
    return f"owner@{slug}.invalid"


def slug_for(number: int) -> str:
    return f"{SLUG_PREFIX}{number:04d}"


def account_sizes(accounts: int, documents: int) -> list[int]:
    """Documents per account, largest first: Zipf (s = 1.117), summing exactly to `documents`."""
    weights = [k**-ZIPF_S for k in range(1, accounts + 1)]
    total = sum(weights)
    shares = [documents * w / total for w in weights]
    sizes = [int(share) for share in shares]
    # Hand the rounding remainder to the largest fractional parts (ties: the larger account).
    by_fraction = sorted(range(accounts), key=lambda k: (sizes[k] - shares[k], k))
    for k in by_fraction[: documents - sum(sizes)]:
        sizes[k] += 1
    return sizes


@dataclass(frozen=True)
class Plan:
    accounts: int
    documents: int
    seed: int
    years: int
    until: datetime.date

    @property
    def start(self) -> datetime.date:
        try:
            first = self.until.replace(year=self.until.year - self.years)
        except ValueError:  # 29 February
            first = self.until.replace(year=self.until.year - self.years, day=28)
        return first + datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.until - self.start).days + 1


# --- Identities -----------------------------------------------------------------------------------

SURNAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
]  # fmt: skip
FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Lucas", "Hugo", "Louis",
    "Nathan", "Gabriel", "Jules", "Arthur", "Paul", "Antoine", "Thomas", "Élise", "Margaux",
]  # fmt: skip
COMPANY_FORMS = ["SARL", "SAS", "SA", "EURL", "et Fils", "Conseil", "Industries", "Services", "Bâtiment"]
STREETS = [
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Pasteur", "rue du Moulin",
    "place de la Mairie", "rue des Écoles", "chemin des Vignes", "rue de la Gare", "allée des Tilleuls",
]  # fmt: skip
FR_CITIES = [
    ("75002", "Paris"), ("69003", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"), ("44000", "Nantes"),
    ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"), ("35000", "Rennes"),
    ("34000", "Montpellier"), ("06000", "Nice"), ("21000", "Dijon"),
]  # fmt: skip
# Other EU countries: a city, and a VAT number that passes python-stdnum (companies only).
EU_BUYERS = [
    ("DE", "10115", "Berlin", "DE136695976"), ("BE", "1000", "Bruxelles", "BE0403019261"),
    ("IT", "20121", "Milano", "IT00743110157"), ("ES", "28001", "Madrid", "ESA13585625"),
    ("NL", "1012", "Amsterdam", "NL004495445B01"), ("PT", "1100", "Lisboa", "PT501964843"),
    ("IE", "D02", "Dublin", "IE6433435F"), ("AT", "1010", "Wien", "ATU13585627"),
    ("PL", "00-001", "Warszawa", "PL8567346215"), ("SE", "111 20", "Stockholm", "SE123456789701"),
]  # fmt: skip
# Outside the EU: country, city, currency and its rate in EUR per unit (millionths).
EXPORT_BUYERS = [
    ("US", "10001", "New York", "USD", 920_000), ("GB", "SW1A 1AA", "London", "GBP", 1_170_000),
    ("CH", "1201", "Genève", "CHF", 1_050_000), ("CA", "H2Y 1C6", "Montréal", "CAD", 680_000),
]  # fmt: skip


@dataclass(frozen=True)
class Item:
    name: str
    unit: str
    low: int  # unit price range, in cents
    high: int
    supply_kind: str
    french_rate: Decimal


CATALOGUE = [
    Item("Conseil", "h", 6_000, 15_000, SupplyKind.SERVICE, Decimal("20")),
    Item("Développement logiciel", "j", 40_000, 90_000, SupplyKind.SERVICE, Decimal("20")),
    Item("Formation professionnelle", "j", 50_000, 150_000, SupplyKind.SERVICE, Decimal("20")),
    Item("Maintenance mensuelle", "mois", 5_000, 50_000, SupplyKind.SERVICE, Decimal("20")),
    Item("Matériel informatique", "", 10_000, 250_000, SupplyKind.GOODS, Decimal("20")),
    Item("Fournitures de bureau", "", 500, 8_000, SupplyKind.GOODS, Decimal("20")),
    Item("Travaux de rénovation", "", 20_000, 300_000, SupplyKind.SERVICE, Decimal("10")),
    Item("Transport de personnes", "", 3_000, 30_000, SupplyKind.SERVICE, Decimal("10")),
    Item("Repas traiteur", "", 1_500, 6_000, SupplyKind.GOODS, Decimal("10")),
    Item("Livres", "", 1_000, 4_000, SupplyKind.GOODS, Decimal("5.5")),
    Item("Rénovation énergétique", "", 50_000, 500_000, SupplyKind.SERVICE, Decimal("5.5")),
    Item("Abonnement presse", "mois", 500, 3_000, SupplyKind.GOODS, Decimal("2.1")),
]
PAYMENT_METHODS = [PaymentMethod.TRANSFER] * 14 + [PaymentMethod.CARD] * 3 + [PaymentMethod.DIRECT_DEBIT] * 2
PAYMENT_METHODS += [PaymentMethod.CHEQUE]
PAYMENT_TERMS = [30, 30, 30, 30, 30, 45, 60, 15, 0]


def _siren(rng: random.Random) -> str:
    body = f"{rng.randrange(10_000_000, 99_999_999):08d}"
    return body + luhn.calc_check_digit(body)


def _siret(siren: str) -> str:
    body = f"{siren}0001"
    return body + luhn.calc_check_digit(body)


def _french_vat(siren: str) -> str:
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def _french_iban(rng: random.Random) -> str:
    bban = f"30004{rng.randrange(10_000, 99_999):05d}{rng.randrange(10**10, 10**11):011d}"
    bban += f"{97 - (89 * int(bban[:5]) + 15 * int(bban[5:10]) + 3 * int(bban[10:])) % 97:02d}"  # RIB key
    return f"FR{iban.calc_check_digits('FR00' + bban)}{bban}"


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}"


def _company_name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(COMPANY_FORMS)}"


def account_identity(rng: random.Random, number: int) -> dict[str, Any]:
    """A French company selling with valid SIREN, SIRET, VAT number and IBAN."""
    siren = _siren(rng)
    post_code, city = rng.choice(FR_CITIES)
    return {
        "name": f"Entreprise {number:04d}",
        "legal_name": f"Entreprise {number:04d} SAS",
        "street": _address(rng),
        "post_code": post_code,
        "city": city,
        "country": "FR",
        "siren": siren,
        "siret": _siret(siren),
        "vat_number": _french_vat(siren),
        "iban": _french_iban(rng),
        "bic": "BNPAFRPPXXX",
    }


# Buyer profiles: which pool of clients a document draws from.
FR, EU, EXPORT = "fr", "eu", "export"


def make_clients(
    rng: random.Random, account: Account, count: int, created_at: datetime.datetime
) -> list[Client]:
    """`count` clients (at least one of each profile), stored as create_client stores them."""
    eu = max(1, round(count * EU_SHARE))
    export = max(1, round(count * (1 - FR_SHARE - EU_SHARE)))
    profiles = [EU] * eu + [EXPORT] * export + [FR] * max(1, count - eu - export)
    clients = []
    for index, profile in enumerate(profiles):
        person = (profile == FR and rng.random() < 0.2) or (profile == EU and index % 2 == 1)
        values: dict[str, Any] = {
            "account": account,
            "kind": Client.Kind.BUYER,
            "is_company": not person,
            "payment_terms_days": rng.choice(PAYMENT_TERMS),
            "created_at": created_at,
            "street": _address(rng),
        }
        if person:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            values.update(first_name=first, last_name=last, name=f"{first} {last}")
            values["email"] = f"client{index + 1}@example.com"
        else:
            values["name"] = _company_name(rng)
            values["email"] = f"compta{index + 1}@example.com"
        if profile == FR:
            values["post_code"], values["city"] = rng.choice(FR_CITIES)
            values["country"] = "FR"
            if not person:
                siren = _siren(rng)
                values.update(siren=siren, siret=_siret(siren), vat_number=_french_vat(siren))
        elif profile == EU:
            country, post_code, city, vat_number = rng.choice(EU_BUYERS)
            values.update(country=country, post_code=post_code, city=city)
            if not person:
                values["vat_number"] = vat_number
        else:
            country, post_code, city, _currency, _rate = rng.choice(EXPORT_BUYERS)
            values.update(country=country, post_code=post_code, city=city)
        clients.append(Client(**values))
    return clients


EU_COUNTRIES = frozenset(row[0] for row in EU_BUYERS)


def profile_of(client: Client) -> str:
    if client.country == "FR":
        return FR
    return EU if client.country in EU_COUNTRIES else EXPORT


# --- Random documents -----------------------------------------------------------------------------


def random_lines(rng: random.Random, client: Client) -> list[LineInput]:
    """1 to 5 lines (3 on average) with the VAT treatment the buyer calls for, as the service cleans
    them (mentions filled, countries upper-case)."""
    profile = profile_of(client)
    lines = []
    for _ in range(rng.randint(1, 5)):
        item = rng.choice(CATALOGUE)
        quantity = Decimal(rng.randint(1, 10))
        if item.unit == "h" and rng.random() < 0.3:
            quantity += Decimal("0.5")
        category, rate, country = vat.STANDARD, item.french_rate, "FR"
        if profile == EU and client.is_company:
            category = vat.REVERSE_CHARGE if item.supply_kind == SupplyKind.SERVICE else vat.INTRA_EU
            rate = Decimal(0)
        elif profile == EU:  # a person in another member state: their country's VAT (OSS)
            rate, country = vat.standard_rate(client.country) or rate, client.country
        elif profile == EXPORT:
            category = vat.EXPORT if item.supply_kind == SupplyKind.GOODS else vat.OUTSIDE_SCOPE
            rate = Decimal(0)
        discount = Decimal(rng.choice([5, 10, 15])) if rng.random() < 0.15 else Decimal(0)
        lines.append(
            LineInput(
                name=item.name,
                quantity=quantity,
                unit_price=Decimal(rng.randint(item.low, item.high)).scaleb(-2),
                vat_rate=rate,
                vat_category=category,
                discount_percent=discount,
                unit=item.unit,
                supply_kind=item.supply_kind,
                vat_country=country,
                exemption_reason=vat.DEFAULT_MENTIONS.get(category, ""),
            )
        )
    return lines


def random_input(rng: random.Random, client: Client, issue_date: datetime.date) -> DocumentInput:
    """An invoice for `client` on `issue_date`, as a user (or the API) would submit it."""
    profile = profile_of(client)
    lines = random_lines(rng, client)
    currency, exchange_rate = "EUR", Decimal(1)
    if profile == EXPORT and rng.random() < 0.5:
        _country, _code, _city, currency, millionths = next(
            b for b in EXPORT_BUYERS if b[0] == client.country
        )
        exchange_rate = Decimal(millionths + rng.randint(-30_000, 30_000)).scaleb(-6)
    sell_date = issue_date - datetime.timedelta(days=rng.randint(0, 20)) if rng.random() < 0.1 else None
    return DocumentInput(
        kind=Kind.INVOICE,
        client_id=client.pk,
        issue_date=issue_date,
        lines=lines,
        sell_date=sell_date,
        currency=currency,
        exchange_rate=exchange_rate,
        language="fr" if profile == FR else "en",
        prices_are_gross=not client.is_company and profile == FR and rng.random() < 0.5,
        reverse_charge=any(line.vat_category == vat.REVERSE_CHARGE for line in lines),
        oss=profile == EU and not client.is_company,
        payment_method=rng.choice(PAYMENT_METHODS),
        buyer_reference=f"BC-{rng.randint(1000, 99999)}" if client.is_company and rng.random() < 0.1 else "",
    )


# --- Rows as the services store them --------------------------------------------------------------


@dataclass
class Built:
    """A document with the rows that go with it, not yet written."""

    document: Document
    lines: list[DocumentLine]
    vat_rows: list[DocumentVatLine]
    data: DocumentInput
    client: Client
    payment: Payment | None = None
    allocation: PaymentAllocation | None = None


@dataclass
class AccountBuilder:
    """Builds an account's documents the way services/documents.py and services/payments.py do,
    and keeps what issuing updates under the settings lock: the numbering series and the chain head."""

    account: Account
    owner: User
    billing_settings: BillingSettings
    series: dict[tuple[str, int], int] = field(default_factory=dict)
    chain_length: int = 0
    chain_last_hash: str = ""

    def draft(self, client: Client, data: DocumentInput, *, created_at: datetime.datetime) -> Built:
        """What create_draft stores (services.documents._write): the content, lines, totals, VAT rows."""
        document = Document(
            account_id=self.account.pk, status=Status.DRAFT, client_id=client.pk, created_at=created_at
        )
        for name in _INPUT_FIELDS:
            setattr(document, name, getattr(data, name))
        document.exchange_rate = Decimal(1) if data.currency == "EUR" else Decimal(data.exchange_rate)
        if data.kind != Kind.CREDIT_NOTE:
            document.correction_reason = ""
        document.due_date = data.due_date or _default_due_date(data.kind, data.issue_date, client)
        snapshots.copy_buyer(document, client)
        lines = [
            DocumentLine(
                account_id=self.account.pk,
                document=document,
                position=position,
                product_id=line.product_id,
                **{name: getattr(line, name) for name in _LINE_FIELDS},
            )
            for position, line in enumerate(data.lines, start=1)
        ]
        built = Built(document, lines, [], data, client)
        self._store_totals(built)
        return built

    def _store_totals(self, built: Built) -> None:
        """What services.documents stores of the totals (no final invoices here: no advances)."""
        _changed, built.vat_rows = apply_totals(built.document, built.lines)

    def issue(self, built: Built, *, issued_at: datetime.datetime) -> Built:
        """What services.documents.issue stores: snapshots, number, status, chain link."""
        document = built.document
        account = self.account
        document.seller = snapshots.seller_snapshot(account, self.billing_settings)
        document.bank_iban = document.bank_iban or account.iban
        document.bank_bic = document.bank_bic or account.bic
        key = (document.kind, document.issue_date.year)
        self.series[key] = self.series.get(key, 0) + 1
        document.sequence = self.series[key]
        document.number = numbering.format_number(
            numbering.pattern_for(self.billing_settings, document.kind),
            document.issue_date.year,
            document.issue_date.month,
            document.sequence,
        )
        document.status = Status.ISSUED
        document.issued_at = issued_at
        document.issued_by_id = self.owner.pk
        self.chain_length += 1
        document.chain_index = self.chain_length
        corrected = document.corrected_document.number if document.corrected_document else ""
        content = chain.canonical_content(document, built.lines, built.vat_rows, corrected)
        # chain.document_hash's formula; it reads the corrected document by id, which an unwritten
        # credit note does not have yet. verify() recomputes every hash from the stored rows.
        document.chain_hash = hashlib.sha256((self.chain_last_hash + content).encode("ascii")).hexdigest()
        self.chain_last_hash = document.chain_hash
        return built

    def credit_note(
        self,
        invoice: Built,
        *,
        issue_date: datetime.date,
        reason: str,
        lines: list[LineInput] | None,
        created_at: datetime.datetime,
    ) -> Built:
        """A draft credit note of `invoice` (services.documents.create_credit_note): every line negated,
        or the given ones; its effect on the invoice is applied by `apply_credit_note`."""
        negated = [replace(line) for line in invoice.data.lines] if lines is None else list(lines)
        for line in negated:
            line.quantity = -abs(line.quantity)
        data = replace(
            invoice.data,
            kind=Kind.CREDIT_NOTE,
            issue_date=issue_date,
            lines=negated,
            sell_date=None,
            due_date=None,
            valid_until=None,
            correction_reason=reason,
        )
        built = self.draft(invoice.client, data, created_at=created_at)
        built.document.corrected_document = invoice.document
        return built

    def apply_credit_note(self, invoice: Built, credit_note: Built) -> None:
        """services.documents._apply_credit_note: the invoice's credited total and status."""
        note = credit_note.document
        invoice.document.credited_total -= note.gross_total - note.advances_deducted
        settle(invoice.document)

    def pay(self, invoice: Built, *, date: datetime.date, method: str, created_at: datetime.datetime) -> None:
        """services.payments.pay_in_full: one payment of what the invoice still owes."""
        document = invoice.document
        amount = document.remaining
        payment = Payment(
            account_id=self.account.pk,
            client_id=document.client_id,
            date=date,
            amount=amount,
            currency=document.currency,
            method=method,
            created_by_id=self.owner.pk,
            created_at=created_at,
        )
        invoice.payment = payment
        invoice.allocation = PaymentAllocation(
            account_id=self.account.pk, payment=payment, document=document, amount=amount
        )
        document.paid_total += amount
        settle(document)


# --- One account's documents, in date order -------------------------------------------------------

PAID, UNPAID, DRAFT, CANCELLED, PART_CREDITED = "paid", "unpaid", "draft", "cancelled", "part_credited"


def status_counts(size: int) -> dict[str, int]:
    """How many documents of each fate an account of `size` documents gets (credit notes included in
    `size`: one per cancelled or partly credited invoice)."""
    counts = {
        CANCELLED: round(size * CANCELLED_SHARE),
        PART_CREDITED: round(size * PART_CREDITED_SHARE),
        DRAFT: round(size * DRAFT_SHARE),
        UNPAID: round(size * UNPAID_SHARE),
    }
    counts[PAID] = size - 2 * (counts[CANCELLED] + counts[PART_CREDITED]) - counts[DRAFT] - counts[UNPAID]
    return counts


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A moment of the working day `day`, Paris time."""
    minutes = rng.randint(8 * 60, 19 * 60)
    return datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60), tzinfo=PARIS)


def account_documents(
    builder: AccountBuilder,
    clients: list[Client],
    size: int,
    plan: Plan,
    rng: random.Random,
) -> Iterator[Built]:
    """The account's `size` documents in issuing order (dates never go backwards, as the law wants).

    Dates: sorted uniform draws over the plan's period, generated in order one at a time (each is the
    smallest of the remaining draws), so no account keeps its dates in memory. A credit note follows
    its invoice by 1 to 30 days; it waits in `pending` until the stream reaches its date.
    """
    counts = status_counts(size)
    slots = sum(counts.values())
    pools = {profile: [c for c in clients if profile_of(c) == profile] for profile in (FR, EU, EXPORT)}
    pending: list[tuple[int, int, Built]] = []
    order = itertools.count()  # ties between credit notes of one day: first drafted, first issued
    start, days = plan.start, plan.days
    position = 0.0
    for left in range(slots, 0, -1):
        position += (1 - position) * (1 - rng.random() ** (1 / left))
        day = start + datetime.timedelta(days=min(days - 1, int(position * days)))
        while pending and pending[0][0] < day.toordinal():
            yield _issue_pending(builder, heapq.heappop(pending)[2], rng)
        fate = _draw(counts, left, rng)
        draw = rng.random()
        profile = FR if draw < FR_SHARE else EU if draw < FR_SHARE + EU_SHARE else EXPORT
        pool = pools[profile]
        client = pool[int(len(pool) * rng.random() ** 2)]  # some clients buy much more than others
        created_at = _at(day, rng)
        invoice = builder.draft(client, random_input(rng, client, day), created_at=created_at)
        if fate == DRAFT:
            yield invoice
            continue
        builder.issue(invoice, issued_at=created_at)
        if fate in (CANCELLED, PART_CREDITED):
            note_day = min(plan.until, day + datetime.timedelta(days=rng.randint(1, 30)))
            note = _credit_note(builder, invoice, fate, note_day, rng)
            builder.apply_credit_note(invoice, note)
            heapq.heappush(pending, (note_day.toordinal(), next(order), note))
            if fate == PART_CREDITED:
                paid_on = min(plan.until, note_day + datetime.timedelta(days=rng.randint(0, 20)))
                builder.pay(
                    invoice,
                    date=paid_on,
                    method=invoice.document.payment_method,
                    created_at=_at(paid_on, rng),
                )
        elif fate == PAID:
            terms = client.payment_terms_days
            paid_on = min(plan.until, day + datetime.timedelta(days=rng.randint(0, terms + 20)))
            builder.pay(
                invoice, date=paid_on, method=invoice.document.payment_method, created_at=_at(paid_on, rng)
            )
        yield invoice
    while pending:
        yield _issue_pending(builder, heapq.heappop(pending)[2], rng)


def _issue_pending(builder: AccountBuilder, note: Built, rng: random.Random) -> Built:
    return builder.issue(note, issued_at=_at(note.document.issue_date, rng))


def _draw(counts: dict[str, int], left: int, rng: random.Random) -> str:
    """One fate, drawn without replacement, so the account ends with exactly `counts`."""
    pick = rng.randrange(left)
    for fate, count in counts.items():
        if pick < count:
            counts[fate] -= 1
            return fate
        pick -= count
    raise AssertionError("counts and slots disagree")


def _credit_note(
    builder: AccountBuilder, invoice: Built, fate: str, day: datetime.date, rng: random.Random
) -> Built:
    if fate == CANCELLED:
        reason, lines = "Annulation de la facture : erreur de facturation", None
    else:
        # Half the quantity of the first line: a partial credit, always less than the invoice.
        first = invoice.data.lines[0]
        reason, lines = "Geste commercial", [replace(first, quantity=first.quantity / 2)]
    return builder.credit_note(invoice, issue_date=day, reason=reason, lines=lines, created_at=_at(day, rng))


# --- Writing --------------------------------------------------------------------------------------


class Writer:
    """Buffers built documents and writes them in batches, one transaction per batch."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.buffer: list[Built] = []
        self.written = 0

    def add(self, built: Built) -> bool:
        """Buffer `built`; True when that filled a batch and it was written."""
        self.buffer.append(built)
        if len(self.buffer) >= self.batch_size:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        documents = [b.document for b in batch]
        with transaction.atomic():
            # Invoices first: a credit note may point at an invoice of the same batch.
            Document.objects.bulk_create([d for d in documents if d.corrected_document is None])
            Document.objects.bulk_create([d for d in documents if d.corrected_document is not None])
            DocumentLine.objects.bulk_create(itertools.chain.from_iterable(b.lines for b in batch))
            DocumentVatLine.objects.bulk_create(itertools.chain.from_iterable(b.vat_rows for b in batch))
            Payment.objects.bulk_create([b.payment for b in batch if b.payment is not None])
            PaymentAllocation.objects.bulk_create([b.allocation for b in batch if b.allocation is not None])
        self.written += len(batch)
        # With DEBUG on, Django keeps the text of the last 9,000 queries: here some 200 MB of INSERTs.
        reset_queries()


# --- Accounts -------------------------------------------------------------------------------------


def clients_for(size: int) -> int:
    """An account with more documents has more clients: one per 40 documents, 5 to 5,000."""
    return min(5000, max(5, size // 40))


def create_account(number: int, plan: Plan, rng: random.Random) -> AccountBuilder:
    """The account bench-NNNN with its owner (who cannot log in until given a password), the owner's
    membership, its billing settings and its clients."""
    slug = slug_for(number)
    created_at = datetime.datetime.combine(plan.start, datetime.time(8), tzinfo=PARIS)
    identity = account_identity(rng, number)
    owner = User.objects.create(
        email=owner_email(slug),
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(SURNAMES),
        password=make_password(None),
        date_joined=created_at,
    )
    account = Account.objects.create(slug=slug, plan=plans.PRO, created_at=created_at, **identity)
    Membership.objects.create(
        account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True, created_at=created_at
    )
    billing_settings = BillingSettings.objects.create(
        account=account, legal_form="SAS", share_capital="10 000 €", rcs_city=identity["city"]
    )
    return AccountBuilder(account=account, owner=owner, billing_settings=billing_settings)


def finish_account(builder: AccountBuilder) -> None:
    """Store what the services keep up to date as they go: the series' last numbers and the chain head
    (under the settings lock), the account's tally of documents (billing/tallies.py) and the VAT summary
    of the reports (reports/summaries.py), rebuilt from the written documents."""
    with transaction.atomic():
        NumberingSeries.objects.bulk_create(
            NumberingSeries(account=builder.account, kind=kind, year=year, last_number=last)
            for (kind, year), last in sorted(builder.series.items())
        )
        BillingSettings.objects.filter(pk=builder.billing_settings.pk).update(
            chain_length=builder.chain_length, chain_last_hash=builder.chain_last_hash
        )
        tallies.rebuild([builder.account.pk])
        summaries.rebuild(builder.account)


# --- The whole run --------------------------------------------------------------------------------


def generate(plan: Plan, *, batch_size: int, report: Callable[[str], None]) -> int:
    """Write the plan's accounts and documents; returns the number of documents written."""
    sizes = account_sizes(plan.accounts, plan.documents)
    builders, streams = [], []
    finished: list[int] = []  # numbers of the accounts whose documents are all generated
    with transaction.atomic():
        for number, size in enumerate(sizes, start=1):
            rng = random.Random(f"{plan.seed}:{number}")  # noqa: S311 (test data, not secrets)
            builder = create_account(number, plan, rng)
            clients = make_clients(rng, builder.account, clients_for(size), builder.account.created_at)
            Client.objects.bulk_create(clients)
            builders.append(builder)
            streams.append(_keyed(number, account_documents(builder, clients, size, plan, rng), finished))
    report(f"{plan.accounts} accounts and their clients created; writing {plan.documents:,} documents.")

    writer = Writer(batch_size)
    started = last_report = time.monotonic()
    day = plan.start
    for _key, built in heapq.merge(*streams):
        day = built.document.issue_date
        if writer.add(built) and time.monotonic() - last_report >= 5:
            last_report = time.monotonic()
            rate = writer.written / (last_report - started)
            report(
                f"{writer.written:,}/{plan.documents:,} documents ({rate:,.0f}/s), dates up to {day}, "
                f"{len(finished)}/{plan.accounts} accounts done"
            )
    writer.flush()
    elapsed = time.monotonic() - started
    report(
        f"{writer.written:,} documents of {plan.accounts} accounts written in {elapsed:,.0f} s "
        f"({writer.written / max(elapsed, 1e-9):,.0f}/s); now the numbering, chain heads and report summaries."
    )
    started = last_report = time.monotonic()
    for done, builder in enumerate(builders, start=1):
        finish_account(builder)
        if time.monotonic() - last_report >= 5:
            last_report = time.monotonic()
            report(f"{done}/{plan.accounts} accounts finished")
    report(f"Accounts finished in {time.monotonic() - started:,.0f} s.")
    _analyze()
    return writer.written


def _keyed(
    number: int, documents: Iterator[Built], finished: list[int]
) -> Iterator[tuple[tuple[int, int, int], Built]]:
    # Merge key: date, then account, then the account's own order (never compares the documents).
    for index, built in enumerate(documents):
        yield (built.document.issue_date.toordinal(), number, index), built
    finished.append(number)


def _analyze() -> None:
    """Refresh the planner's statistics, as PostgreSQL's autovacuum would after such a load (on SQLite
    it is what `PRAGMA optimize` does; without statistics both may pick other plans). On PostgreSQL,
    vacuum too, as autovacuum would after so many inserts: until then the table has no visibility map,
    and every index-only scan reads the table to check each row (outside a transaction only: a test's
    data is analyzed)."""
    # The ORM has no statement for planner statistics or vacuuming.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


# --- Existing dataset -----------------------------------------------------------------------------


def dataset_accounts() -> list[Account]:
    return [a for a in Account.objects.filter(slug__startswith=SLUG_PREFIX) if SLUG_PATTERN.match(a.slug)]


def foreign_accounts(accounts: list[Account]) -> list[str]:
    """Slugs among `accounts` that this command did not create (their owner is someone else)."""
    owners = dict(
        Membership.objects.filter(account__in=accounts, is_owner=True).values_list(
            "account__slug", "user__email"
        )
    )
    return [a.slug for a in accounts if owners.get(a.slug) != owner_email(a.slug)]


def delete_dataset(accounts: list[Account]) -> None:
    """Delete the accounts, every row that belongs to them and their owners, with plain DELETEs.

    The ORM's cascade would load every document first; here each table with a required link to an
    account (every tenant table has one) loses its rows of these accounts in one statement. The
    foreign keys are checked at commit: a row elsewhere still pointing at them rolls everything back.
    """
    account_ids = [a.pk for a in accounts]
    owner_ids = list(
        User.objects.filter(email__in=[owner_email(a.slug) for a in accounts]).values_list("pk", flat=True)
    )
    with transaction.atomic():
        _delete_referencing(Account, account_ids)
        _delete_rows(Account, Account._meta.pk, account_ids)
        _delete_referencing(User, owner_ids)
        _delete_rows(User, User._meta.pk, owner_ids)


def _delete_referencing(target: type[models.Model], ids: list[int]) -> None:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is target and not model_field.null:
                _delete_rows(model, model_field, ids)


def _delete_rows(model: type[models.Model], column: models.Field[Any, Any], ids: list[int]) -> None:
    # SQL rather than QuerySet.delete(): the ORM's delete collects every row and its cascades in Python
    # first, which for millions of generated rows costs more memory and time than the delete itself.
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(column.column)} "  # noqa: S608
                f"IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
