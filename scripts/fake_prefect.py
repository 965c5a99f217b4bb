"""A small fake Prefect API for poolsync's memory benchmark (scripts/bench).

Serves M generated stale kubernetes pools (seed_pools.py's: older releases' defaults,
customised) without a database, so poolsync's peak RSS can be measured over more pools than a
real server holds comfortably:

    POST  /api/work_pools/filter                          pages of the M pools, generated per page,
                                                          or the pools named in work_pools.name.any_
    GET   /api/collections/views/aggregate-worker-metadata  the file shipped with prefect
    GET   /api/csrf-token                                 422 "CSRF protection is disabled."
    GET   /api/work_pools/{name}                          the pool (with any PATCHed template)
    PATCH /api/work_pools/{name}                          204 (the template is kept for later GETs)

Listens on 127.0.0.1, port 0; prints its API URL (http://127.0.0.1:PORT/api) as the only
stdout line; on SIGTERM/SIGINT prints request counts to stderr and exits.

    .venv/bin/python scripts/fake_prefect.py --pools 10000
"""

import argparse
import json
import signal
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seed_pools import customise, default_poolsync, released  # noqa: E402  (as the real bench)

import prefect  # noqa: E402  (only to find the metadata file of the installed version)

METADATA = (
    Path(prefect.__file__).parent
    / "server/api/collections_data/views/aggregate-worker-metadata.json"
)


class State:
    def __init__(self, pools: int, poolsync: str):
        self.pools = pools
        self.metadata = METADATA.read_bytes()
        meta = json.loads(self.metadata)
        self.default = next(
            w["default_base_job_configuration"]
            for package in meta.values()
            for w in package.values()
            if w.get("type") == "kubernetes"
        )
        self.older = [t for _, t in released(poolsync, "kubernetes", self.default)]
        self.counts = Counter()
        self.lock = threading.Lock()
        self.written: dict[int, dict] = {}  # pool index -> template PATCHed

    def index(self, name: str) -> int | None:
        prefix = "fake-kubernetes-"
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            i = int(name[len(prefix):])
            return i if i < self.pools else None
        return None

    def pool(self, i: int) -> dict:
        stamp = "2024-01-01T00:00:00Z"
        return {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "created": stamp,
            "updated": stamp,
            "name": f"fake-kubernetes-{i:06d}",
            "description": None,
            "type": "kubernetes",
            "base_job_template": self.written.get(i) or customise(self.older[i % len(self.older)], "kubernetes", i),
            "is_paused": False,
            "concurrency_limit": None,
            "status": "NOT_READY",
            "default_queue_id": f"00000000-0000-4000-9000-{i:012d}",
        }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real server
    state: State

    def log_message(self, *args):  # quiet
        pass

    def count(self, key: str) -> None:
        with self.state.lock:
            self.state.counts[key] += 1

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def reply(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/collections/views/aggregate-worker-metadata":
            self.count("GET metadata")
            self.reply(200, self.state.metadata)
        elif path == "/api/csrf-token":
            self.count("GET csrf-token")
            self.reply(422, b'{"detail":"CSRF protection is disabled."}')
        elif path == "/api/health":
            self.reply(200, b"true")
        elif path.startswith("/api/work_pools/") and self.state.index(path[16:]) is not None:
            self.count("GET pool")
            self.reply(200, json.dumps(self.state.pool(self.state.index(path[16:]))).encode())
        else:
            self.count("GET other")
            self.reply(404, b'{"detail":"Not found"}')

    def do_POST(self):
        raw = self.body()
        if self.path != "/api/work_pools/filter":
            self.count("POST other")
            return self.reply(404, b'{"detail":"Not found"}')
        self.count("POST filter")
        query = json.loads(raw or b"{}")
        names = ((query.get("work_pools") or {}).get("name") or {}).get("any_")
        if names is not None:  # poolsync's chunked re-read and read-back: by name
            found = [self.state.index(n) for n in names]
            page = [self.state.pool(i) for i in found if i is not None]
            return self.reply(200, json.dumps(page).encode())
        offset = int(query.get("offset") or 0)
        limit = min(int(query.get("limit") or 200), 200)
        end = min(offset + limit, self.state.pools)
        page = [self.state.pool(i) for i in range(offset, end)]
        self.reply(200, json.dumps(page).encode())

    def do_PATCH(self):
        raw = self.body()
        i = self.state.index(self.path[16:]) if self.path.startswith("/api/work_pools/") else None
        if i is not None:
            self.count("PATCH pool")
            with self.state.lock:
                self.state.written[i] = json.loads(raw)["base_job_template"]
            self.reply(204)
        else:
            self.count("PATCH other")
            self.reply(404, b'{"detail":"Not found"}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=10000)
    parser.add_argument("--poolsync", default=default_poolsync(),
                        help="the poolsync binary whose history holds the older defaults")
    args = parser.parse_args()
    Handler.state = State(args.pools, args.poolsync)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def stop(*_):
        print(f"fake_prefect: {dict(Handler.state.counts)}", file=sys.stderr, flush=True)
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"http://127.0.0.1:{server.server_address[1]}/api", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
