"""Sen2Cor's ``Progress[%]`` lines through the run, and the same events as Python callbacks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sen2cor.cli import main
from sen2cor.run import progress
from sen2cor.testing import make_l1c

LINE = re.compile(r"^Progress\[%\]: (\d+\.\d\d) : (.+?), elapsed time\[s\]: \d+\.\d$")


def test_percentages_are_the_share_of_the_weights_before_each_step(monkeypatch):
    monkeypatch.setattr(progress, "STEP_SECONDS", {"a": 1.0, "b": 3.0, "20 m: staging": 2.0})
    monkeypatch.setattr(progress, "RESOLUTION_FACTOR", {60: 2.0})
    events = []
    with progress.listening(lambda percent, step: events.append((percent, step))):
        run = progress.RunProgress(["a", "20 m: staging", "60 m: staging", "b"])   # weights 1, 2, 4, 3
        for step in ("a", "20 m: staging", "20 m: staging", "60 m: staging", "unplanned", "b"):
            run.begin(step)
    assert events == [(0.0, "a"), (10.0, "20 m: staging"), (30.0, "60 m: staging"), (70.0, "unplanned"),
                      (70.0, "b")]


def test_listeners_are_scoped_to_the_block():
    heard, outer = [], []
    with progress.listening(lambda p, s: outer.append(s)):
        with progress.listening(lambda p, s: heard.append(s)):
            progress.notify(50.0, "inner")
        progress.notify(60.0, "outer only")
    progress.notify(70.0, "nobody")
    assert heard == ["inner"]
    assert outer == ["inner", "outer only"]


def test_tile_steps_follow_the_resolution_plan():
    steps = progress.tile_steps((20, 10), downsample_to_60=True, classify=lambda res: res != 10, correct=True)
    assert steps == ["import of the L1C bands", "DEM geocells", "20 m: staging", "20 m: scene classification",
                     "20 m: atmospheric correction", "20 m: outputs", "10 m: staging", "10 m: atmospheric correction",
                     "10 m: outputs", "60 m downsampling", "quality indicators", "product finalisation"]
    sc_only = progress.tile_steps((20,), downsample_to_60=False, classify=lambda res: True, correct=False)
    assert "20 m: atmospheric correction" not in sc_only


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=5, scene="clear")


def test_a_run_prints_progress_at_every_step_and_calls_back_the_same_events(l1c, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    events = []

    def callback(percent: float, step: str) -> None:
        final = list(out.glob("S2A_MSIL2A_*.SAFE"))
        events.append((percent, step, bool(final)))

    with progress.listening(callback):
        assert main([str(l1c), "--resolution", "10", "--output_dir", str(out)]) == 0
    lines = [LINE.match(line) for line in capsys.readouterr().err.splitlines() if line.startswith("Progress[%]")]
    assert all(lines), "every progress line has Sen2Cor's form"
    printed = [(float(m[1]), m[2]) for m in lines[:-1]]
    assert [step for _, step in printed] == progress.tile_steps(
        (20, 10), downsample_to_60=True, classify=lambda res: res != 10, correct=True, quicklook=True)
    assert [(round(p, 2), s) for p, s, _ in events[:-1]] == printed   # the callback hears what is printed
    percents = [p for p, _ in printed]
    assert percents[0] == 0.0 and percents == sorted(percents) and len(set(percents)) == len(percents)
    assert lines[-1][1] == "100.00"
    assert events[-1] == (100.0, progress.FINAL_STEP, True)        # 100 % once the product has its final name
    assert not any(published for _, _, published in events[:-1])


def test_a_failing_callback_stops_the_run_and_discards_the_product(l1c, tmp_path, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"

    def callback(percent: float, step: str) -> None:
        if step == "20 m: atmospheric correction":
            raise KeyboardInterrupt   # e.g. a user cancelling from a progress dialog

    with progress.listening(callback):
        assert main([str(l1c), "--resolution", "20", "--output_dir", str(out)]) == 1
    assert not list(out.glob("*MSIL2A*"))
