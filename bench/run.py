#!/usr/bin/env python3
"""Drives the benchmark programs and writes results.json (see bench/run)."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def run_json(argv, env=None):
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--demo", required=True)
    parser.add_argument("--scale", required=True)
    parser.add_argument("--processes", type=int, default=30)
    args = parser.parse_args()

    bench = os.path.join(args.build, "bench", "bench-core")
    results = {}
    rows = []

    def record(key, value, unit, what, target=None):
        results[key] = round(value, 4)
        rows.append((what, f"{value:,.3f} {unit}", target or ""))

    # 1. Cold activation: one activation per fresh process.
    for name, workspace in (("demo", args.demo), ("scale", args.scale)):
        page = "train"
        samples = [run_json([bench, "activate", workspace, page])["activate_ms"]
                   for _ in range(args.processes)]
        record(f"activation_cold_{name}_ms", statistics.median(samples), "ms",
               f"cold activation of Train, {name} workspace (median of {args.processes} processes)",
               "<= 5 ms" if name == "demo" else "<= 50 ms")

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

    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
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
