"""Mutation testing of the algorithm modules (issue 20; docs/testing.md, "Mutation testing").

Three phases, each in a scratch copy of the checkout (``build/mutation/``) whose parent holds no
``shared/`` folder, so only the fast unit tests that need no real data run:

* ``functions``: mutmut 3 over every function and method body (operators, comparisons, numbers + 1,
  dropped arguments, ...). mutmut runs only the tests that call the mutated function, in forked
  workers, which is what makes a full run fit a night on 2 cores.
* ``constants``: the module- and class-level numbers mutmut does not reach (Sen2Cor's thresholds,
  ratios, windows and GIPP defaults live there): every literal x10 % (integers + 1), every negative
  literal with its sign flipped. One pytest run per mutant, stopping at the first failure.
* ``spot``: the spot-check mutants of issue 20, as literal source edits.

Usage (one command; results as a markdown table on stdout and as JSON in ``build/mutation/``)::

    nice -n 19 .venv/bin/python scripts/mutation.py                       # all phases, all modules
    nice -n 19 .venv/bin/python scripts/mutation.py --phase constants --modules sceneclass/cloud.py
    nice -n 19 .venv/bin/python scripts/mutation.py --phase functions --modules atmcorr/step2.py --rerun
                                                      # only the last run's survivors, against the new tests
    .venv/bin/python scripts/mutation.py --report                          # tables of the last runs
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "mutation"
PACKAGE = Path("src") / "sen2cor"

#: The algorithm modules of issue 20 (paths below src/sen2cor).
ALGORITHM_MODULES = ("atmcorr/*.py", "sceneclass/*.py", "tables/radiometry.py", "tables/resample.py",
                     "dem/terrain.py")
#: Fast unit tests per algorithm package (no product generation beyond small arrays).
FAST_TESTS = {
    "atmcorr": ["tests/atmcorr"],
    "sceneclass": ["tests/sceneclass"],
    "tables": ["tests/tables/test_radiometry.py", "tests/tables/test_radiometry_pins.py",
               "tests/tables/test_resample.py", "tests/tables/test_resample_pins.py",
               "tests/tables/test_large_arrays.py"],
    "dem": ["tests/dem/test_terrain.py", "tests/dem/test_terrain_pins.py"],
}
#: Tests that run whole corrections (seconds each). Only the modules that orchestrate a correction get
#: them; for the other atmcorr modules the unit tests are the selection (a full run then fits a night).
INTEGRATION_TESTS = ["tests/atmcorr/test_driver.py", "tests/atmcorr/test_driver_streaming.py",
                     "tests/atmcorr/test_driver_strips.py", "tests/atmcorr/test_large_arrays.py",
                     "tests/atmcorr/test_closed_loop_atm.py", "tests/atmcorr/test_stage_lut_source.py"]
ORCHESTRATING = ("atmcorr/driver.py", "atmcorr/stage.py", "atmcorr/retrieval.py", "atmcorr/reflectance.py",
                 "atmcorr/step2.py", "atmcorr/inputs.py", "atmcorr/rtables.py")
#: Fast tests outside the package's folder that run the orchestrating modules (the documented effect of each
#: L2A_CAL_AC_GIPP element through ``driver.correct_resolution`` on the analytic atmosphere, ~0.1 s each).
ORCHESTRATION_TESTS = ["tests/config/test_ac_parameter_effects.py"]
PYTEST_ARGS = ["-p", "no:cacheprovider", "-q", "-x", "-m", "not slow", "--timeout", "600"]
COPIED = ("src", "tests", "cfg", "luts", "aux_data", "pyproject.toml")

#: Spot-check mutants of issue 20: (module, original text, mutated text (every occurrence), what it breaks).
SPOT_MUTANTS = [
    ("atmcorr/aot.py", "rho_adj = rho + q * (rho - background)", "rho_adj = rho - q * (rho - background)",
     "sign of the adjacency term of the negative-reflectance check"),
    ("atmcorr/aot.py", "GREEN_RED_RATIO = 1.08", "GREEN_RED_RATIO = 1.19", "DDV green/red ratio 1.08 -> 1.19"),
    ("atmcorr/aot.py", "return box_mean(cloud, size // 2) > 5.0", "return box_mean(cloud, size // 2 + 1) > 5.0",
     "cloud-proximity box radius + 1"),
    ("atmcorr/wvp.py", "[1.0, 0.77, 0.59", "[1.0, 0.70, 0.59", "WV column fraction at 0.5 km 0.77 -> 0.70"),
    ("atmcorr/wvp.py", "POSITION_SMOOTHING_PX = 10", "POSITION_SMOOTHING_PX = 11", "APDA smoothing box 10 -> 11"),
    ("sceneclass/cloud.py", "ROCKS_B02_B11_FACTOR = 0.8", "ROCKS_B02_B11_FACTOR = 0.88", "rocks factor 0.8 -> 0.88"),
    ("sceneclass/cloud.py", "ROCKS_B02_FT_SLOPE = -0.25", "ROCKS_B02_FT_SLOPE = 0.25", "sign of the rocks B02 slope"),
    ("sceneclass/cloud.py", "DARK_B8A_RANGE = (0.04, 0.15)", "DARK_B8A_RANGE = (0.044, 0.15)",
     "dark-feature B8A lower bound 0.04 -> 0.044"),
    ("tables/radiometry.py", "yield slice(start, min(start + block_rows, rows))",
     "yield slice(start, min(start + block_rows - 1, rows))", "off-by-one in radiometry._row_blocks"),
    ("atmcorr/wvp.py", "(rho - reference_albedo)", "(rho + reference_albedo)",
     "sign of the reference albedo in wvp.lut_ratio"),
    ("sceneclass/cloud.py", "DARK_B04_MAX = 0.1", "DARK_B04_MAX = 0.11", "dark-feature B04 bound 0.1 -> 0.11"),
    ("atmcorr/aot.py", "NEGATIVE_FRACTION_LIMIT = 0.01", "NEGATIVE_FRACTION_LIMIT = 0.011",
     "negative-pixel fraction limit 1 % -> 1.1 %"),
    ("atmcorr/aot.py", "elif v < 30:", "elif v < 31:", "visibility step boundary 30 km -> 31 km"),
    ("atmcorr/aot.py", "size = visibility.odd(min(int(1000.0 / pixel_m), 500))",
     "size = visibility.odd(min(int(1100.0 / pixel_m), 500))", "cloud-proximity window 1000 m -> 1100 m"),
    ("sceneclass/water.py", "WATER_B02_MINUS_B04_MIN = 0.034", "WATER_B02_MINUS_B04_MIN = 0.037",
     "second water test B02 - B04 > 0.034 -> 0.037"),
]


@dataclass
class Outcome:
    module: str
    phase: str
    description: str
    status: str  # killed | survived | timeout | error
    seconds: float


def select_modules(patterns: list[str]) -> list[str]:
    """Algorithm modules (relative to src/sen2cor) matching ``patterns`` (all of them by default)."""
    found = sorted(str(p.relative_to(REPO / PACKAGE)) for p in (REPO / PACKAGE).rglob("*.py"))
    wanted = [m for m in found if any(fnmatch.fnmatch(m, g) for g in ALGORITHM_MODULES)]
    wanted = [m for m in wanted if not m.endswith("__init__.py")]
    if patterns:
        wanted = [m for m in wanted if any(fnmatch.fnmatch(m, p) for p in patterns)]
    return wanted


def existing(paths: list[str]) -> list[str]:
    """The test paths of ``paths`` that exist in the checkout (a selection may name files not yet written)."""
    return [p for p in paths if (REPO / p).exists()]


def tests_for(module: str) -> list[str]:
    """The fast tests of the module's package: first the module's own test files, then those that import it
    (they kill soonest, and pytest stops at the first failure), then the rest."""
    package, name = module.split("/", 1)
    stem = Path(name).stem
    paths = existing(FAST_TESTS[package])
    files = sorted({f for p in paths for f in ([REPO / p] if p.endswith(".py") else (REPO / p).rglob("test_*.py"))}
                   | set((REPO / "tests" / package).glob(f"test_{stem}*.py")))
    own = [f for f in files if f.name.startswith(f"test_{stem}")]
    def imports(f: Path) -> bool:
        text = f.read_text()
        return f"{package}.{stem}" in text or f" {stem}," in text or f" {stem}\n" in text

    importing = [f for f in files if f not in own and imports(f)]
    rest = [f for f in files if f not in own and f not in importing]
    selected = [str(f.relative_to(REPO)) for f in own + importing + rest]
    if module not in ORCHESTRATING:
        return [t for t in selected if t not in INTEGRATION_TESTS]
    return selected + existing(ORCHESTRATION_TESTS)


def make_workspace(name: str) -> Path:
    """A fresh copy of the checkout's sources and tests under build/mutation/<name>/repo."""
    ws = WORK / name / "repo"
    if ws.exists():
        shutil.rmtree(ws)
    ws.mkdir(parents=True)
    for item in COPIED:
        src = REPO / item
        if src.is_dir():
            shutil.copytree(src, ws / item, ignore=shutil.ignore_patterns("__pycache__", "mutants"))
        else:
            shutil.copy2(src, ws / item)
    return ws


