"""``L2A_Batch``: many L1C products in one command, each in its own Dask worker process (docs/batch.md).

    L2A_Batch /data/L1C --output_dir /data/L2A --resolution 10
    L2A_Batch 'downloads/*.SAFE.zip' list.txt --output_dir /data/L2A --workers 4 --memory-limit 6GiB
    L2A_Batch /data/L1C --output_dir /data/L2A --scheduler tcp://10.0.0.5:8786
    L2A_Batch /data/L1C_tiles --mode process_tile --datastrip /data/DS --processing_centre SGS_ \\
              --archiving_centre SGS_ --output_dir /data/L2A

Exit codes: 0 every product succeeded (processed, already processed, or created with --cr_only);
1 nothing was processed: an option, a GIPP, the inputs or the cluster were unusable (one line on
stderr); 2 the batch ran and at least one product failed; 130 interrupted by Ctrl-C, 143 by SIGTERM.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sen2cor import SEN2COR_VERSION
from sen2cor.cli import add_processing_options
from sen2cor.errors import Sen2CorError, UsageError

log = logging.getLogger(__name__)

EXIT_SUCCESS, EXIT_USAGE, EXIT_PRODUCT_FAILED = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """L2A_Batch's options: the inputs, every L2A_Process option, and the batch's own."""
    p = _Parser(prog="L2A_Batch", description=f"Sen2Cor {SEN2COR_VERSION} (open Python re-implementation) over many "
                "Level-1C products on dask.distributed: every L2A_Process option applies to every product.")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="L1C product folder, .zip archive, glob pattern, folder to scan, or text file with one "
                        "input per line (L1C tile folders with --mode process_tile)")
    p.add_argument("--mode", choices=("process_tile",), metavar="MODE",
                   help="process_tile: PDGS mode, --datastrip (L1C or L2A datastrip) with the tiles given as inputs")
    add_processing_options(p)
    g = p.add_argument_group("batch")
    g.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (local cluster) or jobs (--cluster); default: from CPUs and memory")
    g.add_argument("--memory-limit", metavar="SIZE",
                   help="memory limit per worker, e.g. 3GiB (default: 1.25 x the measured peak of a full tile)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="submit to an existing Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--cluster", choices=("slurm", "lsf"),
                   help="start the workers as batch jobs with dask-jobqueue (queue, account, walltime: "
                        "~/.config/dask/jobqueue.yaml)")
    g.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto",
                   help="progress display: a bar on a terminal, plain lines otherwise (auto)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``L2A_Batch`` and ``python -m sen2cor.batch``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    console = _console_logging()
    _TERMINATED["flag"] = False
    previous = signal.signal(signal.SIGTERM, _sigterm)
    started = datetime.now(UTC)
    try:
        return _main(args, started)
    except Sen2CorError as exc:
        print(f"L2A_Batch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _Terminated:
        print("L2A_Batch: terminated (SIGTERM) before the products were submitted", file=sys.stderr)
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        print("L2A_Batch: interrupted before the products were submitted", file=sys.stderr)
        return EXIT_SIGINT
    finally:
        signal.signal(signal.SIGTERM, previous)
        logging.getLogger("sen2cor.batch").removeHandler(console)


def _main(args: argparse.Namespace, started: datetime) -> int:
    from sen2cor.batch import cluster
    from sen2cor.batch.engine import run_items, settle_interrupted
    from sen2cor.batch.inputs import collect_inputs
    from sen2cor.batch.pdgs import prepare_datastrip
    from sen2cor.batch.progress import BatchProgress
    from sen2cor.batch.summary import counts, format_table, write_summary
    from sen2cor.config import load_config

    options = _options(args)
    pdgs = options.mode == "process_tile"
    config = load_config(options=options)           # a bad GIPP stops the batch before any work
    items = collect_inputs(args.inputs, tiles=pdgs)
    if not items:
        raise UsageError("no L1C product found in the inputs: " + " ".join(args.inputs))
    if pdgs:
        options = replace(options, datastrip=prepare_datastrip(options, config))
    out_dirs = {options.output_dir} if options.output_dir else {i.source.parent for i in items}
    scratch = sorted(out_dirs | ({options.work_dir} if options.work_dir else set()))
    _clean(scratch)
    summary_dir = options.output_dir or Path.cwd()

    cpus, memory = cluster.machine()
    memory_limit = _bytes(args.memory_limit) if args.memory_limit else None
    plan = cluster.plan_local(cpus=cpus, memory_bytes=memory, workers=args.workers, memory_limit_bytes=memory_limit,
                              peak_bytes=cluster.product_peak_bytes(config.common.dem_directory is not None))
    if args.scheduler:
        where, connect = f"scheduler {args.scheduler}", cluster.remote_client(args.scheduler)
    elif args.cluster:
        if not args.workers:
            raise UsageError(f"--cluster {args.cluster} needs --workers N: the number of jobs to submit")
        where = f"{args.cluster} jobs: {args.workers} x 1 worker, {plan.memory_limit_bytes / cluster.GIB:.2f} GiB"
        connect = cluster.jobqueue_client(args.cluster, args.workers, memory_limit_bytes=plan.memory_limit_bytes)
    else:
        where, connect = f"local cluster: {plan.describe()}", cluster.local_client(plan)
    log.info("L2A_Batch: %d product(s); %s", len(items), where)
    try:
        with connect as client:
            workers = len(client.scheduler_info().get("workers", {})) or plan.workers
            progress = BatchProgress(len(items), bar=_bar(args.progress), workers=workers)
            note = f" of {plan.memory_limit_bytes / cluster.GIB:.2f} GiB" if not args.scheduler else ""
            stop = None if args.scheduler or args.cluster else (lambda: cluster.kill_local_workers(client))
            outcome = run_items(client, items, options, progress, memory_note=note, on_interrupt=stop)
            progress.close()
    except OSError as exc:
        raise UsageError(f"cannot start or reach the Dask cluster ({where}): {exc}") from exc
    _clean(scratch)     # what workers killed during the batch left (their processes are gone now)
    records = outcome.records
    if outcome.interrupted and not args.scheduler:
        records = settle_interrupted(records, items, options, started.replace(microsecond=0))
    tally = counts(records)
    if outcome.interrupted:
        code = EXIT_SIGTERM if _TERMINATED["flag"] else EXIT_SIGINT
    else:
        code = EXIT_SUCCESS if all(r.succeeded for r in records) else EXIT_PRODUCT_FAILED
    batch = {"command": ["L2A_Batch", *args.argv], "started_utc": started.isoformat(),
             "finished_utc": datetime.now(UTC).isoformat(), "cluster": where, "products": len(records),
             "counts": tally, "interrupted": outcome.interrupted, "exit_code": code}
    csv_path, json_path = write_summary(records, summary_dir, batch)
    print(format_table(records, width=shutil.get_terminal_size((10_000, 20)).columns if sys.stdout.isatty()
                       else 10_000))
    print(f"L2A_Batch: {', '.join(f'{n} {s}' for s, n in sorted(tally.items()))}; summary: {csv_path}, "
          f"{json_path.name}; exit code {code}")
    return code


def _options(args: argparse.Namespace):
    from sen2cor.api import as_run_options, check_exclusive

    if args.tile:
        raise UsageError("--tile is not an L2A_Batch option: give the L1C tile folders as inputs (--mode process_tile)")
    options = as_run_options(args).resolve_paths()
    check_exclusive(options)
    if options.mode == "process_tile" and (options.datastrip is None or options.output_dir is None):
        raise UsageError("--mode process_tile requires --datastrip (the L1C or L2A datastrip) and --output_dir")
    return options


def _clean(folders: Sequence[Path]) -> None:
    """Remove temporary products and unpacked archives of processes that no longer exist."""
    from sen2cor.batch.archive import remove_stale_unpacked
    from sen2cor.run.reruns import remove_stale_temporaries

    for folder in folders:
        for removed in remove_stale_temporaries(folder) + remove_stale_unpacked(folder):
            log.info("L2A_Batch: removed %s, left by an interrupted run", removed)


def _bytes(text: str) -> int:
    from dask.utils import parse_bytes

    try:
        return int(parse_bytes(text))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--memory-limit {text!r} is invalid; expected a size such as 3GiB or 3000MB") from exc


def _bar(choice: str) -> bool | None:
    return {"auto": None, "bar": True, "lines": False}[choice]


def _console_logging() -> logging.Handler:
    """Plain INFO lines of the batch on stderr (the handler is removed when main returns)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("sen2cor.batch")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (exit code 143)."""


_TERMINATED = {"flag": False}


def _sigterm(signum, frame) -> None:
    _TERMINATED["flag"] = True
    raise _Terminated()

