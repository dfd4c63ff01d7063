"""AnoGAN lesson: loss formulas, the latent search lowers the score, anomalies score higher under a G that
draws only the normal class, precision/recall at a threshold, and the lesson builds, trains and scores."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.anogan.lesson import LESSON  # noqa: E402
from lessons.anogan.detection import precision_recall_f1, roc_auc  # noqa: E402
from lessons.anogan.latent_search import (LatentSearch, anomaly_score, discrimination_loss,  # noqa: E402
                                          residual_loss)
from lessons.anogan.net_torch import Discriminator  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_loss_formulas():
    x = torch.zeros(2, 1, 2, 2)
    gx = torch.tensor([[[[1.0, -1.0], [0.0, 2.0]]], [[[0.5, 0.5], [0.5, 0.5]]]])
    assert torch.allclose(residual_loss(x, gx), torch.tensor([1.0, 0.5]))
    fx, fgx = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 4.0]])
    assert torch.allclose(discrimination_loss(fx, fgx), torch.tensor([1.5]))
    assert float(anomaly_score(torch.tensor(2.0), torch.tensor(10.0), 0.1)) == pytest.approx(0.9 * 2 + 0.1 * 10)


def test_precision_recall_at_threshold():
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.25])
    anomaly = np.array([False, False, True, True, True, False])
    p, r, f1 = precision_recall_f1(scores, anomaly, 0.22)       # flags 0.3, 0.6, 0.7, 0.25
    assert (p, r) == (pytest.approx(3 / 4), pytest.approx(1.0))
    assert f1 == pytest.approx(2 * 0.75 / 1.75)
    assert roc_auc(scores, anomaly) == pytest.approx(1.0)
    assert roc_auc(-scores, anomaly) == pytest.approx(0.0)


class OnlyZerosG(torch.nn.Module):
    """A constructed generator that can draw only one image (a ring), scaled by z₀: everything else is anomalous."""

    z_dim = 4

    def __init__(self):
        super().__init__()
        yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
        r = ((yy - 7.5) ** 2 + (xx - 7.5) ** 2).sqrt()
        self.register_buffer("ring", ((r - 5).abs() < 1.5).float() * 2 - 1)

    def forward(self, z):
        return torch.tanh(z[:, :1, None, None] + 1.0) * self.ring[None, None]


def test_search_lowers_the_score_and_anomalies_score_higher():
    torch.manual_seed(0)
    G, D = OnlyZerosG(), Discriminator(8).eval()
    ring = G.ring[None, None]
    bar = -torch.ones(1, 1, 16, 16)
    bar[..., 3:13, 7:9] = 1.0                                    # a "1"
    x = torch.cat([ring, ring * 0.9, bar, bar.transpose(2, 3)])
    gen = torch.Generator().manual_seed(0)
    search = LatentSearch(G, D, x, 0.1, 0.1, gen)
    first = search.step()[2]
    for _ in range(60):
        last = search.step()[2]
    assert (last <= first + 1e-6).all() and last[0] < 0.5 * first[0]
    assert last[2:].min() > last[:2].max()                       # anomalies score higher than normal images


def test_lesson_trains_searches_and_scores(monkeypatch):
    monkeypatch.setattr("lessons.anogan.lesson.SCORE_CHUNK", 10)
    lesson = LESSON(LESSON.hyperparameters({"channels": 8, "batch_size": 8, "search_steps": 10}))
    for step in range(1, 13):
        lesson.train_step(step)
        out = lesson.flush()
    assert np.isfinite(out["d_loss"]) and "query_score" in out
    assert set(out) == {"d_loss", "g_loss", "d_real", "d_fake", "query_score"}
    curve = lesson.snapshot()["search_curve"]
    assert curve.score[-1] < curve.score[0]                      # the search lowered the score
    search = lesson.snapshot()["search"]                          # each picture says what it is
    assert [c.split(" / ")[0] for c in search.captions] == ["query x, #" + str(lesson.hp["test_index"]), "G(z)",
                                                          "residual |x − G(z)|"]
    lesson.set_live("score_test_set", True)
    lesson.train_step(13)
    out = lesson.flush()
    assert "auc" in out and 0.0 <= out["auc"] <= 1.0
    h = lesson.snapshot()["histograms"]
    assert len(h.normal) == 30 and len(h.anomalous) == 70
    lesson.set_live("threshold", float(np.median(np.concatenate([h.normal, h.anomalous]))))
    h2 = lesson.snapshot()["histograms"]
    scores = np.concatenate([h2.normal, h2.anomalous])
    truth = np.r_[np.zeros(30, bool), np.ones(70, bool)]
    assert (h2.precision, h2.recall) == precision_recall_f1(scores, truth, h2.threshold)[:2]
    lesson.load_checkpoint_state(lesson.checkpoint_state())


def test_pauses_once_when_the_discriminator_wins_and_learning_rates_are_live():
    from visualizer.core.lesson import LessonContext

    class Recorder(LessonContext):
        pauses = []

        def request_pause(self, message):
            self.pauses.append(message)

    ctx = Recorder()
    lesson = LESSON(LESSON.hyperparameters({"channels": 8, "batch_size": 8}), ctx)
    lesson.trainer.flush = lambda: {"d_loss": 0.001, "g_loss": 7.0, "d_real": 0.999, "d_fake": 0.001}
    for step in range(1, 320):
        lesson.last_step = step
        lesson.flush()
    assert len(ctx.pauses) == 1 and "discriminator wins" in ctx.pauses[0]
    lesson.set_live("lr_d", 1e-3)
    assert lesson.trainer.optimizers["D"].param_groups[0]["lr"] == 1e-3
