"""Where the products of a batch run: a Dask cluster (dask.distributed) sized for Sen2Cor products.

* default: a LocalCluster of worker *processes* on this machine, one product at a time each
  (one thread per worker). Workers = min(CPUs, memory / memory limit per worker); the memory limit per
  worker is :data:`MEMORY_HEADROOM` times the measured peak RSS of a full tile in the run's
  configuration (:data:`FULL_TILE_PEAK_BYTES`, docs/performance.md). ``--workers`` / ``--memory-limit``
  override either.
* ``--scheduler tcp://HOST:PORT``: an existing cluster (its workers are configured by whoever started them;
  docs/batch.md says how).
* ``--cluster slurm|lsf``: dask-jobqueue submits ``--workers`` jobs, each one worker process with one
  thread, ``--memory-limit`` of memory and :data:`JOB_CPUS` CPUs (a product uses up to 2 cores); queue,
  account, walltime and the like come from dask-jobqueue's own configuration (``~/.config/dask/
  jobqueue.yaml`` or ``DASK_JOBQUEUE__SLURM__QUEUE=...``).

Dask settings of the clusters started here (:data:`DASK_SETTINGS`): the scheduler does not retry a task
whose worker died (``allowed-failures`` 0; the client retries the product once, so it knows the count),
sends a worker one task at a time (``worker-saturation`` 1.0, so a worker's death concerns only the
product it was running), and workers neither spill nor pause (a product's memory is not Dask data); a
worker above 95 % of its memory limit is restarted by its nanny.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

GIB = 2**30
#: Peak RSS of one full tile (10980 x 10980 px, --resolution 10, all outputs) measured with
#: scripts/bench.py (docs/performance.md, 2026-12-06, quiet machine): flat terrain, and with a DEM.
FULL_TILE_PEAK_BYTES = {"flat": int(1.95 * GIB), "dem": int(2.31 * GIB)}
#: Memory limit per worker = this factor x the full-tile peak (the worker's own ~0.1 GiB, allocator slack).
MEMORY_HEADROOM = 1.25
#: Share of the machine's memory that local workers may take together.
MEMORY_SHARE = 0.9
#: CPUs booked per job with --cluster (the tile processing runs up to two JPEG 2000 codecs at once).
JOB_CPUS = 2
JOBQUEUE_KINDS = ("slurm", "lsf")

DASK_SETTINGS = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
}
#: The same for workers started by job scripts (environment variables dask reads at start).
WORKER_ENVIRONMENT = (
    "export DASK_DISTRIBUTED__WORKER__MEMORY__TARGET=False",
    "export DASK_DISTRIBUTED__WORKER__MEMORY__SPILL=False",
    "export DASK_DISTRIBUTED__WORKER__MEMORY__PAUSE=False",
)


@dataclass(frozen=True)
class ClusterPlan:
    """Size of a local cluster and why."""

    workers: int
    memory_limit_bytes: int
    cpus: int
    memory_bytes: int
    basis: str

    def describe(self) -> str:
        return (f"{self.workers} worker process(es) x 1 product, memory limit {self.memory_limit_bytes / GIB:.2f} GiB "
                f"each ({self.basis}; machine: {self.cpus} CPUs, {self.memory_bytes / GIB:.1f} GiB)")


def product_peak_bytes(dem: bool) -> int:
    """Measured full-tile peak RSS for the configuration (DEM_Directory set or not)."""
    return FULL_TILE_PEAK_BYTES["dem" if dem else "flat"]


def plan_local(*, cpus: int, memory_bytes: int, peak_bytes: int, workers: int | None = None,
               memory_limit_bytes: int | None = None) -> ClusterPlan:
    """Workers and memory limit of a LocalCluster on a machine with ``cpus`` and ``memory_bytes``."""
    if memory_limit_bytes is None:
        limit = int(MEMORY_HEADROOM * peak_bytes)
        basis = f"{MEMORY_HEADROOM} x full-tile peak {peak_bytes / GIB:.2f} GiB"
    else:
        limit, basis = int(memory_limit_bytes), "--memory-limit"
    if workers is None:
        by_memory = int(MEMORY_SHARE * memory_bytes // max(1, limit))
        workers = max(1, min(cpus, by_memory))
        basis += f"; workers = min(CPUs {cpus}, {MEMORY_SHARE:.0%} of memory / limit = {by_memory})"
    else:
        basis += "; --workers"
    return ClusterPlan(int(workers), limit, cpus, memory_bytes, basis)


def machine() -> tuple[int, int]:
    """CPUs this process may use and memory available now (bytes), within affinity and cgroup limits
    as Dask counts them."""
    import psutil
    from dask.system import cpu_count
    from distributed.system import memory_limit

    return int(cpu_count()), int(min(memory_limit(), psutil.virtual_memory().available))


@contextlib.contextmanager
def local_client(plan: ClusterPlan, host: str = "127.0.0.1") -> Iterator[object]:
    """A Client on a new LocalCluster of worker processes (closed, workers stopped, on exit)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(DASK_SETTINGS):
        cluster = LocalCluster(n_workers=plan.workers, threads_per_worker=1, processes=True,
                               memory_limit=plan.memory_limit_bytes, host=host, dashboard_address=None)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()


