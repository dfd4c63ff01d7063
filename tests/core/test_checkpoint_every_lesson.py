"""Checkpoints of every registered lesson on each of its engines (issue #14, failure classes 1 and 4).

For each lesson × engine, built headless with tiny settings and trained a few steps:

1. atomic: a state with ONE damaged array (wrong shape, strings, NaN), in the middle of the names or last, is
   rejected with LessonConfigError naming the array, and every model and optimizer array is bit-identical after;
2. non-finite: NaN or ±inf in any float array is rejected (not "Checkpoint loaded");
3. round trip: save, train k steps, load, train the same k steps again on the same batches and random draws:
   the same metrics (weights, buffers and optimizer state all travel in the checkpoint);
4. file: through ``load_checkpoint(path, lesson_id)`` a good file gives back the arrays bit for bit, and a file
   of another lesson is a CheckpointError naming both.

Malformed files (a .npy renamed .npz, a JSON list as the header, a truncated zip, pickled object arrays, ...)
are checked in ``test_checkpoint_files.py``.
"""
from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from visualizer.core import registry
from visualizer.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from visualizer.core.errors import LessonConfigError

SEED = 3
WARMUP = 3          # steps before the checkpoint: optimizer moments and step counts are non-zero
K = 3               # steps trained twice from the checkpoint

# Small models and data so each lesson builds and trains in well under a second or two.
TINY: dict[str, dict] = {
    "playground": {"n_points": 60, "batch_size": 10},
    "perceptron": {"batch_size": 10},
    "mlp_digits": {"hidden_units": 16, "max_train": 1000, "batch_size": 16},
    "optimizers": {},
    "regularization": {"train_size": 40, "hidden_layers": 2, "hidden_units": 16, "batch_size": 8},
    "cnn_scratch": {"filters1": 2, "filters2": 2, "hidden": 8, "batch_size": 4},
    "deep_nets": {"depth": 4, "width": 16, "batch_size": 8},
    "precision_speed": {"hidden_units": 16, "batch_size": 8},
    "word_vectors": {"corpus_size": 1000, "max_vocab": 20, "vector_size": 5},
    "word2vec": {"corpus_size": 10000, "vocab_size": 150, "hidden_size": 5, "batch_size": 10},
    "rnn_lm": {"embed_size": 8, "hidden_size": 8, "time_size": 4, "batch_size": 2, "corpus_tokens": 5000,
               "vocab_size": 150},
    "seq2seq": {"examples": 1000, "hidden_size": 16, "wordvec_size": 4, "batch_size": 8, "test_examples": 50},
    "attention": {"examples": 1000, "hidden_size": 16, "wordvec_size": 4, "batch_size": 8, "test_examples": 50},
    "autoencoder": {"hidden_units": 8, "batch_size": 8},
    "gan_2d": {"g_hidden": 4, "d_hidden": 4, "batch_size": 8},
    "dcgan": {"z_dim": 4, "width": 8, "batch_size": 8},
    "sagan": {"channels": 8, "batch_size": 8},
    "anogan": {"channels": 8, "batch_size": 8},
    "vae": {"hidden": 32, "max_train": 1000, "batch_size": 8},
    "video": {"clips": 48, "frames": 8, "segments": 4, "batch_size": 4},
    "dqn": {"hidden": 8, "batch_size": 4, "warmup": 1, "train_every": 1, "buffer_size": 100, "target_sync": 2},
}
# Variants whose state holds more than the defaults: BatchNorm running statistics, other optimizers, gated cells.
VARIANTS: dict[str, tuple[str, dict]] = {
    "deep_nets+bn+res": ("deep_nets", {"batchnorm": True, "residual": True, "optimizer": "adam"}),
    "mlp_digits+bn+momentum": ("mlp_digits", {"batchnorm": True, "optimizer": "momentum"}),
    "rnn_lm+gru+adam": ("rnn_lm", {"cell": "gru", "layers": 2, "optimizer": "adam"}),
    "gan_2d+sgd": ("gan_2d", {"opt_d": "sgd", "opt_g": "sgd", "d_steps": 2}),
    "sagan+no_sn": ("sagan", {"spectral_norm": False}),
    "dqn+reinforce": ("dqn", {"method": "reinforce", "baseline": True}),
}


