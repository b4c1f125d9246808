#!/usr/bin/env python3
"""Drives the benchmark programs and writes results.json (see bench/run)."""

import argparse
import json
import os
import platform
import re
import signal
import socket
import shutil
import statistics
import subprocess
import sys
import select
import tempfile
import threading
import time
import urllib.parse


def run_json(argv, env=None):
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout.strip()
    try:
        return json.loads(out)  # one (possibly pretty-printed) object
    except json.JSONDecodeError:
        return json.loads(out.splitlines()[-1])  # progress lines, then the object


def callgrind_instructions(argv):
    """Total instructions of one run under callgrind."""
    log = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + argv,
                         check=True, capture_output=True, text=True).stderr
    for line in log.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1].strip())
    raise RuntimeError("no callgrind total in:\n" + log)


def per_iteration_instructions(bench, workspace, page, mode, small=20, large=120):
    """Instructions of one iteration: the difference of two runs, so set-up cancels."""
    a = callgrind_instructions([bench, "loop", workspace, page, mode, str(small)])
    b = callgrind_instructions([bench, "loop", workspace, page, mode, str(large)])
    return (b - a) / (large - small)


class Server:
    """`cmdbuilder serve --port 0` on a workspace; stopped by PID."""

    def __init__(self, cmdbuilder, workspace):
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [cmdbuilder, "serve", "--port", "0", "--workspace", workspace],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline().strip()
        url = urllib.parse.urlparse(line)
        if not url.port:
            self.stop()
            raise RuntimeError(f"serve printed no URL: {line!r}")
        self.port = url.port
        self.token = urllib.parse.parse_qs(url.query)["token"][0]

    def first_byte(self, path):
        """Seconds from process start to the first byte of GET path."""
        with socket.create_connection(("127.0.0.1", self.port)) as conn:
            conn.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                          f"Authorization: Bearer {self.token}\r\nConnection: close\r\n\r\n")
                         .encode())
            conn.recv(1)
            return time.perf_counter() - self.started

    def rss_kb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


WRK_COUNTER = """
local limit = tonumber(os.getenv("WRK_LIMIT") or "0")
local count = 0
response = function(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then wrk.thread:stop() end
end
done = function(summary, latency, requests)
  io.write(string.format("RESPONSES %d\\n", summary.requests))
  io.write(string.format("LATENCY %f %f\\n", latency:percentile(50), latency:percentile(99)))
end
"""


def wrk(server, path, connections, seconds=None, limit=None):
    """Runs wrk; returns (responses, req/s, p50 ms, p99 ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_COUNTER)
    try:
        env = dict(os.environ, WRK_LIMIT=str(limit or 0))
        argv = ["wrk", "-t1", f"-c{connections}", "-d", f"{seconds or 600}s", "-s", script.name,
                "-H", f"Authorization: Bearer {server.token}",
                f"http://127.0.0.1:{server.port}{path}"]
        out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    finally:
        os.unlink(script.name)
    responses = int(re.search(r"RESPONSES (\d+)", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p50, p99 = (float(x) / 1000.0 for x in re.search(r"LATENCY ([0-9.]+) ([0-9.]+)", out).groups())
    return responses, rps, p50, p99


WRK_MIXED = """
-- Mixed load: a page view, a JSON change (saved state), a command build and
-- a form post (saved state, then a redirect), in turn on each connection.
local token = os.getenv("WRK_TOKEN")
local n = 0
local errors = 0
local bodies = {
  '{"changes": {"exp_name": "mixed_%d"}}',
  '{"values": {"max_epochs": %d}, "user_set": ["max_epochs"]}',
  'exp_name=form_%d',
}
request = function()
  n = n + 1
  local kind = n % 4
  local headers = {["Authorization"] = "Bearer " .. token}
  if kind == 0 then
    return wrk.format("GET", "/train", headers)
  elseif kind == 1 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/pages/train", headers, string.format(bodies[1], n % 7))
  elseif kind == 2 then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/build/train", headers, string.format(bodies[2], 1 + n % 50))
  else
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/train", headers, string.format(bodies[3], n % 7))
  end