def run_pytest(ws: Path, tests: list[str], timeout_s: float) -> tuple[str, float]:
    """Run the tests against the sources of ``ws``; killed when they fail."""
    env = dict(os.environ, PYTHONPATH=str(ws / "src"), PYTHONDONTWRITEBYTECODE="1")
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests], cwd=ws, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start
    status = {0: "survived", 1: "killed"}.get(proc.returncode, "error")
    return status, time.monotonic() - start


def literal_mutants(source: str) -> list[tuple[int, int, str, str]]:
    """(start, end, replacement, description) of every number of a module- or class-level assignment.

    Offsets are in UTF-8 bytes (as ``ast`` reports columns); numbers x 1.1 (0 -> 0.1), integers + 1,
    negative numbers also with the sign removed.
    """
    tree = ast.parse(source)
    line_starts = [0]
    for line in source.encode().splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def span(node: ast.expr) -> tuple[int, int]:
        return line_starts[node.lineno - 1] + node.col_offset, line_starts[node.end_lineno - 1] + node.end_col_offset

    def assignments(body):
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                yield from assignments(stmt.body)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                yield stmt

    out = []
    for stmt in assignments(tree.body):
        target = ast.unparse(stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target)
        for node in ast.walk(stmt.value):
            negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            if negative and isinstance(node.operand, ast.Constant):
                out.append((*span(node), ast.unparse(node.operand), f"{target}: sign of {ast.unparse(node)}"))
            elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
                value = node.value
                new = value + 1 if isinstance(value, int) else (round(value * 1.1, 12) if value else 0.1)
                out.append((*span(node), repr(new), f"{target}: {value!r} -> {new!r}"))
    return out


