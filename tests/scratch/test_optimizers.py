"""Every optimizer against torch.optim on the same parameters and gradients, with hyperparameters
changed mid-run (learning rate; momentum, including to 0 and back, as a param group would)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from visualizer.scratch.optimizers import OPTIMIZERS, Momentum, SGD, make_optimizer

TOL = {np.float32: (1e-5, 1e-7), np.float64: (1e-12, 1e-15)}


def torch_optimizer(name, params, lr, momentum):
    return {
        "sgd": lambda: torch.optim.SGD(params, lr=lr),
        "momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=momentum),
        "nesterov": lambda: torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=lr),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr),
        "adam": lambda: torch.optim.Adam(params, lr=lr),
    }[name]()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_matches_torch_optim(name, dtype):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)]
    grads = [np.zeros_like(p) for p in params]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    opt = make_optimizer(name, params, grads, lr=0.05, momentum=0.9)
    topt = torch_optimizer(name, tparams, lr=0.05, momentum=0.9)
    schedule = {3: {"lr": 0.2}, 5: {"lr": 0.01, "momentum": 0.5}, 7: {"momentum": 0.0}, 9: {"momentum": 0.8}}
    for step in range(12):
        for key, value in schedule.get(step, {}).items():
            if key == "momentum" and name not in ("momentum", "nesterov"):
                continue
            setattr(opt, key, value)
            for group in topt.param_groups:
                group[key] = value
        for g, tp in zip(grads, tparams):
            g[...] = rng.normal(size=g.shape)
            tp.grad = torch.tensor(g.copy())
        opt.step()
        topt.step()
        rtol, atol = TOL[dtype]
        for p, tp in zip(params, tparams):
            assert p.dtype == dtype
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"step {step}")


def test_optimizer_updates_in_place_and_validates():
    w = np.ones(3, dtype=np.float32)
    g = np.full(3, 2.0, dtype=np.float32)
    ref = w
    SGD([w], [g], lr=0.5).step()
    assert ref is w and np.allclose(w, 0.0)
    with pytest.raises(ValueError, match="learning rate"):
        SGD([w], [g], lr=0.0)
    opt = SGD([w], [g], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = float("nan")
    with pytest.raises(ValueError, match="momentum"):
        Momentum([w], [g], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="parallel lists"):
        SGD([w], [g, g], lr=0.1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("lbfgs", [w], [g], 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_adam_matches_torch_sparse_adam(dtype):
    """Lazy Adam: only the looked-up rows move, as torch.optim.SparseAdam with nn.Embedding(sparse=True)
    gradients; rows given explicitly (with duplicates) or found from the non-zero gradient rows."""
    from visualizer.scratch.optimizers import SparseAdam

    rng = np.random.default_rng(3)
    V, H = 12, 4
    W = rng.normal(size=(V, H)).astype(dtype)
    G = np.zeros_like(W)
    opt = SparseAdam([W], [G], lr=0.05)
    tW = torch.tensor(W.copy(), requires_grad=True)
    topt = torch.optim.SparseAdam([tW], lr=0.05)
    untouched = np.ones(V, bool)
    for step in range(10):
        if step == 6:
            opt.lr = 0.01
            topt.param_groups[0]["lr"] = 0.01
        ids = rng.integers(0, V - 2, size=7)                  # the last two rows are never looked up
        dout = rng.normal(size=(7, H)).astype(dtype)
        G[...] = 0
        np.add.at(G, ids, dout)
        opt.step([ids] if step % 2 else None)
        topt.zero_grad()
        (torch.nn.functional.embedding(torch.tensor(ids), tW, sparse=True) * torch.tensor(dout)).sum().backward()
        topt.step()
        untouched[ids] = False
        rtol, atol = TOL[dtype]
        np.testing.assert_allclose(W, tW.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"step {step}")
    assert untouched[-2:].all() and np.array_equal(W[-2:], tW.detach().numpy()[-2:])
    with pytest.raises(ValueError, match="one rows array"):
        opt.step([])
    with pytest.raises(ValueError, match=r"\[0, 11\]"):
        opt.step([np.array([V])])
