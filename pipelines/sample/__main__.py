"""`python -m pipelines.sample --out DIR [--copies N] [--seed S]`: write a sample package."""

import argparse
import sys
import time
from pathlib import Path

from pipelines.sample.generate import generate_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.sample",
        description="Write the fictional sample partner data package (deterministic for a seed).",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the ten table files into")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="how many copies of the story's partners to make (1 = the bundled sample; "
        "1000 gives a few million rows for benchmarks)",
    )
    parser.add_argument("--seed", type=int, default=2025, help="random seed (default 2025)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error("--copies must be at least 1")
    started = time.perf_counter()
    counts = generate_package(args.out, copies=args.copies, seed=args.seed, file_format=args.format)
    for table, rows in counts.items():
        print(f"{table:<14} {rows:>10,} rows")
    print(f"wrote {sum(counts.values()):,} rows to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