def run_edits(name: str, modules: list[str], edits_of, timeout_s: float) -> list[Outcome]:
    """Apply each edit of each module to a workspace copy, run the module's tests, restore."""
    ws = make_workspace(name)
    outcomes = []
    for module in modules:
        path = ws / PACKAGE / module
        original = path.read_text()
        tests = tests_for(module)
        for text, description in edits_of(module, original):
            path.write_text(text)
            status, seconds = run_pytest(ws, tests, timeout_s)
            path.write_text(original)
            outcomes.append(Outcome(module, name, description, status, round(seconds, 1)))
            print(f"{status:9s} {seconds:6.1f} s  {module}: {description}", flush=True)
    return outcomes


def constant_edits(module: str, source: str):
    data = source.encode()
    for a, b, replacement, description in literal_mutants(source):
        yield (data[:a] + replacement.encode() + data[b:]).decode(), description


def spot_edits(module: str, source: str):
    for mod, old, new, description in SPOT_MUTANTS:
        if mod == module:
            if old not in source:
                raise SystemExit(f"spot mutant '{description}': '{old}' not found in {mod}")
            yield source.replace(old, new), description


def run_limited(command: list[str], cwd: Path, log, time_limit_s: float | None) -> None:
    """Run mutmut; after ``time_limit_s`` interrupt it (SIGINT, as Ctrl-C: it stops its workers, and every
    mutant tested so far keeps its stored result; the others stay "not checked")."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=time_limit_s)
    except subprocess.TimeoutExpired:
        print(f"time limit {time_limit_s:.0f} s reached: stopping mutmut", flush=True)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_mutmut(modules: list[str], max_children: int, time_limit_s: float | None = None) -> list[Outcome]:
    """mutmut 3 over the function bodies of ``modules`` with the fast tests of their packages."""
    ws = make_workspace("functions")
    packages = sorted({m.split("/", 1)[0] for m in modules})
    selection = [p for pkg in packages for p in existing(FAST_TESTS[pkg])]
    if any(m in ORCHESTRATING for m in modules):
        selection += existing(ORCHESTRATION_TESTS)
    else:
        selection += [f"--ignore={t}" for t in existing(INTEGRATION_TESTS)]
    config = (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {json.dumps([str(PACKAGE / m) for m in modules])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(selection)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not slow"]\n'
        'also_copy = ["cfg", "luts", "aux_data"]\n'
        "timeout_multiplier = 5.0\n"
        "use_git_change_detection = false\n"
    )
    with open(ws / "pyproject.toml", "a") as fh:
        fh.write(config)
    with open(ws.parent / "mutmut.log", "w") as log:  # mutmut's progress display, for the record
        run_limited([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)], ws, log,
                    time_limit_s)
    outcomes = read_mutmut(ws, modules)
    write_survivors(ws, outcomes)
    return outcomes


def rerun_survivors(modules: list[str], max_children: int, time_limit_s: float | None = None,
                    only: list[str] | None = None) -> list[Outcome]:
    """Only the survivors of the last functions run of ``modules``, against the checkout's current tests.

    Reuses the workspace of that run (its mutants and mutmut's test-to-function map, to which mutmut adds
    the new tests); the killed mutants keep their result. The modules' sources must be those of that run.
    ``only``: globs of mutant names (e.g. ``*Step2ǁ_finish*``) to restrict the re-run to.
    """
    ws = WORK / "functions" / "repo"
    for module in modules:
        if not (ws / "mutants" / PACKAGE / (module + ".meta")).exists():
            raise SystemExit(f"--rerun: {module} was not part of the last functions run in {ws}")
        if (ws / PACKAGE / module).read_bytes() != (REPO / PACKAGE / module).read_bytes():
            raise SystemExit(f"--rerun: {module} changed since the last functions run; run it again in full")
    shutil.rmtree(ws / "tests")
    shutil.copytree(REPO / "tests", ws / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    names = [o.description for o in read_mutmut(ws, modules) if o.status not in ("killed", "timeout")]
    if only:
        names = [n for n in names if any(fnmatch.fnmatch(n, g) for g in only)]
    if names:
        with open(ws.parent / "mutmut.log", "a") as log:
            run_limited([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names], ws,
                        log, time_limit_s)
    outcomes = read_mutmut(ws, modules)
    write_survivors(ws, outcomes)
    return outcomes


def write_survivors(ws: Path, outcomes: list[Outcome]) -> None:
    """build/mutation/functions/survivors.diff: the changed lines of every mutant no test killed, taken from
    the trampolined copy mutmut writes (``x_<function>__mutmut_<n>`` beside ``..._orig``)."""
    import difflib

    sources: dict[str, dict[str, str]] = {}
    with open(ws.parent / "survivors.diff", "w") as fh:
        for o in outcomes:
            if o.status not in ("survived", "no tests"):
                continue
            if o.module not in sources:
                text = (ws / "mutants" / PACKAGE / o.module).read_text()
                lines = text.splitlines()
                sources[o.module] = {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno])
                                     for node in ast.walk(ast.parse(text)) if isinstance(node, ast.FunctionDef)}
            name = o.description.rsplit(".", 1)[-1]
            orig = sources[o.module].get(name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
            changed = [line for line in difflib.unified_diff(orig.splitlines(), sources[o.module].get(name, "")
                                                             .splitlines(), lineterm="", n=0)
                       if line[:1] in "+-" and line[:3] not in ("+++", "---") and "__mutmut_" not in line]
            fh.write(f"## {o.status}: {o.module}: {o.description}\n" + "\n".join(changed) + "\n")


def read_mutmut(ws: Path, modules: list[str]) -> list[Outcome]:
    """Outcomes from mutmut's per-file ``.meta`` records (exit code per mutant)."""
    from mutmut.stats import status_by_exit_code

    outcomes = []
    for module in modules:
        meta = ws / "mutants" / PACKAGE / (module + ".meta")
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        durations = data.get("durations_by_key", {})
        for key, code in data["exit_code_by_key"].items():
            status = status_by_exit_code[code]
            status = {"segfault": "killed", "caught by type check": "killed"}.get(status, status)
            outcomes.append(Outcome(module, "functions", key, status, round(durations.get(key, 0.0), 1)))
    return outcomes


