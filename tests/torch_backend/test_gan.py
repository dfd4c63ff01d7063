"""visualizer.torch_backend.gan: a D phase then a G phase, each stepping its own Adam; live learning rates and β₁;
the recorded gradient norm is the norm of the gradient the optimizer steps with."""
import pytest

torch = pytest.importorskip("torch")

from visualizer.torch_backend.gan import gan_trainer, record_grad_norm  # noqa: E402


def _trainer(**kw):
    torch.manual_seed(0)
    G, D = torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)
    seen = {}

    def d_losses(batch, step):
        fake = G(torch.randn(4, 2))
        seen["d_before"] = D.weight.detach().clone()
        return {"d_loss": D(fake.detach()).mean(), "d_real": D(torch.ones(4, 3)).detach().mean()}

    def g_losses(batch, step):
        seen["d_after"] = D.weight.detach().clone()
        return {"g_loss": -D(G(torch.randn(4, 2))).mean()}

    return gan_trainer(G, D, d_losses, g_losses, lr_g=0.1, lr_d=0.2, betas=(0.5, 0.9), **kw), seen


def test_d_phase_then_g_phase_each_with_its_own_adam():
    tr, seen = _trainer()
    g0 = tr.modules["G"].weight.detach().clone()
    tr.step(None, 1)
    assert not torch.equal(seen["d_before"], seen["d_after"])          # D stepped before G's phase
    assert not torch.equal(g0, tr.modules["G"].weight)
    assert set(tr.optimizers) == {"G", "D"} and tr.optimizers["D"].param_groups[0]["lr"] == 0.2
    assert set(tr.flush()) == {"d_loss", "d_real", "g_loss"}


def test_live_learning_rates_and_beta1():
    tr, _ = _trainer(lr_names=("g_lr", "d_lr"), beta1_name="beta1")
    assert tr.hyper_names == {"g_lr", "d_lr", "beta1"}
    tr.set_hyper(g_lr=0.01, beta1=0.7)
    g, d = tr.optimizers["G"].param_groups[0], tr.optimizers["D"].param_groups[0]
    assert g["lr"] == 0.01 and d["lr"] == 0.2
    assert g["betas"] == (0.7, 0.9) and d["betas"] == (0.7, 0.9)


def test_recorded_gradient_norm_is_the_norm_the_optimizer_steps_with():
    tr, _ = _trainer()
    record_grad_norm(tr, "G", "g_grad_norm")
    grads = {}
    tr.optimizers["G"].register_step_post_hook(
        lambda opt, a, k: grads.update(g=[p.grad.clone() for p in tr.modules["G"].parameters()]))
    tr.step(None, 1)
    expected = torch.sqrt(sum((g ** 2).sum() for g in grads["g"]))
    assert tr.flush()["g_grad_norm"] == pytest.approx(float(expected), rel=1e-6)
