"""visualizer.torch_backend.adam: torch.optim.Adam's numbers without torch.optim, live lr through the trainer's
param-group setter, and a checkpoint of its moments that resumes the same run."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from visualizer.core.errors import LessonConfigError  # noqa: E402
from visualizer.torch_backend.adam import Adam  # noqa: E402
from visualizer.torch_backend.trainer import TorchTrainer  # noqa: E402


def _loss(w, x):
    return (x @ w).tanh().pow(2).sum()


def test_matches_torch_optim_adam():
    torch.manual_seed(0)
    w0 = torch.randn(5, 3, dtype=torch.float64)
    a, b = w0.clone().requires_grad_(True), w0.clone().requires_grad_(True)
    ours, ref = Adam([a], lr=0.01), torch.optim.Adam([b], lr=0.01)
    x = torch.randn(7, 5, dtype=torch.float64)
    for _ in range(20):
        for w, opt in ((a, ours), (b, ref)):
            opt.zero_grad()
            _loss(w, x).backward()
            opt.step()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert ours.state[0]["step"] == 20
    with pytest.raises(ValueError):
        Adam([a], lr=0.1, betas=(1.0, 0.999))


def _trainer(seed_w):
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(9))      # the same data for every trainer
    torch.manual_seed(seed_w)
    model = torch.nn.Linear(4, 2)
    return TorchTrainer(model, lambda m: Adam(m["model"].parameters(), lr=0.05),
                        losses=lambda batch, step: {"train_loss": model(x).pow(2).mean()},
                        hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})


def test_trainer_checkpoint_resumes_the_same_run_and_lr_is_live():
    a, b = _trainer(0), _trainer(1)
    for t in range(1, 6):
        a.step(None, t)
    state = a.state_dict()
    assert state["opt.main.0.exp_avg"].shape == (2, 4) and float(state["opt.main.0.step"]) == 5.0
    b.load_state_dict(state)
    for t in range(6, 9):
        a.step(None, t)
        b.step(None, t)
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k], err_msg=k)
    a.set_hyper(lr=0.5)
    assert a.optimizers["main"].param_groups[0]["lr"] == 0.5
    bad = dict(state, **{"opt.main.0.exp_avg": np.zeros((3, 3), np.float32)})
    with pytest.raises(LessonConfigError, match="exp_avg"):
        b.load_state_dict(bad)
