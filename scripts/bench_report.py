"""The report scripts/bench prints at the end of a run: the table, the targets and the
conditions of the run, and the progress lines before it (shared by the local rows,
bench_run.py and bench_floor.py, and the Cloud-like rows, bench_cloud.py)."""

import sys


def log(msg: str) -> None:
    """A progress line on stderr."""
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def print_report(lines, targets, args, loads) -> None:
    """The table, the targets and the conditions of the run, as scripts/bench prints them."""
    database = "PostgreSQL (--postgres)" if args.postgres else "SQLite"
    print()
    print("\n".join(lines))
    print()
    print("\n".join(targets))
    print()
    print(f"database {database}; concurrency {args.concurrency}; "
          f"1-min load after each row: {', '.join(loads)}")
