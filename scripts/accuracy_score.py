"""The oracle of scripts/accuracy: how well one upgraded pool came out, written apart from poolsync.

`score(origin, newest, merged, custom)` compares the merged template with the template the pool
was made from (origin), the newest default it was upgraded to, and what the team customised:

- lost: a customised leaf not in the merged template with its value at its pointer, or the
  deleted variable back (in `variables.properties`, or a `{{ placeholder }}` of it);
- unwired: a variable of the newest default that origin lacks (not the deleted one), which the
  newest default uses in job_configuration, and which the merged template does not define or
  does not use anywhere in its job_configuration;
- stale: a leaf of origin that differs from the newest default's at the same pointer, where the
  newest default has the pointer, and that no customisation touched; upgraded when the merged
  value there equals the newest default's.
"""

import json

from accuracy_pool import leaves, placeholders, pointer, resolve


class Score:
    def __init__(self):
        self.customisations = 0
        self.lost = []  # descriptions
        self.new_variables = 0
        self.unwired = []  # names
        self.stale = 0
        self.not_upgraded = []  # pointers
        self.refused = None  # the reason, or None

    def failed(self):
        return bool(self.lost or self.unwired or self.not_upgraded or self.refused)

    def problems(self):
        out = []
        if self.refused:
            out.append(f"refused: {self.refused}")
        if self.lost:
            out.append(f"lost {len(self.lost)}: " + "; ".join(self.lost))
        if self.unwired:
            out.append(f"unwired {len(self.unwired)}: " + ", ".join(self.unwired))
        if self.not_upgraded:
            shown = ", ".join(f"`{p}`" for p in self.not_upgraded[:6])
            more = f" and {len(self.not_upgraded) - 6} more" if len(self.not_upgraded) > 6 else ""
            out.append(f"stale not upgraded {len(self.not_upgraded)} of {self.stale}: {shown}{more}")
        return out


def related(path, owned):
    """Whether path is one of owned, inside one, or holds one."""
    return any(path[: len(o)] == o or o[: len(path)] == path for o in owned)


def score(origin, newest, merged, custom):
    s = Score()
    merged_props = merged.get("variables", {}).get("properties", {})
    merged_uses = placeholders(merged.get("job_configuration", {}))

    s.customisations = len(custom.leaves) + (1 if custom.deleted else 0)
    for path, value in custom.leaves.items():
        found, got = resolve(merged, path)
        if not found:
            s.lost.append(f"{custom.kinds[path]} `{pointer(path)}` missing")
        elif got != value:
            s.lost.append(f"{custom.kinds[path]} `{pointer(path)}` is {dump(got)}, not {dump(value)}")
    if custom.deleted:
        name = custom.deleted
        if name in merged_props or name in merged_uses:
            s.lost.append(f"deleted variable `{name}` back")

    origin_props = origin.get("variables", {}).get("properties", {})
    newest_props = newest.get("variables", {}).get("properties", {})
    newest_uses = placeholders(newest.get("job_configuration", {}))
    for name in sorted(newest_props):
        if name in origin_props or name == custom.deleted or name not in newest_uses:
            continue
        s.new_variables += 1
        if name not in merged_props:
            s.unwired.append(f"`{name}` (not defined)")
        elif name not in merged_uses:
            s.unwired.append(f"`{name}` (defined, never used)")

    owned = custom.paths()
    for path, value in leaves(origin).items():
        found, new = resolve(newest, path)
        if not found or new == value or related(path, owned):
            continue
        s.stale += 1
        _, got = resolve(merged, path)
        if got != new:
            s.not_upgraded.append(pointer(path))
    return s


def dump(value):
    text = json.dumps(value)
    return text if len(text) < 60 else text[:57] + "..."


def self_check(origin, newest, pool, custom):
    """The oracle must be able to fail: the pool left as it was upgrades nothing and wires
    nothing, and the newest default taken as is loses every customisation. A problem, or None."""
    kept = score(origin, newest, pool, custom)
    if kept.lost or len(kept.unwired) != kept.new_variables or len(kept.not_upgraded) != kept.stale:
        return f"the unchanged pool scores lost {kept.lost}, unwired {kept.unwired}"
    taken = score(origin, newest, newest, custom)
    if len(taken.lost) != taken.customisations:
        return f"the newest default loses only {len(taken.lost)} of {taken.customisations} customisations"
    return None
