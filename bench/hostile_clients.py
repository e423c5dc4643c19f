"""Figures for hostile and busy clients (issue 7), from one run of tests/test_hostile_clients.py.

The scenarios are the tests themselves (two front ends, 50 MB of output, 10,000 requests without
waiting, replays, a vanishing client, an interrupt storm); they record their figures and this
prints them as a markdown table: throughput, output speed, the kernel's RSS (the kernel process
alone, not evcxr's child) after warm-up, at the 50 MB peak, after each scenario and at the end.

    JUPYTER_PATH=... .venv/bin/python bench/hostile_clients.py
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    with tempfile.TemporaryDirectory() as tmp:
        figures_path = pathlib.Path(tmp) / "figures.json"
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_hostile_clients.py"), "-q", "-p", "no:cacheprovider"],
            cwd=ROOT, env={**os.environ, "HOSTILE_FIGURES": str(figures_path)},
        )  # fmt: skip
        wall = time.monotonic() - started
        if run.returncode != 0 or not figures_path.exists():
            sys.exit(f"the scenarios failed (pytest exit {run.returncode}); no figures")
        f = json.loads(figures_path.read_text())
    rows = [
        ("10,000 `execute_request`s sent without waiting (`%clear`), until the last reply and idle",
         f"{f['requests_s']:.2f} s: {f['requests_per_s']:,.0f} requests/s"),
        ("a Rust cell printing 50 MiB (51,200 numbered 1 KiB lines): request to idle, all bytes counted on IOPub",
         f"{f['output_s']:.2f} s: {f['output_mb_per_s']:.1f} MB/s in {f['output_messages']} stream messages"),
        ("interrupt_requests answered (1,000 idle, storms of 200 while a cell runs, 300 after)",
         f"{f['interrupts']:,} ({f['interrupts_idle_per_s']:,.0f}/s idle) + {f['sigints']} SIGINTs"),
        ("kernel RSS after warm-up (evcxr and its analyzer loaded)", f"{f['rss_baseline_mb']:.0f} MB"),
        ("kernel RSS peak while the 50 MiB streamed / just after", f"{f['rss_peak_50mb_mb']:.0f} MB / {f['rss_after_50mb_mb']:.0f} MB"),
    ]  # fmt: skip
    rows += [(f"kernel RSS after `{name}…`", f"{mb:.0f} MB") for name, mb in f["rss_after_mb"].items()]
    rows += [
        ("kernel RSS at the end (bound: baseline + slack)",
         f"{f['rss_end_mb']:.0f} MB (≤ {f['rss_baseline_mb'] + f['rss_slack_mb']:.0f} MB)"),
        ("whole scenario file, kernel start to shutdown", f"{wall:.0f} s"),
    ]  # fmt: skip
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
