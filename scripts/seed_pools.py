"""Create work pools with stale, customised base job templates on a Prefect server.

Used by scripts/demo and scripts/bench. Each pool gets its type's current default template
with a few variables removed (as if created by an older release) and customised defaults
(image, env), so an upgrade must add the missing keys and keep the customisations.

    .venv/bin/python scripts/seed_pools.py --api-url URL --count 500 --prefix bench

--fresh F: the last F of the pools get their type's default unchanged instead (up to date).
"""

import argparse
import asyncio
import copy
import json
import sys

import httpx

TYPES = ["kubernetes", "ecs", "docker", "process", "cloud-run-v2"]
RETRY = {408, 429, 502, 503}


def stale(template: dict, pool_type: str, index: int) -> dict:
    """The default with up to two variables dropped (ones used only as a top-level
    job_configuration value, so the result stays valid) and some defaults customised."""
    t = copy.deepcopy(template)
    props, config = t["variables"]["properties"], t["job_configuration"]

    def droppable(name: str) -> bool:
        rest = {k: v for k, v in config.items() if k != name}
        return config.get(name) == "{{ %s }}" % name and name not in json.dumps(rest)

    for name in [n for n in props if droppable(n) and n not in ("image", "env")][-2:]:
        props.pop(name)
        config.pop(name)
    if "image" in props:
        props["image"]["default"] = f"registry.example.com/{pool_type}/flows:{index % 7}"
    if "env" in props:
        props["env"]["default"] = {"TEAM": f"team-{index % 5}", "POOL_INDEX": str(index)}
    return t


async def request(client: httpx.AsyncClient, method: str, url: str, **kw) -> httpx.Response:
    for attempt in range(10):
        response = await client.request(method, url, **kw)
        if response.status_code not in RETRY:
            return response
        await asyncio.sleep(0.1 * 2**attempt)
    return response


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--prefix", default="demo")
    parser.add_argument("--types", default=",".join(TYPES))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--fresh", type=int, default=0, help="the last F pools are up to date")
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
        gate = asyncio.Semaphore(args.concurrency)

        async def create(i: int) -> None:
            pool_type = types[i % len(types)]
            body = {
                "name": f"{args.prefix}-{pool_type}-{i:05d}",
                "type": pool_type,
                "base_job_template": defaults[pool_type] if i >= args.count - args.fresh
                else stale(defaults[pool_type], pool_type, i),
            }
            async with gate:
                r = await request(client, "POST", f"{api}/work_pools/", json=body)
            if r.status_code not in (201, 409):
                raise SystemExit(f"seed_pools: {body['name']}: {r.status_code} {r.text[:300]}")

        await asyncio.gather(*(create(i) for i in range(args.count)))
    print(f"seed_pools: {args.count} pools with prefix {args.prefix!r} "
          f"({args.count - min(args.fresh, args.count)} stale)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
