"""Headless training under torchrun: two gloo processes on this CPU (visualizer.torch_backend.distributed).

The subprocess tests start ``python -m torch.distributed.run --standalone --nproc-per-node 2 -m visualizer.cli``
(or two processes by hand with torchrun's variables) and read what rank 0 prints and exports; the averaging tests
recompute each process's first-step loss in this process with ``use_placement`` (the shard, the per-process
batch and the noise of that rank, no process group) and compare their mean with the exported step 1.
"""
from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from visualizer.torch_backend import distributed  # noqa: E402
from visualizer.torch_backend.distributed import Placement, use_placement  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 180


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in distributed.TORCHRUN_VARS and not k.startswith(("TORCHELASTIC", "DLVIS_DDP"))}
    env.update(OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
               QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def _torchrun(args: list[str], **env: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "visualizer.cli", "--headless", *args]
    return subprocess.run(cmd, cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def _column(path: Path, name: str) -> dict[int, float]:
    with open(path, newline="") as f:
        return {int(row["step"]): float(row[name]) for row in csv.DictReader(f) if row.get(name)}


def _first_step_losses(lesson_id: str, loss) -> list[float]:
    """Each of two processes' step-1 value of ``loss(lesson)`` computed here, as that rank would."""
    from visualizer.core import registry

    cls = registry.get(lesson_id)
    out = []
    for rank in range(2):
        with use_placement(Placement(rank=rank, world_size=2)):
            lesson = cls(cls.hyperparameters({}))
        try:
            lesson.trainer.train(True)
            with torch.no_grad():
                out.append(float(loss(lesson)))
        finally:
            lesson.close()
    return out


def _final(stdout: str, name: str) -> float:
    line = next(l for l in stdout.splitlines() if l.strip().startswith(f"{name} = "))
    return float(line.split("=")[1].split()[0])


# ---- two processes under torchrun --------------------------------------------------------------------------
def test_dcgan_trains_on_two_processes_rank0_alone_prints_and_metrics_are_averaged(tmp_path):
    out, run_dir = tmp_path / "export", tmp_path / "run"
    r = _torchrun(["--lesson", "dcgan", "--steps", "20", "--export", str(out), "--run-dir", str(run_dir)],
                  DLVIS_DDP_FLUSH_EVERY="1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("final metrics") == 1, r.stdout            # rank 0 alone prints
    assert r.stdout.count("dcgan: 20 steps in") == 1
    assert "2 process(es), backend gloo" in r.stdout
    assert "exported" in r.stdout and (out / "losses.csv").exists() and (out / "samples.png").exists()
    assert "Traceback" not in r.stderr and "error" not in r.stderr.lower(), r.stderr
    d_loss = _column(out / "losses.csv", "d_loss")
    assert sorted(d_loss)[:3] == [1, 2, 3] and max(d_loss) == 20     # one record per step (flush every 1)
    assert all(np.isfinite(list(d_loss.values())))

    def d_loss_step1(lesson):
        return lesson.d_losses(None, 1)["d_loss"]
    per_rank = _first_step_losses("dcgan", d_loss_step1)
    assert abs(per_rank[0] - per_rank[1]) > 1e-4                    # the shards differ ...
    assert d_loss[1] == pytest.approx(np.mean(per_rank), rel=1e-5)  # ... and step 1 is their mean
    # rank 0 alone wrote the run directory, complete, with the averaged metrics of every step
    run = json.loads((run_dir / "run.json").read_text())
    assert (run["status"], run["world_size"], run["exit_code"]) == ("done", 2, 0)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train = {row["step"]: row["metrics"]["d_loss"] for row in rows if "d_loss" in row["metrics"]}
    assert sorted(train) == list(range(1, 21)) and train[1] == pytest.approx(d_loss[1], rel=1e-6)
    assert (run_dir / "snapshots" / "latest.npz").exists() and not (run_dir / "writer.lock").exists()


def test_vae_on_two_processes_reports_the_mean_of_the_shards_losses():
    r = _torchrun(["--lesson", "vae", "--steps", "1"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("final metrics") == 1 and "vae: 1 steps in" in r.stdout, r.stdout

    def loss_step1(lesson):
        return lesson.losses(lesson.next_batch(), 1)["train_loss"]
    per_rank = _first_step_losses("vae", loss_step1)
    assert abs(per_rank[0] - per_rank[1]) > 1e-3
    assert _final(r.stdout, "train_loss") == pytest.approx(np.mean(per_rank), rel=2e-5)   # printed to 6 digits


def test_a_rank_that_dies_ends_the_run_with_a_message_and_the_data_so_far_kept(tmp_path):
    out, run_dir = tmp_path / "export", tmp_path / "run"
    r = _torchrun(["--lesson", "dcgan", "--steps", "200", "--export", str(out), "--run-dir", str(run_dir)],
                  DLVIS_DDP_TEST_EXIT="1:8")
    assert r.returncode != 0
    assert "rank 1: exiting at step 8" in r.stderr
    # rank 0 notices in step 8's all-reduce, or, if torchrun's SIGTERM stopped it first, by its end-of-run check
    assert re.search(r"error: rank 0: rank 1 stopped responding or exited: the process group failed "
                     r"(during step 8|after step 7) \(", r.stderr), r.stderr
    assert r.stdout.count("final metrics") == 1, r.stdout             # what rank 0 had is printed ...
    assert "dcgan: 7 steps in" in r.stdout
    assert (out / "losses.csv").exists() and (out / "run.json").exists()   # ... and exported
    run = json.loads((run_dir / "run.json").read_text())                      # ... and in the run directory
    assert run["status"] == "error" and run["exit_code"] not in (0, None), run
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert max(steps) == 7
    events = (run_dir / "events.jsonl").read_text()
    assert "rank 1 stopped responding" in events, events


def test_a_timeout_stops_every_process_after_the_same_step_with_the_data_kept(tmp_path):
    """--timeout ends each process at a slightly different time; they agree at the next metric flush and stop
    after the same step, instead of one waiting in a gradient all-reduce for the other until the timeout."""
    run_dir = tmp_path / "run"
    r = _torchrun(["--lesson", "vae", "--steps", "1000000", "--timeout", "25", "--run-dir", str(run_dir)],
                  DLVIS_DDP_TIMEOUT="120")
    # rank 0 exits with 5 (stopped, data kept), which torchrun reports as a failure of the job (and then ends
    # rank 1 if it is still leaving the process group); rank 1 exits with 0, so torchrun never ends rank 0 early
    assert r.returncode != 0 and re.search(r"rank\s*: 0 \(local_rank: 0\)\s*\n\s*exitcode\s*: 5 ", r.stderr), r.stderr
    stops = re.findall(r"stopped at step (\d+) of 1000000", r.stderr)
    assert stops and len(set(stops)) == 1, r.stderr                              # the same step everywhere
    step = int(stops[0])                                 # a flush step: every 10 steps or an evaluation
    assert "stopped responding" not in r.stderr, r.stderr
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "stopped" and run["exit_code"] == 5
    events = (run_dir / "events.jsonl").read_text()
    # whichever process's timeout fires first carries the stop: rank 0 names its own reason or the other's
    assert re.search(rf"stopped with every process after step {step}: (timed out|another process was asked to "
                     rf"stop)", events), events
    assert f"stopped at step {step} of 1000000: timed out" in events, events
    assert json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[-1])["step"] == step


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_processes_started_with_different_settings_all_stop_naming_them():
    """Two processes started by hand (as on two machines) with torchrun's variables and different --set."""
    port = str(_free_port())
    procs = []
    for rank, settings in enumerate((["--set", "seed=1", "--set", "g_lr=0.001"],
                                     ["--set", "seed=2", "--set", "g_lr=1e-3"])):
        env = _env(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        procs.append(subprocess.Popen([sys.executable, "-m", "visualizer.cli", "--headless", "--lesson", "dcgan",
                                       "--steps", "5", *settings], cwd=ROOT, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = [p.communicate(timeout=RUN_TIMEOUT_S) for p in procs]
    for rank, (p, (stdout, stderr)) in enumerate(zip(procs, results)):
        assert p.returncode == 2, stdout + stderr
        assert (f"error: rank {rank}: the processes were started with different settings: "
                "seed (rank 0: 1; rank 1: 2)") in stderr                # g_lr 0.001 == 1e-3: not named
        assert "g_lr" not in stderr and "final metrics" not in stdout


# ---- in-process pieces -------------------------------------------------------------------------------------
def test_shards_are_disjoint_seeded_and_equal_in_size():
    shards = [Placement(rank=r, world_size=3).shard(100, seed=7) for r in range(3)]
    assert [len(s) for s in shards] == [33, 33, 33]
    joined = np.concatenate(shards)
    assert len(np.unique(joined)) == 99 and joined.min() >= 0 and joined.max() < 100
    assert np.array_equal(Placement(rank=1, world_size=3).shard(100, seed=7), shards[1])
    assert not np.array_equal(Placement(rank=1, world_size=3).shard(100, seed=8), shards[1])
    assert np.array_equal(Placement().shard(5, seed=7), np.arange(5))


def test_per_process_batch_and_noise():
    from visualizer.core.errors import LessonConfigError

    assert Placement(rank=1, world_size=2).local_batch(64) == 32
    with pytest.raises(LessonConfigError, match="does not split evenly over 2 processes"):
        Placement(rank=0, world_size=2).local_batch(63)
    seeds = {Placement(rank=r, world_size=4).generator_seed(5) for r in range(4)}
    assert len(seeds) == 4 and Placement(rank=0, world_size=4).generator_seed(5) == 5   # rank 0 as one process


def test_settings_compare_validated_values(monkeypatch):
    import argparse

    def args(*sets, steps=10, lesson="dcgan"):
        return argparse.Namespace(lesson=lesson, steps=steps, assignments=list(sets), engine=None, device=None)

    a, cls = distributed._settings(args("d_lr=0.001"))
    b, _ = distributed._settings(args("d_lr=1e-3"))
    assert cls is not None and distributed.settings_digest(a) == distributed.settings_digest(b)
    c, _ = distributed._settings(args("d_lr=1e-3", steps=11))
    message = distributed.mismatch_message([(distributed.settings_digest(s), s) for s in (a, b, c)])
    assert message.startswith("the processes were started with different settings: steps (rank 0: 10; rank 2: 11)")
    assert distributed.mismatch_message([(distributed.settings_digest(a), a)] * 2) is None


def test_only_lessons_that_declare_ddp_run_and_only_on_torch():
    from visualizer.core import registry

    dcgan, vae = registry.get("dcgan"), registry.get("vae")
    assert dcgan.supports_ddp and vae.supports_ddp and not registry.get("perceptron").supports_ddp
    message = distributed._support_error(registry.get("perceptron"), {"engine": "numpy"})
    assert "does not support distributed training" in message and message.endswith("lessons that do: dcgan, vae")
    assert "needs the torch engine" in distributed._support_error(dcgan, {"engine": "numpy"})
    assert "engine comparison" in distributed._support_error(dcgan, {"engine": "torch", "compare_engines": True})
    assert distributed._support_error(dcgan, {"engine": "torch"}) is None
