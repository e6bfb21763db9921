"""`manage.py generate_dataset --accounts 500 --invoices 1000000 --seed 1`: the large deterministic dataset
the benchmarks run on (bench/README.md), written with bulk inserts (devdata/dataset.py says what it holds).

Accounts are bench-0001, bench-0002...; their owners are owner@bench-0001.invalid... and cannot log in
until given a password (`manage.py changepassword owner@bench-0001.invalid`). The command refuses to run
while such accounts exist, unless --replace, which deletes them and everything in them first.
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from facturier.devdata import dataset
from facturier.lib.dates import today_in


class Command(BaseCommand):
    help = (
        "Generate a large deterministic dataset of sales documents with bulk inserts. Account sizes follow "
        "Zipf's law (s = 1.117): bench-0001 gets 20 %% of the documents (200,000 of 1,000,000 with 500 "
        "accounts: about 66,000 a year over 3 years; --years 1 makes it 200,000 in one year), the others "
        "less and less (bench-0500 about 190). Dates are uniform over the --years years ending on --until. "
        "The same arguments (with --until) give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=500, help="number of accounts (default 500)")
        parser.add_argument(
            "--invoices",
            type=int,
            default=1_000_000,
            help="number of sales documents in all, credit notes and drafts included (default 1,000,000)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--years", type=int, default=3, help="years of documents (default 3)")
        parser.add_argument(
            "--until",
            type=datetime.date.fromisoformat,
            help="last issue date, YYYY-MM-DD (default: today in Paris)",
        )
        parser.add_argument(
            "--batch", type=int, default=2000, help="documents written per transaction (default 2000)"
        )
        parser.add_argument(
            "--replace", action="store_true", help="delete the existing bench-NNNN accounts first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = dataset.Plan(
            accounts=options["accounts"],
            documents=options["invoices"],
            seed=options["seed"],
            years=options["years"],
            until=options["until"] or today_in("Europe/Paris"),
        )
        if not 1 <= plan.accounts <= 9999:
            raise CommandError("--accounts must be between 1 and 9999.")
        if plan.documents < plan.accounts:
            raise CommandError("--invoices must be at least --accounts (every account gets documents).")
        if plan.years < 1 or options["batch"] < 1:
            raise CommandError("--years and --batch must be positive.")

        existing = dataset.dataset_accounts()
        if existing and not options["replace"]:
            raise CommandError(
                f"{len(existing)} dataset accounts already exist ({existing[0].slug}...): "
                "run again with --replace to delete them first."
            )
        if existing:
            foreign = dataset.foreign_accounts(existing)
            if foreign:
                raise CommandError(
                    f"Not deleting {', '.join(foreign[:5])}: not created by this command (another owner)."
                )
            self.stdout.write(f"Deleting {len(existing)} dataset accounts and everything in them...")
            dataset.delete_dataset(existing)

        self.stdout.write(
            f"Generating: --accounts {plan.accounts} --invoices {plan.documents} --seed {plan.seed} "
            f"--years {plan.years} --until {plan.until} (dates {plan.start} to {plan.until})"
        )
        dataset.generate(plan, batch_size=options["batch"], report=self.stdout.write)
