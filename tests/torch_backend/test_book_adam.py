"""The book's Adam in torch equals the scratch one, and continues with the right ε after a checkpoint."""
import numpy as np
import pytest

from visualizer.scratch.book_adam import BookAdam as NumpyBookAdam, book_adam_eps

torch = pytest.importorskip("torch")
from visualizer.torch_backend.book_adam import BookAdam  # noqa: E402


def _gradients(seed, steps):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(50) * np.logspace(-9, -1, 50)).astype(np.float32) for _ in range(steps)]


def test_torch_book_adam_equals_the_scratch_one_and_resumes_from_a_checkpoint():
    w0 = np.random.default_rng(1).standard_normal(50).astype(np.float32)
    w, g = w0.copy(), np.zeros_like(w0)
    ref = NumpyBookAdam([w], [g], lr=1e-3)
    p = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = BookAdam([p], lr=1e-3)
    grads = _gradients(2, 30)
    for t, gt in enumerate(grads[:20], start=1):
        g[...] = gt
        ref.step()
        p.grad = torch.from_numpy(gt.copy())
        opt.step()
        assert opt.param_groups[0]["eps"] == pytest.approx(book_adam_eps(t))
    np.testing.assert_allclose(p.detach().numpy(), w, atol=1e-7, rtol=0)
    # a fresh optimizer loaded from the state continues at step 21 with step 21's ε
    q = torch.nn.Parameter(p.detach().clone())
    resumed = BookAdam([q], lr=1e-3)
    resumed.load_state_dict(opt.state_dict())
    for gt in grads[20:]:
        g[...] = gt
        ref.step()
        q.grad = torch.from_numpy(gt.copy())
        resumed.step()
    assert resumed.param_groups[0]["eps"] == pytest.approx(book_adam_eps(30))
    np.testing.assert_allclose(q.detach().numpy(), w, atol=1e-7, rtol=0)