end
response = function(status, headers, body)
  if status >= 400 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESPONSES %d\\n", summary.requests))
  io.write(string.format("LATENCY %f %f\\n", latency:percentile(50), latency:percentile(99)))
  io.write(string.format("ERRORS %d\\n", e.connect + e.read + e.write + e.status + e.timeout))
end
"""


# The mixed load's four requests (WRK_MIXED above), for the instruction counts:
# (method, path, content type, body) of the i-th request of one kind.
MIXED_REQUESTS = {
    "page": lambda i: ("GET", "/train", None, None),
    "json_change": lambda i: ("POST", "/api/pages/train", "application/json",
                              '{"changes": {"exp_name": "mixed_%d"}}' % (i % 7)),
    "build": lambda i: ("POST", "/api/build/train", "application/json",
                        '{"values": {"max_epochs": %d}, "user_set": ["max_epochs"]}'
                        % (1 + i % 50)),
    "form_post": lambda i: ("POST", "/train", "application/x-www-form-urlencoded",
                            "exp_name=form_%d" % (i % 7)),
    # Not in the mixed load: the page's full JSON and a static asset, for
    # instructions per request beside the page's (--server-instructions).
    "api": lambda i: ("GET", "/api/pages/train", None, None),
    "static": lambda i: ("GET", "/assets/app.css", None, None),
}
MIXED_CYCLE = ("page", "json_change", "build", "form_post")


def server_instructions(cmdbuilder, workspace, kinds, count, out_file=None):
    """Instructions (callgrind, every thread) of a server that answered `count`
    rounds of the requests `kinds` (names of MIXED_REQUESTS, in turn) on one
    kept-alive connection, from its start to its exit."""
    import http.client
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file or '/dev/null'}",
            cmdbuilder, "serve", "--port", "0", "--workspace", workspace]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = urllib.parse.urlparse(process.stdout.readline().strip())
        token = urllib.parse.parse_qs(url.query)["token"][0]
        conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=120)
        for i in range(count):
            for kind in kinds:
                method, path, content_type, body = MIXED_REQUESTS[kind](i)
                headers = {"Authorization": f"Bearer {token}"}
                if content_type:
                    headers["Content-Type"] = content_type
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    raise RuntimeError(f"{method} {path}: {response.status}")
        conn.close()
    finally:
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=120)
    for line in log.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1].strip())
    raise RuntimeError("no callgrind total in:\n" + log)


def per_request_instructions(cmdbuilder, workspace, kinds, small=10, large=60):
    """Instructions per round of `kinds`: the difference of two servers' totals,
    so start-up, the first (cold) requests and shutting down cancel."""
    a = server_instructions(cmdbuilder, workspace, kinds, small)
    b = server_instructions(cmdbuilder, workspace, kinds, large)
    return (b - a) / (large - small)


def wrk_mixed(server, connections, seconds):
    """Mixed load; returns (req/s, p50 ms, p99 ms, errors: socket errors, timeouts and 4xx/5xx)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_MIXED)
    try:
        env = dict(os.environ, WRK_TOKEN=server.token)
        argv = ["wrk", "-t2", f"-c{connections}", "-d", f"{seconds}s", "--timeout", "5s",
                "-s", script.name, f"http://127.0.0.1:{server.port}/"]
        out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p50, p99 = (float(x) / 1000.0 for x in re.search(r"LATENCY ([0-9.]+) ([0-9.]+)", out).groups())
    errors = int(re.search(r"ERRORS (\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, errors + (int(non2xx.group(1)) if non2xx else 0)


def cpu_seconds(pid):
    """User + system CPU time of process @pid so far (not its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(cmdbuilder, bench, workspace, streams=10, runs=1000, seconds=30):
    """CPU time of a server with @streams open event streams (each listing
    the Train page's runs, as an open tab does) and @runs ended runs in its
    history, over @seconds of doing nothing else, in percent of one core."""
    subprocess.run([bench, "make-runs", workspace, str(runs)], check=True, capture_output=True)
    server = Server(cmdbuilder, workspace)
    connections = []
    stop = threading.Event()

    def drain():
        while not stop.is_set():
            ready, _, _ = select.select(connections, [], [], 0.5)
            for conn in ready:
                if not conn.recv(65536):
                    raise RuntimeError("an event stream closed")

    try:
        server.first_byte("/train")
        for _ in range(streams):
            conn = socket.create_connection(("127.0.0.1", server.port))
            conn.sendall((f"GET /api/events?list=train HTTP/1.1\r\n"
                          f"Host: 127.0.0.1:{server.port}\r\n"
                          f"Authorization: Bearer {server.token}\r\n\r\n").encode())
            connections.append(conn)
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        time.sleep(3)  # every stream sent its first list
        before, started = cpu_seconds(server.process.pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu_seconds(server.process.pid) - before, time.monotonic() - started
        stop.set()
        reader.join()
    finally:
        stop.set()
        for conn in connections:
            conn.close()
        server.stop()
    return 100.0 * used / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--demo", required=True)
    parser.add_argument("--scale", required=True)
    parser.add_argument("--processes", type=int, default=30)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--mixed-seconds", type=int, default=60)
    parser.add_argument("--only-mixed", action="store_true",
                        help="run only the mixed-load HTTP benchmark")
    parser.add_argument("--mixed-against", metavar="CMDBUILDER",
                        help="with --only-mixed: alternate the mixed load between this build and "
                        "another cmdbuilder (an older build), --mixed-rounds times each, so both "
                        "see the same load on a shared machine")
    parser.add_argument("--mixed-rounds", type=int, default=2)
    parser.add_argument("--server-instructions", action="store_true",
                        help="only the server's callgrind instructions per request of the "
                        "mixed load (each kind alone, and the four in turn)")
    parser.add_argument("--only-idle", action="store_true",
                        help="run only the idle server benchmark")
    parser.add_argument("--idle-seconds", type=int, default=30)
    parser.add_argument("--only-http", action="store_true",
                        help="run only the HTTP throughput benchmark (page, full JSON, stylesheet)")
    parser.add_argument("--only-sweep", action="store_true",
                        help="run only the 100-member sweep page benchmark")
    parser.add_argument("--only-activation", action="store_true",
                        help="run only the cold activations (with and without the parse index)")
    args = parser.parse_args()

    bench = os.path.join(args.build, "bench", "bench-core")
    load_at_start = os.getloadavg()
    results = {}
    rows = []

    def record(key, value, unit, what, target=None):
        results[key] = round(value, 4)
        rows.append((what, f"{value:,.3f} {unit}", target or ""))

    cmdbuilder = os.path.join(args.build, "core", "cli", "cmdbuilder")

    def mixed_load():
        """Mixed load over HTTP: page views, JSON changes (saved), builds and
        form posts (saved), 50 connections. Errors count socket errors,
        timeouts (5 s) and 4xx/5xx answers."""
        server = Server(cmdbuilder, args.demo)
        try:
            server.first_byte("/train")
            rps, p50, p99, errors = wrk_mixed(server, 50, args.mixed_seconds)
        finally:
            server.stop()
        results["http_mixed_p50_ms"] = round(p50, 3)
        record("http_mixed_rps_c50", rps, "req/s",
               f"mixed load (page, JSON change, build, form post), 50 connections, "
               f"{args.mixed_seconds} s")
        record("http_mixed_p99_ms", p99, "ms", "mixed load p99", "< 100 ms")
        record("http_mixed_errors", errors, "", "mixed load errors and timeouts", "0")

    def server_instruction_counts():
        """Server instructions per request of each kind of the mixed load (one
        connection, under callgrind: independent of the machine's load)."""
        workspace = os.path.join(args.out, "instructions-workspace")
        for kind in MIXED_CYCLE + ("api", "static"):
            shutil.rmtree(workspace, ignore_errors=True)
            shutil.copytree(args.demo, workspace)
            count = per_request_instructions(cmdbuilder, workspace, (kind,))
            record(f"server_instructions_{kind}", count, "instr",
                   f"server instructions per {kind} request (callgrind)")
        shutil.rmtree(workspace, ignore_errors=True)
        shutil.copytree(args.demo, workspace)
        count = per_request_instructions(cmdbuilder, workspace, MIXED_CYCLE)
        record("server_instructions_mixed_round", count, "instr",
               "server instructions per round of the four mixed-load requests (callgrind)")
        shutil.rmtree(workspace, ignore_errors=True)

    if args.server_instructions:
        server_instruction_counts()
        for what, value, target in rows:
            print(f"{what}: {value}")
        print(json.dumps({k: v for k, v in results.items() if k.startswith("server_instr")}))
        return

    if args.only_mixed and args.mixed_against:
        for round_ in range(args.mixed_rounds):
            for name, program in (("other", args.mixed_against), ("this", cmdbuilder)):
                workspace = os.path.join(args.out, "mixed-workspace")
                shutil.rmtree(workspace, ignore_errors=True)
                shutil.copytree(args.demo, workspace)
                server = Server(program, workspace)
                try:
                    server.first_byte("/train")
                    load = os.getloadavg()[0]
                    rps, p50, p99, errors = wrk_mixed(server, 50, args.mixed_seconds)
                finally:
                    server.stop()
                print(json.dumps({"round": round_, "build": name, "rps": rps, "p50_ms": p50,
                                  "p99_ms": p99, "errors": errors,
                                  "load_average": [load, os.getloadavg()[0]]}), flush=True)
        shutil.rmtree(os.path.join(args.out, "mixed-workspace"), ignore_errors=True)
        return

    def idle_server():
        """An idle server with ten open tabs' event streams and 1,000 ended
        runs (docs/performance.md, "An idle server")."""
        workspace = os.path.join(args.out, "idle-workspace")
        shutil.rmtree(workspace, ignore_errors=True)
        shutil.copytree(args.demo, workspace)
        try:
            percent = idle_cpu_percent(cmdbuilder, bench, workspace, seconds=args.idle_seconds)
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
        record("idle_cpu_percent_10_streams", percent, "%",
               f"idle server CPU, 10 event streams, 1,000 ended runs, {args.idle_seconds} s",
               "<= 0.5 %")

    if args.only_idle:
        idle_server()
        for what, value, target in rows:
            print(f"{what}: {value} (target {target or '-'})")
        return

    def sweep_page():
        """A 100-member sweep's comparison page: the server's time to render
        it (GET /sweeps/<id>: every member's record read and its log's last
        MiB searched for the metrics) and its JSON (GET /api/sweeps/<id>).
        The sweep is real: 100 one-epoch Train runs of the demo runner,
        ended, with their logs. Latency over one connection (wrk), as for
        the pages."""
        workspace = os.path.join(args.out, "sweep-workspace")
        shutil.rmtree(workspace, ignore_errors=True)
        shutil.copytree(args.demo, workspace)
        env = dict(os.environ, DEMO_EPOCH_SECONDS="0")
        subprocess.run([cmdbuilder, "run", "train", "--workspace", workspace,
                        "--sweep", "seed=range(0,100)", "--set", "max_epochs=1",
                        "--parallel", "4"],
                       check=True, env=env, cwd=workspace, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        sweeps = run_json([cmdbuilder, "sweeps", "--json", "--workspace", workspace])
        sweep = sweeps[0]
        if sweep["count"] != 100 or sweep["counts"].get("succeeded") != 100:
            raise RuntimeError(f"the bench sweep did not end as expected: {sweep}")
        server = Server(cmdbuilder, workspace)
        try:
            for path, key, what in (
                    (f"/sweeps/{sweep['id']}?sort=metric:val_hmean&order=desc",
                     "sweep_page_100", "a 100-member sweep's comparison page (HTML, sorted)"),
                    (f"/api/sweeps/{sweep['id']}", "sweep_api_100",
                     "a 100-member sweep's comparison (JSON)")):
                server.first_byte(path)
                _, rps, p50, p99 = wrk(server, path, 1, seconds=5)
                record(f"{key}_ms", p50, "ms", f"{what}, server time p50 (1 connection)",
                       "< 50 ms" if key == "sweep_page_100" else None)
                record(f"{key}_p99_ms", p99, "ms", f"{what}, p99")
        finally:
            server.stop()
            shutil.rmtree(workspace, ignore_errors=True)

    if args.only_sweep:
        sweep_page()
        for what, value, target in rows:
            print(f"{what}: {value} (target {target or '-'})")
        print(json.dumps({k: v for k, v in results.items() if k.startswith("sweep_")}))
        return

    def http_throughput():
        """The page, its full JSON and one of the same server's static assets
        (the stylesheet), 1 and 10 connections, 8 s each (wrk)."""
        server = Server(cmdbuilder, args.demo)
        try:
            server.first_byte("/train")  # activate, as a user's first visit would
            # The page, its full JSON, and one of the same server's static
            # assets (the stylesheet) for comparison, on the same connections.
            for path, name in (("/train", "page"), ("/api/pages/train", "api"),
                               ("/assets/app.css", "static")):
                for connections in (1, 10):
                    _, rps, p50, p99 = wrk(server, path, connections, seconds=8)
                    suffix = f"{name}_c{connections}"
                    results[f"http_rps_{suffix}"] = round(rps, 1)
                    results[f"http_p50_ms_{suffix}"] = round(p50, 3)
                    results[f"http_p99_ms_{suffix}"] = round(p99, 3)
                    rows.append((f"HTTP GET {path}, {connections} connection(s)",
                                 f"{rps:,.0f} req/s", f"p50 {p50:.3f} ms, p99 {p99:.3f} ms"))
            record("http_rps_c10", results["http_rps_page_c10"], "req/s",
                   "page renders/s over HTTP, 10 connections", ">= 5,000")
            record("http_rps_api_c10", results["http_rps_api_c10"], "req/s",
                   "GET /api/pages/train (full JSON) over HTTP, 10 connections", ">= 5,000")
            results["http_page_static_ratio_c10"] = round(
                results["http_rps_page_c10"] / results["http_rps_static_c10"], 3)
            record("http_page_static_ratio_c10", results["http_page_static_ratio_c10"], "",
                   "page req/s over the stylesheet's req/s, 10 connections", ">= 0.8")
            record("http_p99_ms_c10", results["http_p99_ms_page_c10"], "ms",
                   "page render p99 over HTTP, 10 connections")
        finally:
            server.stop()

    if args.only_http:
        http_throughput()
        for what, value, target in rows:
            print(f"{what}: {value} (target {target or '-'})")
        print(json.dumps({k: v for k, v in results.items() if k.startswith("http_")}))
        return

    if args.only_mixed:
        mixed_load()
        for what, value, target in rows:
            print(f"{what}: {value} (target {target or '-'})")
        print(json.dumps({k: v for k, v in results.items() if k.startswith("http_mixed")}))
        return

    # 1. Cold activation: one activation per fresh process. A workspace's
    # first process parses its config files and writes the parse index
    # (docs/cache.md, "The parse index"); every later one, as a user's next
    # command or server start, reads the index. Both are measured: the
    # _noindex key removes the index before each process, the main key
    # runs with the index the previous process left (files unchanged).
    def activations(workspace, page, without_index):
        index_dir = os.path.join(workspace, ".cmdbuilder", "parse-index")
        samples = []
        for _ in range(args.processes):
            if without_index:
                shutil.rmtree(index_dir, ignore_errors=True)
            samples.append(run_json([bench, "activate", workspace, page])["activate_ms"])
        return samples

    def cold_activation():
        for name, workspace in (("demo", args.demo), ("scale", args.scale)):
            page = "train"
            samples = activations(workspace, page, without_index=True)
            record(f"activation_cold_{name}_noindex_ms", statistics.median(samples), "ms",
                   f"cold activation of Train, {name} workspace, first process (no parse index; "
                   f"median of {args.processes} processes)")
            samples = activations(workspace, page, without_index=False)
            record(f"activation_cold_{name}_ms", statistics.median(samples), "ms",
                   f"cold activation of Train, {name} workspace, parse index present (median of "
                   f"{args.processes} processes)",
                   "<= 5 ms" if name == "demo" else "<= 10 ms")

    if args.only_activation:
        cold_activation()
        for what, value, target in rows:
            print(f"{what}: {value} (target {target or '-'})")
        print(json.dumps({k: v for k, v in results.items() if k.startswith("activation_")}))
        return

    cold_activation()

    # 2. Warm render, render after an invalidation, evaluation + build.
    warm = run_json([bench, "loop", args.demo, "train", "warm", "5000"])
    record("render_warm_p99_us", warm["p99_us"], "us", "warm page render p99 (5,000)", "<= 1,000 us")
    results["render_warm_p50_us"] = warm["p50_us"]
    invalidated = run_json([bench, "loop", args.demo, "train", "invalidated", "1000"])
    record("render_invalidated_p99_us", invalidated["p99_us"], "us",
           "render after a watched file changed, p99 (1,000)")
    results["render_invalidated_p50_us"] = invalidated["p50_us"]
    evaluate = run_json([bench, "loop", args.demo, "train", "evaluate", "5000"])
    record("evaluate_build_p50_us", evaluate["p50_us"], "us", "form evaluation + command build p50")

    for mode in ("warm", "invalidated", "evaluate"):
        count = per_iteration_instructions(bench, args.demo, "train", mode)
        record(f"instructions_{mode}", count, "instr", f"callgrind instructions per {mode} iteration")

    # 2b. The composition check of the demo's Train command (docs/compose-check.md):
    # cold in a fresh process, then warm with the tree cached.
    composed = [run_json([bench, "compose", args.demo, "train", "2000"])
                for _ in range(args.processes)]
    record("compose_cold_ms", statistics.median(c["cold_ms"] for c in composed), "ms",
           f"compose check of Train, cold (median of {args.processes} processes)", "<= 10 ms")
    record("compose_warm_p50_us", statistics.median(c["warm_p50_us"] for c in composed), "us",
           "compose check of Train, warm p50 (2,000)", "<= 300 us")

    # 3. Source listing on the scale workspace: cold, then warm lookups.
    scan = run_json([bench, "scan", args.scale, "200"])
    record("scale_scan_cold_ms", scan["cold_ms"], "ms", "scale workspace: list every source, cold",
           "<= 40 ms")
    record("scale_lookup_warm_p50_us", scan["warm_p50_us"], "us",
           "scale workspace: every source again, warm (p50)")

    # 3b. The run history: 1,000 ended runs listed (each open page's event
    # stream lists its runs every second), on a copy of the demo workspace.
    runs_workspace = os.path.join(args.out, "runs-workspace")
    shutil.rmtree(runs_workspace, ignore_errors=True)
    shutil.copytree(args.demo, runs_workspace)
    listing = run_json([bench, "runs", runs_workspace, "1000", "200"])
    record("runs_list_cold_ms", listing["cold_ms"], "ms", "list a page's runs among 1,000, cold")
    record("runs_list_warm_p50_ms", listing["warm_p50_ms"], "ms",
           "list a page's runs among 1,000 again (records unchanged), p50")
    shutil.rmtree(runs_workspace, ignore_errors=True)

    if not args.skip_http:
        # 4. Start-up: process start to the first byte of the first page.
        samples = []
        for _ in range(20):
            server = Server(cmdbuilder, args.demo)
            try:
                samples.append(server.first_byte("/train") * 1000.0)
            finally:
                server.stop()
        record("startup_ms", statistics.median(samples), "ms",
               "start-up to the first byte of /train (median of 20)", "<= 50 ms")

        # 5. HTTP throughput and latency; RSS after an exact number of requests.
        http_throughput()

        server = Server(cmdbuilder, args.demo)
        try:
            total = 0
            for target, key in ((50000, "rss_50k_kb"), (100000, "rss_100k_kb")):
                # wrk stops its thread at the limit but waits out -d: run short
                # rounds until the counted responses reach the target exactly.
                while total < target:
                    responses, _, _, _ = wrk(server, "/train", 10, seconds=4,
                                             limit=target - total)
                    total += responses
                results[f"{key}_requests"] = total
                record(key, server.rss_kb(), "kB", f"server RSS after {total:,} requests",
                       "<= 20,000 kB")
            growth = (results["rss_100k_kb"] - results["rss_50k_kb"]) / results["rss_50k_kb"]
            record("rss_growth_50k_100k_percent", growth * 100.0, "%",
                   "RSS growth from 50k to 100k requests", "< 5 %")
        finally:
            server.stop()

        # 6. Mixed load (docs/security.md: the server under many clients).
        mixed_load()
        # 6b. The server's instructions per request of the mixed load (callgrind).
        server_instruction_counts()

        # 6b. An idle server with open tabs.
        idle_server()
        # 6c. A 100-member sweep's comparison page (docs/sweeps.md).
        sweep_page()

    if not args.skip_browser:
        # 7. Browser (Playwright + Debian's Chromium): warm switches, the static
        # navigation floor, cold first visit, live update. See docs/web-ui.md.
        here = os.path.dirname(os.path.abspath(__file__))
        browser = run_json(["node", os.path.join(here, "browser", "bench-browser.mjs"),
                            "--cmdbuilder", cmdbuilder, "--workspace", args.demo])
        record("browser_switch_median_ms", browser["browser_switch_median_ms"], "ms",
               "warm page switch, median (click to 2nd rAF)", "<= 30 ms, < static floor")
        record("browser_switch_p95_ms", browser["browser_switch_p95_ms"], "ms",
               "warm page switch, p95")
        record("browser_frame_floor_median_ms", browser["browser_frame_floor_median_ms"], "ms",
               "frame-scheduling floor of that probe (a click changing one line), median")
        record("browser_static_nav_median_ms", browser["browser_static_nav_median_ms"], "ms",
               "same-origin static navigation floor, median")
        results["browser_switch_static_ratio"] = round(
            browser["browser_switch_median_ms"] / browser["browser_static_nav_median_ms"], 3)
        record("browser_cold_visit_ms", browser["browser_cold_visit_ms"], "ms",
               "cold first visit of a page", "<= 100 ms")
        record("live_update_median_ms", browser["live_update_median_ms"], "ms",
               f"live update: field change to command on screen, median "
               f"({browser['live_update_samples']} samples)",
               "<= 50 ms, <= frame floor + 8 ms")
        record("browser_first_load_fcp_median_ms", browser["browser_first_load_fcp_median_ms"], "ms",
               f"first load: token URL to the first contentful paint of Train, fresh server and "
               f"browser context each ({browser['browser_first_load_fcp_samples']} samples)",
               "<= 100 ms, <= blank + 40 ms")
        record("browser_blank_fcp_median_ms", browser["browser_blank_fcp_median_ms"], "ms",
               "first contentful paint of a blank page (same tab), median")
        record("browser_blank_first_load_fcp_median_ms",
               browser["browser_blank_first_load_fcp_median_ms"], "ms",
               "the blank page in a fresh browser context each, median")
        # Where the first paint's time goes: the same first document served
        # statically with parts taken out (bench-browser.mjs, "anatomy").
        anatomy = browser["browser_first_load_anatomy_fcp_median_ms"]
        rows.append(("first load anatomy, FCP of the first document: as sent / no scripts / "
                     "no scripts nor stylesheet / no scripts nor form controls",
                     " / ".join(f"{anatomy[name]} ms" for name in
                                ("as-sent", "no-scripts", "no-scripts-no-style",
                                 "no-scripts-no-controls")), ""))
        results["browser"] = browser

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], check=True, capture_output=True,
                                text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                                ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               check=True, capture_output=True, text=True,
                               cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        results["commit"] = commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        results["commit"] = None  # not a git checkout (a release tarball)
    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "load_average": os.getloadavg(),
        "load_average_at_start": load_at_start,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)

    width = max(len(r[0]) for r in rows)
    print(f"{'benchmark':<{width}}  {'result':>18}  target")
    for what, value, target in rows:
        print(f"{what:<{width}}  {value:>18}  {target}")
    print(f"\nwrote {os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    sys.exit(main())
