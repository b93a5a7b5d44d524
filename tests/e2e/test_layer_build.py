"""The layer `sam build` makes for a deploy (arm64, layers/gateway/Makefile) is what Lambda needs.

Built for the template's default architecture — the artifact a deploy uploads, not the host build
the fidelity test runs — and checked file by file: compiled extensions are arm64 and stripped,
every module has bytecode Lambda will use as it is (hash-based, unchecked: the zip dates every
file 1980-01-01 and /opt is read-only), and test suites and sources nothing imports are gone.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from aigw_local.template import load_template
from tests.fakes import lambda_sandbox as sandbox

EM_AARCH64 = 183
#: PEP 552 flags: bit 0 = hash-based, bit 1 = check_source. 0b01: hash-based, never checked.
UNCHECKED_HASH = 0b01


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    arch = load_template()["Parameters"]["Architecture"]["Default"]
    try:
        out = sandbox.build_for(arch, tmp_path_factory.mktemp("sam-arm64"))
    except sandbox.SandboxError as e:
        failure = str(e)
    else:
        return out / "GatewayLayer" / "python"
    pytest.fail(failure, pytrace=False)


def section_names(path: Path) -> tuple[int, set[str]]:
    """(e_machine, section names) of an ELF64 little-endian file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, path
    machine = struct.unpack_from("<H", data, 18)[0]
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab_offset, strtab_size = headers[shstrndx][4], headers[shstrndx][5]
    strtab = data[strtab_offset:strtab_offset + strtab_size]
    names = {strtab[h[0]:strtab.index(b"\0", h[0])].decode() for h in headers}
    return machine, names


def test_compiled_extensions_are_arm64_and_stripped(layer: Path) -> None:
    shared = [p for p in layer.rglob("*.so*") if p.is_file()]
    assert len(shared) >= 10, shared  # uvloop, pydantic_core, aiohttp, httptools, ...
    for path in shared:
        machine, names = section_names(path)
        assert machine == EM_AARCH64, path
        assert ".symtab" not in names, f"{path} still has its symbol table"
        assert not any(n.startswith(".debug") for n in names), path
    uvloop = next(layer.glob("uvloop/loop.*.so"))
    assert uvloop.stat().st_size < 4 * 1024 * 1024  # 16 MB unstripped


def test_every_module_has_unchecked_hash_bytecode(layer: Path) -> None:
    sources = [p for p in layer.rglob("*.py") if p.is_file()]
    assert len(sources) > 500
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        assert pyc.exists(), f"no bytecode for {source}"
        flags = struct.unpack_from("<I", pyc.read_bytes(), 4)[0]
        assert flags == UNCHECKED_HASH, f"{pyc}: flags {flags:#b}"


def test_test_suites_sources_and_scripts_are_dropped(layer: Path) -> None:
    assert not (layer / "bin").exists()
    assert not [p for p in layer.rglob("*") if p.is_dir() and p.name in ("tests", "test")]
    leftovers = [p for p in layer.rglob("*") if p.suffix in (".pyx", ".pxd", ".c", ".h", ".pyi")]
    assert leftovers == []
    assert (layer / "aigw" / "pipeline.py").exists()