def _cases():
    out = []
    infos = registry.infos()
    for lid, info in infos.items():
        for engine in info.engines:
            out.append(pytest.param(lid, engine, TINY.get(lid, {}), id=f"{lid}/{engine}"))
    for name, (lid, extra) in VARIANTS.items():
        if lid in infos:
            for engine in infos[lid].engines:
                out.append(pytest.param(lid, engine, {**TINY.get(lid, {}), **extra}, id=f"{name}/{engine}"))
    return out


CASES = _cases()


# ---- driving a lesson --------------------------------------------------------------------------------------
class Built:
    """A lesson built headless with one BLAS and torch thread (deterministic), closed by ``close``."""

    def __init__(self, lesson_id: str, engine: str, settings: dict, seed: int = SEED) -> None:
        from threadpoolctl import threadpool_limits
        self._limits = threadpool_limits(1)
        self._torch_threads = None
        if engine == "torch":
            import torch
            self._torch_threads = torch.get_num_threads()
            torch.set_num_threads(1)
        cls = registry.get(lesson_id)
        self.lesson = cls(cls.hyperparameters({**settings, "seed": seed, "engine": engine}))
        try:
            self.lesson.checkpoint_state()
        except NotImplementedError:
            self.close()
            pytest.skip(f"{lesson_id} has no checkpoints")

    def train(self, first: int, count: int) -> list[dict[str, float]]:
        """Steps first .. first + count - 1, each flushed: the metrics of every step."""
        out = []
        for step in range(first, first + count):
            self.lesson.train_step(step)
            out.append({k: float(v) for k, v in self.lesson.flush().items()})
        return out

    def close(self) -> None:
        self.lesson.close()
        if self._torch_threads is not None:
            import torch
            torch.set_num_threads(self._torch_threads)
        self._limits.unregister()


@pytest.fixture
def built(request):
    made = []

    def make(lesson_id, engine, settings, seed=SEED):
        b = Built(lesson_id, engine, settings, seed)
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()


