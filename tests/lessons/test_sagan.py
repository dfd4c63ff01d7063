"""SAGAN lesson: attention rows sum to 1, γ starts at 0, spectral norm keeps σ ≈ 1, the hinge loss formula,
CUDA absent -> LessonConfigError, and the lesson builds, trains and snapshots."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.sagan.lesson import LESSON  # noqa: E402
from lessons.sagan.lesson import pixel_to_position  # noqa: E402
from visualizer.core.lesson import LessonConfigError, LessonContext  # noqa: E402
from visualizer.models.sagan_torch import (Discriminator, Generator, SaganConfig, SelfAttention,  # noqa: E402
                                           hinge_d_loss, hinge_g_loss, singular_values)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_attention_rows_sum_to_one_and_gamma_starts_at_zero():
    torch.manual_seed(0)
    layer = SelfAttention(16).eval()               # eval: spectral norm's power iteration stays put
    x = torch.randn(3, 16, 8, 8)
    beta = layer.attention_map(x)
    assert beta.shape == (3, 64, 64)
    assert torch.allclose(beta.sum(-1), torch.ones(3, 64), atol=1e-5)
    assert float(layer.gamma.detach()) == 0.0
    assert torch.equal(layer(x), x)                 # γ = 0: the layer is the identity at first
    with torch.no_grad():
        layer.gamma.fill_(0.5)
    y = layer(x)
    v = layer.value(x).view(3, 16, 64)
    expected = 0.5 * torch.bmm(v, beta.transpose(1, 2)).view(3, 16, 8, 8) + x
    assert torch.allclose(y, expected, atol=1e-5)


def test_spectral_norm_keeps_sigma_near_one():
    torch.manual_seed(0)
    for net in (Discriminator(SaganConfig(sn=True)), Generator(SaganConfig(sn=True))):
        with torch.no_grad():
            for _ in range(30):                      # power iterations converge in training mode
                net(torch.randn(4, 1, 16, 16)) if isinstance(net, Discriminator) else net(torch.randn(4, 20))
        net.eval()
        raw, applied = singular_values(net)
        assert torch.allclose(applied, torch.ones_like(applied), atol=0.05), applied
        assert not torch.allclose(raw, torch.ones_like(raw), atol=0.05)
    raw, applied = singular_values(Discriminator(SaganConfig(sn=False)))
    assert torch.allclose(raw, applied)


def test_hinge_loss_formula():
    d_real = torch.tensor([2.0, 0.5, -1.0])
    d_fake = torch.tensor([-2.0, 0.0, 1.0])
    # relu(1 - real) = [0, 0.5, 2] -> 2.5/3 ; relu(1 + fake) = [0, 1, 2] -> 1
    assert float(hinge_d_loss(d_real, d_fake)) == pytest.approx(2.5 / 3 + 1.0)
    assert float(hinge_g_loss(d_fake)) == pytest.approx(1.0 / 3)


def test_pixel_to_position():
    assert pixel_to_position(0) == 0
    assert pixel_to_position(17) == 0               # (1, 1) lies in the first 2×2 block
    assert pixel_to_position(15 * 16 + 15) == 63
    assert pixel_to_position(2 * 16 + 5) == 1 * 8 + 2


def test_cuda_absent_is_a_config_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(LessonConfigError, match="CUDA"):
        LESSON(LESSON.hyperparameters({"device": "cuda", "channels": 8}))


def test_lesson_trains_and_snapshots():
    lesson = LESSON(LESSON.hyperparameters({"channels": 8, "batch_size": 8}))
    for step in range(1, 11):
        lesson.train_step(step)
        out = lesson.flush()
    assert np.isfinite(out["d_loss"]) and "gamma_G8" in out and "sigma_D1" in out
    assert set(out) >= {"d_loss", "g_loss", "d_real", "d_fake"} and "diversity" not in out
    lesson.set_live("attention_pixel", 3 * 16 + 4)
    lesson.set_live("attention_sample", 5)
    snap = lesson.snapshot()
    att = snap["attention"]
    assert att.sample == 5 and att.pixel == 52 and att.attention.shape == (8, 8)
    assert att.attention.sum() == pytest.approx(1.0, abs=1e-4)
    assert snap["samples"].images.shape == (16, 16, 16)
    state = lesson.checkpoint_state()
    lesson.load_checkpoint_state(state)
    with pytest.raises(LessonConfigError):
        lesson.load_checkpoint_state({k: v for k, v in list(state.items())[1:]})


class Recorder(LessonContext):
    def __init__(self):
        self.pauses = []

    def request_pause(self, message):
        self.pauses.append(message)


def test_health_pauses_once_when_d_wins_after_warmup_and_patience():
    ctx = Recorder()
    lesson = LESSON(LESSON.hyperparameters({"channels": 8, "batch_size": 8}), ctx)
    lesson.trainer.flush = lambda: {"d_loss": 0.01, "g_loss": 3.0, "d_real": 3.0, "d_fake": -3.0, "diversity": 1.0}
    for step in range(10, 300, 10):                              # warm-up: no verdict
        lesson.last_step = step
        lesson.flush()
    assert not ctx.pauses
    for step in range(300, 400, 10):
        lesson.last_step = step
        assert "diversity" not in lesson.flush()
    assert len(ctx.pauses) == 1 and "discriminator wins" in ctx.pauses[0]    # fired at the fifth, once


def test_health_pauses_on_mode_collapse():
    ctx = Recorder()
    lesson = LESSON(LESSON.hyperparameters({"channels": 8, "batch_size": 8}), ctx)
    lesson.trainer.flush = lambda: {"d_loss": 1.0, "g_loss": 1.0, "d_real": 0.0, "d_fake": 0.0, "diversity": 0.05}
    for step in range(300, 350, 10):
        lesson.last_step = step
        lesson.flush()
    assert len(ctx.pauses) == 1 and "Mode collapse" in ctx.pauses[0]
