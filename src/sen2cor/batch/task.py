"""What a Dask worker does for one product: :func:`process_item` runs the Python API and returns a record.

A product's failure (any exception of the run) is caught here and returned as a ``failed`` record with
the message L2A_Process would print, so it never disturbs the other products; only the death of the
worker process (killed, over its memory limit) reaches the client, which retries the product once.

One product at a time per process: the run's logging (report file, ``sen2cor`` logger) belongs to the
process, so a worker started with several threads runs its products one after the other. The run's
console lines are silenced (they would interleave); each product still writes its report file in
``$SEN2COR_HOME/log``. Progress goes to the client as Dask events on the topic :data:`EVENT_TOPIC`.
"""
from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

from sen2cor.api import ALREADY_PROCESSED, L2AResult, read_product_quality, run
from sen2cor.batch.archive import unpacked
from sen2cor.batch.inputs import TILE, ZIP, BatchItem
from sen2cor.batch.summary import FAILED, ProductRecord
from sen2cor.config import load_config
from sen2cor.config.options import RunOptions
from sen2cor.errors import Sen2CorError
from sen2cor.run.reruns import find_completed_run
from sen2cor.run.tile import resolution_plan

log = logging.getLogger(__name__)

EVENT_TOPIC = "sen2cor-batch"
#: A progress event is sent when the percentage advanced by this much or the step changed.
PROGRESS_STEP_PERCENT = 1.0

_ONE_AT_A_TIME = threading.Lock()


def process_item(item: BatchItem, options: RunOptions, attempt: int = 1) -> ProductRecord:
    """Process ``item`` with the L2A_Process ``options`` shared by the batch; never raises for a failed run."""
    with _ONE_AT_A_TIME:
        started = time.monotonic()
        worker = f"{socket.gethostname()}:{os.getpid()}"
        record = ProductRecord(item.name, input=str(item.source), attempts=attempt, worker=worker)
        _emit({"event": "start", "product": item.name, "attempt": attempt, "worker": worker})
        try:
            if item.error:
                raise Sen2CorError(item.error)
            record = _record_of(_run_item(item, options), record)
        except Sen2CorError as exc:
            record = record.updated(status=FAILED, error=str(exc))
        except Exception as exc:  # any failure of one product is that product's failure
            record = record.updated(status=FAILED, error=f"unexpected {type(exc).__name__}: {exc}")
        finally:
            _release_memory()
        record = record.updated(wall_time_s=round(time.monotonic() - started, 3))
        _emit({"event": "end", "product": item.name, "status": record.status})
        return record


def completed_output(options: RunOptions, l1c_name: str) -> Path | None:
    """The L2A product of ``l1c_name`` in ``options.output_dir`` that a Toolbox run with ``options`` would
    find "already processed" (the same test as the run itself, made before an archive is unpacked)."""
    config = load_config(options=options)
    plan = resolution_plan(options.resolution, sc_only=options.sc_only, downsample_20_to_60=config.downsample_20_to_60)
    return find_completed_run(options.output_dir, l1c_name, plan.written, atmospheric_correction=not options.sc_only)


def _run_item(item: BatchItem, options: RunOptions) -> L2AResult:
    progress = _Progress(item.name)
    if item.kind == TILE:
        return run(replace(options, mode="process_tile", tile=item.source), progress=progress, console=False)
    output_dir = options.output_dir or item.source.parent
    options = replace(options, output_dir=output_dir)
    if item.kind != ZIP:
        return run(replace(options, input_dir=item.source), progress=progress, console=False)
    if not options.cr_only:
        done = completed_output(options, item.name)
        if done is not None:
            log.info("%s: Product already processed (%s); archive not unpacked", item.name, done)
            return L2AResult(input=item.source, mode="toolbox", status=ALREADY_PROCESSED, output=done,
                             quality=read_product_quality(done))
    with unpacked(item.source, options.work_dir or output_dir, item.name) as safe:
        return run(replace(options, input_dir=safe), progress=progress, console=False)


def _record_of(result: L2AResult, record: ProductRecord) -> ProductRecord:
    quality = result.quality
    return record.updated(
        status=result.status, output=str(result.output) if result.output else None,
        peak_rss_mib=round(result.peak_rss_bytes / 2**20, 1) if result.peak_rss_bytes else None,
        cpu_time_s=round(result.cpu_time_s, 3), report=str(result.report) if result.report else None,
        cloud_percent=quality.cloud_percent if quality else None, aot=quality.aot_mean if quality else None,
        wv=quality.wv_mean if quality else None, aot_method=quality.aot_method if quality else None)


class _Progress:
    """The API's progress callback: forwards Progress[%] events to the client, thinned out."""

    def __init__(self, product: str) -> None:
        self.product, self.last, self.step = product, -PROGRESS_STEP_PERCENT, ""

    def __call__(self, percent: float, step: str) -> None:
        if percent - self.last < PROGRESS_STEP_PERCENT and step == self.step:
            return
        self.last, self.step = percent, step
        _emit({"event": "progress", "product": self.product, "percent": percent, "step": step})


def _emit(message: dict) -> None:
    """Send an event to the client when running inside a Dask worker (no-op elsewhere)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    worker.log_event(EVENT_TOPIC, message)


def _release_memory() -> None:
    """Give freed heap memory back to the system between products (glibc keeps it otherwise, and the
    nanny compares the worker's RSS with its memory limit)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