def summarise(outcomes: list[Outcome]) -> str:
    """Markdown table per module and phase. Score = (killed + timeout) / all mutants: a mutant that no
    fast test reaches ("no tests") counts as surviving."""
    rows = {}
    for o in outcomes:
        r = rows.setdefault((o.module, o.phase), {"killed": 0, "timeout": 0, "survived": 0, "no tests": 0,
                                                  "not checked": 0, "other": 0})
        r[o.status if o.status in r else "other"] += 1
    lines = ["| module | phase | mutants | killed | timeout | survived | no tests | not checked | other | score |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (module, phase), r in sorted(rows.items()):
        total = sum(r.values())
        score = 100.0 * (r["killed"] + r["timeout"]) / total if total else float("nan")
        lines.append(f"| {module} | {phase} | {total} | {r['killed']} | {r['timeout']} | {r['survived']} | "
                     f"{r['no tests']} | {r['not checked']} | {r['other']} | {score:.1f} % |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phase", choices=["functions", "constants", "spot", "all"], default="all")
    ap.add_argument("--modules", nargs="*", default=[], help="globs below src/sen2cor (default: all algorithm modules)")
    ap.add_argument("--max-children", type=int, default=2, help="mutmut workers (default 2 = the machine's cores)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per constants/spot mutant")
    ap.add_argument("--rerun", action="store_true",
                    help="functions phase: run only the survivors (and unchecked mutants) of the last run of "
                         "--modules against the current tests (the sources must be unchanged)")
    ap.add_argument("--only", nargs="*", default=None,
                    help="with --rerun: only the mutants whose names match these globs (e.g. '*Step2*_finish*')")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="functions phase: stop mutmut after this many seconds (untested mutants: 'not checked')")
    ap.add_argument("--report", action="store_true", help="only print the tables of the stored results")
    ap.add_argument("--survivors", action="store_true",
                    help="rewrite build/mutation/functions/survivors.diff from the last functions run")
    args = ap.parse_args(argv)
    modules = select_modules(args.modules)
    phases = ["functions", "constants", "spot"] if args.phase == "all" else [args.phase]
    WORK.mkdir(parents=True, exist_ok=True)
    if args.survivors:
        stored = json.loads((WORK / "functions.json").read_text())
        write_survivors(WORK / "functions" / "repo", [Outcome(**o) for o in stored["outcomes"]])
        return 0
    for phase in phases if not args.report else []:
        start = time.monotonic()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()   # the tree the run's workspace is copied from
        if phase == "functions" and args.rerun:
            outcomes = rerun_survivors(modules, args.max_children, args.time_limit, args.only)
        elif phase == "functions":
            outcomes = run_mutmut(modules, args.max_children, args.time_limit)
        elif phase == "constants":
            outcomes = run_edits("constants", modules, constant_edits, args.timeout)
        else:
            spot_modules = [m for m in modules if any(s[0] == m for s in SPOT_MUTANTS)]
            outcomes = run_edits("spot", spot_modules, spot_edits, args.timeout)
        stored = WORK / f"{phase}.json"
        kept = json.loads(stored.read_text())["outcomes"] if stored.exists() else []
        kept = [o for o in kept if o["module"] not in modules]  # earlier runs of other modules stay
        record = {"commit": commit, "seconds": round(time.monotonic() - start), "modules": modules,
                  "outcomes": kept + [asdict(o) for o in outcomes]}
        stored.write_text(json.dumps(record, indent=1))
    for phase in phases:
        stored = WORK / f"{phase}.json"
        if not stored.exists():
            continue
        record = json.loads(stored.read_text())
        outcomes = [Outcome(**o) for o in record["outcomes"]]
        print(f"\n### {phase} (last run: commit {record['commit']}, {record['seconds']} s)\n")
        print(summarise(outcomes))
        survivors = [o for o in outcomes if o.status != "killed" and o.status != "timeout"]
        for o in survivors:
            print(f"- {o.status}: {o.module}: {o.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
