"""Cold import of each function module: a stand-in for Lambda's init phase.

    .venv/bin/python bench/cold_import.py [--runs 9] [--top 8]

Each run is a fresh interpreter, as a cold Lambda start is: `python -c "import inference_app"`
with PYTHONPATH set to the function folder and the layer folder (where Lambda puts them), timed
against `python -c pass`. The figure that matters is the median of the difference. Then one
`-X importtime` run per module names the packages that cost the most, so an over-budget
module says what to make lazy.
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


@dataclass(frozen=True)
class Offender:
    package: str
    self_ms: float
    modules: int


def lambda_like_env(function: str) -> dict[str, str]:
    """PYTHONPATH as on Lambda: the function's code root, then the layer's package root.

    The layer folder comes before site-packages so the measured `aigw` is the plain package, not
    the editable install's import hook.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    roots = [REPO_ROOT / "functions" / function, REPO_ROOT / "layers" / "gateway"]
    env["PYTHONPATH"] = os.pathsep.join(str(r) for r in roots)
    return env


def time_once(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit(f"`python -c {code!r}` failed:\n{proc.stderr}")
    return elapsed


def median_ms(code: str, env: dict[str, str], runs: int) -> float:
    time_once(code, env)  # warm the OS file cache; Lambda's image is local disk too
    return statistics.median(time_once(code, env) for _ in range(runs))


def import_offenders(module: str, env: dict[str, str], top: int) -> list[Offender]:
    """Top-level packages by the import time of all their modules, from one -X importtime run.

    Summing each module's *self* time under its top-level package attributes every millisecond
    once, however deep the import chain that pulled it in.
    """
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                          env=env, check=True, capture_output=True, text=True)
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
    parser.add_argument("--runs", type=int, default=9, help="timed runs per module (min 7)")
    parser.add_argument("--top", type=int, default=8, help="import offenders to list")
    args = parser.parse_args(argv)
    runs = max(args.runs, 7)

    baseline = median_ms("pass", lambda_like_env(FUNCTIONS[0]), runs)
    print(f"python: {sys.version.split()[0]}  runs: {runs}  baseline `-c pass`: {baseline:.0f} ms")
    print(f"{'module':<16}{'median ms':>10}{'minus baseline':>16}{'budget':>9}")
    over = []
    results = {}
    for function in FUNCTIONS:
        module, env = f"{function}_app", lambda_like_env(function)
        total = median_ms(f"import {module}", env, runs)
        net = total - baseline
        results[module] = env
        verdict = "ok" if net < BUDGET_MS else "OVER"
        if net >= BUDGET_MS:
            over.append(module)
        print(f"{module:<16}{total:>10.0f}{net:>16.0f}{verdict:>9}")

    for module, env in results.items():
        print(f"\n{module}: import time by top-level package (one -X importtime run)")
        for o in import_offenders(module, env, args.top):
            print(f"  {o.package:<28}{o.self_ms:>9.1f} ms  ({o.modules} modules)")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
