"""scripts/accuracy --server: the leave-one-out upgrade of a sample of pools on a real Prefect server.

Starts a throw-away server (scripts/prefect-server, stopped at the end), creates each customised
pool with `POST /api/work_pools/`, runs `poolsync update POOL --history-file H --template NEWEST
--backup-dir DIR`, reads the pool back with `GET /api/work_pools/NAME` and scores what the server
holds with the same oracle as the offline runs.
"""

import json
import os
import subprocess
import sys

import httpx

from accuracy_score import score

REPO_SCRIPTS = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(REPO_SCRIPTS, "prefect-server")


def start(directory):
    # Loopback only: the server's collections view tries raw.githubusercontent.com first and
    # falls back to the file shipped with prefect; a dead proxy makes that fallback immediate.
    env = dict(os.environ, HTTPS_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    proc = subprocess.run([SERVER, "start", "--dir", str(directory), "--owner-pid", str(os.getpid())],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"accuracy: the Prefect server did not start: {proc.stderr[-2000:]}")
    return proc.stdout.strip().rstrip("/")


def stop(directory):
    subprocess.run([SERVER, "stop", "--dir", str(directory)], capture_output=True)


def run_on_server(runner, sample):
    directory = runner.work / "server"
    api = start(directory)
    print(f"accuracy: server {api}, {len(sample)} pools", file=sys.stderr)
    env = dict(os.environ, PREFECT_API_URL=api, PREFECT_HOME=str(runner.work / "home"),
               XDG_STATE_HOME=str(runner.work / "state"), NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    for key in ("PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_API_AUTH_STRING",
                "POOLSYNC_HISTORY_FILE"):
        env.pop(key, None)
    try:
        with httpx.Client(base_url=api, timeout=60) as client:
            for case in sample:
                upgrade(runner, client, env, case)
    finally:
        stop(directory)
    return sample


def upgrade(runner, client, env, case):
    name = f"accuracy-{case.pool_type}-{case.index}"
    created = client.post("/work_pools/", json={
        "name": name, "type": case.pool_type, "base_job_template": case.pool})
    if created.status_code != 201:
        case.score = score(case.origin, case.newest, case.pool, case.custom)
        case.score.refused = (f"the server refused to create the customised pool: "
                              f"{created.status_code} {created.text[:300]}")
        return
    newest = runner.write(f"{case.pool_type}-newest.json", case.newest)
    history = runner.history_file(case, leave_out=True)
    proc = runner.poolsync("update", name, "--history-file", history, "--template", newest,
                           "--backup-dir", runner.work / "backups", "--output", "json",
                           "--color", "never", env=env)
    report = {}
    for line in proc.stdout.splitlines():
        try:
            report = json.loads(line)
        except ValueError:
            continue
        break
    base = report.get("base")
    case.base = base.get("description", json.dumps(base)) if isinstance(base, dict) else str(base or "")
    read = client.get(f"/work_pools/{name}")
    read.raise_for_status()
    merged = read.json()["base_job_template"]
    case.score = score(case.origin, case.newest, merged, case.custom)
    if proc.returncode != 0:
        outcome = report.get("outcome") or report.get("status") or "?"
        detail = report.get("error") or report.get("reason") or proc.stderr.strip()[-300:]
        case.score.refused = f"update exit {proc.returncode}, {outcome}: {str(detail)[:300]}"
