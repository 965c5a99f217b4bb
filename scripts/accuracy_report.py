"""ACCURACY.md for scripts/accuracy: the method, a table per run (per type and overall), and
every failing pool with what failed."""

import subprocess
from datetime import datetime, timezone

TARGETS = {
    "leave-one-out": "0 lost, 0 unwired, >= 95% stale upgraded, 0 refused",
    "true base": "0 lost, 0 unwired, 100% stale upgraded, 0 refused",
    "leave-one-out on a server": "0 lost, 0 unwired, >= 95% stale upgraded, 0 refused",
}
MINIMUM_UPGRADED = {"true base": 100.0}


def totals(cases):
    t = {"pools": len(cases), "customisations": 0, "lost": 0, "new": 0, "unwired": 0,
         "stale": 0, "upgraded": 0, "refused": 0}
    for case in cases:
        s = case.score
        t["customisations"] += s.customisations
        t["lost"] += len(s.lost)
        t["new"] += s.new_variables
        t["unwired"] += len(s.unwired)
        t["stale"] += s.stale
        t["upgraded"] += s.stale - len(s.not_upgraded)
        t["refused"] += 1 if s.refused else 0
    return t


def share(t):
    if not t["stale"]:
        return "- (none stale)"
    return f"{100.0 * t['upgraded'] / t['stale']:.1f}% ({t['upgraded']} of {t['stale']})"


def row(name, t):
    return (f"| {name} | {t['pools']} | {t['lost']} of {t['customisations']} | "
            f"{t['unwired']} of {t['new']} | {share(t)} | {t['refused']} of {t['pools']} |")


def passes(title, t):
    minimum = MINIMUM_UPGRADED.get(title, 95.0)
    upgraded = 100.0 if not t["stale"] else 100.0 * t["upgraded"] / t["stale"]
    return not t["lost"] and not t["unwired"] and not t["refused"] and upgraded >= minimum


def table(title, cases):
    lines = ["| type | pools | customisations lost | new variables unwired | "
             "stale values upgraded | refused |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for pool_type in sorted({c.pool_type for c in cases}):
        lines.append(row(pool_type, totals([c for c in cases if c.pool_type == pool_type])))
    overall = totals(cases)
    lines.append(row("**all**", overall))
    verdict = "met" if passes(title, overall) else "NOT met"
    lines.append("")
    lines.append(f"Targets ({TARGETS[title]}): **{verdict}**.")
    return lines


def failures(cases):
    failing = [c for c in cases if c.score.failed()]
    if not failing:
        return ["No pool failed."]
    lines = []
    for c in failing:
        lines.append(f"- **{c.pool_type}** from {c.label} (customised: {c.custom.summary()}); "
                     f"base: {c.base or 'none reported'}")
        lines += [f"  - {p}" for p in c.score.problems()]
    return lines


def commit():
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def report(runs, runner, args):
    count = sum(len(h["defaults"]) for h in runner.history.values())
    newest = ", ".join(f"{t} {e['releases']}" for t, e in sorted(runner.newest.items()))
    command = args.command + (f" --server --sample {args.sample}" if args.server else "")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Accuracy of first-run upgrades",
        "",
        "How well `poolsync` upgrades a pool on its first run (no backup, base inferred from the",
        "released defaults) when the pool was born from each template of the history, customised",
        "as platform teams do. Regenerate with:",
        "",
        "```sh",
        command,
        "```",
        "",
        f"Measured {when} at commit `{commit()}`, over {count} distinct templates of "
        f"{len(runner.history)} types.",
        "",
        "## Method",
        "",
        "For every type T and every distinct template X of T in poolsync's history",
        "(`poolsync default --type T --history --output json`):",
        "",
        "1. **A pool made from X, customised** (deterministic, seeded; only what applies to the",
        "   type): the image (`variables.properties.image.default`), env (its default dict), a",
        "   numeric variable's default, an edit inside the manifest of `job_configuration` (an",
        "   annotation, a key, or a plain scalar; not for flat configurations such as docker and",
        "   process), a variable of the team's own wired in by a `{{ cost_center }}`",
        "   placeholder, and a deleted variable (one X and the newest default both have, removed",
        "   with every `job_configuration` key that uses it).",
        "2. **Upgraded to the newest default of T**: the newest `prefect` entry of T in the history",
        f"   ({newest}), with `poolsync merge --base auto --type T --history-file H`.",
        "   Leave-one-out: H holds every type's defaults except X and every template identical to",
        "   X. True base: H is the whole history. On a server: the pool is created with",
        "   `POST /api/work_pools/`, upgraded with `poolsync update POOL --history-file H",
        "   --template NEWEST`, and read back.",
        "3. **Scored by an oracle written apart from poolsync's code** (scripts/accuracy_score.py):",
        "   - *customisations lost*: a customised value not at its JSON pointer in the merged",
        "     template, or the deleted variable back;",
        "   - *new variables unwired*: variables of the newest default that X lacks (the deleted",
        "     one aside) and the newest default uses in `job_configuration`, which the merged",
        "     template does not define, or never uses (`{{ name }}`) in its `job_configuration`;",
        "   - *stale values upgraded*: the leaves of X that differ from the newest default at the",
        "     same pointer (where it has one), not customised: the share whose merged value equals",
        "     the newest default's;",
        "   - *refused*: `poolsync validate --file MERGED` exits non-zero (on a server: `update`",
        "     does not write the pool).",
        "",
        "   Before scoring, each pool checks that the oracle can fail: the pool left as it was",
        "   must score every new variable unwired and every stale value not upgraded, and the",
        "   newest default taken as is must lose every customisation.",
        "",
    ]
    invalid = [c for c in runs[0][2] if c.invalid_origin]
    if invalid:
        out += ["Released templates that fail poolsync's own check as shipped (a server refuses",
                "to create a pool from them; offline they are still measured, on a server skipped):",
                ""]
        out += [f"- {c.pool_type} {c.label}: {c.invalid_origin.strip()}" for c in invalid]
        out.append("")
    for title, how, cases in runs:
        out += [f"## {title[0].upper() + title[1:]}", "", f"{how}.", ""]
        out += table(title, cases)
        out += ["", f"### Failing pools ({title})", ""]
        out += failures(cases)
        out.append("")
    return "\n".join(out)
