"""VGG weights: torchvision's key naming at reduced width, the hub-cache path (a tiny state dict saved where
torchvision keeps its file, under $TORCH_HOME in tmp_path), damaged files refused with the model unchanged,
downloads from a loopback server (complete, broken off halfway, wrong checksum, offline), and one forward and
backward step of the full 224 px torchvision VGG-16 on the CPU."""
import contextlib
import hashlib
import http.server
import threading

import numpy as np
import pytest
import torch

from visualizer.data import vgg_weights as vw
from visualizer.data.download import DownloadError

TORCHVISION_VGG16_KEYS = ([f"features.{i}.{p}" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
                           for p in ("weight", "bias")]
                          + [f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")])


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def tiny_state(seed=0):
    """A reduced-width VGG-16 state dict in torchvision's naming: 1/16 of the channels, hidden 32, 5 classes."""
    torch.manual_seed(seed)
    return {k: v.clone() for k, v in vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5).state_dict().items()}


def params(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_build_vgg_has_torchvision_keys_and_shapes():
    import torchvision

    with torch.device("meta"):                          # shapes only: no memory, no initialization time
        tv = torchvision.models.vgg16(weights=None).state_dict()
        full = vw.build_vgg("vgg16").state_dict()
        tv19 = torchvision.models.vgg19(weights=None).state_dict()
    assert list(tv) == TORCHVISION_VGG16_KEYS
    assert {k: tuple(v.shape) for k, v in full.items()} == {k: tuple(v.shape) for k, v in tv.items()}
    small = vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5).state_dict()
    assert list(small) == TORCHVISION_VGG16_KEYS
    assert small["features.0.weight"].shape == (4, 3, 3, 3) and small["classifier.0.weight"].shape == (32, 32 * 49)
    assert small["classifier.6.weight"].shape == (5, 32)
    vgg19 = vw.build_vgg("vgg19", width_div=8).state_dict()
    assert list(vgg19) == list(tv19)
    with pytest.raises(ValueError, match="vgg11"):
        vw.build_vgg("vgg11")
    with pytest.raises(ValueError, match="width_div"):
        vw.build_vgg("vgg16", width_div=3)


def test_tiny_state_in_the_hub_cache_is_found_and_loads(torch_home, monkeypatch):
    import requests

    monkeypatch.setattr(requests.Session, "request", lambda *a, **k: pytest.fail("no network access expected"))
    assert not vw.vgg_weights_present("vgg16")
    path = vw.weights_path("vgg16")
    assert path == torch_home / "hub" / "checkpoints" / "vgg16-397923af.pth"      # where torchvision looks
    path.parent.mkdir(parents=True)
    state = tiny_state(1)
    torch.save(state, path)
    monkeypatch.setattr(vw, "download_vgg_weights", lambda *a, **k: pytest.fail("must not download"))
    assert vw.vgg_weights_present("vgg16") and not vw.vgg_weights_present("vgg19")
    read = vw.read_vgg_state("vgg16", download=False)
    model = vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5)
    vw.load_vgg_state_dict(model, read)
    assert same(model.state_dict(), state)
    logits = model.eval()(torch.rand(2, 3, 32, 32))
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    # numpy arrays load the same way
    model2 = vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5)
    vw.load_vgg_state_dict(model2, {k: v.numpy() for k, v in state.items()})
    assert same(model2.state_dict(), state)
    # the full-width torchvision model refuses the tiny file, naming the first key
    with pytest.raises(ValueError, match=r"'features.0.weight' has shape \(4, 3, 3, 3\); the network needs "
                                         r"\(64, 3, 3, 3\)"):
        vw.load_vgg("vgg16", download=False)


@pytest.mark.parametrize("damage, message", [
    ("missing", r"lack 'classifier.6.bias'"),
    ("extra", r"hold 'features.99.weight'"),
    ("shape", r"'features.2.weight' has shape \(4, 4, 1, 1\); the network needs \(4, 4, 3, 3\)"),
    ("nan", r"'classifier.3.weight' holds NaN"),
])
def test_a_damaged_state_is_refused_and_the_model_kept(damage, message):
    model = vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5)
    before = params(model)
    state = tiny_state(2)
    if damage == "missing":
        del state["classifier.6.bias"]
    elif damage == "extra":
        state["features.99.weight"] = torch.zeros(1)
    elif damage == "shape":
        state["features.2.weight"] = torch.zeros(4, 4, 1, 1)
    else:
        state["classifier.3.weight"][0, 0] = float("nan")
    with pytest.raises(ValueError, match=message):
        vw.load_vgg_state_dict(model, state)
    assert same(params(model), before)


def test_a_truncated_file_is_refused(torch_home):
    path = vw.weights_path("vgg16")
    path.parent.mkdir(parents=True)
    torch.save(tiny_state(), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="damaged or not a PyTorch checkpoint"):
        vw.read_vgg_state("vgg16", download=False)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="vgg16-397923af.pth"):
        vw.load_vgg("vgg16", download=False)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="not in"):
        vw.read_vgg_state("vgg16", download=False)


