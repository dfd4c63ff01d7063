"""The small GPT (visualizer.models.gpt_torch): shapes, causality, weight tying, sampling with a temperature and
top-k, greedy decoding, the context cropped to the block size."""
import pytest

torch = pytest.importorskip("torch")

from visualizer.models.gpt_torch import GPT, GPTConfig, sampling_probs
from visualizer.models.transformer_torch import record_attention


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def tiny(**kw):
    torch.manual_seed(0)
    cfg = dict(vocab_size=11, block_size=8, n_layers=2, n_heads=2, d_model=16, dropout=0.0) | kw
    return GPT(GPTConfig(**cfg)).eval()


def test_shapes_and_loss():
    m = tiny()
    ids = torch.randint(0, 11, (3, 8))
    logits, loss = m(ids, ids)
    assert logits.shape == (3, 8, 11) and loss.ndim == 0
    assert abs(float(loss.detach()) - torch.log(torch.tensor(11.0)).item()) < 0.3      # near uniform at initialisation
    assert m(ids)[1] is None
    with pytest.raises(ValueError, match="block size"):
        m(torch.zeros(1, 9, dtype=torch.long))


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="multiple"):
        GPTConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError):
        GPTConfig(block_size=0)
    with pytest.raises(ValueError):
        GPTConfig(dropout=1.0)


@pytest.mark.parametrize("recording", [False, True])
def test_changing_a_future_token_never_changes_earlier_logits(recording):
    m = tiny()
    ids = torch.randint(0, 11, (2, 8), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[:, 5] = (changed[:, 5] + 1) % 11
    with torch.no_grad():
        if recording:
            with record_attention(m):
                a, b = m(ids)[0], m(changed)[0]
        else:
            a, b = m(ids)[0], m(changed)[0]
    assert torch.equal(a[:, :5], b[:, :5]) or torch.allclose(a[:, :5], b[:, :5], atol=1e-6)
    assert not torch.allclose(a[:, 5:], b[:, 5:])               # the changed position and later ones do change


def test_attention_of_a_decoder_has_an_empty_upper_triangle():
    m = tiny()
    with torch.no_grad(), record_attention(m) as rec:
        m(torch.randint(0, 11, (1, 6)))
    w = rec.weights                                              # (L, B, H, T, T)
    assert w.shape == (2, 1, 2, 6, 6)
    assert float(w.triu(1).abs().max()) == 0.0
    assert torch.allclose(w.sum(-1), torch.ones(2, 1, 2, 6))


def test_the_head_is_tied_to_the_token_embedding():
    m = tiny()
    assert m.head.weight is m.tok_emb.weight
    n_unique = sum(p.numel() for p in m.parameters())
    assert n_unique == sum(p.numel() for n, p in m.named_parameters(remove_duplicate=False)) - 11 * 16
    ids = torch.randint(0, 11, (2, 8))
    m.train()
    m(ids, ids)[1].backward()
    assert m.tok_emb.weight.grad is not None and float(m.tok_emb.weight.grad.abs().sum()) > 0
    with torch.no_grad():
        m.tok_emb.weight[3] += 1.0                               # one matrix: the head's row moves too
    assert torch.equal(m.head.weight[3], m.tok_emb.weight[3])


def test_param_groups_decay_matrices_only_and_hold_each_parameter_once():
    m = tiny()
    decay, no_decay = m.param_groups(0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() < 2 for p in no_decay["params"])
    ids = [id(p) for g in (decay, no_decay) for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(m.parameters()))


def test_sampling_probs_temperature_and_top_k():
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    greedy = sampling_probs(logits, 0.0)
    assert greedy.tolist() == [[0.0, 1.0, 0.0, 0.0]]
    top2 = sampling_probs(logits, 1.0, 2)
    assert top2[0, 0] == 0 and top2[0, 3] == 0 and torch.isclose(top2.sum(), torch.tensor(1.0))
    assert torch.allclose(sampling_probs(logits, 1.0, 99), torch.softmax(logits, -1))    # k >= V: all
    hot, cold = sampling_probs(logits, 2.0), sampling_probs(logits, 0.5)
    assert hot.max() < torch.softmax(logits, -1).max() < cold.max()
    with pytest.raises(ValueError):
        sampling_probs(logits, -1.0)
    with pytest.raises(ValueError):
        sampling_probs(logits, 1.0, -2)


def test_generate_top_k_1_is_greedy_and_crops_the_context():
    m = tiny()
    m.train()
    start = torch.tensor([[1, 2, 3]])
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    a = m.generate(start, 20, 1.0, top_k=1, generator=g1)          # 23 tokens > block 8: cropped as it goes
    b = m.generate(start, 20, 0.0, generator=g2)
    assert a.shape == (1, 23) and torch.equal(a, b) and torch.equal(a[:, :3], start)
    assert m.training                                             # the mode is restored
    ids = start
    with torch.no_grad():
        for _ in range(20):                                        # greedy by hand, the last 8 tokens each time
            nxt = m.eval()(ids[:, -8:])[0][:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt], 1)
    assert torch.equal(a, ids)


def test_generate_is_reproducible_with_a_generator_and_varies_without_top_k_1():
    m = tiny()
    start = torch.tensor([[0]])
    a = m.generate(start, 30, 1.5, generator=torch.Generator().manual_seed(5))
    b = m.generate(start, 30, 1.5, generator=torch.Generator().manual_seed(5))
    c = m.generate(start, 30, 1.5, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    with pytest.raises(ValueError, match="empty"):
        m.generate(torch.zeros(1, 0, dtype=torch.long), 3)
