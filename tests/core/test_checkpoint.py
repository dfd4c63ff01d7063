"""check_state, the one validation of a checkpoint's arrays against a model (visualizer.core.checkpoint).

Values must survive the conversion to the model's dtype: a finite float64 that overflows float32 becomes
inf, an int64 count beyond int32 wraps around; both must be rejected, naming the array, like NaN is."""
import re

import numpy as np
import pytest

from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError

MODEL = {"W": np.zeros((2, 3), dtype=np.float32), "h": np.zeros(3, dtype=np.float16),
         "count": np.zeros(4, dtype=np.int32), "t": np.array(0, dtype=np.int64)}


def _good():
    return {"W": np.ones((2, 3)), "h": np.ones(3), "count": np.arange(4), "t": np.array(5)}


def _rejects(state, name, words, **kw):
    with pytest.raises(LessonConfigError) as e:
        check_state(MODEL, state, **kw)
    msg = str(e.value)
    assert name in msg and re.search(words, msg), msg
    assert not re.search(r"\b\w*(Error|Exception)\b", msg), msg


def test_a_good_state_is_converted_to_the_model_dtypes():
    out = check_state(MODEL, _good())
    assert {k: v.dtype for k, v in out.items()} == {k: v.dtype for k, v in MODEL.items()}
    assert out["count"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("name, value", [("W", 1e300), ("W", -4e38), ("h", 70000.0)])
def test_a_float_that_overflows_the_models_dtype_is_rejected(name, value):
    state = _good()
    state[name] = state[name].copy()
    state[name].reshape(-1)[1] = value              # finite in float64, inf once cast
    _rejects(state, name, r"too large|infinite")


@pytest.mark.parametrize("value", [2**31, -2**31 - 1, 2**40])
def test_an_integer_beyond_the_models_integer_type_is_rejected(value):
    state = _good()
    state["count"] = np.array([0, 1, value, 3], dtype=np.int64)
    _rejects(state, "count", r"too large|range")


def test_unsigned_and_bool_values_cast_as_numbers():
    state = _good()
    state["count"] = np.array([0, 1, 2, 3], dtype=np.uint64)
    state["W"] = np.ones((2, 3), dtype=bool)
    out = check_state(MODEL, state)
    assert out["count"].dtype == np.int32 and out["W"].dtype == np.float32


@pytest.mark.parametrize("name, value", [("t", -1), ("count", -3)])
def test_names_that_must_not_be_negative(name, value):
    state = _good()
    state[name] = np.array(value) if name == "t" else np.array([0, value, 0, 0])
    check_state(MODEL, state)                                   # allowed unless named
    _rejects(state, name, r"negative", nonnegative=frozenset({"t", "count"}))


@pytest.mark.parametrize("value, words", [(np.array([["a", "b", "c"]] * 2), r"text"),
                                          (np.array([[1 + 1j] * 3] * 2), r"complex"),
                                          (np.array([[b"x"] * 3] * 2), r"text")])
def test_non_numbers_are_named_in_plain_words(value, words):
    state = _good()
    state["W"] = value
    _rejects(state, "W", words)


def test_something_that_is_no_array_is_named_in_plain_words():
    state = _good()
    state["W"] = [[1, 2], [3]]                                  # ragged: NumPy cannot make an array of it
    _rejects(state, "W", r"not an array")
