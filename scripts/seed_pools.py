"""Create work pools with stale, customised base job templates on a Prefect server.

Used by scripts/demo and scripts/bench. Each pool is what users really have: the default
template of a real older release, taken from poolsync's history (`poolsync default --type T
--history --output json`), customised as a platform team does (image, env, a number). The
releases (ORIGINS) differ from a 3.8.8 server's current default, so an upgrade has upstream
changes to bring in while it keeps the customisations. A type's releases whose default equals
the server's are skipped; a type with none left is an error (process's default never changed
across releases, so it is not seeded by default).

    .venv/bin/python scripts/seed_pools.py --api-url URL --count 500 --prefix bench

--fresh F: the last F of the pools get their type's current default unchanged instead (up to date).
"""

import argparse
import asyncio
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
TYPES = ["kubernetes", "ecs", "docker", "cloud-run", "cloud-run-v2"]
# Per type, the (package, release) whose default the pools are born from, taken in turn.
ORIGINS = {
    "kubernetes": [("prefect", "2.14.13"), ("prefect-kubernetes", "0.5.4")],
    "ecs": [("prefect-aws", "0.3.2"), ("prefect", "2.16.3")],
    "docker": [("prefect", "2.14.13"), ("prefect", "2.19.0")],
    "cloud-run": [("prefect", "2.14.13"), ("prefect", "2.19.0")],
    "cloud-run-v2": [("prefect", "2.14.13"), ("prefect", "2.19.0")],
    "vertex-ai": [("prefect-gcp", "0.6.2")],
    "azure-container-instance": [("prefect-azure", "0.4.2")],
}
RETRY = {408, 429, 502, 503}


def released(poolsync: str, pool_type: str, current: dict) -> list:
    """[(label, template)] of the type's ORIGINS that differ from the server's default."""
    proc = subprocess.run([poolsync, "default", "--type", pool_type, "--history", "--output", "json"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"seed_pools: {proc.stderr.strip()}")
    defaults = json.loads(proc.stdout)["defaults"]
    found = []
    for package, release in ORIGINS.get(pool_type, []):
        entry = next((d for d in defaults
                      if d["package"] == package and release in d["release_list"]), None)
        if entry is None:
            raise SystemExit(f"seed_pools: poolsync's history has no {pool_type} default of "
                             f"{package} {release}")
        if entry["template"] != current:
            found.append((f"{package} {release}", entry["template"]))
    if not found:
        raise SystemExit(f"seed_pools: no older {pool_type} default differs from the server's; "
                         f"leave {pool_type} out of --types")
    return found


def numeric(schema: dict) -> bool:
    kinds = {schema.get("type")} | {b.get("type") for b in schema.get("anyOf", []) if isinstance(b, dict)}
    return "integer" in kinds


def customise(template: dict, pool_type: str, index: int) -> dict:
    """The team's edits: its image, its env, and one integer setting raised."""
    t = copy.deepcopy(template)
    props = t["variables"]["properties"]
    if "image" in props:
        props["image"]["default"] = f"registry.example.com/{pool_type}/flows:{index % 7}"
    if "env" in props:
        props["env"]["default"] = {"TEAM": f"team-{index % 5}", "POOL_INDEX": str(index)}
    integers = sorted(n for n, s in props.items() if numeric(s) and "maximum" not in s)
    if integers:
        name = integers[index % len(integers)]
        current = props[name].get("default")
        start = current if isinstance(current, int) and not isinstance(current, bool) else 0
        props[name]["default"] = max(start, props[name].get("minimum", 0)) + 1 + index % 3
    return t


async def request(client: httpx.AsyncClient, method: str, url: str, **kw) -> httpx.Response:
    """One request, retried (10 tries, backing off from 0.1 s) over the statuses of RETRY and a
    dropped keep-alive connection."""
    for attempt in range(10):
        try:
            response = await client.request(method, url, **kw)
        except httpx.TransportError as e:
            if attempt == 9:
                raise
            print(f"seed_pools: {method} {url}: {e!r}, retrying", file=sys.stderr, flush=True)
        else:
            if response.status_code not in RETRY:
                return response
        await asyncio.sleep(0.1 * 2**attempt)
    return response


def default_poolsync() -> str:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return str(target / "release" / "poolsync")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--prefix", default="demo")
    parser.add_argument("--types", default=",".join(TYPES))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--fresh", type=int, default=0, help="the last F pools are up to date")
    parser.add_argument("--poolsync", default=default_poolsync(),
                        help="the poolsync binary whose history holds the older defaults")
    args = parser.parse_args()
    api = args.api_url.rstrip("/")
    types = args.types.split(",")

    async with httpx.AsyncClient(timeout=30) as client:
        meta = (await request(client, "GET", f"{api}/collections/views/aggregate-worker-metadata")).json()
        defaults = {
            worker["type"]: worker["default_base_job_configuration"]
            for package in meta.values()
            for worker in package.values()
            if "type" in worker and "default_base_job_configuration" in worker
        }
        missing = [t for t in types if t not in defaults]
        if missing:
            print(f"seed_pools: no default for {missing}", file=sys.stderr)
            return 1
        older = {t: released(args.poolsync, t, defaults[t]) for t in types}
        gate = asyncio.Semaphore(args.concurrency)
        born = {}

        async def create(i: int) -> None:
            pool_type = types[i % len(types)]
            if i >= args.count - args.fresh:
                template, label = defaults[pool_type], "the server's default"
            else:
                label, origin = older[pool_type][(i // len(types)) % len(older[pool_type])]
                template = customise(origin, pool_type, i)
            born[f"{pool_type} {label}"] = born.get(f"{pool_type} {label}", 0) + 1
            body = {"name": f"{args.prefix}-{pool_type}-{i:05d}", "type": pool_type,
                    "base_job_template": template}
            async with gate:
                r = await request(client, "POST", f"{api}/work_pools/", json=body)
            if r.status_code not in (201, 409):
                raise SystemExit(f"seed_pools: {body['name']}: {r.status_code} {r.text[:300]}")

        await asyncio.gather(*(create(i) for i in range(args.count)))
    stale = args.count - min(args.fresh, args.count)
    origins = ", ".join(f"{n} from {label}" for label, n in sorted(born.items()))
    print(f"seed_pools: {args.count} pools with prefix {args.prefix!r} ({stale} stale): {origins}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
