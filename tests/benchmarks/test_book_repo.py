"""--book-repo: the benchmarks import the book's code from the folder given, and say so when it is not given.

The "checkout" here is a FAKE written by this test into tmp_path: stand-in modules with the book repository's
module and class names (github.com/oreilly-japan/deep-learning-from-scratch-2 layout) that do trivial work and
log their calls.  None of the book's code is in this repository.
"""
import sys
import textwrap

import numpy as np
import pytest

from benchmarks import bench_lm, bench_seq2seq, bench_time_layers, bench_word2vec
from benchmarks.book_repo import BookRepoError, import_book, not_timed_message

STUB = "# A stand-in written by tests/benchmarks/test_book_repo.py, not the book's code.\n"

FAKE_BOOK = {
    "common/config.py": "GPU = False\nCALLS = []\n",
    "common/np.py": "import numpy as np\nfrom common.config import GPU\n",
    "common/optimizer.py": """
        import sys
        sys.path.append('..')
        from common.config import CALLS
        class SGD:
            def __init__(self, lr=0.01):
                self.lr = lr
            def update(self, params, grads):
                CALLS.append("SGD.update")
        class Adam(SGD):
            def update(self, params, grads):
                CALLS.append("Adam.update")
        """,
    "common/trainer.py": """
        import matplotlib.pyplot as plt
        import numpy as np
        from common.config import CALLS
        def remove_duplicate(params, grads):
            CALLS.append("remove_duplicate")
            return params, grads
        class RnnlmTrainer:
            def __init__(self, model, optimizer):
                self.model, self.optimizer, self.time_idx = model, optimizer, None
            def get_batch(self, x, t, batch_size, time_size):
                CALLS.append("get_batch")
                self.time_idx += time_size
                return np.zeros((batch_size, time_size), 'i'), np.zeros((batch_size, time_size), 'i')
        """,
    "common/util.py": """
        from common.config import CALLS
        def clip_grads(grads, max_norm):
            CALLS.append("clip_grads")
        """,
    "common/time_layers.py": """
        from common.np import *
        from common.config import CALLS
        class TimeLSTM:
            def __init__(self, Wx, Wh, b, stateful=False):
                self.params, self.H = [Wx, Wh, b], Wh.shape[0]
            def forward(self, xs):
                CALLS.append("TimeLSTM.forward")
                return np.zeros(xs.shape[:2] + (self.H,), xs.dtype)
            def backward(self, dhs):
                CALLS.append("TimeLSTM.backward")
                return dhs
        """,
    "ch04/negative_sampling_layer.py": """
        from common.np import *
        from common.config import CALLS
        class UnigramSampler:
            def __init__(self, corpus, power, sample_size):
                self.sample_size, self.vocab_size = sample_size, len(set(corpus.tolist()))
                self.word_p = np.full(self.vocab_size, 1 / self.vocab_size)
            def get_negative_sample(self, target):
                CALLS.append("get_negative_sample")
                return np.zeros((len(target), self.sample_size), np.int32)
        """,
    "ch04/cbow.py": """
        from common.np import *
        from common.config import CALLS
        from ch04.negative_sampling_layer import UnigramSampler
        class CBOW:
            def __init__(self, vocab_size, hidden_size, window_size, corpus):
                self.sampler = UnigramSampler(corpus, 0.75, 5)
                self.params, self.grads = [np.zeros((vocab_size, hidden_size), 'f')], [None]
            def forward(self, contexts, target):
                CALLS.append("CBOW.forward")
                return 0.0
            def backward(self, dout=1):
                CALLS.append("CBOW.backward")
        """,
    "ch06/rnnlm.py": """
        from common.config import CALLS
        class Rnnlm:
            def __init__(self, vocab_size=10000, wordvec_size=100, hidden_size=100):
                self.params, self.grads = [], []
            def forward(self, xs, ts):
                CALLS.append("Rnnlm.forward")
                return 1.0
            def backward(self, dout=1):
                CALLS.append("Rnnlm.backward")
        """,
    "ch07/seq2seq.py": """
        from common.config import CALLS
        class Seq2seq:
            def __init__(self, vocab_size, wordvec_size, hidden_size):
                self.params, self.grads = [], []
            def forward(self, xs, ts):
                CALLS.append(type(self).__name__ + ".forward")
                return 2.0
            def backward(self, dout=1):
                CALLS.append(type(self).__name__ + ".backward")
        """,
    # as in the book's layout, the peeky model imports its base from the chapter folder
    "ch07/peeky_seq2seq.py": """
        from seq2seq import Seq2seq
        class PeekySeq2seq(Seq2seq):
            pass
        """,
}


