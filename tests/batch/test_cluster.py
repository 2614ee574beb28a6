"""Cluster sizing from the machine and the measured full-tile peak; dask-jobqueue job scripts (SLURM, LSF)."""
from __future__ import annotations

import pytest

from sen2cor.batch.cluster import (
    FULL_TILE_PEAK_BYTES,
    GIB,
    MEMORY_HEADROOM,
    jobqueue_cluster,
    plan_local,
    product_peak_bytes,
)
from sen2cor.errors import UsageError


def test_workers_follow_cpus_or_memory_whichever_is_scarcer():
    small = plan_local(cpus=8, memory_bytes=16 * GIB, peak_bytes=2 * GIB)
    assert small.memory_limit_bytes == int(MEMORY_HEADROOM * 2 * GIB)
    assert small.workers == int(0.9 * 16 * GIB // small.memory_limit_bytes) == 5      # memory-bound
    big = plan_local(cpus=8, memory_bytes=16 * GIB, peak_bytes=5 * GIB)
    assert big.workers == 2 and big.memory_limit_bytes == int(MEMORY_HEADROOM * 5 * GIB)
    assert plan_local(cpus=2, memory_bytes=64 * GIB, peak_bytes=2 * GIB).workers == 2          # CPU-bound
    assert plan_local(cpus=4, memory_bytes=1 * GIB, peak_bytes=2 * GIB).workers == 1           # at least one


def test_the_product_peak_is_the_measured_full_tile_peak_of_its_configuration():
    assert product_peak_bytes(dem=False) == FULL_TILE_PEAK_BYTES["flat"]
    assert product_peak_bytes(dem=True) == FULL_TILE_PEAK_BYTES["dem"] > FULL_TILE_PEAK_BYTES["flat"]


def test_overrides():
    plan = plan_local(cpus=2, memory_bytes=8 * GIB, peak_bytes=2 * GIB, workers=6, memory_limit_bytes=GIB)
    assert (plan.workers, plan.memory_limit_bytes) == (6, GIB)
    assert "--workers" in plan.describe() and "--memory-limit" in plan.describe()
    assert plan_local(cpus=8, memory_bytes=8 * GIB, peak_bytes=2 * GIB, memory_limit_bytes=GIB).workers == 7


@pytest.mark.parametrize("kind, lines", [
    ("slurm", ["#SBATCH --cpus-per-task=2", "#SBATCH --mem=3G", "#SBATCH -p short", "#SBATCH -t 01:30:00"]),
    ("lsf", ["#BSUB -n 2", "#BSUB -M 3221226", "#BSUB -q short", "#BSUB -W 01:30"]),
])
def test_job_scripts_run_one_single_threaded_worker_per_job(kind, lines):
    pytest.importorskip("dask_jobqueue")
    cluster = jobqueue_cluster(kind, memory_limit_bytes=3 * GIB, queue="short", walltime="01:30:00" if kind == "slurm"
                               else "01:30", scheduler_options={"host": "127.0.0.1"})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in lines:
        assert line in script.splitlines(), (line, script)
    assert "--nthreads 1 --memory-limit 3.00GiB --nanny" in script
    assert "export DASK_DISTRIBUTED__WORKER__MEMORY__PAUSE=False" in script
    assert "tcp://127.0.0.1:" in script


def test_unknown_job_system_is_a_usage_error():
    pytest.importorskip("dask_jobqueue")
    with pytest.raises(UsageError, match="pbs"):
        jobqueue_cluster("pbs", memory_limit_bytes=GIB)
