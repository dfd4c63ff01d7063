"""ONNX export of torch lessons' models (issue #19, part 5): each file passes onnx.checker, runs in onnxruntime and
gives PyTorch's output on the same input to 1e-5 (relative where values exceed 1); a model that cannot be exported
and a lesson without a PyTorch model get clear messages; every torch lesson is listed as exporting or not, with
the reason (``ALL_LESSONS``), and every one is exported and compared (about 2 minutes on 2 cores)."""
from __future__ import annotations


import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

import onnx  # noqa: E402

from visualizer.core import registry  # noqa: E402
from visualizer.core.lesson import LessonContext  # noqa: E402
from visualizer.torch_backend.onnx_export import (OnnxExportError, export_onnx, export_onnx_message,  # noqa: E402
                                                  pick_module)
from tests.lessons.torch_helpers import one_torch_thread  # noqa: E402,F401

TOLERANCE = 1e-5

# lesson -> (small settings, the module exported); a classifier, a GAN's generator, a VAE, self-attention
CASES = {
    "mlp_digits": ({"hidden_units": 32}, "model"),
    "dcgan": ({"width": 16, "batch_size": 16}, "G"),
    "vae": ({"hidden": 64, "batch_size": 32}, "model"),            # x, ε -> μ, log σ², logits
    "transformer": ({"n_train": 500, "d_model": 32, "n_layers": 1, "batch_size": 16}, "model"),
}

# Every lesson with a torch engine, with its default settings after one step: the module it exports, or NOT + the
# words of the error that says why not.
NOT = "not: "
NO_MODEL = NOT + "no PyTorch model to export"
ALL_LESSONS: dict[str, str] = {
    "perceptron": "model", "mlp_digits": "model", "playground": "model", "regularization": "model",
    "cnn_scratch": "model", "deep_nets": "net", "transfer_learning": "fine_tuning", "pspnet": "pspnet",
    "ssd": "model", "openpose": "model", "video": "eco", "word2vec": "model", "rnn_lm": "model",
    "seq2seq": "model", "attention": "model", "transformer": "model", "bert": "pre", "gpt": "model",
    "gan_2d": "G", "dcgan": "G", "sagan": "G", "anogan": "G",
    "vae": "model",                      # TorchVAE's training pass: x, ε -> μ, log σ², logits
    "autoencoder": "enc1",               # four separate layer modules wired by the lesson: only the first layer
    "optimizers": NO_MODEL,              # optimizers racing on a 2-D function, no network
    "precision_speed": NO_MODEL,         # float32/float16 arithmetic measured in lock step, no trained network
    "interpretability": NO_MODEL,        # explains a fixed model; nothing is trained
    "word_vectors": NO_MODEL,            # counts and an SVD
    "dqn": NO_MODEL,                     # the default grid world learns a table of Q values
    "style_transfer": NOT + "has not been called",   # trains the picture's pixels; the VGG features are fixed
}


def _build(lesson_id: str, values: dict):
    cls = registry.get(lesson_id)
    lesson = cls(cls.hyperparameters({"engine": "torch", "seed": 3, **values}), LessonContext())
    lesson.train_step(1)
    return lesson


def _run_onnx(result) -> list[np.ndarray]:
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert len(names) == len(result.inputs), (names, [a.shape for a in result.inputs])
    return session.run(None, dict(zip(names, result.inputs)))


def _assert_matches(result) -> float:
    outputs = _run_onnx(result)
    assert len(outputs) == len(result.outputs) >= 1
    worst = 0.0
    for got, want in zip(outputs, result.outputs):
        assert got.shape == want.shape
        scale = np.maximum(1.0, np.abs(want))               # absolute below 1, relative above
        worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - want) / scale)) if want.size else 0.0)
    assert worst <= TOLERANCE, worst
    return worst


@pytest.mark.parametrize("lesson_id", list(CASES))
def test_exported_models_match_pytorch_in_onnxruntime(lesson_id, tmp_path, one_torch_thread):  # noqa: F811
    values, module = CASES[lesson_id]
    lesson = _build(lesson_id, values)
    try:
        model = lesson.trainer.modules[module.partition(".")[0]]
        before = {k: v.clone() for k, v in model.state_dict().items()}
        was_training = model.training
        result = export_onnx(lesson, tmp_path / f"{lesson_id}.onnx")
        assert result.module == module and result.opset >= 17
        onnx.checker.check_model(str(result.path), full_check=True)
        assert [o.domain for o in onnx.load(str(result.path)).opset_import if o.domain in ("", "ai.onnx")]
        _assert_matches(result)
        # the export changed neither the weights nor the training mode, and training goes on
        assert model.training == was_training
        for k, v in model.state_dict().items():
            assert torch.equal(v, before[k]), k
        lesson.train_step(2)
    finally:
        lesson.close()


def test_the_message_names_the_module_and_netron(tmp_path, one_torch_thread):  # noqa: F811
    lesson = _build("dcgan", CASES["dcgan"][0])
    try:
        text = export_onnx_message(lesson, str(tmp_path / "g.onnx"))
    finally:
        lesson.close()
    assert "module 'G'" in text and "Netron" in text and str(tmp_path / "g.onnx") in text


