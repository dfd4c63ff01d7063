"""Behaviour unchanged: every lesson, on each engine, computes the recorded metrics (tests/golden/lessons.json).

The file was written before the lesson kit port (issue #12) with ``python -m tests.golden.record``.  Under the
BLAS kernel it was recorded with, the numbers must agree to 1e-12 relative; under another kernel (the last bit
of a float32 matrix product depends on it) to 1e-4: after 12 steps the kernels Haswell and SkylakeX differ by
at most 2e-6 on this project's lessons.

Under one kernel, rnn_lm's NumPy run still differs by 1.2e-6 between processes laid out differently (NumPy's
SIMD float32 sums depend on how the arrays are aligned in memory), so the same-kernel bound is 1e-5 for the
lessons that train in float32; ``python -m tests.golden.record --check`` prints the exact differences."""
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
