"""A Cloud-like link for scripts/bench: an HTTP proxy on loopback that adds latency and a rate limit.

Sits in front of a target API (the bench's real Prefect server) and behaves like a remote,
rate-limited API such as Prefect Cloud:

- every request waits --delay-in (25 ms) before it "reaches" the far end, and every answer
  waits --delay-out (25 ms) before it is sent back, so one round trip costs >= 50 ms;
- at the far end a token bucket shared by all connections (--rate R tokens/s, --burst B,
  default B = R, starts full) lets a request through if it holds a token; otherwise the answer
  is `429 Too Many Requests` with a JSON body and `Retry-After: <seconds until the next
  token>`, rounded up to whole seconds as Prefect Cloud does (--retry-after-round 0: exact,
  three decimals). --rate 0: no limit;
- it counts what it answered: requests forwarded, throttled (429s it sent), upstream statuses,
  and per method + route class (`PATCH /work_pools/{name}`, `POST /work_pools/filter`, ...),
  plus client connections seen and the most requests in flight at once.

    GET  /__proxy/stats   the counters as JSON   (neither counted, delayed nor rate-limited)
    POST /__proxy/reset   zero the counters and refill the bucket; answers the old counters

HTTP/1.1 keep-alive and many concurrent connections are served by uvicorn (h11); upstream
requests go through one pooled httpx.AsyncClient. Bodies are passed through as bytes
(compressed answers stay compressed). Listens on 127.0.0.1 (port 0 unless --port); prints its
URL, the target's path on the proxy's origin (http://127.0.0.1:PORT/api), as the first stdout
line. Stops on SIGTERM/SIGINT.

    .venv/bin/python scripts/cloud_proxy.py --target http://127.0.0.1:4200/api --rate 10
    .venv/bin/python scripts/cloud_proxy.py --self-test     # a quick check, no server needed

Uses only what the bench's venv already has (uvicorn, httpx).
"""

import argparse
import asyncio
import json
import math
import re
import socket
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx
import uvicorn

# Hop-by-hop headers (RFC 9110 7.6.1) and the ones the two sides set themselves.
HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
       "upgrade", "host", "content-length"}
ROUTES = [  # (regex on the path after the target's prefix, route class; \1 = a group)
    (re.compile(r"^/work_pools/(filter|count)/?$"), r"/work_pools/\1"),
    (re.compile(r"^/work_pools/?$"), "/work_pools/"),
    (re.compile(r"^/work_pools/[^/]+/?$"), "/work_pools/{name}"),
    (re.compile(r"^/work_pools/[^/]+/(.+)$"), r"/work_pools/{name}/\1"),
]


def route_class(path: str) -> str:
    """`/work_pools/a-b` -> `/work_pools/{name}`; paths outside ROUTES are their own class."""
    for pattern, label in ROUTES:
        m = pattern.match(path)
        if m:
            return m.expand(label)
    return path


