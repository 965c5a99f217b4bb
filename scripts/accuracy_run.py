"""scripts/accuracy: how well a first run upgrades pools born from every released template.

Not meant to be run by hand: scripts/accuracy builds poolsync and passes --poolsync. For every
work-pool type T and every distinct template X of T in poolsync's history (`poolsync default
--type T --history --output json`): a pool made from X, customised (scripts/accuracy_pool.py),
is upgraded to T's newest `prefect` default with `poolsync merge --base auto --type T
--history-file H`, and scored (scripts/accuracy_score.py). Two offline runs: leave-one-out (H
lacks X and every template identical to it) and with the true base (H is the whole history).
--server: also a sample of the leave-one-out pools on a real throw-away Prefect server
(created over the REST API, `poolsync update`, read back). Writes ACCURACY.md and prints it.
"""

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from accuracy_pool import customise
from accuracy_report import report
from accuracy_score import Score, score, self_check

REPO = Path(__file__).resolve().parent.parent
SEED = 16


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--poolsync", default=str(REPO / "target/release/poolsync"))
    p.add_argument("--server", action="store_true",
                   help="also upgrade a sample on a real throw-away Prefect server")
    p.add_argument("--sample", type=int, default=2, metavar="N",
                   help="with --server: templates per type (default 2)")
    p.add_argument("--types", help="comma-separated types (default: every type in the history)")
    p.add_argument("--output", default=str(REPO / "ACCURACY.md"), help="the report file")
    p.add_argument("--keep", action="store_true", help="keep the work files (pools, merges)")
    p.add_argument("--command", default="scripts/accuracy", help=argparse.SUPPRESS)
    return p.parse_args()


def version_key(release):
    """A sort key for release names: 3.6.23 > 3.6.9, 2025-03-21 as numbers too."""
    parts = []
    for piece in release.replace("-", ".").split("."):
        digits = "".join(c for c in piece if c.isdigit())
        parts.append((int(digits) if digits else -1, piece))
    return parts


class Case:
    """One pool: its type, the template it was made from, and how it came out."""

    def __init__(self, pool_type, index, entry, newest):
        self.pool_type = pool_type
        self.index = index
        self.entry = entry
        self.label = f"{entry['package']} {entry['releases']}"
        self.origin = entry["template"]
        self.newest = newest
        # Seeded by the template's name, so a reordered history customises it the same way.
        self.pool, self.custom = customise(self.origin, newest, pool_type, f"{SEED}/{self.label}")
        self.base = ""  # the base line poolsync reported
        self.invalid_origin = ""  # poolsync validate's complaint about the released template
        self.score = Score()


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="poolsync-accuracy-"))
        self.history = {}  # type -> the `default --history --output json` object
        self.newest = {}  # type -> the newest prefect entry

    def poolsync(self, *argv, env=None):
        return subprocess.run([self.args.poolsync, *map(str, argv)], capture_output=True,
                              text=True, env=env)

    def load(self):
        data = json.load(gzip.open(REPO / "crates/engine/data/default-history.json.gz"))
        types = self.args.types.split(",") if self.args.types else sorted(data["types"])
        for pool_type in types:
            proc = self.poolsync("default", "--type", pool_type, "--history", "--output", "json")
            if proc.returncode != 0:
                raise SystemExit(f"accuracy: {proc.stderr.strip()}")
            self.history[pool_type] = json.loads(proc.stdout)
            prefect = [d for d in self.history[pool_type]["defaults"] if d["package"] == "prefect"]
            self.newest[pool_type] = max(prefect, key=lambda d: version_key(d["last"]))

    def cases(self):
        out = []
        for pool_type, history in self.history.items():
            newest = self.newest[pool_type]["template"]
            for index, entry in enumerate(history["defaults"]):
                case = Case(pool_type, index, entry, newest)
                released = self.write(f"{pool_type}-{index}-released.json", case.origin)
                check = self.poolsync("validate", "--file", released, "--color", "never")
                if check.returncode != 0:
                    case.invalid_origin = last_line(check.stdout + check.stderr)
                out.append(case)
        return out

    def write(self, name, value):
        path = self.work / name
        path.write_text(json.dumps(value, indent=1))
        return path

    def history_file(self, case, leave_out):
        """Every type's defaults; with leave_out, T's lack the pool's template and its copies."""
        entries = []
        for pool_type, history in self.history.items():
            defaults = history["defaults"]
            if leave_out and pool_type == case.pool_type:
                defaults = [d for d in defaults if d["template"] != case.origin]
            entries.append({"type": pool_type, "source": history["source"], "defaults": defaults})
        name = f"history-{case.pool_type}-{case.index}.json" if leave_out else "history-all.json"
        path = self.work / name
        if not path.exists():
            path.write_text(json.dumps(entries))
        return path

    def offline(self, leave_out):
        cases = self.cases()
        for case in cases:
            problem = self_check(case.origin, case.newest, case.pool, case.custom)
            if problem:
                raise SystemExit(f"accuracy: oracle self-check, {case.pool_type} {case.label}: {problem}")
            stem = f"{case.pool_type}-{case.index}"
            current = self.write(f"{stem}-pool.json", case.pool)
            default = self.write(f"{case.pool_type}-newest.json", case.newest)
            proc = self.poolsync("merge", "--base", "auto", "--type", case.pool_type,
                                 "--history-file", self.history_file(case, leave_out),
                                 "--default", default, "--current", current, "--color", "never")
            case.base = base_line(proc.stderr)
            if proc.returncode != 0:
                case.score = score(case.origin, case.newest, case.pool, case.custom)
                case.score.refused = f"merge exit {proc.returncode}: {last_line(proc.stderr)}"
                continue
            merged = json.loads(proc.stdout)
            merged_file = self.write(f"{stem}-merged-{'loo' if leave_out else 'all'}.json", merged)
            case.score = score(case.origin, case.newest, merged, case.custom)
            check = self.poolsync("validate", "--file", merged_file, "--color", "never")
            if check.returncode != 0:
                case.score.refused = f"validate exit {check.returncode}: {last_line(check.stdout + check.stderr)}"
        return cases

    def server(self):
        from accuracy_server import run_on_server

        rng = random.Random(SEED)
        sample, every = [], self.cases()
        for pool_type in self.history:
            cases = [c for c in every if c.pool_type == pool_type and not c.invalid_origin]
            older = [c for c in cases if c.origin != c.newest] or cases
            sample += sorted(rng.sample(older, min(self.args.sample, len(older))), key=lambda c: c.index)
        return run_on_server(self, sample)


def base_line(stderr):
    return next((line[len("base: "):] for line in stderr.splitlines() if line.startswith("base: ")), "")


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def main():
    args = parse()
    runner = Runner(args)
    runner.load()
    runs = [("leave-one-out", "offline, the pool's template and its copies left out of the history",
             runner.offline(leave_out=True)),
            ("true base", "offline, the whole history (the pool's template is a candidate)",
             runner.offline(leave_out=False))]
    if args.server:
        runs.append(("leave-one-out on a server",
                     f"a real Prefect server, {args.sample} templates per type, `poolsync update`",
                     runner.server()))
    text = report(runs, runner, args)
    Path(args.output).write_text(text)
    print(text)
    if args.keep:
        print(f"accuracy: work files in {runner.work}", file=sys.stderr)
    else:
        shutil.rmtree(runner.work, ignore_errors=True)
    print(f"accuracy: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
