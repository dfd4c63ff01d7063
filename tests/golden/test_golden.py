"""Behaviour unchanged: every lesson, on each engine, computes the recorded metrics (tests/golden/lessons.json).

The file was written before the lesson kit port (issue #12) with ``python -m tests.golden.record``, on OpenBLAS's
SkylakeX kernel, BLAS and torch on one thread.  Under the kernel it was recorded with the numbers agree to 1e-5
relative: most are exact, but NumPy's SIMD float32 sums depend on how the arrays lie in memory, and rnn_lm's NumPy
run differs by 1.2e-6 between processes laid out differently.  Under another kernel (the last bit of a float32
matrix product depends on it) they agree to 1e-4: after 12 steps Haswell and SkylakeX differ by at most 2e-6 on
this project's lessons.  ``python -m tests.golden.record --check`` prints the exact differences."""
import json

import pytest

from tests.golden.record import GOLDEN, STEPS, compare, blas_kernel, run_lesson
from visualizer.core import registry

RECORD = json.loads(GOLDEN.read_text())
KERNEL = blas_kernel()
TOL = 1e-5 if KERNEL == RECORD["blas_kernel"] else 1e-4


@pytest.mark.parametrize("key", sorted(RECORD["lessons"]))
def test_lesson_metrics_match_the_golden_record(key):
    lesson_id, engine = key.split("/")
    cls = registry.get(lesson_id)
    got = run_lesson(cls, engine, STEPS)
    worst = compare(RECORD["lessons"][key], got)
    assert worst <= TOL, f"{key}: worst relative difference {worst:.3g} > {TOL:g} (kernel {KERNEL})"


def test_every_lesson_and_engine_has_a_record():
    keys = {f"{lid}/{e}" for lid, cls in registry.discover().items() for e in cls.info.engines}
    assert keys <= set(RECORD["lessons"]), sorted(keys - set(RECORD["lessons"]))


def test_the_record_names_its_blas_kernel_even_before_numpy_is_imported():
    """A fresh ``python -m tests.golden.record`` asks for the kernel before any lesson imports NumPy; the first
    record was written that way and named none, so every run compared at the other-kernel tolerance."""
    import subprocess
    import sys
    from pathlib import Path

    assert RECORD["blas_kernel"]
    if not KERNEL:
        pytest.skip("NumPy's BLAS names no kernel (not OpenBLAS)")
    out = subprocess.run([sys.executable, "-c", "from tests.golden.record import blas_kernel; print(blas_kernel())"],
                         capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == KERNEL
