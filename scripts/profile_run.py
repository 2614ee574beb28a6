#!/usr/bin/env python
"""Where the time and the memory of one L2A_Process run go: per stage, and the code at the RSS peaks.

    .venv/bin/python scripts/profile_run.py --work /tmp/prof [--interval 0.02] L1C.SAFE [L2A_Process options]

Runs ``sen2cor.cli.main`` in this process with a sampler thread that records, every ``--interval``
seconds, the resident memory (psutil) and the innermost ``sen2cor`` frames of the main thread. Prints

* per stage (the run's ``<stage> <seconds> s (total ...)`` console lines): wall and CPU seconds (user +
  system of the process, all threads) and the peak RSS within the stage;
* the 12 highest RSS samples with the code that was running (file:line, function) and the growth
  of RSS over the preceding sample window, i.e. which call the peak happened in.

The load average before and after is printed too: CPU seconds are what load does not inflate.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path

import psutil

STAGE_LINE = re.compile(r"^(?P<stage>\S.*?)\s+(?P<seconds>\d+\.\d) s \(total")


def _where(frame, depth: int = 4) -> str:
    """The innermost ``depth`` frames of the sen2cor package (file:line function), innermost first."""
    parts = []
    while frame is not None and len(parts) < depth:
        name = frame.f_code.co_filename
        if "/sen2cor/" in name and "/testing/" not in name:
            parts.append(f"{name.rsplit('/sen2cor/', 1)[1]}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(parts) or "-"


class _Stages(logging.Handler):
    """Collects the stage lines with the process CPU time at their arrival."""

    def __init__(self, proc: psutil.Process) -> None:
        super().__init__(logging.INFO)
        self.proc, self.lines = proc, []

    def emit(self, record: logging.LogRecord) -> None:
        m = STAGE_LINE.match(record.getMessage())
        if m:
            cpu = self.proc.cpu_times()
            self.lines.append((time.monotonic(), cpu.user + cpu.system, m["stage"].strip(), float(m["seconds"])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("product", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("options", nargs=argparse.REMAINDER, help="further L2A_Process options after --")
    args = ap.parse_args(argv)
    options = [o for o in args.options if o != "--"]
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SEN2COR_HOME", str(args.work / "home"))
    from sen2cor.cli import main as l2a_process

    proc = psutil.Process()
    main_id = threading.get_ident()
    samples: list[tuple[float, int, str]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            frame = sys._current_frames().get(main_id)
            samples.append((time.monotonic(), proc.memory_info().rss, _where(frame)))
            time.sleep(args.interval)

    stages = _Stages(proc)
    logging.getLogger("sen2cor").addHandler(stages)
    load_before = os.getloadavg()
    sampler = threading.Thread(target=sample, daemon=True)
    started, cpu0 = time.monotonic(), sum(proc.cpu_times()[:2])
    sampler.start()
    code = l2a_process([str(args.product), "--output_dir", str(args.work / f"out_{time.time_ns()}"), *options])
    done.set()
    sampler.join()
    wall, cpu = time.monotonic() - started, sum(proc.cpu_times()[:2]) - cpu0
    print(f"\nexit code {code}; wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS "
          f"{max(s[1] for s in samples) / 2**30:.2f} GiB; load average (1 min) {load_before[0]:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print("\n| stage | wall | CPU | peak RSS |\n|---|---|---|---|")
    previous_cpu = cpu0
    for t_end, cpu_end, name, seconds in stages.lines:
        inside = [rss for t, rss, _ in samples if t_end - seconds <= t <= t_end]
        peak = max(inside, default=0) / 2**30
        print(f"| {name} | {seconds:.1f} s | {cpu_end - previous_cpu:.1f} s | {peak:.2f} GiB |")
        previous_cpu = cpu_end
    print("\nhighest RSS samples (GiB, growth over the previous 2 s, code):")
    order = sorted(range(len(samples)), key=lambda i: samples[i][1], reverse=True)
    shown: set[str] = set()
    for i in order:
        t, rss, where = samples[i]
        if where in shown:
            continue
        shown.add(where)
        before = min((s[1] for s in samples if t - 2.0 <= s[0] < t), default=rss)
        print(f"  {rss / 2**30:5.2f} (+{(rss - before) / 2**30:4.2f}) t={t - started:6.1f} s  {where}")
        if len(shown) == 12:
            break
    return code


if __name__ == "__main__":
    sys.exit(main())
