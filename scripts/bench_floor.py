"""The floor rows of scripts/bench: examples/floor.rs (the bare requests poolsync needs, no
merge) on the bench server, and the interleaved pairs of poolsync and the PATCH-only floor
that the 1.1x target reads. A mixin of bench_run.Bench (its run, add, reseed and results).
"""

import asyncio
import json
import math
import shutil
import statistics

import httpx

from bench_report import log
from bench_steal import disturbed, over


def median_interval(values, confidence=0.95):
    """A distribution-free interval for the median of what `values` sample: the k-th
    smallest to the k-th largest, k the largest with P(Binomial(n, 1/2) < k) <= (1 -
    confidence) / 2; with its real coverage. None under 6 values (no k >= 1 reaches 95%)."""
    xs, n = sorted(values), len(values)
    below, k = 0.0, 0
    while below + math.comb(n, k) / 2 ** n <= (1 - confidence) / 2:
        below += math.comb(n, k) / 2 ** n
        k += 1
    if k == 0:
        return None
    return xs[k - 1], xs[n - k], 1 - 2 * below


class FloorRows:
    """The floor's rows, for bench_run.Bench."""

    def floor_json(self, *extra, concurrency=None, api=None):
        c = concurrency or self.args.concurrency
        cmd = [self.args.floor, "--api-url", api or self.api, "--concurrency", str(c), *extra]
        proc, wall = self.run(cmd, check=False, api=api)
        try:
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            log(f"floor failed: {proc.stderr[-2000:]}")
            raise SystemExit(1)
        if r["failed"]:
            log(f"floor: {r['failed']} failed: {proc.stderr[-1000:]}")
        return r, wall

    def floor(self, pattern="batched", concurrency=None):
        extra = {"batched": ["--chunk", str(self.args.floor_chunk)], "per-pool": ["--per-pool"],
                 "patch-only": ["--patch-only"]}[pattern]
        # Every pool here was seeded stale: the floor PATCHes each, as poolsync does, to the
        # template poolsync wrote (a PATCH that changes nothing costs the server less).
        upgraded = self.work / "upgraded.json"
        r, wall = self.floor_json(*extra, "--every-pool", "--templates", str(upgraded),
                                  concurrency=concurrency)
        c = concurrency or self.args.concurrency
        what = {"batched": f"the batched design: list pages, per chunk of {self.args.floor_chunk} "
                           "a filter-by-names re-read, the PATCHes, a filter-by-names read-back",
                "per-pool": "the per-pool pattern: list pages + GET, PATCH, GET per pool",
                "patch-only": "list pages + 1 PATCH per pool"}[pattern]
        note = (f"{what}, the template poolsync wrote; {r['failed']} failed, {r['retries']} retries, "
                f"{r['requests']} requests")
        key = {"batched": "floor", "per-pool": "floor_pp", "patch-only": "floor_patch"}[pattern] \
            + (f"_c{c}" if concurrency else "")
        label = "floor (reqwest)" + {"batched": "", "per-pool": " --per-pool",
                                     "patch-only": " PATCH only"}[pattern]
        if concurrency:
            label += f" --concurrency {c}"
        self.add(key, label, r["pools"], wall, note)

    def save_templates(self, name):
        """Each bench pool's template now, by name, to <work>/<name>.json (for the floor's
        --templates)."""
        async def dump():
            async with httpx.AsyncClient(base_url=self.api, timeout=60) as client:
                return {p["name"]: p["base_job_template"] for p in await self._pools(client)
                        if not p["name"].lower().startswith("prefect")}
        path = self.work / f"{name}.json"
        path.write_text(json.dumps(asyncio.run(dump())))
        return path

    def floor_pairs(self):
        """The 1.1x target's measure: K pairs, each poolsync and the sequential PATCH-only
        floor (in turn, the order alternating) on the same stale pools, seconds apart, and
        the median of their ratios. One pair's ratio moves with the machine's pace (the same
        floor run took 2.0-3.0 s within minutes on a 2-core machine); the median of pairs in
        turn moves much less. Both runs of a pair make the same change: poolsync upgrades the
        seeded pools (with a new backup folder: a first run), and the floor PATCHes each
        pool from its seeded template to the one poolsync wrote (timed); the seeded templates
        are put back after each run (not timed).

        A pair in which the host took the CPUs away from this machine (steal time, from
        /proc/stat, over a share of either run's wall time: `disturbed`) is measured again,
        up to K more pairs: on a busy host one run of a pair lost a second or more to it
        while the other lost nothing (a 2.5 s floor run took 4.8 s). The rule is the same
        for both sides; the note lists every pair measured, the set-aside ones marked."""
        k, n = self.args.floor_pairs, self.args.pools
        stale, upgraded = self.work / "stale.json", self.work / "upgraded.json"

        def floor_to(templates, *pattern):
            r, wall = self.floor_json(*(pattern or ("--patch-only",)), "--every-pool",
                                      "--templates", str(templates), concurrency=1)
            if r["failed"]:
                bad.append(f"the floor failed {r['failed']}")
            return wall

        def poolsync(i):
            s, wall, proc = self.poolsync_json(state=self.work / f"state-pair-{i}")
            if s["outcomes"]["updated"] != n or proc.returncode != 0:
                bad.append(f"poolsync updated {s['outcomes']['updated']} of {n}")
            return wall

        # (poolsync wall, floor wall, steal of each, kept, the reading floor's wall, its steal)
        pairs, bad = [], []
        floor_to(stale)  # poolsync's row upgraded them
        # Each pair's poolsync gets a backup folder of its own, all removed after the pairs:
        # removing one just before a run made ext4 look for free inodes past the ones just
        # freed (13% of poolsync's CPU in a profile), which a user's first run never meets.
        # The order alternates (poolsync first in even pairs, the floor first in odd ones):
        # the server's own pauses (its Python's full garbage collection, ~300 ms every few
        # thousand requests) come at a period of their own, and a fixed order could let
        # them fall on one side of the pairs run after run.
        # Each turn also times the batched floor at --concurrency 1, which makes reads of the
        # kind poolsync's safe write needs (a re-read before each chunk's PATCHes, a
        # read-back after them, as issue 4 requires): how much of the gap to the PATCH-only
        # floor those reads are. It goes last, or first in odd turns; it decides nothing.
        reads = ("--chunk", str(self.args.floor_chunk))
        i = 0
        while sum(p[4] for p in pairs) < k and i < 2 * k:
            if i % 2:
                rwall, rsteal = over(lambda: floor_to(upgraded, *reads))
                floor_to(stale)
                fwall, fsteal = over(lambda: floor_to(upgraded))
                floor_to(stale)
            wall, steal = over(lambda: poolsync(i))
            floor_to(stale)
            if not i % 2:
                fwall, fsteal = over(lambda: floor_to(upgraded))
                floor_to(stale)
                rwall, rsteal = over(lambda: floor_to(upgraded, *reads))
                floor_to(stale)
            kept = not disturbed(steal, wall) and not disturbed(fsteal, fwall)
            pairs.append((wall, fwall, steal, fsteal, kept, rwall, rsteal))
            i += 1
        for j in range(i):
            shutil.rmtree(self.work / f"state-pair-{j}", ignore_errors=True)
        used = [p for p in pairs if p[4]] or pairs
        ratios = [w / f for w, f, *_ in used]
        median = statistics.median(ratios)
        every = statistics.median(w / f for w, f, *_ in pairs)
        self.results["pairs_median"] = median
        self.results["pairs_interval"] = median_interval(ratios)
        self.results["pairs_all_median"] = every
        self.results["pairs_used"] = (len(used), len(pairs), any(p[4] for p in pairs))
        self.results["pairs_sums"] = (sum(p[0] for p in used), sum(p[1] for p in used))
        self.results["pairs_ok"] = not bad
        calm = [p for p in used if not disturbed(p[6], p[5])] or used
        self.results["pairs_reads"] = (statistics.median(p[5] / p[1] for p in calm),
                                       statistics.median(p[0] / p[5] for p in calm), len(calm))
        shown = "; ".join(f"{w:.2f}/{f:.2f} s = {w / f:.2f}x"
                          + ("" if kept else f" (set aside: steal {s:.2f}/{fs:.2f} s)")
                          for w, f, s, fs, kept, *_ in pairs)
        set_aside = len(pairs) - sum(p[4] for p in pairs)
        note = (f"{len(used)} pairs on the same pools, the order alternating, poolsync/floor: "
                f"{shown}; median {median:.2f}x"
                + (f" ({set_aside} set aside for the host's steal time; all {len(pairs)}: "
                   f"{every:.2f}x)" if set_aside else "")
                + (f" [{'; '.join(bad)}]" if bad else ""))
        self.add("pairs", "poolsync update --all / floor PATCH only --concurrency 1, in turn",
                 n, statistics.median(p[0] for p in used), note)
