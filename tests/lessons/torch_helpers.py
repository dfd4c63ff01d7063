"""What the torch lesson tests share: one torch thread per test (as the app's training process uses), and a
lesson context that records the notices and data substitutions a lesson reports."""
import pytest

from visualizer.core.lesson import LessonContext


@pytest.fixture
def one_torch_thread():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class Recorder(LessonContext):
    """A LessonContext that keeps what the lesson says: ``notices`` (messages) and ``substitutions``
    ((setting, what was used instead) pairs)."""

    def __init__(self):
        self.notices, self.substitutions = [], []

    def notice(self, message):
        self.notices.append(message)

    def substituted(self, name, used):
        self.substitutions.append((name, used))
