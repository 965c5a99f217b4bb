"""The Python approach of scripts/bench: one process, Prefect's own client, over every pool.

What a user writes today with the documented Python API:

    pools   = client.read_work_pools(limit=200, offset=...)          # POST /work_pools/filter pages
    for each pool:
        pool    = client.read_work_pool(name)                         # GET /work_pools/{name}
        default = get_default_base_job_template_for_infrastructure_type(pool.type)
                  # once per type, memoised here (the helper itself GETs the collections
                  # view on every call for types whose worker is not installed locally)
        merged  = deep_merge(default, pool.base_job_template)         # jq '.[0] * .[1]'
        client.update_work_pool(name, WorkPoolUpdate(base_job_template=merged))  # PATCH

--mode sequential: one pool after the other (a plain for loop);
--mode gather: asyncio.gather over the pools behind a Semaphore(--concurrency).
--lean: the pool as listed (no GET per pool) and no PATCH when the merge changes nothing
(the leanest loop a user would write; scripts/bench --cloud reports it beside the documented one).

Uses PREFECT_API_URL. Prints one JSON line: pools, updated, unchanged, failed, seconds
(inside the process, after imports) and import_seconds.
"""

import argparse
import time

T0 = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.actions import WorkPoolUpdate  # noqa: E402
from prefect.utilities.collections import deep_merge  # noqa: E402
from prefect.workers.utilities import (  # noqa: E402
    get_default_base_job_template_for_infrastructure_type,
)

IMPORTED = time.perf_counter()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["sequential", "gather"], default="sequential")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lean", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    defaults: dict[str, asyncio.Future] = {}
    updated, unchanged, failed = 0, 0, 0

    async def default_for(pool_type: str) -> dict:
        if pool_type not in defaults:
            defaults[pool_type] = asyncio.ensure_future(
                get_default_base_job_template_for_infrastructure_type(pool_type)
            )
        return await defaults[pool_type]

    async with get_client() as client:
        listed = []
        while True:
            page = await client.read_work_pools(limit=200, offset=len(listed))
            listed += page
            if len(page) < 200:
                break
        names = [p.name for p in listed]
        as_listed = {p.name: p for p in listed}

        async def one(name: str) -> None:
            nonlocal updated, unchanged, failed
            try:
                pool = as_listed[name] if args.lean else await client.read_work_pool(name)
                default = await default_for(pool.type)
                merged = deep_merge(default, pool.base_job_template)
                if args.lean and merged == pool.base_job_template:
                    unchanged += 1
                    return
                await client.update_work_pool(name, WorkPoolUpdate(base_job_template=merged))
                updated += 1
            except Exception as e:  # a failed pool must not stop the others
                failed += 1
                print(f"bench_python: {name}: {e!r}"[:400], file=sys.stderr)

        if args.mode == "sequential":
            for name in names:
                await one(name)
        else:
            gate = asyncio.Semaphore(args.concurrency)

            async def gated(name: str) -> None:
                async with gate:
                    await one(name)

            await asyncio.gather(*(gated(n) for n in names))

    print(
        json.dumps(
            {
                "pools": len(names),
                "updated": updated,
                "unchanged": unchanged,
                "failed": failed,
                "seconds": time.perf_counter() - start,
                "import_seconds": IMPORTED - T0,
            }
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
