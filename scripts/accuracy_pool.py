"""A pool made from a released default, customised the ways platform teams do (for scripts/accuracy).

`customise(template, newest, pool_type, seed)` returns the pool's template and a `Custom`
record of what was changed: the customised leaves (path -> value), the deleted variable and
every path its deletion removed. Deterministic for a given seed; only the customisations that
apply to the template are made:

- image: `variables.properties.image.default`;
- env: `variables.properties.env.default` (a dict);
- a number: the default of a numeric variable, within its minimum/maximum;
- an edit inside job_configuration's manifest (job_manifest, task_definition, job_body, ...):
  an annotation added under a `metadata` object, a key added, or a plain (non-placeholder)
  scalar changed; not for flat job_configurations (docker, process), which have no manifest;
- a user variable wired in: a new `variables.properties` entry and its `{{ placeholder }}`;
- a deleted variable: one the template and the newest default both have, removed with every
  job_configuration key (or list element) that uses it.

Paths are tuples of keys and list indices; `pointer()` renders one as a JSON pointer.
"""

import copy
import random
import re

PLACEHOLDER = re.compile(r"\{\{\s*([\w.\-\[\]$]+)\s*\}\}")
USER_VARIABLE = "cost_center"
FIXED = {"apiVersion", "kind", "type", "contentVersion", "name"}  # not what a team edits


