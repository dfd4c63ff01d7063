"""DQN update math on tiny cases: Double DQN vs plain targets, Huber vs MSE gradients, target sync, ε schedule;
REINFORCE returns-to-go and the baseline."""
import numpy as np
import pytest
import torch
from torch import nn

from visualizer.models.dqn_torch import (QNetConfig, dqn_losses, linear_epsilon, seeded_qnet, sync_target,
                                         td_targets)
from visualizer.models.reinforce_torch import (PolicyConfig, PolicyNetwork, ValueNetwork, reinforce_losses,
                                               returns_to_go, seeded)


class Table(nn.Module):
    """A 'network' that looks its Q-values up by the state's first coordinate (an integer id)."""

    def __init__(self, q):
        super().__init__()
        self.q = nn.Parameter(torch.tensor(q, dtype=torch.float32))

    def forward(self, s):
        return self.q[s[:, 0].long()]


def test_double_dqn_target_uses_the_online_argmax_and_the_target_value():
    r = torch.tensor([1.0, 1.0])
    done = torch.tensor([0.0, 1.0])
    nq_target = torch.tensor([[2.0, 5.0], [7.0, 3.0]])
    nq_online = torch.tensor([[4.0, 1.0], [0.0, 9.0]])
    plain = td_targets(r, done, nq_target, None, 0.5)
    double = td_targets(r, done, nq_target, nq_online, 0.5)
    assert plain.tolist() == [1 + 0.5 * 5.0, 1.0]          # max of the target net; done: no bootstrap
    assert double.tolist() == [1 + 0.5 * 2.0, 1.0]         # online picks action 0, the target values it at 2


def batch_of():
    return {"states": torch.tensor([[0.0], [1.0]]), "actions": torch.tensor([0, 1]),
            "rewards": torch.tensor([0.0, 0.0]), "next_states": torch.tensor([[2.0], [2.0]]),
            "dones": torch.tensor([1.0, 1.0])}


@pytest.mark.parametrize("huber", [True, False])
def test_huber_clips_the_gradient_of_large_td_errors_mse_does_not(huber):
    online = Table([[3.0, 0.0], [0.0, 0.5], [0.0, 0.0]])      # δ = 3 (large) and 0.5 (small); targets are 0
    target = Table([[0.0, 0.0]] * 3)
    out = dqn_losses(online, target, batch_of(), gamma=0.9, double=False, huber=huber)
    out["loss"].backward()
    g = online.q.grad
    # mean over B = 2: dL/dq = δ/2 (MSE, ½δ²) or clip(δ, −1, 1)/2 (Huber)
    assert g[0, 0].item() == pytest.approx(0.5 if huber else 1.5)
    assert g[1, 1].item() == pytest.approx(0.25)
    assert g[0, 1].item() == 0 and g[2].abs().sum().item() == 0
    assert out["td_error"].item() == pytest.approx(1.75)
    assert target.q.grad is None                                 # the target network gets no gradient


def test_sync_copies_online_weights_into_the_target():
    a, b = seeded_qnet(QNetConfig(hidden=(8,)), 0), seeded_qnet(QNetConfig(hidden=(8,)), 1)
    assert not torch.equal(a.net[0].weight, b.net[0].weight)
    sync_target(a, b)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    a.net[0].weight.data += 1                                    # a copy, not shared storage
    assert not torch.equal(a.net[0].weight, b.net[0].weight)


def test_linear_epsilon_schedule():
    assert linear_epsilon(0, 1.0, 0.1, 100) == 1.0
    assert linear_epsilon(50, 1.0, 0.1, 100) == pytest.approx(0.55)
    assert linear_epsilon(100, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert linear_epsilon(10_000, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert linear_epsilon(5, 0.3, 0.3, 0) == 0.3
    with pytest.raises(ValueError, match="above its start"):
        linear_epsilon(0, 0.1, 0.5, 100)


def test_returns_to_go():
    np.testing.assert_allclose(returns_to_go(np.array([1.0, 1.0, 1.0]), 0.5), [1.75, 1.5, 1.0])
    np.testing.assert_allclose(returns_to_go(np.array([0.0, 0.0, 2.0]), 1.0), [2.0, 2.0, 2.0])
    assert returns_to_go(np.zeros(0), 0.9).shape == (0,)


def test_reinforce_policy_gradient_and_baseline():
    cfg = PolicyConfig(obs_dim=2, n_actions=2, hidden=(4,))
    policy, value = seeded(PolicyNetwork, cfg, 0), seeded(ValueNetwork, cfg, 0)
    s = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    a = torch.tensor([0, 1, 1, 0, 1])
    g = torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0])
    gamma = 0.9
    out = reinforce_losses(policy, None, s, a, g, gamma)
    logp = torch.log_softmax(policy(s), 1).gather(1, a[:, None]).squeeze(1)
    assert out["policy_loss"].item() == pytest.approx(-(g * logp).mean().item(), rel=1e-6)
    assert out["value_loss"].item() == 0
    out_b = reinforce_losses(policy, value, s, a, g, gamma)
    b = value(s).detach() * 10                                   # in return units: 1/(1 − γ) = 10
    assert out_b["policy_loss"].item() == pytest.approx(-((g - b) * logp).mean().item(), rel=1e-5)
    assert out_b["value_loss"].item() == pytest.approx((0.5 * (b / 10 - g / 10) ** 2).mean().item(), rel=1e-5)
    out_b["policy_loss"].backward()
    assert all(p.grad is None for p in value.parameters())       # the baseline is detached in the policy loss
