"""The report scripts/bench prints at the end of a run: the table, the targets and the
conditions of the run, and the progress lines before it (shared by the local rows,
bench_run.py and bench_floor.py, and the Cloud-like rows, bench_cloud.py), and the local
rows' table and targets (`local_report`)."""

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
          f"1-min load after each row (the host's steal time over it, s): {', '.join(loads)}")


def local_report(rows, results, args, loads) -> None:
    """The local rows' report (bench_run.py: SQLite or PostgreSQL on loopback): the table and
    issue 19's targets for that server, from the rows and results of the run."""
    by = {r[0]: r for r in rows}
    base = by["real"][3]
    lines = ["| approach | pools | wall seconds | per pool ms | ratio vs poolsync (real update) | note |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for key, approach, pools, wall, note in rows:
        label = approach + (" (extrapolated)" if key == "shell" else "")
        ratio = "-" if key == "rss" else f"{wall / base:.2f}x"
        lines.append(f"| {label} | {pools} | {wall:.2f} | {1000 * wall / max(pools, 1):.2f} | "
                     f"{ratio} | {note} |")
    targets = []

    real_ok = results.get("real_ok", False) and results.get("real2_ok", True)

    def target(name, ok, detail, speed=True):
        if speed and not real_ok:
            detail += "; and a real poolsync run failed pools, so no speed target can pass"
        targets.append(f"- {'PASS' if ok else 'FAIL'}: {name} ({detail})")

    # Targets hold only if they hold for both timed real runs (first and repeat).
    runs = [by[k][3] for k in ("real", "real2") if k in by]
    both = lambda f: " / ".join(f(w) for w in runs) + " (first / repeat run)"
    if "shell" in by:
        rs = [by["shell"][3] / w for w in runs]
        target("poolsync >= 200x faster than the shell loop",
               min(rs) >= 200 and real_ok, both(lambda w: f"{by['shell'][3] / w:.0f}x"))
    # Issue 19's targets: SQLite and PostgreSQL differ (SQLite takes one writer at a time).
    pg = args.postgres
    if "py_sequential" in by:
        want = 2.0 if pg else 1.5
        # Each run against the Python row measured beside it: the repeat against the second
        # Python row, measured just before it (when the bench has one).
        py = [by[k][3] for k in ("py_sequential", "py_sequential2") if k in by]
        rs = [p / w for p, w in zip(py + py[-1:], runs)]
        target(f"poolsync >= {want:g}x faster than the sequential Python loop",
               min(rs) >= want and real_ok,
               " / ".join(f"{r:.2f}x" for r in rs) + " (first / repeat run, each against "
               + ("the Python row beside it)" if len(py) > 1 else "the one Python row)"))
    if "py_gather" in by:
        targets.append("- info: vs the Python process with asyncio.gather: "
                       + both(lambda w: f"{by['py_gather'][3] / w:.2f}x"))
    if "pairs" in by:
        median = results["pairs_median"]
        used, measured, clean = results["pairs_used"]
        how = f"median of {used} interleaved pairs: {median:.2f}x"
        if not clean:
            how += (f"; the host's steal time disturbed all {measured} pairs measured, so "
                    "this is their median")
        elif measured > used:
            how += (f"; {measured - used} more set aside for the host's steal time, all "
                    f"{measured}: {results['pairs_all_median']:.2f}x")
        target("poolsync within 1.1x of the sequential PATCH-only floor",
               median <= 1.1 and results["pairs_ok"] and real_ok, how)
        interval = results.get("pairs_interval")
        if interval:
            lo, hi, coverage = interval
            targets.append(f"- info: the median of such pairs lies within {lo:.2f}-{hi:.2f}x "
                           f"({coverage:.1%} sure, by the order of the {used} ratios; "
                           "more pairs narrow it)")
        if "pairs_reads" in results:
            floor_reads, mine_reads, turns = results["pairs_reads"]
            targets.append(f"- info: the batched floor at --concurrency 1 (a re-read before each "
                           f"chunk of {args.floor_chunk} and a read-back after it), timed in the "
                           f"same turns ({turns}): {floor_reads:.2f}x the PATCH-only floor; "
                           f"poolsync takes {mine_reads:.2f}x its time (medians)")
        mine, floor = results["pairs_sums"]
        targets.append(f"- info: the same pairs summed: poolsync {mine:.2f} s against the "
                       f"floor's {floor:.2f} s, {mine / floor:.3f}x (a server pause counts "
                       "for whichever run it fell in)")
    if "floor_patch_c1" in by and not pg:
        fl = by["floor_patch_c1"][3]
        targets.append("- info: against the single floor row, poolsync takes "
                       + both(lambda w: f"{w / fl:.2f}x") + " the PATCH-only floor's time")
    if not pg:
        keys = [k for k in ("real", "real2") if k + "_retries" in results]
        shares = [results[k + "_retries"] / max(by[k][2], 1) for k in keys]
        target("retries at most 1% of writes", bool(shares) and max(shares) <= 0.01,
               " / ".join(f"{results[k + '_retries']} of {by[k][2]}" for k in keys)
               + " (first / repeat run)", speed=False)
    if "floor" in by:
        targets.append("- info: poolsync takes "
                       + both(lambda w: f"{w / by['floor'][3]:.2f}x")
                       + " the batched floor's time")
    if "floor_c1" in by and "real_c1" in by:
        targets.append(f"- info: at --concurrency 1 poolsync takes "
                       f"{by['real_c1'][3] / by['floor_c1'][3]:.2f}x the floor's time")
    if "real_cd" in by and "real_requests" in results:
        extra = results["real_cd_requests"] - results["real_requests"]
        targets.append(f"- info: --check-deployments costs {extra:+d} requests over "
                       f"{by['real_cd'][2]} pools ({results['real_requests']} -> "
                       f"{results['real_cd_requests']}; the seeded pools have no "
                       f"deployments, so this is the reads of each batch's deployments)")
    if "rss" in by:
        mib = results["rss_mib"]
        target(f"peak RSS < 64 MiB over {args.rss_pools} pools",
               mib < 64 and results["rss_ok"], f"{mib:.1f} MiB", speed=False)
    if not real_ok:
        targets.append("- FAIL: poolsync's real update did not update every pool (see its note)")
    if results.get("disturbed"):
        targets.append("- note: the host's steal time disturbed all three tries of "
                       + "; ".join(results["disturbed"])
                       + ": what reads those rows is not a fair measure")
    print_report(lines, targets, args, loads)
