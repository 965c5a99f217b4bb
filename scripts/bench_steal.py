"""The host's steal time for scripts/bench: the time the hypervisor ran something else on this
machine's CPUs (`/proc/stat`). On a busy host it came in bursts of 1-9 s during one row, so a
run it disturbed is measured again (`steady`, the rows of bench_run.py) or its pair set aside
(bench_floor.py's pairs)."""

import os

from bench_report import log

# A run that lost more than this share of its wall time to steal, and more than STEAL_GRAIN,
# is not a fair measure (steal is counted in hundredths of a second, all CPUs summed).
STEAL_SHARE = 0.02
STEAL_GRAIN = 0.05


def steal_seconds() -> float:
    """The machine's steal time so far, all CPUs summed (0 where /proc/stat has none)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def disturbed(stolen: float, wall: float) -> bool:
    """Whether a run of `wall` seconds lost too much of it to the host's steal time."""
    return stolen > max(STEAL_SHARE * wall, STEAL_GRAIN)


def over(run):
    """Calls `run` and returns what it returned and the steal time while it ran."""
    before = steal_seconds()
    result = run()
    return result, steal_seconds() - before


def steady(bench, row) -> None:
    """Runs `row`, which adds one row to `bench` (a bench_run.Bench). If the host's steal
    time over it was `disturbed`, the row is measured again on freshly seeded pools, at most
    twice more, and its note says so; a row disturbed all three times is named in
    `bench.results["disturbed"]`. A row is one run, so one burst of steal (a second or more
    of a 3 s run on a busy host) would decide it."""
    dropped = []
    for attempt in range(3):
        if attempt:
            bench.reseed()
        _, stolen = over(row)
        key, approach, pools, wall, note = bench.rows[-1]
        if not disturbed(stolen, wall):
            break
        if attempt == 2:
            note += f"; the host's steal time took {stolen:.2f} s of this run too"
            bench.results.setdefault("disturbed", []).append(approach)
            break
        dropped.append(f"{wall:.2f} s with {stolen:.2f} s stolen")
        bench.rows.pop()
        bench.loads.pop()
        log(f"{approach}: measured again (the host's steal time took {stolen:.2f} s of "
            f"{wall:.2f} s)")
    if dropped:
        note += f"; measured again after {', '.join(dropped)}"
    bench.rows[-1] = (key, approach, pools, wall, note)
