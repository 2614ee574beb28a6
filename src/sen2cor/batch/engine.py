"""Submitting the products of a batch to a Dask client and collecting their records.

Each product is one task (:func:`sen2cor.batch.task.process_item`) on some worker process. A product
whose run fails comes back as a ``failed`` record; a task whose worker died (killed, or restarted by its
nanny above the memory limit) raises KilledWorker here and is submitted once more (:data:`RETRIES`),
then recorded as failed. Ctrl-C (or SIGTERM, turned into KeyboardInterrupt by the command line) stops
waiting: queued products stay ``pending``, running ones become ``interrupted``; their workers are
stopped with the cluster, and what they wrote stays under temporary names that the next run removes.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sen2cor.api import PROCESSED, read_product_quality
from sen2cor.batch.inputs import TILE, BatchItem
from sen2cor.batch.progress import BatchProgress
from sen2cor.batch.summary import FAILED, INTERRUPTED, RUNNING, ProductRecord
from sen2cor.batch.task import EVENT_TOPIC, process_item
from sen2cor.config.options import RunOptions
from sen2cor.product.naming import parse_safe_name
from sen2cor.product.writer import find_l2a_products

log = logging.getLogger(__name__)

#: Further attempts of a product whose worker process died.
RETRIES = 1
#: Seconds between two redraws of the progress display while waiting.
TICK_S = 0.5


@dataclass(frozen=True)
class BatchOutcome:
    records: list[ProductRecord]
    interrupted: bool


def run_items(client, items: Sequence[BatchItem], options: RunOptions, progress: BatchProgress,
              *, memory_note: str = "", on_interrupt: Callable[[], object] | None = None) -> BatchOutcome:
    """Process ``items`` on ``client``'s cluster; returns one record per item, in the items' order.

    ``on_interrupt`` is called after Ctrl-C, once the queued products are cancelled (a local batch stops
    its worker processes there)."""
    from distributed import wait
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    records = {item.name: ProductRecord(item.name, input=str(item.source)) for item in items}
    token = uuid.uuid4().hex[:8]
    pending: dict[object, tuple[BatchItem, int]] = {}

    def submit(item: BatchItem, attempt: int) -> None:
        future = client.submit(process_item, item, options, attempt, key=f"sen2cor-{item.name}-{attempt}-{token}",
                               pure=False)
        pending[future] = (item, attempt)

    def on_event(event: tuple[float, dict]) -> None:
        message = event[1]
        product = message.get("product")
        if product not in records:
            return
        if message.get("event") == "start":
            records[product] = records[product].updated(status=RUNNING, attempts=message.get("attempt", 1),
                                                        worker=message.get("worker"))
            progress.product_started(product)
        elif message.get("event") == "progress":
            progress.product_progress(product, float(message.get("percent", 0.0)), str(message.get("step", "")))

    for item in items:
        if item.error:
            record = records[item.name].updated(status=FAILED, error=item.error)
            records[item.name] = record
            progress.product_finished(record)
        else:
            submit(item, 1)
    client.subscribe_topic(EVENT_TOPIC, on_event)
    interrupted = False
    try:
        while pending:
            try:
                done, _ = wait(list(pending), timeout=TICK_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for future in done:
                item, attempt = pending.pop(future)
                try:
                    record = future.result()
                except KilledWorker as exc:
                    if attempt <= RETRIES:
                        progress.product_retried(item.name, f"its worker process died; attempt {attempt + 1} "
                                                            f"of {RETRIES + 1}")
                        log.debug("worker died: %s", exc)
                        submit(item, attempt + 1)
                        continue
                    record = records[item.name].updated(
                        status=FAILED, attempts=attempt,
                        error=f"the worker process died {attempt} times while processing this product (killed, or "
                              f"above its memory limit{memory_note})")
                except FutureCancelledError as exc:
                    record = records[item.name].updated(status=FAILED, attempts=attempt, error=f"cancelled: {exc}")
                except Exception as exc:  # the task could not run (e.g. the worker cannot import sen2cor)
                    record = records[item.name].updated(status=FAILED, attempts=attempt,
                                                        error=f"{type(exc).__name__}: {exc}")
                records[item.name] = record
                progress.product_finished(record)
            progress.tick()
    except KeyboardInterrupt:
        interrupted = True
        client.cancel(list(pending), force=True)
        if on_interrupt is not None:
            on_interrupt()
        for item, _ in pending.values():
            if records[item.name].status == RUNNING:
                records[item.name] = records[item.name].updated(
                    status=INTERRUPTED, error="interrupted by the user; nothing published under the final name")
    finally:
        try:
            client.unsubscribe_topic(EVENT_TOPIC)
        except Exception:  # the scheduler may already be gone after Ctrl-C
            log.debug("unsubscribe failed", exc_info=True)
    return BatchOutcome([records[item.name] for item in items], interrupted)


def settle_interrupted(records: Sequence[ProductRecord], items: Sequence[BatchItem], options: RunOptions,
                       since: datetime) -> list[ProductRecord]:
    """After an interrupted batch whose workers are gone: a product that was still running but published
    in the instant before its worker stopped is reported ``processed`` (with its output and indicators)."""
    settled = []
    for record, item in zip(records, items):
        published = _published_since(item, options, since) if not record.succeeded else None
        settled.append(_found(record, published) if published is not None else record)
    return settled


def _published_since(item: BatchItem, options: RunOptions, since: datetime) -> Path | None:
    """An L2A product of ``item`` generated at or after ``since`` (Toolbox items; None for PDGS tiles)."""
    if item.kind == TILE:
        return None
    for product in find_l2a_products(options.output_dir or item.source.parent, item.name):
        fields = parse_safe_name(product.name)
        if fields is not None and fields.generation_time >= since:
            return product
    return None


def _found(record: ProductRecord, product: Path) -> ProductRecord:
    quality = read_product_quality(product)
    return record.updated(status=PROCESSED, output=str(product), error=None,
                          cloud_percent=quality.cloud_percent if quality else None,
                          aot=quality.aot_mean if quality else None, wv=quality.wv_mean if quality else None,
                          aot_method=quality.aot_method if quality else None)
