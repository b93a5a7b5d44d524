"""Cold import of each function module from the built layer, read-only, under python3.13.

    .venv/bin/python bench/cold_import.py [--runs 9] [--build-dir DIR] [--size-arch arm64]

Runs `sam build` for this machine's architecture (or takes an existing build with
`--build-dir`), then, for every function, imports its module in fresh interpreters inside the
Lambda sandbox of tests/fakes/lambda_sandbox.py: the layer read-only at /opt, the function at
/var/task, CPython 3.13 at /var/lang, the module path the Python runtime sets up. So nothing can
write bytecode, as on Lambda. Two layers are measured:

- `as built`: the layer as layers/gateway/Makefile builds it (unchecked-hash .pyc);
- `no .pyc`: the same files with every `__pycache__` removed, which is what a layer built
  without bytecode (SAM's plain python builder) gives: each cold start compiles every module.

Figures are medians of `--runs` fresh processes, the import alone: CPU time (process_time, the
steadier figure on a shared machine) and wall time (perf_counter).
Then the layer's size unzipped and zipped (deflate, as SAM packages it); `--size-arch arm64`
also builds the layer for that architecture and reports its size (the deployed artifact; its
compiled extensions cannot be imported on another architecture).
Needs root (mount namespaces) and python3.13 (pyenv's is found).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.fakes import lambda_sandbox as sandbox  # noqa: E402

FUNCTIONS = {"InferenceFunction": "inference_app", "CompatFunction": "compat_app",
             "ManagementFunction": "management_app"}
_IMPORT = ("import sys, time\n"
           "sys.path[:1] = ['/var/task', '/opt/python/lib/python3.13/site-packages', "
           "'/opt/python']\n"
           "c, t = time.process_time(), time.perf_counter()\n"
           "import {module}\n"
           "print((time.process_time() - c) * 1000, (time.perf_counter() - t) * 1000, "
           "flush=True)\n"
           "import os; os._exit(0)\n")


def import_ms(build_dir: Path, function_dir: str, module: str,
              home: Path) -> tuple[float, float]:
    """(CPU ms, wall ms) of one cold import in a fresh sandboxed interpreter."""
    env = sandbox.lambda_environment(function_dir, f"{module}.handler", "us-east-1", 1024, {})
    proc = subprocess.run(
        sandbox.sandbox_command(build_dir, function_dir, home,
                                ["/var/lang/bin/python3", "-c", _IMPORT.format(module=module)]),
        env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"importing {module} failed:\n{proc.stderr[-4000:]}")
    cpu, wall = proc.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def median_import_ms(build_dir: Path, function_dir: str, module: str, home: Path,
                     runs: int) -> tuple[float, float]:
    """Medians of (CPU ms, wall ms). CPU time is the steadier figure on a shared machine."""
    import_ms(build_dir, function_dir, module, home)  # warm the OS file cache, as a warm host
    samples = [import_ms(build_dir, function_dir, module, home) for _ in range(runs)]
    return (statistics.median(c for c, _ in samples), statistics.median(w for _, w in samples))


def without_bytecode(build_dir: Path, into: Path) -> Path:
    """A copy of the build whose layer has no `__pycache__` (function dirs are shared)."""
    shutil.copytree(build_dir / "GatewayLayer", into / "GatewayLayer", symlinks=True)
    for cache in sorted((into / "GatewayLayer").rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    for function_dir in FUNCTIONS:
        (into / function_dir).symlink_to(build_dir / function_dir)
    return into


def layer_sizes(layer: Path) -> tuple[int, int]:
    """(unzipped bytes, zipped bytes) of the layer directory."""
    files = [p for p in layer.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as f:
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            for p in files:
                z.write(p, p.relative_to(layer))
        zipped = f.tell()
    return unzipped, zipped


def build(arch: str, into: Path) -> Path:
    print(f"sam build ({arch}) ...", file=sys.stderr, flush=True)
    return sandbox.build_for(arch, into)


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per figure")
    parser.add_argument("--build-dir", type=Path, help="an existing `sam build` output (host arch)")
    parser.add_argument("--size-arch", help="also build for this architecture, for its size")
    args = parser.parse_args(argv)
    sandbox.check_can_sandbox()
    home = sandbox.python313_home()
    with tempfile.TemporaryDirectory(prefix="aigw-cold-") as tmp:
        work = Path(tmp)
        built = args.build_dir or build(sandbox.host_architecture(), work / "host")
        bare = without_bytecode(built, work / "bare")
        print(f"python 3.13 at /var/lang, layer read-only at /opt ({sandbox.host_architecture()}),"
              f" median of {args.runs} fresh processes, import only")
        print(f"{'function module':<18}{'CPU: as built':>14}{'no .pyc':>10}"
              f"{'wall: as built':>16}{'no .pyc':>10}")
        for function_dir, module in FUNCTIONS.items():
            fast = median_import_ms(built, function_dir, module, home, args.runs)
            slow = median_import_ms(bare, function_dir, module, home, args.runs)
            print(f"{module:<18}{fast[0]:>11.0f} ms{slow[0]:>7.0f} ms"
                  f"{fast[1]:>13.0f} ms{slow[1]:>7.0f} ms")
        sizes = {sandbox.host_architecture(): layer_sizes(built / "GatewayLayer")}
        if args.size_arch and args.size_arch not in sizes:
            other = build(args.size_arch, work / args.size_arch)
            sizes[args.size_arch] = layer_sizes(other / "GatewayLayer")
        for arch, (unzipped, zipped) in sizes.items():
            print(f"layer ({arch}): {mb(unzipped)} unzipped, {mb(zipped)} zipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
