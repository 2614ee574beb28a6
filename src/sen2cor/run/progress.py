"""Sen2Cor's progress lines and the progress events of the Python API (manual §2.7, facts §6.5).

Sen2Cor prints ``Progress[%]: xx.xx : ...`` on the console as a run advances, and wrappers (SNAP,
batch scripts) read them. A run announces each of its steps when the step begins::

    Progress[%]: 31.62 : 20 m: atmospheric correction, elapsed time[s]: 83.4

The percentage is the share of the run's expected time spent in the steps before it: every step
has a weight, the seconds it took on a full tile (:data:`STEP_SECONDS`, measured with
``scripts/bench.py``, docs/performance.md), so the percentages advance roughly in proportion to
time on a full tile. The last line, ``Progress[%]: 100.00 : Application terminated successfully``,
is printed when the product is complete.

The same events reach Python callers: ``callback(percent, step)`` for every line of the runs made
inside ``with listening(callback):`` in the same thread (a context variable, so concurrent runs in
other threads or tasks keep their own listeners)::

    from sen2cor.run.progress import listening
    with listening(lambda percent, step: bar.update(percent)):
        run(options)

A callback that raises aborts the run like any other error (the product is discarded).
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator, Sequence

log = logging.getLogger(__name__)

#: ``callback(percent, step)``: percent 0..100 (float), step a short description.
ProgressCallback = Callable[[float, str], None]

#: Weight of each step: its expected wall seconds on a full tile (10980 x 10980 px, ``--resolution 10``,
#: DEM case of scripts/bench.py, docs/performance.md: CPU seconds per step divided by the threads the
#: step keeps busy on two cores).
STEP_SECONDS: dict[str, float] = {
    "import of the L1C bands": 62.0,
    "DEM geocells": 0.5,
    "20 m: staging": 21.0,
    "20 m: scene classification": 29.0,
    "20 m: atmospheric correction": 51.0,
    "20 m: outputs": 55.0,
    "10 m: staging": 23.0,
    "10 m: atmospheric correction": 70.0,
    "10 m: outputs": 75.0,
    "60 m downsampling": 14.0,
    "quality indicators": 5.0,
    "quicklook": 1.0,
    "product finalisation": 3.0,
}
#: Steps of a resolution without an entry (60 m natively) weigh the 20 m step times this factor (pixels).
RESOLUTION_FACTOR = {60: 1.0 / 9.0}
FINAL_STEP = "Application terminated successfully"

_LISTENERS: contextvars.ContextVar[tuple[ProgressCallback, ...]] = contextvars.ContextVar(
    "sen2cor_progress_listeners", default=())


@contextlib.contextmanager
def listening(callback: ProgressCallback) -> Iterator[None]:
    """Call ``callback(percent, step)`` for every progress event of the runs inside the block."""
    token = _LISTENERS.set(_LISTENERS.get() + (callback,))
    try:
        yield
    finally:
        _LISTENERS.reset(token)


def report(percent: float, step: str, elapsed_s: float) -> None:
    """Print one progress line and pass the event to the listeners."""
    percent = min(max(float(percent), 0.0), 100.0)
    log.info("Progress[%%]: %.2f : %s, elapsed time[s]: %.1f", percent, step, elapsed_s)
    notify(percent, step)


def notify(percent: float, step: str) -> None:
    """Pass an event to the listeners only (the final 100 %, whose line the run prints itself)."""
    for callback in _LISTENERS.get():
        callback(float(percent), step)


def step_weight(step: str) -> float:
    """Expected seconds of a step: :data:`STEP_SECONDS`, or for ``"<res> m: <step>"`` without an entry the
    20 m step scaled by :data:`RESOLUTION_FACTOR`; 1 s for anything else."""
    if step in STEP_SECONDS:
        return STEP_SECONDS[step]
    head, _, tail = step.partition(" m: ")
    if tail and head.isdigit():
        return STEP_SECONDS.get(f"20 m: {tail}", 1.0) * RESOLUTION_FACTOR.get(int(head), 1.0)
    return 1.0


class RunProgress:
    """The planned steps of one run; :meth:`begin` reports the share of the weights before a step.

    Steps not in the plan are reported at the current percentage (they add no weight); a step
    begun twice is reported once."""

    def __init__(self, steps: Sequence[str]) -> None:
        self._weights = {step: step_weight(step) for step in steps}
        self._total = sum(self._weights.values()) or 1.0
        self._done = 0.0
        self._current: str | None = None
        self._started = time.monotonic()

    @property
    def percent(self) -> float:
        return 100.0 * self._done / self._total

    def begin(self, step: str) -> None:
        if step == self._current:
            return
        if self._current is not None:
            self._done += self._weights.get(self._current, 0.0)
        self._current = step
        report(self.percent, step, time.monotonic() - self._started)


def tile_steps(native: Sequence[int], *, downsample_to_60: bool, classify: Callable[[int], bool],
               correct: bool, quicklook: bool = False) -> list[str]:
    """The steps of a tile run in order: import, DEM, per resolution staging, scene classification
    (where ``classify(res)``), atmospheric correction (if ``correct``) and outputs, then 60 m
    downsampling, quality indicators, the quicklook (if ``quicklook``) and the product's finalisation."""
    steps = ["import of the L1C bands", "DEM geocells"]
    for res in native:
        steps.append(f"{res} m: staging")
        if classify(res):
            steps.append(f"{res} m: scene classification")
        if correct:
            steps.append(f"{res} m: atmospheric correction")
        steps.append(f"{res} m: outputs")
    if downsample_to_60:
        steps.append("60 m downsampling")
    steps.append("quality indicators")
    if quicklook:
        steps.append("quicklook")
    return steps + ["product finalisation"]


__all__ = ["ProgressCallback", "RunProgress", "listening", "notify", "report", "tile_steps", "FINAL_STEP",
           "STEP_SECONDS"]