def _same_state(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """Names whose arrays differ in any bit (or in shape or dtype), and names only one side has."""
    diff = sorted(set(a) ^ set(b))
    for k in set(a) & set(b):
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            diff.append(k)
    return diff


def _plain_message(msg: str) -> None:
    """A message for the user: no Python exception class names, no raw errno."""
    assert not re.search(r"\b\w*(Error|Exception)\b", msg), msg
    assert "[Errno" not in msg, msg


def _damaged(arr: np.ndarray, how: str) -> np.ndarray:
    arr = np.asarray(arr)
    if how == "shape":
        return np.zeros(arr.shape + (2,), dtype=arr.dtype)
    if how == "strings":
        return np.full(arr.shape, "0.5")
    if how == "nan":
        out = np.array(arr, dtype=arr.dtype if arr.dtype.kind == "f" else np.float64)
        out.reshape(-1)[out.size // 2] = np.nan
        return out
    raise ValueError(how)


# ---- 1. atomic ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_a_rejected_checkpoint_changes_nothing(built, lesson_id, engine, settings):
    b = built(lesson_id, engine, settings)
    b.train(1, WARMUP)
    good = b.lesson.checkpoint_state()
    names = list(good)
    floats = [k for k in names if np.asarray(good[k]).dtype.kind == "f" and np.asarray(good[k]).size]
    targets = {names[len(names) // 2], names[-1]}
    problems = []
    for how in ("shape", "strings", "nan"):
        pool = floats if how == "nan" else names
        if not pool:
            continue
        for name in sorted({pool[len(pool) // 2], pool[-1]} if how == "nan" else targets):
            bad = dict(good)
            bad[name] = _damaged(good[name], how)
            problems.append(_rejected_and_unchanged(b, good, bad, name, how))
    for name in sorted(targets):              # an array missing, or one the model does not have
        bad = {k: v for k, v in good.items() if k != name}
        problems.append(_rejected_and_unchanged(b, good, bad, name, "missing"))
        bad = dict(good)
        bad[name + "_extra"] = np.asarray(good[name])
        problems.append(_rejected_and_unchanged(b, good, bad, name + "_extra", "extra"))
    # The same into a lesson that has not trained yet (the optimizers hold no state): how a user loads weights
    # after opening a lesson.  Then the good state loads, and reads back bit for bit.
    fresh = built(lesson_id, engine, settings)
    untrained = fresh.lesson.checkpoint_state()
    for name in sorted(targets):
        bad = {k: v for k, v in good.items() if k != name}
        problems.append(_rejected_and_unchanged(fresh, untrained, bad, name, "missing (untrained)"))
        bad = dict(good)
        bad[name] = _damaged(good[name], "shape")
        problems.append(_rejected_and_unchanged(fresh, untrained, bad, name, "shape (untrained)"))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
    fresh.lesson.load_checkpoint_state(good)
    assert not _same_state(good, fresh.lesson.checkpoint_state())
    b.train(WARMUP + 1, 1)                  # and the lessons still train
    fresh.train(WARMUP + 1, 1)


def _rejected_and_unchanged(b, good, bad, name, how) -> str | None:
    """None if loading ``bad`` raised LessonConfigError naming ``name`` in plain words and changed nothing;
    else what went wrong."""
    problem = None
    try:
        b.lesson.load_checkpoint_state(bad)
        problem = "accepted"
    except LessonConfigError as e:
        msg = str(e)
        if name not in msg:
            problem = f"the message does not name the array: {msg}"
        elif re.search(r"\b\w*(Error|Exception)\b", msg) or "[Errno" in msg:
            problem = f"the message is not plain: {msg}"
    except Exception as e:                      # noqa: BLE001 - the point: no other exception may leak
        problem = f"{type(e).__name__}: {e}"
    changed = _same_state(good, b.lesson.checkpoint_state())
    if changed:
        problem = f"{problem or 'rejected'}, and {len(changed)} arrays changed, e.g. {changed[:3]}"
    if problem is not None:
        b.lesson.load_checkpoint_state(good)
        return f"{how} {name!r}: {problem}"
    return None


# ---- 2. non-finite -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_nan_or_inf_in_any_float_array_is_rejected(built, lesson_id, engine, settings):
    b = built(lesson_id, engine, settings)
    b.train(1, WARMUP)
    good = b.lesson.checkpoint_state()
    accepted = []
    for i, (name, arr) in enumerate(good.items()):
        arr = np.asarray(arr)
        if arr.dtype.kind != "f" or not arr.size:
            continue
        bad = dict(good)
        bad[name] = arr.copy()
        bad[name].reshape(-1)[-1] = (np.nan, np.inf, -np.inf)[i % 3]
        try:
            b.lesson.load_checkpoint_state(bad)
        except LessonConfigError as e:
            _plain_message(str(e))
        else:
            accepted.append(name)
            b.lesson.load_checkpoint_state(good)
    assert not accepted, f"non-finite values accepted in {len(accepted)} arrays, e.g. {accepted[:4]}"
    assert not _same_state(good, b.lesson.checkpoint_state())


@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_a_value_beyond_the_models_precision_is_rejected(built, lesson_id, engine, settings):
    """1e300 is finite in the file's float64 but inf in a float32 (or float16) model."""
    b = built(lesson_id, engine, settings)
    b.train(1, WARMUP)
    good = b.lesson.checkpoint_state()
    narrow = [k for k, v in good.items() if np.asarray(v).dtype in (np.float32, np.float16) and np.asarray(v).size]
    accepted = []
    for name in narrow[:2] + narrow[-2:]:
        bad = dict(good)
        bad[name] = np.array(good[name], dtype=np.float64)
        bad[name].reshape(-1)[0] = 1e300
        try:
            b.lesson.load_checkpoint_state(bad)
        except LessonConfigError as e:
            assert name in str(e), str(e)
        else:
            accepted.append(name)
            b.lesson.load_checkpoint_state(good)
    assert not accepted, f"values that overflow the model's dtype accepted: {accepted}"
    assert not _same_state(good, b.lesson.checkpoint_state())


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_precision_speed_rejects_weights_a_half_precision_run_cannot_hold(built, engine):
    """The lesson saves every configuration's weights as float64; 1e6 fits float32 but is inf in float16."""
    b = built("precision_speed", engine, {**TINY["precision_speed"],
                                          **({"torch_cpu_half": True} if engine == "torch" else {})})
    b.train(1, 2)
    good = b.lesson.checkpoint_state()
    half = [k for k in good if k.startswith(("f16.", "bf16.", "tc16.")) or ".f16" in k]
    assert half, sorted(good)
    bad = dict(good)
    bad[half[0]] = np.array(good[half[0]], copy=True)
    bad[half[0]].reshape(-1)[0] = 1e6
    with pytest.raises(LessonConfigError, match=re.escape(half[0])):
        b.lesson.load_checkpoint_state(bad)
    assert not _same_state(good, b.lesson.checkpoint_state())


@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_a_negative_step_count_or_squared_average_is_rejected(built, lesson_id, engine, settings):
    """Adam's t = -1 becomes 0 at the next step: its bias correction 1 - beta**0 divides by zero."""
    b = built(lesson_id, engine, settings)
    b.train(1, WARMUP)
    good = b.lesson.checkpoint_state()
    counts = [k for k in good if k.startswith("opt.") and re.search(r"\.(step|t|exp_avg_sq)$", k)]
    accepted = []
    for name in counts[:3] + counts[-3:]:
        bad = dict(good)
        bad[name] = np.array(good[name], copy=True)
        bad[name].reshape(-1)[0] = -1
        try:
            b.lesson.load_checkpoint_state(bad)
        except LessonConfigError as e:
            assert name in str(e) and "negative" in str(e), str(e)
        else:
            accepted.append(name)
            b.lesson.load_checkpoint_state(good)
    assert not accepted, f"negative counts or squared averages accepted: {accepted}"
    assert not _same_state(good, b.lesson.checkpoint_state())


# ---- 3. round trip -----------------------------------------------------------------------------------------
def _random_sources(root) -> list:
    """Every NumPy and torch random generator reachable from ``root`` (the lesson), with the global ones."""
    import sys
    found, seen, todo = [], set(), [root]
    np_types = (np.random.Generator, np.random.RandomState)
    torch = sys.modules.get("torch")
    gen_types = np_types + ((torch.Generator,) if torch else ())
    while todo:
        obj = todo.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float, bool, np.ndarray)):
            continue
        seen.add(id(obj))
        if isinstance(gen_types, tuple) and isinstance(obj, gen_types):
            found.append(obj)
            continue
        if torch is not None and isinstance(obj, torch.Tensor):
            continue
        if isinstance(obj, dict):
            todo.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend(obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] in ("lessons", "visualizer", "tests",
                                                                                 "torch"):
            todo.extend(vars(obj).values())
        elif hasattr(obj, "__self__") and hasattr(obj, "__func__"):        # bound methods: their object
            todo.append(obj.__self__)
        elif callable(obj) and getattr(obj, "__closure__", None):
            todo.extend(c.cell_contents for c in obj.__closure__ if c.cell_contents is not None)
    return found


def _rng_states(sources) -> list:
    import sys
    torch = sys.modules.get("torch")
    out = []
    for g in sources:
        if isinstance(g, np.random.Generator):
            out.append(copy.deepcopy(g.bit_generator.state))
        elif isinstance(g, np.random.RandomState):
            out.append(g.get_state())
        else:
            out.append(g.get_state())
    out.append(np.random.get_state())
    out.append(torch.get_rng_state() if torch else None)
    return out


def _set_rng_states(sources, states) -> None:
    import sys
    torch = sys.modules.get("torch")
    for g, st in zip(sources, states):
        if isinstance(g, np.random.Generator):
            g.bit_generator.state = copy.deepcopy(st)
        elif isinstance(g, np.random.RandomState):
            g.set_state(st)
        else:
            g.set_state(st)
    np.random.set_state(states[-2])
    if torch is not None:
        torch.set_rng_state(states[-1])


class Replay:
    """Records the lesson's batches, then hands the same ones out again (the data stream is not part of a
    checkpoint; the weights and optimizer state are)."""

    def __init__(self, lesson) -> None:
        self.lesson, self.own = lesson, lesson.next_batch
        self.batches: list = []
        self.replaying = False
        self.i = 0
        lesson.next_batch = self

    def __call__(self):
        if self.replaying:
            self.i += 1
            return copy.deepcopy(self.batches[self.i - 1])
        batch = self.own()
        self.batches.append(copy.deepcopy(batch))
        return batch

    def replay(self) -> None:
        self.replaying, self.i = True, 0


# What a load restarts on purpose rather than restores (not weights: state tied to the data stream).  The first
# run starts with it restarted too.  Not loading the checkpoint before the first run is the point: a load that
# silently resets what the file lacks (an optimizer's moments) would then look like a faithful round trip.
RESTARTED_BY_A_LOAD = {
    "rnn_lm": lambda lesson: ((lesson.trainer.model if lesson.net is None else lesson.net).reset_state(),
                              lesson.trainer.recent.clear()),        # the hidden state and train_ppl's window
    "anogan": lambda lesson: lesson._restart_search(),                # the latent search, on the loaded G and D
}


@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_save_train_load_train_gives_the_same_metrics(built, lesson_id, engine, settings, tmp_path):
    b = built(lesson_id, engine, settings)
    b.train(1, WARMUP)
    path = tmp_path / "run.npz"
    save_checkpoint(path, lesson_id, b.lesson.checkpoint_state())
    sources = _random_sources(b.lesson)
    rng = _rng_states(sources)
    restart = RESTARTED_BY_A_LOAD.get(lesson_id)
    if restart:                                 # so that both runs start alike
        restart(b.lesson)
    replay = Replay(b.lesson)
    first = b.train(WARMUP + 1, K)
    trained = b.lesson.checkpoint_state()
    _set_rng_states(sources, rng)               # before the load: what a load restarts draws the same numbers
    state, _ = load_checkpoint(path, lesson_id)
    b.lesson.load_checkpoint_state(state)
    assert not _same_state(state, b.lesson.checkpoint_state()), "the loaded state does not read back as saved"
    replay.replay()
    again = b.train(WARMUP + 1, K)
    assert again == first, f"after reloading:\n{again}\nthe first time:\n{first}"
    assert not _same_state(trained, b.lesson.checkpoint_state())


# ---- 4. through the file -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson_id, engine, settings", CASES)
def test_the_file_round_trip_and_another_lessons_file(built, lesson_id, engine, settings, tmp_path):
    b = built(lesson_id, engine, settings)
    b.train(1, 1)
    good = b.lesson.checkpoint_state()
    path = tmp_path / "a.npz"
    save_checkpoint(path, lesson_id, good, {"step": 1})
    state, meta = load_checkpoint(path, lesson_id)
    assert meta == {"step": 1}
    assert list(state) == list(good) and not _same_state(good, state)
    other = next(k for k in registry.infos() if k != lesson_id)
    save_checkpoint(path, other, good)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, lesson_id)
    assert other in str(e.value) and lesson_id in str(e.value)
    _plain_message(str(e.value))
