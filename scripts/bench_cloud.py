"""The Cloud-like rows of scripts/bench (--cloud): poolsync, the Python loop and the floor
through scripts/cloud_proxy.py in front of the bench's real server.

Two runs, each approach on freshly seeded pools with the proxy's counters reset:
- limited: --cloud-pools pools (--cloud-stale of them stale) at --cloud-rate requests/s;
- open: --cloud-open-pools pools, all stale, no rate limit.
Both with --cloud-delay ms each way. What a row counts comes from the proxy, not from the
client: requests = answers the proxy forwarded (its own 429s excluded), throttled = its 429s.
Ideal = requests / rate: the time the bucket needs to let those requests through.
See BENCHMARKS.md ("Cloud-like link").
"""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench_report import log, print_report

REPO = Path(__file__).resolve().parent.parent
SHORT = {  # route class -> the short name in a note
    "POST /work_pools/filter": "filter",
    "GET /work_pools/{name}": "GET pool",
    "PATCH /work_pools/{name}": "PATCH pool",
    "GET /collections/views/aggregate-worker-metadata": "defaults",
    "GET /csrf-token": "csrf",
}


class Proxy:
    """scripts/cloud_proxy.py as a child process, with its stats and reset endpoints."""

    def __init__(self, target: str, rate: float, burst, delay: float):
        cmd = [sys.executable, REPO / "scripts/cloud_proxy.py", "--target", target,
               "--rate", f"{rate:g}", "--delay-in", f"{delay:g}", "--delay-out", f"{delay:g}"]
        if burst is not None:
            cmd += ["--burst", f"{burst:g}"]
        self.rate = rate
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.proc.kill()
            raise SystemExit(f"bench: cloud_proxy did not start: {self.proc.stderr.read()[-2000:]}")
        self.origin = "/".join(self.url.split("/", 3)[:3])  # http://127.0.0.1:PORT

    def _call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.origin + path, method=method, data=b"" if method == "POST" else None)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=30) as r:
            return json.loads(r.read())

    def stats(self) -> dict:
        return self._call("GET", "/__proxy/stats")

    def reset(self) -> None:
        self._call("POST", "/__proxy/reset")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Cloud:
    def __init__(self, bench):
        self.b = bench
        self.args = bench.args
        self.rows = []  # dicts, in run order

    # ---- one approach through the proxy ------------------------------------------------

    def measure(self, proxy, run, key, label, pools, stale):
        proxy.reset()
        outcome = run(proxy.url)
        # Each approach times its own process: not the checks after it (poolsync's dry run).
        wall = outcome.pop("wall")
        s = proxy.stats()
        row = dict(key=key, label=label, pools=pools, stale=stale, wall=wall, rate=proxy.rate,
                   served=s["served"], throttled=s["throttled"], stats=s, **outcome)
        routes = ", ".join(f"{SHORT.get(k, k)} {v}" for k, v in s["routes"].items())
        other = {k: v for k, v in s["statuses"].items() if k not in ("200", "201", "204", "429")}
        row["note"] = (f"{routes}" + (f"; upstream {other}" if other else "")
                       + (f"; {outcome['extra']}" if outcome.get("extra") else ""))
        self.rows.append(row)
        self.b.loads.append(self.b.load_and_steal())
        log(f"{label} ({'%g req/s' % proxy.rate if proxy.rate else 'no limit'}): "
            f"{row['updated']} updated, {row['failed']} failed in {wall:.2f} s; "
            f"{s['served']} requests, {s['throttled']} throttled")
        return row

    def poolsync(self, api):
        s, wall, proc = self.b.poolsync_json(api=api)
        o = s["outcomes"]
        errors = [r.get("error") or "" for r in map(json.loads, proc.stdout.splitlines()[:-1])
                  if r.get("outcome") == "failed"]
        extra = f"{s['retries']} retries, exit {proc.returncode}"
        if errors:
            extra += f"; first failure: {errors[0][:160]}"
        # Untimed, on the server itself (no tokens spent): nothing left to change.
        check, _, _ = self.b.poolsync_json("--dry-run")
        after = check["outcomes"]["up_to_date"]
        extra += f"; afterwards {after} up to date"
        return dict(updated=o["updated"], failed=o["failed"], extra=extra, checked=after,
                    wall=wall)

    def python(self, api, lean=False):
        cmd = [sys.executable, REPO / "scripts/bench_python.py", "--mode", "sequential"]
        if lean:
            cmd.append("--lean")
        proc, wall = self.b.run(cmd, check=False, api=api)
        try:
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            log(f"bench_python.py failed: {proc.stderr[-2000:]}")
            raise SystemExit(1)
        extra = f"{r['import_seconds']:.1f} s imports"
        if lean:
            extra += f", {r['unchanged']} unchanged"
        return dict(updated=r["updated"], failed=r["failed"], extra=extra, wall=wall)

    def floor(self, api):
        r, wall = self.b.floor_json("--chunk", str(self.args.floor_chunk), api=api)
        return dict(updated=r["patched"] - r["failed"], failed=r["failed"], wall=wall,
                    extra=f"{r['skipped']} skipped as up to date, {r['retries']} retries")

    def scenario(self, proxy, pools, stale, tag):
        approaches = [
            ("poolsync", "poolsync update --all", self.poolsync),
            ("python", "python loop, documented (GET + PATCH each pool)", self.python),
            ("lean", "python loop, lean (as listed, PATCH if changed)",
             lambda api: self.python(api, True)),
            ("floor", f"floor (batched, chunk {self.args.floor_chunk})", self.floor),
        ]
        for key, label, run in approaches:
            self.b.reseed(pools, pools - stale)
            row = self.measure(proxy, run, key, label, pools, stale)
            row["tag"] = tag

    # ---- the runs and the report -------------------------------------------------------

    def run(self):
        a = self.args
        limited = Proxy(self.b.api, a.cloud_rate, a.cloud_burst, a.cloud_delay)
        try:
            log(f"cloud: proxy {limited.url}, {a.cloud_rate:g} req/s, {a.cloud_delay:g} ms each way")
            self.scenario(limited, a.cloud_pools, a.cloud_stale, "limited")
        finally:
            limited.stop()
        if a.cloud_open_pools:
            open_ = Proxy(self.b.api, 0, None, a.cloud_delay)
            try:
                log(f"cloud: proxy {open_.url}, no rate limit, {a.cloud_delay:g} ms each way")
                self.scenario(open_, a.cloud_open_pools, a.cloud_open_pools, "open")
            finally:
                open_.stop()
        self.report()

    def report(self):
        a = self.args
        lines = ["| link | approach | pools (stale) | updated | failed | wall s | requests "
                 "| per updated pool | 429s (% of answers) | ideal s | x ideal | x python documented "
                 "| x python lean | note: requests by route, other upstream statuses |",
                 "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
        by = {(r["tag"], r["key"]): r for r in self.rows}
        for r in self.rows:
            doc, lean = by[(r["tag"], "python")], by[(r["tag"], "lean")]
            answers = r["served"] + r["throttled"]
            ideal = r["served"] / r["rate"] if r["rate"] else None
            ideal_s, x_ideal = (f"{ideal:.1f}", f"{r['wall'] / ideal:.2f}x") if ideal else ("-", "-")
            link = (f"{r['rate']:g} req/s" if r["rate"] else "no limit") + f", {a.cloud_delay:g} ms each way"
            lines.append(
                f"| {link} | {r['label']} | {r['pools']} ({r['stale']}) | {r['updated']} | {r['failed']} "
                f"| {r['wall']:.2f} | {r['served']} | {r['served'] / max(r['updated'], 1):.2f} "
                f"| {r['throttled']} ({100 * r['throttled'] / max(answers, 1):.0f}%) "
                f"| {ideal_s} | {x_ideal} "
                f"| {r['wall'] / doc['wall']:.2f}x | {r['wall'] / lean['wall']:.2f}x | {r['note']} |")
        targets = []

        def target(name, ok, detail):
            targets.append(f"- {'PASS' if ok else 'FAIL'}: {name} ({detail})")

        def only_if(ok):  # a speed or request target fails with the pools
            return "" if ok else "; and not every stale pool was updated"

        names = {"python": "documented Python loop", "lean": "lean Python loop"}
        p = by.get(("limited", "poolsync"))
        if p:
            ideal = p["served"] / p["rate"]
            answers = p["served"] + p["throttled"]
            ok = p["updated"] == p["stale"] and p["failed"] == 0 and p["checked"] == p["pools"]
            target(f"at {p['rate']:g} req/s every stale pool updated and none failed", ok,
                   f"{p['updated']} of {p['stale']} updated, {p['failed']} failed, "
                   f"afterwards {p['checked']} of {p['pools']} up to date")
            per = p["served"] / max(p["updated"], 1)
            target("<= 1.10 requests per updated pool", per <= 1.10 and ok, f"{per:.2f}" + only_if(ok))
            share = p["throttled"] / max(answers, 1)
            target("<= 5% of answers throttled", share <= 0.05,
                   f"{p['throttled']} of {answers}, {100 * share:.0f}%")
            for which in ("python", "lean"):
                py = by[("limited", which)]
                target(f"<= 0.9x the {names[which]}'s time",
                       p["wall"] <= 0.9 * py["wall"] and ok,
                       f"{p['wall']:.1f} s vs {py['wall']:.1f} s: {p['wall'] / py['wall']:.2f}x"
                       + only_if(ok))
            target("<= 1.05x the ideal (requests / rate)", p["wall"] <= 1.05 * ideal and ok,
                   f"{p['wall']:.1f} s vs {p['served']} / {p['rate']:g} = {ideal:.1f} s: "
                   f"{p['wall'] / ideal:.2f}x" + only_if(ok))
        o = by.get(("open", "poolsync"))
        if o:
            ok = o["updated"] == o["stale"] and o["failed"] == 0
            for which in ("python", "lean"):
                py = by[("open", which)]
                target(f"no limit: >= 6x faster than the sequential {names[which]}",
                       py["wall"] >= 6 * o["wall"] and ok,
                       f"{py['wall']:.1f} s / {o['wall']:.1f} s = {py['wall'] / o['wall']:.2f}x"
                       + only_if(ok))
        for tag in ("limited", "open"):
            f, p = by.get((tag, "floor")), by.get((tag, "poolsync"))
            if f and p:
                targets.append(f"- info ({tag}): poolsync takes {p['wall'] / f['wall']:.2f}x the batched "
                               f"floor's time and {p['served'] / max(f['served'], 1):.2f}x its requests")
        print_report(lines, targets, a, self.b.loads)

