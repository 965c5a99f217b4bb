"""The measurements of scripts/bench, against a Prefect server scripts/bench started.

Not meant to be run by hand: scripts/bench builds poolsync, starts the server and passes
--api-url, --poolsync, --floor and --workdir. See BENCHMARKS.md for what each row measures.
"""

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench_floor import FloorRows
from bench_report import local_report, log
from bench_steal import steady, steal_seconds
from seed_pools import TYPES, request

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PREFIX = "bench"
RSS_WRAPPER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""
SEED_TYPES = TYPES  # the types seed_pools.py rotates through

# The shell loop from Prefect's docs, for one pool (argument 1); files in $W.
SHELL_LOOP = r"""
set -euo pipefail
pool="$1"
prefect work-pool inspect "$pool" --output json > "$W/pool.json"
type="$(jq -r .type "$W/pool.json")"
prefect work-pool get-default-base-job-template --type "$type" > "$W/default.json"
jq .base_job_template "$W/pool.json" > "$W/current.json"
jq -s '.[0] * .[1]' "$W/default.json" "$W/current.json" > "$W/merged.json"
prefect work-pool update "$pool" --base-job-template "$W/merged.json" > /dev/null
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    p.add_argument("--pools", type=int, default=500, help="pools on the real server (N)")
    p.add_argument("--shell-sample", type=int, default=5, help="pools the shell loop runs on (K)")
    p.add_argument("--concurrency", type=int, default=8, help="poolsync's --concurrency (C)")
    p.add_argument("--skip-rss", action="store_true", help="skip the peak RSS run")
    p.add_argument("--rss-pools", type=int, default=10000, help="pools of the fake API (M)")
    p.add_argument("--floor-chunk", type=int, default=50, help="the floor's --chunk (K)")
    p.add_argument("--floor-pairs", type=int, default=15,
                   help="interleaved poolsync / PATCH-only floor pairs for the 1.1x target")
    p.add_argument("--postgres", action="store_true",
                   help="the bench server keeps its database in PostgreSQL, not SQLite")
    c = p.add_argument_group("cloud-like link (--cloud; see BENCHMARKS.md)")
    c.add_argument("--cloud", action="store_true",
                   help="instead of the plain rows: poolsync, the Python loop and the floor "
                        "through scripts/cloud_proxy.py (latency each way, a rate limit)")
    c.add_argument("--cloud-pools", type=int, default=100, help="pools of the rate-limited run")
    c.add_argument("--cloud-stale", type=int,
                   help="of those, stale; the rest are up to date (default: 90%%)")
    c.add_argument("--cloud-rate", type=float, default=10, help="requests/s of the limited run")
    c.add_argument("--cloud-burst", type=float, help="token bucket size (default: the rate)")
    c.add_argument("--cloud-open-pools", type=int, default=200,
                   help="pools (all stale) of the run with no rate limit (0: skip it)")
    c.add_argument("--cloud-delay", type=float, default=25, help="ms added each way")
    p.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--api-url", help=argparse.SUPPRESS)
    p.add_argument("--poolsync", help=argparse.SUPPRESS)
    p.add_argument("--floor", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if min(args.pools, args.shell_sample, args.concurrency, args.rss_pools, args.floor_pairs) < 1:
        p.error("counts must be at least 1")
    if args.shell_sample > args.pools:
        p.error("--shell-sample cannot exceed --pools")
    if min(args.cloud_pools, args.floor_chunk) < 1 or args.cloud_open_pools < 0:
        p.error("--cloud-pools and --floor-chunk must be at least 1, --cloud-open-pools >= 0")
    if args.cloud_stale is None:
        args.cloud_stale = round(0.9 * args.cloud_pools)
    if not 0 <= args.cloud_stale <= args.cloud_pools:
        p.error("--cloud-stale must be between 0 and --cloud-pools")
    if args.cloud_rate <= 0:
        p.error("--cloud-rate must be > 0 (the open run has no limit)")
    return args


def load() -> str:
    return "%.2f" % os.getloadavg()[0]


class Bench(FloorRows):
    def __init__(self, args):
        self.args = args
        self.api = args.api_url.rstrip("/")
        self.work = Path(args.workdir)
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "home").mkdir(exist_ok=True)
        self.env = dict(
            os.environ,
            PREFECT_API_URL=self.api,
            PREFECT_HOME=str(self.work / "home"),
            # poolsync's backups (one per write) go to the bench's own folder, removed with it.
            XDG_STATE_HOME=str(self.work / "state"),
            PATH=f"{VENV_BIN}:{os.environ['PATH']}",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            DO_NOT_TRACK="1",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )
        for key in ("PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_API_AUTH_STRING"):
            self.env.pop(key, None)
        self.rows = []  # (key, approach, pools, wall, note)
        self.results = {}
        self.loads = []
        self.steal_mark = steal_seconds()

    # ---- helpers -------------------------------------------------------------------

    def run(self, cmd, timed=True, check=True, stdout=subprocess.PIPE, api=None, state=None,
            **kw):
        """Runs cmd (PREFECT_API_URL = api when given, else the bench server; poolsync's
        backups under XDG_STATE_HOME = state when given, else the bench's own folder)."""
        env = dict(self.env)
        if api is not None:
            env["PREFECT_API_URL"] = api
        if state is not None:
            env["XDG_STATE_HOME"] = str(state)
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE,
                              text=True, **kw)
        wall = time.perf_counter() - start
        if check and proc.returncode != 0:
            log(f"{shlex.join(map(str, cmd))} exited {proc.returncode}")
            sys.stderr.write((proc.stderr or "")[-3000:])
            raise SystemExit(1)
        return proc, wall

    async def _pools(self, client):
        """Every pool on the bench server, page by page."""
        pools = []
        while True:
            r = await request(client, "POST", "/work_pools/filter",
                                    json={"limit": 200, "offset": len(pools)})
            r.raise_for_status()
            pools += r.json()
            if len(r.json()) < 200:
                return pools

    async def _reset(self):
        async with httpx.AsyncClient(base_url=self.api, timeout=60) as client:
            names = [p["name"] for p in await self._pools(client)]
            # One at a time: concurrent deletes on SQLite starve each other with 503s.
            gate = asyncio.Semaphore(1)

            async def delete(name):
                async with gate:
                    r = await request(client, "DELETE", f"/work_pools/{name}")
                    if r.status_code not in (204, 404):
                        raise SystemExit(f"bench: DELETE {name}: {r.status_code} {r.text[:200]}")

            await asyncio.gather(*(delete(n) for n in names if not n.lower().startswith("prefect")))
            return len(names)

    def count_pools(self) -> int:
        async def count():
            async with httpx.AsyncClient(base_url=self.api, timeout=60) as client:
                r = await client.post("/work_pools/count", json={})
                r.raise_for_status()
                return r.json()
        return asyncio.run(count())

    def reseed(self, count=None, fresh=0):
        """Every pool deleted, then `count` (default N) fresh pools, all stale but the last
        `fresh` (not timed; always on the server itself, never through a proxy)."""
        count = self.args.pools if count is None else count
        deleted = asyncio.run(self._reset())
        self.run([sys.executable, REPO / "scripts/seed_pools.py", "--api-url", self.api,
                  "--count", str(count), "--fresh", str(fresh), "--prefix", PREFIX,
                  "--concurrency", "8", "--poolsync", self.args.poolsync])
        have = self.count_pools()
        if have != count:
            raise SystemExit(f"bench: expected {count} pools after seeding, found {have}")
        log(f"re-seeded: {deleted} pools deleted, {have} pools created ({count - fresh} stale)")

    def poolsync_json(self, *extra, concurrency=None, api=None, state=None):
        cmd = [self.args.poolsync, "update", "--all", "--output", "json",
               "--concurrency", str(concurrency or self.args.concurrency), *extra]
        proc, wall = self.run(cmd, check=False, api=api, state=state)
        lines = proc.stdout.strip().splitlines()
        summary = json.loads(lines[-1]).get("summary") if lines else None
        if summary is None:
            log(f"poolsync printed no summary (exit {proc.returncode}): {proc.stderr[-2000:]}")
            raise SystemExit(1)
        return summary, wall, proc

    def load_and_steal(self) -> str:
        """The 1-min load now and the host's steal time since the row before (seconds, all
        CPUs): a row whose steal is more than a few hundredths of a second was slowed by
        the host, not by what it measures."""
        now = steal_seconds()
        stolen, self.steal_mark = now - self.steal_mark, now
        return f"{load()} (steal {stolen:.2f})"

    def add(self, key, approach, pools, wall, note):
        self.rows.append((key, approach, pools, wall, note))
        self.loads.append(self.load_and_steal())
        log(f"{approach}: {pools} pools in {wall:.2f} s ({note})")

    # ---- the approaches ------------------------------------------------------------

    def poolsync_dry_run(self):
        s, wall, _ = self.poolsync_json("--dry-run")
        o = s["outcomes"]
        note = (f"{o['would_change']} would change, {o['up_to_date']} up to date, "
                f"{o['failed']} failed, {s['retries']} retries")
        if o["would_change"] != self.args.pools:
            note += " [UNEXPECTED]"
        self.add("dry", "poolsync --dry-run", s["total"], wall, note)

    def poolsync_real(self, key="real", label="poolsync update --all", concurrency=None, extra=()):
        # --verbose: one stderr line per request, so the note can say which were retried.
        s, wall, proc = self.poolsync_json("--verbose", *extra, concurrency=concurrency)
        o = s["outcomes"]
        ok = o["updated"] == self.args.pools and o["failed"] == 0 and proc.returncode == 0
        note = (f"{o['updated']} updated, {o['failed']} failed, {s['retries']} retries, "
                f"{s['requests']} requests")
        refused = refusals(proc.stderr)
        if refused:
            note += f" (refused: {', '.join(refused[:6])}{', ...' if len(refused) > 6 else ''})"
        errors = [r.get("error") or "" for r in map(json.loads, proc.stdout.splitlines()[:-1])
                  if r.get("outcome") == "failed"]
        if errors:
            note += f" (first failure: {errors[0][:160]})"
        check, _, _ = self.poolsync_json("--dry-run")
        after = check["outcomes"]["up_to_date"]
        note += f"; afterwards {after} up to date"
        if not ok or after != self.args.pools:
            note += " [CHECK FAILED]"
        self.results[key + "_ok"] = ok
        self.results[key + "_retries"] = s["retries"]
        self.results[key + "_requests"] = s["requests"]
        self.add(key, label, s["total"], wall, note)

    def shell(self):
        k, n = self.args.shell_sample, self.args.pools
        # Indices 0..K-1: seed_pools.py rotates the types, so K >= 5 samples every type.
        picks = list(range(k))
        sample = [f"{PREFIX}-{SEED_TYPES[i % len(SEED_TYPES)]}-{i:05d}" for i in picks]
        script = self.work / "shell-loop.sh"
        script.write_text(SHELL_LOOP)
        shell_dir = self.work / "shell"
        shell_dir.mkdir(exist_ok=True)
        self.env["W"] = str(shell_dir)
        times, failed = [], 0
        for name in sample:
            proc, wall = self.run(["bash", script, name], check=False)
            times.append(wall)
            if proc.returncode != 0:
                failed += 1
                log(f"shell loop failed for {name}: {proc.stderr[-1000:]}")
        del self.env["W"]
        per = sum(times) / len(times)
        types = sorted({SEED_TYPES[i % len(SEED_TYPES)] for i in picks})
        note = (f"extrapolated from {len(times)} pools ({', '.join(types)}), "
                f"{min(times):.2f}-{max(times):.2f} s each, {failed} failed; sequential, "
                f"3 prefect CLI processes + 3 jq per pool")
        self.add("shell", "shell loop (prefect CLI + jq)", n, per * n, note)

    def python(self, mode, again=False):
        """The Python loop's row (`again`: a second row, measured just before poolsync's
        repeat run and compared with it: the server slows as runs accumulate, so a repeat
        measured ten rows after the first Python row is no side-by-side measure)."""
        cmd = [sys.executable, REPO / "scripts/bench_python.py", "--mode", mode,
               "--concurrency", str(self.args.concurrency)]
        proc, wall = self.run(cmd, check=False)
        try:
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            log(f"bench_python.py failed: {proc.stderr[-2000:]}")
            raise SystemExit(1)
        how = "sequential for loop" if mode == "sequential" else \
            f"asyncio.gather, Semaphore({self.args.concurrency})"
        note = (f"{how}; {r['updated']} updated, {r['failed']} failed; "
                f"{r['import_seconds']:.1f} s imports + {r['seconds']:.1f} s work")
        self.results[f"python_{mode}_ok"] = r["failed"] == 0 and r["updated"] == self.args.pools
        key, label = f"py_{mode}", f"python, prefect client ({mode})"
        if again:
            key, label = key + "2", label + ", beside the repeat"
        self.add(key, label, r["pools"], wall, note)

    def rss(self):
        m = self.args.rss_pools
        fake = subprocess.Popen([sys.executable, REPO / "scripts/fake_prefect.py", "--pools", str(m),
                                 "--poolsync", self.args.poolsync],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            url = fake.stdout.readline().strip()
            if not url.startswith("http://"):
                raise SystemExit(f"bench: fake_prefect did not start: {fake.stderr.read()[-2000:]}")
            env = dict(self.env, PREFECT_API_URL=url)
            cmd = [self.args.poolsync, "update", "--all", "--output", "json",
                   "--concurrency", str(self.args.concurrency)]
            # Not RUSAGE_CHILDREN / wait4 from this process: Linux folds the pre-exec memory
            # of the forked child (a copy of this big Python process) into the child's
            # ru_maxrss. GNU time is a ~2 MiB parent; else a fresh bare interpreter.
            rss_file = self.work / "rss.txt"
            if Path("/usr/bin/time").exists():
                cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
                how = "GNU time %M"
            else:
                cmd = ["python3", "-c", RSS_WRAPPER, rss_file, *cmd]
                how = "wait4 in a bare python3"
            start = time.perf_counter()
            child = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            wall = time.perf_counter() - start
            err = child.stderr.decode(errors="replace")
            kib = int(rss_file.read_text().split()[-1])
        finally:
            fake.terminate()
            fake_err = fake.communicate(timeout=30)[1]
        counts = fake_err.strip().splitlines()[-1] if fake_err.strip() else "?"
        mib = kib / 1024
        self.results["rss_mib"] = mib
        self.results["rss_ok"] = child.returncode == 0 and f"'PATCH pool': {m}" in counts
        note = (f"fake API, exit {child.returncode}; peak RSS {mib:.1f} MiB ({how}); "
                f"requests served: {counts.removeprefix('fake_prefect: ')}")
        if err.strip():
            note += f"; stderr: {err.strip()[:200]}"
        self.add("rss", "poolsync update --all (fake API)", m, wall, note)

    # ---- report --------------------------------------------------------------------

    def report(self):
        local_report(self.rows, self.results, self.args, self.loads)

def refusals(stderr: str) -> list:
    """The requests answered 429 or 5xx (or not at all), from poolsync's --verbose lines,
    each as `METHOD STATUS at request N of M` (when in the run it came)."""
    sent = [line for line in stderr.splitlines() if line.startswith("poolsync: ") and " -> " in line]
    out = []
    for n, line in enumerate(sent, 1):
        method, answer = line.split()[1], line.split(" -> ", 1)[1].split()[0]
        if not (answer.isdigit() and answer[0] in "23"):
            out.append(f"{method} {answer} at request {n} of {len(sent)}")
    return out


def main() -> int:
    args = parse_args()
    if args.parse_only:
        return 0
    b = Bench(args)
    if args.cloud:
        from bench_cloud import Cloud  # scripts/ is sys.path[0]
        log(f"load {load()}; cloud-like link")
        Cloud(b).run()
        return 0
    log(f"load {load()}; seeding {args.pools} stale pools")
    b.reseed()
    b.save_templates("stale")
    b.poolsync_dry_run()
    steady(b, b.poolsync_real)
    b.save_templates("upgraded")
    if not args.postgres:
        b.floor_pairs()
    b.reseed()
    b.shell()
    b.reseed()
    steady(b, lambda: b.python("sequential"))
    b.reseed()
    steady(b, lambda: b.python("gather"))
    # Each floor row changes the pools (to the templates poolsync wrote): stale ones each.
    for pattern, concurrency in (("batched", None), ("per-pool", None), ("patch-only", None),
                                 ("batched", 1), ("patch-only", 1)):
        b.reseed()
        steady(b, lambda: b.floor(pattern, concurrency=concurrency))
    b.reseed()
    steady(b, lambda: b.python("sequential", again=True))
    b.reseed()
    steady(b, lambda: b.poolsync_real("real2", "poolsync update --all (repeat)"))
    b.reseed()
    steady(b, lambda: b.poolsync_real("real_c1", "poolsync update --all --concurrency 1",
                                     concurrency=1))
    b.reseed()
    steady(b, lambda: b.poolsync_real("real_cd", "poolsync update --all --check-deployments",
                                     extra=("--check-deployments",)))
    if not args.skip_rss:
        b.rss()
    b.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