def kill_local_workers(client) -> list[int]:
    """SIGKILL the worker processes of ``client`` that run on this host (Ctrl-C of a local batch: a running
    product must not finish and publish after the user stopped the batch); returns their pids."""
    import os
    import signal
    import socket

    try:
        where = client.run(lambda: (socket.gethostname(), os.getpid()), on_error="return")
    except Exception:  # workers already gone or unresponsive
        log.debug("cannot list the worker processes", exc_info=True)
        return []
    killed = []
    for value in where.values():
        if isinstance(value, tuple) and value[0] == socket.gethostname() and value[1] != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(value[1], signal.SIGKILL)
                killed.append(value[1])
    return killed


@contextlib.contextmanager
def remote_client(address: str, timeout_s: float = 30.0) -> Iterator[object]:
    """A Client of an existing scheduler; warns when its settings differ from :data:`DASK_SETTINGS`."""
    from distributed import Client

    with Client(address, timeout=f"{timeout_s}s") as client:
        retries = client.run_on_scheduler(_allowed_failures)
        if retries:
            log.warning("the scheduler at %s restarts a task up to %s time(s) when its worker dies "
                        "(distributed.scheduler.allowed-failures); L2A_Batch adds one retry of its own", address,
                        retries)
        yield client


def _allowed_failures(dask_scheduler=None) -> int:
    return int(getattr(dask_scheduler, "allowed_failures", 0))


def jobqueue_cluster(kind: str, *, memory_limit_bytes: int, job_cpus: int = JOB_CPUS, **extra: object):
    """A dask-jobqueue cluster (no job submitted yet: call ``scale(jobs=N)``) whose jobs each run one
    worker process with one thread and ``memory_limit_bytes``; ``extra`` goes to the cluster class
    (e.g. ``queue``, ``account``, ``walltime``, ``scheduler_options``)."""
    import dask
    from dask.utils import format_bytes

    try:
        import dask_jobqueue
    except ImportError as exc:
        from sen2cor.errors import UsageError

        raise UsageError(f"--cluster {kind} needs dask-jobqueue (pip install 'sen2cor[hpc]'): {exc}") from exc
    memory = format_bytes(memory_limit_bytes).replace(" ", "")
    options: dict[str, object] = {"cores": 1, "processes": 1, "memory": memory,
                                  "job_script_prologue": list(WORKER_ENVIRONMENT)}
    if kind == "slurm":
        cls, options["job_cpu"] = dask_jobqueue.SLURMCluster, job_cpus
    elif kind == "lsf":
        cls, options["ncpus"] = dask_jobqueue.LSFCluster, job_cpus
    else:
        from sen2cor.errors import UsageError

        raise UsageError(f"--cluster {kind!r} is not supported; allowed: {', '.join(JOBQUEUE_KINDS)}")
    options.update(extra)
    with dask.config.set(DASK_SETTINGS):
        return cls(**options)


@contextlib.contextmanager
def jobqueue_client(kind: str, jobs: int, *, memory_limit_bytes: int) -> Iterator[object]:
    """A Client of a dask-jobqueue cluster with ``jobs`` jobs (cancelled on exit)."""
    from distributed import Client

    cluster = jobqueue_cluster(kind, memory_limit_bytes=memory_limit_bytes)
    try:
        log.info("job script:\n%s", cluster.job_script())
        cluster.scale(jobs=jobs)
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