def write_fake_book(root):
    """The fake checkout at ``root`` (returned)."""
    for path, text in FAKE_BOOK.items():
        file = root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(STUB + textwrap.dedent(text))
    return root


@pytest.fixture
def fake_book(tmp_path):
    return write_fake_book(tmp_path / "deep-learning-from-scratch-2")


def calls():
    return sys.modules["common.config"].CALLS


def test_modules_come_from_the_folder_given(tmp_path, fake_book):
    optimizer, peeky = import_book(fake_book, "common.optimizer", "ch07.peeky_seq2seq")
    assert optimizer.__file__.startswith(str(fake_book))
    assert peeky.PeekySeq2seq.__mro__[1].__name__ == "Seq2seq"
    assert str(fake_book) not in sys.path                   # the path is restored after the import
    other = write_fake_book(tmp_path / "another_checkout")
    optimizer2, = import_book(other, "common.optimizer")
    assert optimizer2.__file__.startswith(str(other))       # not the module cached from the first folder


def test_a_folder_that_is_not_a_checkout_is_refused(tmp_path, fake_book):
    with pytest.raises(BookRepoError, match="no common/ folder"):
        import_book(tmp_path, "common.optimizer")
    with pytest.raises(BookRepoError, match="ch08/attention_seq2seq.py"):
        import_book(fake_book, "ch08.attention_seq2seq")


def test_seq2seq_step_runs_the_books_iteration(fake_book):
    step = bench_seq2seq.book_seq2seq_step(fake_book, "peeky", 13, 16, 32, seed=0)
    calls().clear()
    assert step(np.zeros((4, 7), int), np.zeros((4, 5), int)) == 2.0
    assert calls() == ["PeekySeq2seq.forward", "PeekySeq2seq.backward", "remove_duplicate", "clip_grads",
                       "Adam.update"]


def test_lm_and_word2vec_runners_use_the_checkout(fake_book):
    corpus = np.arange(500) % 37
    step = bench_lm.book_runner(corpus, 37, 0, fake_book)
    calls().clear()
    step()
    assert calls() == ["get_batch", "Rnnlm.forward", "Rnnlm.backward", "remove_duplicate", "clip_grads",
                       "SGD.update"]
    calls().clear()
    assert bench_word2vec.time_book(fake_book, corpus, 2, np.random.default_rng(0)) >= 0
    assert calls().count("CBOW.forward") == 2 and calls().count("Adam.update") == 2


def test_time_layers_with_and_without_the_book(monkeypatch, capsys, fake_book):
    monkeypatch.setattr(sys, "argv", ["bench_time_layers", "--steps", "1", "--repeats", "1"])
    bench_time_layers.main()
    out = capsys.readouterr().out
    assert not_timed_message() in out and "book row-by-row" not in out

    monkeypatch.setattr(sys, "argv", ["bench_time_layers", "--steps", "1", "--repeats", "1",
                                      "--book-repo", str(fake_book)])
    bench_time_layers.main()
    out = capsys.readouterr().out
    assert not_timed_message() not in out and "book row-by-row" in out
    assert {"TimeLSTM.forward", "TimeLSTM.backward", "get_negative_sample"} <= set(calls())