class _Unexportable(torch.nn.Module):
    """A model whose forward uses an operator neither exporter can translate (a NumPy round trip)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)

    def forward(self, x):
        return torch.from_numpy(np.sort(self.lin(x).detach().numpy(), axis=1))


class _FakeLesson:
    def __init__(self, modules):
        from visualizer.torch_backend.trainer import TorchTrainer
        self.trainer = TorchTrainer(modules, lambda m: torch.optim.SGD(next(iter(m.values())).parameters(), lr=0.1),
                                    losses=lambda b, s: {"train_loss": torch.zeros(())}, cpu_threads=None)

    def snapshot(self):
        return {}


def test_a_model_that_cannot_be_exported_is_reported(tmp_path):
    lesson = _FakeLesson({"model": _Unexportable()})
    lesson.trainer.modules["model"](torch.ones(4, 3))
    with pytest.raises(OnnxExportError, match="module 'model' \\(_Unexportable\\) cannot be exported") as e:
        export_onnx(lesson, tmp_path / "x.onnx")
    assert "unsupported operator aten.sort" in str(e.value)        # the NumPy sort, as torch.export saw it


class _Stateful(torch.nn.Module):
    """A recurrent model that carries its hidden state from call to call (as rnn_lm's truncated BPTT does)."""

    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.GRU(3, 4, batch_first=True)
        self.state = None

    def forward(self, x):
        h, state = self.rnn(x, self.state)                       # (B, T, 4)
        self.state = state.detach()
        return h


def test_a_stateful_model_matches_and_keeps_its_state(tmp_path):
    lesson = _FakeLesson({"model": _Stateful()})
    model = lesson.trainer.modules["model"]
    x = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(0))
    model(x)
    model(x)                                                     # a carried state now
    state = model.state.clone()
    result = export_onnx(lesson, tmp_path / "s.onnx")
    _assert_matches(result)
    assert type(model.state) is torch.Tensor and torch.equal(model.state, state)   # not traced over, not advanced
    assert torch.equal(lesson.trainer.last_inputs["model"][0][0], x)


def test_the_recorded_input_holds_no_autograd_graph():
    lesson = _FakeLesson({"G": torch.nn.Linear(3, 3), "D": torch.nn.Linear(3, 1)})
    G, D = lesson.trainer.modules["G"], lesson.trainer.modules["D"]
    fake = G(torch.randn(2, 3))
    D(fake)
    (recorded,), kwargs = lesson.trainer.last_inputs["D"]
    assert fake.grad_fn is not None and recorded.grad_fn is None and not kwargs
    assert recorded.data_ptr() == fake.data_ptr()                  # a reference to the same values, not a copy
    import copy
    copy.deepcopy(D)(torch.randn(1, 3))                            # a copied module (a DQN target) records nowhere
    assert lesson.trainer.last_inputs["D"][0][0] is recorded


def test_a_model_never_called_is_reported(tmp_path):
    lesson = _FakeLesson({"model": torch.nn.Linear(3, 2)})
    with pytest.raises(OnnxExportError, match="has not been called yet"):
        export_onnx(lesson, tmp_path / "x.onnx")


def test_a_numpy_lesson_has_no_model_to_export(tmp_path):
    cls = registry.get("perceptron")
    lesson = cls(cls.hyperparameters({"engine": "numpy"}), LessonContext())
    with pytest.raises(NotImplementedError, match="switch Engine to torch"):
        export_onnx(lesson, tmp_path / "x.onnx")


def test_missing_onnxscript_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "onnxscript", None)      # import onnxscript -> ImportError
    lesson = _FakeLesson({"model": torch.nn.Linear(3, 2)})
    with pytest.raises(ImportError, match=r"deep-learning-visualizer\[onnx\]"):
        export_onnx(lesson, tmp_path / "x.onnx")


def test_the_module_chosen():
    assert pick_module({"D": 1, "G": 2}) == "G"
    assert pick_module({"target": 1, "online": 2}) == "online"
    assert pick_module({"pspnet": 1, "no_ppm": 2}) == "pspnet"
    with pytest.raises(NotImplementedError, match="this lesson has D, G"):
        pick_module({"D": 1, "G": 2}, "E")


def test_every_torch_lesson_is_listed():
    torch_lessons = {k for k, info in registry.infos().items() if "torch" in info.engines}
    assert set(ALL_LESSONS) == torch_lessons


@pytest.mark.parametrize("lesson_id", sorted(ALL_LESSONS))
def test_every_torch_lesson_exports_or_says_why(lesson_id, tmp_path, one_torch_thread):  # noqa: F811
    cls = registry.get(lesson_id)
    lesson = cls(cls.hyperparameters({"engine": "torch", "seed": 3}), LessonContext())
    lesson.train_step(1)
    try:
        expected = ALL_LESSONS[lesson_id]
        if not expected.startswith(NOT):
            result = export_onnx(lesson, tmp_path / "m.onnx")
            assert result.module == expected
            _assert_matches(result)
        else:
            with pytest.raises((OnnxExportError, NotImplementedError)) as e:
                export_onnx(lesson, tmp_path / "m.onnx")
            assert expected[len(NOT):] in str(e.value)
    finally:
        lesson.close()