class Custom:
    """What customise() changed."""

    def __init__(self):
        self.leaves = {}  # path -> the customised value (a scalar or an empty container)
        self.kinds = {}  # path -> which customisation made it ("image", "env", ...)
        self.deleted = None  # the deleted variable's name
        self.removed = []  # every path the deletion removed
        self.touched = []  # paths whose value changed as a side effect (variables.required)

    def add(self, kind, path, value):
        for leaf_path, leaf in leaves(value, path).items():
            self.leaves[leaf_path] = leaf
            self.kinds[leaf_path] = kind

    def paths(self):
        """Every path a customisation owns (its leaves, the deletion's, the side effects)."""
        return list(self.leaves) + self.removed + self.touched

    def summary(self):
        kinds = sorted(set(self.kinds.values()))
        if self.deleted:
            kinds.append(f"deleted {self.deleted}")
        return ", ".join(kinds)


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def leaves(value, path=()):
    """path -> leaf: scalars, empty containers, and lists of scalars as one value."""
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(leaves(item, path + (key,)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for index, item in enumerate(value):
            out.update(leaves(item, path + (index,)))
        return out
    return {path: value}


def resolve(value, path):
    """(True, the value at path) or (False, None)."""
    for step in path:
        if isinstance(value, dict) and isinstance(step, str) and step in value:
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            value = value[step]
        else:
            return False, None
    return True, value


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def placeholders(value):
    """The variable names `{{ name }}` placeholders in value refer to."""
    return {m.group(1).split(".")[0] for s in strings(value) for m in PLACEHOLDER.finditer(s)}


def kinds_of(schema):
    """The JSON types a property schema allows (type, or its anyOf/oneOf branches)."""
    found = set()
    kind = schema.get("type")
    found.update(kind if isinstance(kind, list) else [kind] if kind else [])
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        if isinstance(branch, dict):
            found.update(kinds_of(branch))
    return found


def customise(template, newest, pool_type, seed):
    """The customised pool and its Custom record."""
    rng = random.Random(f"{seed}/{pool_type}")
    pool = copy.deepcopy(template)
    custom = Custom()
    props = pool["variables"].setdefault("properties", {})
    config = pool["job_configuration"]
    team = f"team-{rng.randint(1, 9)}"
    newest_props = newest.get("variables", {}).get("properties", {})
    number = choose_number(props, newest_props, rng)
    delete_variable(pool, newest_props, {"image", "env", number and number[0]}, rng, custom)

    if "image" in props:
        image = f"registry.example.com/{team}/flows:2026.{rng.randint(1, 12)}"
        props["image"]["default"] = image
        custom.add("image", ("variables", "properties", "image", "default"), image)
    if "env" in props:
        env = {"TEAM": team, "LOG_LEVEL": rng.choice(["DEBUG", "WARNING"])}
        props["env"]["default"] = env
        custom.add("env", ("variables", "properties", "env", "default"), env)
    if number and number[0] in props:
        name, value = number
        props[name]["default"] = value
        custom.add("number", ("variables", "properties", name, "default"), value)
    edit_manifest(config, team, rng, custom)
    wire_user_variable(pool, rng, custom)
    return pool, custom


def choose_number(props, newest_props, rng):
    """(name, new default) for a numeric variable, or None."""
    options = []
    for name in sorted(props):
        schema = props[name]
        kinds = kinds_of(schema)
        if not kinds & {"integer", "number"} or name in ("image", "env"):
            continue
        old = schema.get("default")
        new = newest_props.get(name, {}).get("default")
        start = next((v for v in (old, new) if isinstance(v, (int, float)) and not isinstance(v, bool)), 0)
        step = rng.randint(1, 4) if "integer" in kinds else 0.5 * rng.randint(1, 4)
        for k in range(1, 20):
            value = start + k * step
            if value in (old, new) or not within(schema, value):
                continue
            options.append((name, value))
            break
    return rng.choice(options) if options else None


def within(schema, value):
    for branch in [schema] + [b for b in schema.get("anyOf", []) if isinstance(b, dict)]:
        if "minimum" in branch and value < branch["minimum"]:
            return False
        if "exclusiveMinimum" in branch and value <= branch["exclusiveMinimum"]:
            return False
        if "maximum" in branch and value > branch["maximum"]:
            return False
        if "exclusiveMaximum" in branch and value >= branch["exclusiveMaximum"]:
            return False
    return True


def delete_variable(pool, newest_props, keep, rng, custom):
    """Removes a variable both the template and the newest default have, with its uses."""
    props, config = pool["variables"]["properties"], pool["job_configuration"]
    used = placeholders(config)
    options = sorted(n for n in props if n in newest_props and n in used and n not in keep)
    if not options:
        return
    name = rng.choice(options)
    custom.deleted = name
    props.pop(name)
    custom.removed.append(("variables", "properties", name))
    required = pool["variables"].get("required")
    if isinstance(required, list) and name in required:
        required.remove(name)
        custom.touched.append(("variables", "required"))
    remove_uses(config, name, ("job_configuration",), custom.removed)


def remove_uses(value, name, path, removed):
    """Drops every dict key and list element of value whose string uses `{{ name }}`."""
    if isinstance(value, dict):
        for key in list(value):
            item = value[key]
            if isinstance(item, str) and name in placeholders(item):
                del value[key]
                removed.append(path + (key,))
            else:
                remove_uses(item, name, path + (key,), removed)
    elif isinstance(value, list):
        for index in reversed(range(len(value))):
            item = value[index]
            if isinstance(item, str) and name in placeholders(item):
                del value[index]
                removed.append(path + (index,))
            else:
                remove_uses(item, name, path + (index,), removed)


def manifests(config):
    """(path, dict) of every object nested in job_configuration's manifest sections."""
    found = []

    def walk(value, path):
        if isinstance(value, dict):
            if len(path) > 1:
                found.append((path, value))
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, path + (index,))

    for key, item in config.items():
        if isinstance(item, dict):
            found.append((("job_configuration", key), item))
            walk(item, ("job_configuration", key))
    return found


def edit_manifest(config, team, rng, custom):
    """One edit inside the manifest: an annotation, an added key, or a plain scalar changed."""
    options = []
    for path, obj in manifests(config):
        if path[-1] == "metadata":
            options.append(("annotation", path, obj))
        for key, item in obj.items():
            plain = isinstance(item, (int, float, str)) and not (
                isinstance(item, str) and PLACEHOLDER.search(item)
            )
            if plain and key not in FIXED and not key.startswith("$"):
                options.append(("scalar", path + (key,), obj))
    if not options and manifests(config):
        path, obj = manifests(config)[0]
        options.append(("key", path, obj))
    if not options:
        return
    how, path, obj = rng.choice(options)
    if how == "annotation":
        annotations = obj.setdefault("annotations", {})
        if not isinstance(annotations, dict):
            return
        annotations["example.com/team"] = team
        custom.add("manifest", path + ("annotations", "example.com/team"), team)
    elif how == "key":
        obj["ephemeralStorage"] = {"sizeInGiB": 40}
        custom.add("manifest", path + ("ephemeralStorage",), obj["ephemeralStorage"])
    else:
        key = path[-1]
        old = obj[key]
        if isinstance(old, bool):
            new = not old
        elif isinstance(old, (int, float)):
            new = old + rng.randint(1, 3)
        else:
            new = f"{old}-{team}"
        obj[key] = new
        custom.add("manifest", path, new)


def wire_user_variable(pool, rng, custom):
    """A variable of the team's own, used by a placeholder in the manifest (or top level)."""
    props, config = pool["variables"]["properties"], pool["job_configuration"]
    if USER_VARIABLE in props:
        return
    schema = {"title": "Cost center", "type": "string", "default": f"cc-{rng.randint(1000, 9999)}"}
    props[USER_VARIABLE] = schema
    custom.add("user variable", ("variables", "properties", USER_VARIABLE), copy.deepcopy(schema))
    placeholder = "{{ %s }}" % USER_VARIABLE
    metadata = [(p, o) for p, o in manifests(config) if p[-1] == "metadata"]
    sections = manifests(config)
    if metadata and isinstance(metadata[0][1].setdefault("annotations", {}), dict):
        path, obj = metadata[0]
        obj["annotations"]["example.com/cost-center"] = placeholder
        at = path + ("annotations", "example.com/cost-center")
    elif sections:
        path, obj = sections[0]
        obj["costCenter"] = placeholder
        at = path + ("costCenter",)
    else:
        config[USER_VARIABLE] = placeholder
        at = ("job_configuration", USER_VARIABLE)
    custom.add("user variable", at, placeholder)
