"""Time of rendering the PDF of a 10-line invoice, with the fonts PDFs are set in: the first render of
the process (compiler built, fonts found), then warm renders of a Latin-only invoice and of one whose
client, lines and notes mix scripts (CJK, Arabic, Hebrew, emoji, combining marks).

    DEBUG=true .venv/bin/python bench/pdf_fonts.py [--runs 30] [--warmups 3]

Runs on a scratch database. Each warm variant runs on its own; medians are printed. The multi-script
invoice is skipped (and said so) when the fonts cannot set it.
"""

import argparse
import statistics
import time

from common import invoice_input, ms, scratch_account, scratch_database, setup_django, summary

MIXED = "東京株式会社 서울 شركة القاهرة חברה 🍕👍🏽 e\u0301"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    with scratch_database():
        run(args.runs, args.warmups)


def run(runs: int, warmups: int) -> None:
    import dataclasses

    import typst
    from common import interleaved

    from facturier.billing.pdf import render_document_pdf
    from facturier.billing.services.clients import create_client
    from facturier.billing.services.documents import create_document

    account, actor = scratch_account("bench-fonts", "Bench SAS", siren="732829320", city="Paris")
    latin_client = create_client(actor, account, name="Dupont SARL", city="Lyon", country="FR")
    mixed_client = create_client(actor, account, name=f"Client {MIXED}", city="Lyon", country="FR")
    latin = create_document(actor, account, invoice_input(latin_client.pk), issue=False)
    data = invoice_input(mixed_client.pk)
    data.lines = [dataclasses.replace(line, name=f"{line.name} {MIXED}") for line in data.lines]
    data.notes = MIXED
    mixed = create_document(actor, account, data, issue=False)

    started = time.perf_counter()
    render_document_pdf(latin)
    first = time.perf_counter() - started
    # Each variant on its own: the compiler reuses much of its last layout when the same document comes
    # again, so alternating two documents would time something else than renders of one.
    times = interleaved({"latin": lambda: render_document_pdf(latin)}, runs=runs, warmups=warmups)
    try:
        render_document_pdf(mixed)
        times |= interleaved(
            {"mixed scripts": lambda: render_document_pdf(mixed)}, runs=runs, warmups=warmups
        )
    except typst.TypstError as error:
        print(f"  mixed scripts: cannot be rendered ({str(error).splitlines()[0][:100]})")
    print(f"10-line invoice PDF (draft), {runs} rounds after {warmups} warm-ups")
    print(f"  first render of the process  {ms(first)}")
    for label, samples in times.items():
        print(f"  {label:<28} {summary(samples)}")
    print(f"  => median latin {ms(statistics.median(times['latin']))}")


if __name__ == "__main__":
    main()
