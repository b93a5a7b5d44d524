"""Cold import of each function module: a stand-in for Lambda's init phase.

    .venv/bin/python bench/cold_import.py [--runs 9] [--top 8]

Every run is a fresh interpreter, as a cold Lambda start is, with PYTHONPATH set to the function
folder and the layer folder (where Lambda puts them). Three medians per module:

- `plain`: `python -c "import inference_app"` minus `python -c pass`. This also counts the
  interpreter tearing the modules down at exit, which a Lambda init never pays.
- `no exit`: the same, both ending in `os._exit(0)`: start-up plus import, no teardown. The
  budget applies to this one.
- `in-proc`: `perf_counter()` around the import inside the child: the import alone.

Then one `-X importtime` run per module ranks top-level packages by the import time of all their
modules, so an over-budget module says what to make lazy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("inference", "compat", "management")
BUDGET_MS = 400.0
_EXIT = "; import os; os._exit(0)"
_IN_PROCESS = ("import time; t = time.perf_counter(); import {m}; "
               "print((time.perf_counter() - t) * 1000, flush=True)" + _EXIT)


@dataclass(frozen=True)
class Offender:
    package: str
    self_ms: float
    modules: int


@dataclass(frozen=True)
class Figures:
    plain: float
    no_exit: float
    in_process: float


def lambda_like_env(function: str) -> dict[str, str]:
    """PYTHONPATH as on Lambda: the function's code root, then the layer's package root.

    The layer folder comes before site-packages so the measured `aigw` is the plain package, not
    the editable install's import hook.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    roots = [REPO_ROOT / "functions" / function, REPO_ROOT / "layers" / "gateway"]
    env["PYTHONPATH"] = os.pathsep.join(str(r) for r in roots)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter; a failed import stops the benchmark with its traceback."""
    proc = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"`python {' '.join(args)}` failed:\n{proc.stderr[-4000:]}")
    return proc


def wall_ms(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    run_python(["-c", code], env)
    return (time.perf_counter() - start) * 1000


def median_wall_ms(code: str, env: dict[str, str], runs: int) -> float:
    wall_ms(code, env)  # warm the OS file cache (and write any missing .pyc), as a deployed image
    return statistics.median(wall_ms(code, env) for _ in range(runs))


def median_in_process_ms(module: str, env: dict[str, str], runs: int) -> float:
    code = _IN_PROCESS.format(m=module)
    return statistics.median(float(run_python(["-c", code], env).stdout) for _ in range(runs))


def measure(module: str, env: dict[str, str], runs: int, base: Figures) -> Figures:
    return Figures(
        plain=median_wall_ms(f"import {module}", env, runs) - base.plain,
        no_exit=median_wall_ms(f"import {module}{_EXIT}", env, runs) - base.no_exit,
        in_process=median_in_process_ms(module, env, runs))


def import_offenders(module: str, env: dict[str, str], top: int) -> list[Offender]:
    """Top-level packages by the import time of all their modules, from one -X importtime run.

    Summing each module's *self* time under its top-level package attributes every millisecond
    once, however deep the import chain that pulled it in.
    """
    proc = run_python(["-X", "importtime", "-c", f"import {module}"], env)
    self_us: dict[str, int] = {}
    count: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, _cumulative, name = line[len("import time:"):].split("|", 2)
        package = name.strip().split(".", 1)[0]
        self_us[package] = self_us.get(package, 0) + int(own)
        count[package] = count.get(package, 0) + 1
    ranked = sorted(self_us, key=self_us.__getitem__, reverse=True)[:top]
    return [Offender(p, self_us[p] / 1000, count[p]) for p in ranked]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (min 7)")
    parser.add_argument("--top", type=int, default=8, help="import offenders to list")
    args = parser.parse_args(argv)
    runs = max(args.runs, 7)

    env0 = lambda_like_env(FUNCTIONS[0])
    base = Figures(plain=median_wall_ms("pass", env0, runs),
                   no_exit=median_wall_ms(_EXIT.lstrip("; "), env0, runs), in_process=0.0)
    print(f"python {sys.version.split()[0]}, median of {runs} fresh processes; "
          f"baseline `-c pass` {base.plain:.0f} ms; budget {BUDGET_MS:.0f} ms on `no exit`")
    print(f"{'module':<16}{'plain':>8}{'no exit':>9}{'in-proc':>9}  verdict")
    envs = {f"{f}_app": lambda_like_env(f) for f in FUNCTIONS}
    over = False
    for module, env in envs.items():
        fig = measure(module, env, runs, base)
        verdict = "ok" if fig.no_exit < BUDGET_MS else "OVER"
        over = over or verdict == "OVER"
        print(f"{module:<16}{fig.plain:>8.0f}{fig.no_exit:>9.0f}{fig.in_process:>9.0f}  {verdict}")

    for module, env in envs.items():
        print(f"\n{module}: import time by top-level package (one -X importtime run)")
        for o in import_offenders(module, env, args.top):
            print(f"  {o.package:<28}{o.self_ms:>9.1f} ms  ({o.modules} modules)")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