class Bucket:
    """A token bucket: `rate` tokens per second up to `burst`, starting full."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.reset()

    def reset(self) -> None:
        self.tokens, self.stamp = self.burst, time.monotonic()

    def take(self) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def retry_after(wait: float, step: float) -> str:
    """The Retry-After value for a wait: rounded up to a multiple of `step` seconds (at least
    one step), or exact with three decimals when step is 0."""
    if step <= 0:
        return f"{max(wait, 0.001):.3f}"
    value = max(1, math.ceil(wait / step - 1e-9)) * step
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Proxy:
    def __init__(self, args):
        self.args = args
        target = urlsplit(args.target)
        self.origin = f"{target.scheme}://{target.netloc}"
        self.prefix = target.path.rstrip("/")
        self.bucket = Bucket(args.rate, args.burst if args.burst is not None else args.rate)
        self.client = httpx.AsyncClient(
            base_url=self.origin, timeout=args.timeout,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64))
        # httpx's own defaults would ask for gzip on behalf of clients that did not (reqwest
        # here has no gzip): only what the client sent goes upstream.
        for name in ("accept", "accept-encoding", "user-agent"):
            del self.client.headers[name]
        self.reset()

    def reset(self) -> dict:
        old = self.stats() if hasattr(self, "routes") else {}
        self.routes: Counter = Counter()
        self.routes_throttled: Counter = Counter()
        self.statuses: Counter = Counter()
        self.served = self.throttled = self.upstream_errors = 0
        self.connections: set = set()
        self.in_flight = self.max_in_flight = 0
        self.first = self.last = None
        self.bucket.reset()
        return old

    def stats(self) -> dict:
        return {
            "requests": self.served + self.throttled,
            "served": self.served,
            "throttled": self.throttled,
            "upstream_errors": self.upstream_errors,
            "statuses": dict(sorted(self.statuses.items())),
            "routes": dict(sorted(self.routes.items())),
            "routes_throttled": dict(sorted(self.routes_throttled.items())),
            "connections": len(self.connections),
            "max_in_flight": self.max_in_flight,
            "seconds": round(self.last - self.first, 3) if self.first else 0.0,
            "rate": self.args.rate,
            "burst": self.bucket.burst,
            "delay_in_ms": self.args.delay_in,
            "delay_out_ms": self.args.delay_out,
        }

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # lifespan is off; nothing else is expected
            return
        path, method = scope["path"], scope["method"]
        if path.startswith("/__proxy/"):
            return await self.control(path, method, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.connections.add(tuple(scope.get("client") or ()))
        self.first = self.first or time.monotonic()
        try:
            status, headers, content = await self.forward(scope, method, path, body)
            await asyncio.sleep(self.args.delay_out / 1000)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
        finally:
            self.in_flight -= 1
            self.last = time.monotonic()

    async def forward(self, scope, method, path, body):
        await asyncio.sleep(self.args.delay_in / 1000)
        rest = path[len(self.prefix):] if path.startswith(self.prefix) else path
        key = f"{method} {route_class(rest)}"
        wait = self.bucket.take()
        if wait > 0:
            self.throttled += 1
            self.routes_throttled[key] += 1
            self.statuses["429"] += 1
            after = retry_after(wait, self.args.retry_after_round)
            content = json.dumps({"detail": f"Rate limit exceeded: {self.args.rate:g} requests "
                                            f"per second. Retry after {after} s."}).encode()
            return 429, [(b"retry-after", after.encode()), (b"content-type", b"application/json"),
                         (b"content-length", str(len(content)).encode())], content
        self.served += 1
        self.routes[key] += 1
        url = path + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k.decode("latin-1").lower() not in HOP]
        try:
            request = self.client.build_request(method, url, headers=headers, content=body)
            response = await self.client.send(request, stream=True)
            try:
                content = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.HTTPError as e:
            self.upstream_errors += 1
            self.statuses["502"] += 1
            content = json.dumps({"detail": f"cloud_proxy: upstream failed: {e!r}"}).encode()
            return 502, [(b"content-type", b"application/json"),
                         (b"content-length", str(len(content)).encode())], content
        self.statuses[str(response.status_code)] += 1
        out = [(k.encode("latin-1"), v.encode("latin-1"))
               for k, v in response.headers.multi_items() if k.lower() not in HOP]
        out.append((b"content-length", str(len(content)).encode()))
        return response.status_code, out, content

    async def control(self, path, method, send):
        if path == "/__proxy/stats" and method == "GET":
            status, doc = 200, self.stats()
        elif path == "/__proxy/reset" and method == "POST":
            status, doc = 200, self.reset()
        else:
            status, doc = 404, {"detail": f"no {method} {path} (GET /__proxy/stats, POST /__proxy/reset)"}
        content = json.dumps(doc).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", help="the API to forward to, e.g. http://127.0.0.1:4200/api")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--delay-in", type=float, default=25, metavar="MS",
                   help="milliseconds before a request is forwarded (default 25)")
    p.add_argument("--delay-out", type=float, default=25, metavar="MS",
                   help="milliseconds before an answer is sent back (default 25)")
    p.add_argument("--rate", type=float, default=0, metavar="R",
                   help="requests per second allowed, shared by all connections (0: no limit)")
    p.add_argument("--burst", type=float, metavar="B", help="bucket size (default: R)")
    p.add_argument("--retry-after-round", type=float, default=1, metavar="S",
                   help="round Retry-After up to a multiple of S seconds, at least S "
                        "(default 1, as Prefect Cloud; 0: exact, three decimals)")
    p.add_argument("--timeout", type=float, default=60, metavar="S", help="upstream timeout")
    p.add_argument("--self-test", action="store_true",
                   help="run a quick check against a built-in echo target and exit")
    args = p.parse_args(argv)
    if not args.self_test and not args.target:
        p.error("--target is required (or --self-test)")
    if args.rate < 0 or (args.burst is not None and args.burst < 1):
        p.error("--rate must be >= 0 and --burst >= 1")
    return args


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(512)
    return sock


def server(app, sock) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            http="h11", timeout_keep_alive=30, backlog=512)
    return uvicorn.Server(config)


async def serve(args) -> None:
    proxy = Proxy(args)
    sock = listen(args.port)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}{proxy.prefix}", flush=True)
    try:
        await server(proxy, sock).serve(sockets=[sock])
    finally:
        await proxy.client.aclose()


async def self_test() -> int:
    """A built-in echo target, the proxy in front of it (2 req/s, burst 10): keep-alive, concurrency,
    429 + Retry-After, route classes, stats and reset."""
    async def echo(scope, receive, send):
        body = b""
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        content = json.dumps({"method": scope["method"], "path": scope["path"],
                              "query": scope["query_string"].decode(), "body": body.decode()}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": content})

    echo_sock = listen(0)
    echo_server = server(echo, echo_sock)
    echo_task = asyncio.create_task(echo_server.serve(sockets=[echo_sock]))
    args = parse_args(["--target", f"http://127.0.0.1:{echo_sock.getsockname()[1]}/api",
                       "--rate", "2", "--burst", "10"])
    proxy = Proxy(args)
    sock = listen(0)
    proxy_server = server(proxy, sock)
    task = asyncio.create_task(proxy_server.serve(sockets=[sock]))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    failures = []

    def check(what, ok):
        print(f"cloud_proxy self-test: {'ok  ' if ok else 'FAIL'} {what}", file=sys.stderr)
        if not ok:
            failures.append(what)

    while not (proxy_server.started and echo_server.started):
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=base, trust_env=False,
                                 limits=httpx.Limits(max_connections=4)) as c:
        t = time.monotonic()
        r = await c.patch("/api/work_pools/a%20b", json={"x": 1}, params={"q": "1"})
        took = time.monotonic() - t
        check(f"a forwarded PATCH keeps path, query and body, one round trip >= 50 ms "
              f"({took * 1000:.0f} ms)",
              r.status_code == 200 and r.json()["path"] == "/api/work_pools/a b"
              and r.json()["query"] == "q=1" and json.loads(r.json()["body"]) == {"x": 1}
              and took >= 0.05)
        answers = await asyncio.gather(*(c.post("/api/work_pools/filter", json={}) for _ in range(20)))
        codes = Counter(a.status_code for a in answers)
        throttled = [a for a in answers if a.status_code == 429]
        served = codes[200]
        check(f"20 concurrent requests on 4 keep-alive connections: {dict(codes)} "
              f"(9 tokens left, +2/s while they run: 9-11 x 200, the rest 429)",
              9 <= served <= 11 and codes[429] == 20 - served)
        check("a 429 has Retry-After 1 and a JSON detail",
              all(a.headers.get("retry-after") == "1" and "detail" in a.json() for a in throttled))
        s = (await c.get("/__proxy/stats")).json()
        check(f"stats: {s['served']} served, {s['throttled']} throttled, routes {s['routes']}, "
              f"{s['connections']} connections",
              s["served"] == 1 + served and s["throttled"] == 20 - served
              and s["routes"] == {"PATCH /work_pools/{name}": 1, "POST /work_pools/filter": served}
              and s["routes_throttled"] == {"POST /work_pools/filter": 20 - served}
              and 1 <= s["connections"] <= 4 and s["max_in_flight"] >= 2)
        await asyncio.sleep(1.0)
        r = await c.get("/api/work_pools/x")
        check("after waiting out Retry-After the next request passes", r.status_code == 200)
        old = (await c.post("/__proxy/reset")).json()
        s = (await c.get("/__proxy/stats")).json()
        check("reset answers the old counters and zeroes them",
              old["served"] == 2 + served and s["requests"] == 0 and s["connections"] == 0)
    check("Retry-After rounding: 0.05 s -> '1', 1.2 s -> '2', exact -> '0.050'",
          retry_after(0.05, 1) == "1" and retry_after(1.2, 1) == "2"
          and retry_after(0.05, 0) == "0.050")
    proxy_server.should_exit = echo_server.should_exit = True
    await asyncio.gather(task, echo_task)
    await proxy.client.aclose()
    print(f"cloud_proxy self-test: {'passed' if not failures else f'{len(failures)} FAILED'}",
          file=sys.stderr)
    return 1 if failures else 0


def main() -> int:
    args = parse_args()
    if args.self_test:
        return asyncio.run(self_test())
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
