"""The firmware core's host unit tests: build firmware/core + firmware/test with g++ (warnings are
errors) into a temporary directory and run the doctest binary; any failing case fails here with
its output. The vectors include is generated from firmware/vectors/vectors.json first, so the
C++ core is checked against the same vectors the server's tests use (test_vectors.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DIR = ROOT / "firmware" / "test"
CORE = ROOT / "firmware" / "core" / "src"


def test_core_builds_and_every_case_passes(tmp_path):
    vectors = ROOT / "firmware" / "vectors" / "vectors.json"
    subprocess.run([sys.executable, str(TEST_DIR / "gen_vectors.py"), str(vectors), str(tmp_path / "vectors.inc")],
                   check=True)
    sources = [*sorted(str(p) for p in CORE.glob("*.cpp")), str(TEST_DIR / "test_core.cpp"),
               str(TEST_DIR / "test_vectors.cpp")]
    binary = tmp_path / "core_tests"
    build = subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", f"-I{CORE}", f"-I{tmp_path}",
                            *sources, "-o", str(binary)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    m = re.search(r"test cases:\s+(\d+)\s+\|\s+(\d+) passed\s+\|\s+(\d+) failed", run.stdout)
    assert m, run.stdout
    total, passed, failed = map(int, m.groups())
    assert total > 0 and passed == total and failed == 0, run.stdout


def test_board_layer_type_checks_against_the_declared_library_apis():
    """The ESP32 board layer (firmware/esp32/src) cannot be built here (no ESP32 toolchain), but
    g++ can type-check it against firmware/test/board_stubs: declarations of the Arduino core and
    library APIs it calls, as those libraries declare them. This catches our own mistakes (and
    the core's API drifting from the board's use of it), not a wrong guess about a library."""
    board = ROOT / "firmware" / "esp32"
    for source in sorted((board / "src").glob("*.cpp")):
        check = subprocess.run(["g++", "-std=gnu++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                                '-DFADJMA_FIRMWARE_VERSION="1.0.0"', f"-I{TEST_DIR / 'board_stubs'}",
                                f"-I{board / 'include'}", f"-I{CORE}", f"-I{board / 'src'}", str(source)],
                               capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, f"{source.name}:\n{check.stderr}"