def test_load_vgg_gives_torchvisions_model_loaded_in_eval_mode_without_inplace_relus(torch_home, monkeypatch):
    """load_vgg's own path on a tiny file: torchvision's constructor (stood in for by a reduced-width twin with
    torchvision's in-place ReLUs, to keep the test small) gets the weights, eval mode and hook-safe ReLUs."""
    import torchvision

    path = vw.weights_path("vgg16")
    path.parent.mkdir(parents=True)
    torch.save(tiny_state(4), path)

    def tiny_torchvision_vgg16(weights=None):
        assert weights is None
        model = vw.build_vgg("vgg16", width_div=16, hidden=32, n_classes=5)
        for m in model.modules():
            if isinstance(m, torch.nn.ReLU):
                m.inplace = True
        return model

    monkeypatch.setattr(torchvision.models, "vgg16", tiny_torchvision_vgg16)
    model = vw.load_vgg("vgg16", download=False)
    assert not model.training
    assert same(model.state_dict(), tiny_state(4))
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(relus) == 15 and not any(m.inplace for m in relus)


# ------------------------------------------------------------------------------------------------ #
# Downloads from a loopback server
# ------------------------------------------------------------------------------------------------ #
class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body, cut = self.server.body, self.server.cut
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:cut] if cut else body)      # cut: the connection breaks off after `cut` bytes
        self.wfile.flush()
        self.close_connection = True


@contextlib.contextmanager
def serve(body: bytes, cut: int = 0):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.body, server.cut = body, cut
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def checkpoint_bytes(tmp_path):
    f = tmp_path / "ckpt.pth"
    torch.save(tiny_state(3), f)
    data = f.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def test_download_with_progress_then_cached(torch_home, tmp_path, monkeypatch):
    data, digest = checkpoint_bytes(tmp_path)
    with serve(data) as base:
        monkeypatch.setattr(vw, "weights_url", lambda arch: f"{base}/models/{arch}-{digest[:8]}.pth")
        calls = []
        state = vw.read_vgg_state("vgg16", progress=lambda msg, frac: calls.append((msg, frac)))
    assert vw.vgg_weights_present("vgg16")
    assert vw.weights_path("vgg16").read_bytes() == data
    assert calls and calls[-1][1] == 1.0 and "VGG16 ImageNet weights" in calls[-1][0]
    assert same(state, tiny_state(3))
    assert not list(vw.weights_path("vgg16").parent.glob("*.partial"))
    # cached now: no server needed
    assert same(vw.read_vgg_state("vgg16"), tiny_state(3))


def test_a_download_that_breaks_off_halfway_leaves_nothing(torch_home, tmp_path, monkeypatch):
    data, digest = checkpoint_bytes(tmp_path)
    with serve(data, cut=len(data) // 2) as base:
        monkeypatch.setattr(vw, "weights_url", lambda arch: f"{base}/models/{arch}-{digest[:8]}.pth")
        with pytest.raises(DownloadError, match="Could not download VGG16 ImageNet weights: the connection "
                                                ".* broke off.*Nothing was saved"):
            vw.load_vgg("vgg16")
    assert not vw.vgg_weights_present("vgg16")
    assert not list(vw.weights_path("vgg16").parent.iterdir())          # no partial file left


def test_a_wrong_checksum_is_refused_and_a_damaged_cache_kept_until_replaced(torch_home, tmp_path, monkeypatch):
    data, digest = checkpoint_bytes(tmp_path)
    path = None
    with serve(data) as base:
        monkeypatch.setattr(vw, "weights_url", lambda arch: f"{base}/models/{arch}-00000000.pth")
        path = vw.weights_path("vgg16")
        path.parent.mkdir(parents=True)
        path.write_bytes(b"truncated")                         # a damaged cached file: downloaded again
        with pytest.raises(DownloadError, match="does not match its checksum"):
            vw.read_vgg_state("vgg16")
        assert path.read_bytes() == b"truncated"             # not replaced by a bad download
        monkeypatch.setattr(vw, "weights_url", lambda arch: f"{base}/models/{arch}-{digest[:8]}.pth")
        vw.weights_path("vgg16").write_bytes(b"truncated")
        assert same(vw.read_vgg_state("vgg16"), tiny_state(3))         # replaced by a good one


def test_offline_is_a_clear_download_error(torch_home, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(vw, "weights_url", lambda arch: f"http://127.0.0.1:{port}/models/{arch}-397923af.pth")
    with pytest.raises(DownloadError, match=r"could not connect to 127\.0\.0\.1.*no network connection"):
        vw.load_vgg("vgg16", progress=lambda *a: None)
    assert not vw.vgg_weights_present("vgg16")


def test_imagenet_statistics():
    assert vw.IMAGENET_MEAN.dtype == np.float32 and vw.IMAGENET_MEAN.shape == (3,)
    assert vw.IMAGENET_STD.dtype == np.float32 and vw.IMAGENET_STD.shape == (3,)
    np.testing.assert_allclose(vw.IMAGENET_MEAN, [0.485, 0.456, 0.406])


def test_full_224px_torchvision_vgg16_one_training_step_on_cpu():
    """The book's network at its real size (random weights): one forward and backward step at batch 1."""
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.vgg16(weights=None)
    x = (torch.rand(1, 3, 224, 224) - torch.from_numpy(vw.IMAGENET_MEAN)[:, None, None]) \
        / torch.from_numpy(vw.IMAGENET_STD)[:, None, None]
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor([3]))
    loss.backward()
    assert torch.isfinite(loss)
    grad = model.features[0].weight.grad
    assert grad is not None and grad.shape == (64, 3, 3, 3) and torch.isfinite(grad).all() and grad.abs().sum() > 0
