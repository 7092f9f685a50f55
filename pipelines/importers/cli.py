"""`partner-reports import iati|360giving PATH... --out DIR`: the importers from a terminal.

`add_import_parser(subcommands)` is called by pipelines/cli.py; each handler returns an
exit code and prints one clear line on error, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from pipelines.importers.package import ImportFailure, ImportSummary
from pipelines.importers.reconciliation import table_lines

EPILOG = """\
DIR receives a partner data package (regions, countries, partners, agreements,
transactions, expenditures, activities, interactions, outcomes, fx_rates as CSV) plus
pass_through.csv (money a receiver passed on, not counted again as support),
rejects.csv (file, path, reason, amount of every record that could not be mapped),
import_notes.csv (geography fallbacks, percentage normalisations, date repairs, flows
left out of support) and import_summary.csv (per file, currency and type: money as
published, counted as support, commitment or expenditure, kept as pass-through, rejected).
Importing into a folder that already holds a package merges by key: imported money rows
replace rows with the same id; the package's own regions, countries, partners and
fx_rates are kept. Exchange rates come from DIR/fx_rates.csv where it has the currency,
else from the bundled IMF annual averages (data/reference/imf_annual_per_usd.csv).
See docs/importers.md for the full mapping."""


def add_import_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "import",
        help="turn IATI or 360Giving files into a partner data package",
        description="Import published funding data into a partner data package.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    standards = parser.add_subparsers(dest="standard", required=True, metavar="STANDARD")
    iati = standards.add_parser(
        "iati",
        help="IATI activity XML, versions 1.0x and 2.0x",
        description=textwrap.fill(
            "Import IATI activity files (iati-activities XML, 1.0x or 2.0x). Commitments (types 2, 11, C) "
            "become agreements per activity x partner x currency x region; incoming funds and "
            "disbursements (1, 3, IF, D) income; expenditure (4, E) expenditures; result indicators "
            "outcomes.",
            88,
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    giving = standards.add_parser(
        "360giving",
        help="360Giving grants as JSON, CSV or XLSX",
        description=textwrap.fill(
            'Import 360Giving grant files (JSON {"grants": [...]}, or CSV/XLSX with the standard\'s '
            "column titles). Each grant is an agreement with its funding organisation; amountDisbursed, "
            "where given, is income against it.",
            88,
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for sub, kind in ((iati, "*.xml"), (giving, "*.json, *.csv, *.xlsx")):
        sub.add_argument(
            "paths", nargs="+", metavar="PATH", help=f"a file, or a folder searched recursively for {kind}"
        )
        sub.add_argument(
            "--out", required=True, metavar="DIR", help="package folder to write or merge into (created if missing)"
        )
        sub.add_argument(
            "--regions",
            metavar="DIR",
            help="folder with regions.csv and country_regions.csv (or countries.csv) and optionally "
            "dac_regions.csv, to map countries to regions; default: DIR's own countries.csv and "
            "regions.csv if present, else data/reference/ (six UN M49 regions + GLOBAL)",
        )
        sub.add_argument("--quiet", action="store_true", help="no progress lines")
    iati.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes that read files in parallel (default: IMPORT_WORKERS, else one per core "
        "when there are several files over 16 MB in all; 1: one file after another, "
        "in this process). The output is the same either way.",
    )
    giving.add_argument(
        "--default-currency",
        metavar="CODE",
        help="currency for grants of a file that has no currency column (e.g. GBP)",
    )
    iati.set_defaults(handler=run_import)
    giving.set_defaults(handler=run_import)


def _progress(file: str, done: int, total: int) -> None:
    share = 100 * done / total if total else 100
    print(f"  {Path(file).name}: {share:5.1f}% of {total / 1e6:.1f} MB", file=sys.stderr)


def _log(line: str) -> None:
    print(f"  {line}", file=sys.stderr)


def run_import(args: argparse.Namespace) -> int:
    from pipelines.importers.iati import import_iati
    from pipelines.importers.threesixtygiving import import_360giving

    progress = None if args.quiet else _progress
    try:
        if args.standard == "iati":
            summary = import_iati(
                args.paths,
                args.out,
                regions_dir=args.regions,
                progress=progress,
                workers=args.workers,
                log=None if args.quiet else _log,
            )
        else:
            summary = import_360giving(
                args.paths,
                args.out,
                regions_dir=args.regions,
                default_currency=args.default_currency,
                progress=progress,
            )
    except ImportFailure as error:
        print(f"partner-reports import: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. an unreadable file or folder
        print(f"partner-reports import: error: {error}", file=sys.stderr)
        return 2
    report(summary, args.out)
    return 1 if summary.errors else 0


def report(summary: ImportSummary, out: str) -> None:
    print(f"Imported into {out}:")
    for line in summary.lines():
        print(f"  {line}")
    if summary.reconciliation:
        print("  Where the published money went (import_summary.csv has it per file):")
        for line in table_lines(summary.reconciliation):
            print(f"    {line}")
    for error in summary.errors:
        print(f"  error: {error}", file=sys.stderr)
