"""Headless training under torchrun: one process per device, gradients averaged by DistributedDataParallel.

    torchrun --nproc-per-node 2 -m visualizer.cli --lesson dcgan --headless --steps 5000 [--run-dir DIR]

torchrun (``torch.distributed.run``) starts the processes with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` set; :func:`run_distributed` (called by ``visualizer.cli`` when they are)
joins the process group (``env://``): gloo on the CPU, nccl on CUDA with device ``cuda:LOCAL_RANK``, with a
timeout (``DLVIS_DDP_TIMEOUT`` seconds, default 60) so that a process whose peer died or hangs does not wait for
ever.  Before building, every process compares its settings with the others' (:func:`settings_digest`,
``all_gather_object``): a mismatch ends every process with exit code 2 and names the settings and ranks.  Only
lessons with ``supports_ddp`` run, on the torch engine and without the engine comparison.

What the processes share (the PyTorch DDP recipe: Li et al., "PyTorch Distributed: Experiences on Accelerating
Data Parallel Training", VLDB 2020):
  * the initial weights: the lessons seed them, and DDP broadcasts rank 0's at construction anyway;
  * the global batch: each process trains on ``batch_size / world_size`` rows (:meth:`Placement.local_batch`)
    of its own disjoint, seeded shard of the training set (:meth:`Placement.shard`, as ``DistributedSampler``
    with ``drop_last``), with its own noise (:meth:`Placement.generator_seed`; rank 0 keeps the single-process
    seed), and DDP averages the gradients, so one update sees as many rows as a single-process step;
  * the metrics: each process sums them locally (on the device on a GPU) and :class:`TorchTrainer` averages
    them over the processes with one ``all_reduce`` per flush, at steps every process agrees on
    (:attr:`Placement.flush_every`, ``DLVIS_DDP_FLUSH_EVERY``, default 10 steps on the CPU, 25 on CUDA, and at
    every evaluation), never per step.

Rank 0 alone prints and writes (``--export``, ``--run-dir``, ``--tensorboard``); the others print errors only.
When a collective fails (a peer exited, was killed or stopped answering within the timeout) the trainer raises
:class:`ProcessGroupFailed`; the session stops as after any lesson error, keeps what it has (final metrics,
``--export``), and this module ends the process with a message naming the step and exit code 1.  torchrun's
own agent also stops the remaining processes (SIGTERM) when one fails; the CLI treats that as a stop request
and still keeps the data so far.

Imports torch: ``visualizer.cli`` imports this module only when torchrun's variables are set.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.distributed as dist

ENV_TIMEOUT = "DLVIS_DDP_TIMEOUT"            # seconds a collective may wait for the others (default 60)
ENV_FLUSH_EVERY = "DLVIS_DDP_FLUSH_EVERY"    # steps between metric all-reduces
ENV_TEST_EXIT = "DLVIS_DDP_TEST_EXIT"        # tests only: "RANK:STEP[:CODE]" makes that rank exit at that step
DEFAULT_TIMEOUT_S = 60.0
FLUSH_EVERY = {"cpu": 10, "cuda": 25}
TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
EXIT_ERROR, EXIT_USAGE, EXIT_STOPPED = 1, 2, 5     # as visualizer.cli


class ProcessGroupFailed(RuntimeError):
    """A collective (gradient or metric all-reduce) failed: another process exited, was killed or did not answer
    within the timeout.  The process group cannot be used any more."""


@dataclass(frozen=True)
class Placement:
    """Where this process sits in the run.  rank: 0 .. world_size - 1; local_rank: the process's index on its
    machine (its CUDA device); flush_every: steps between metric all-reduces; exit_at: (step, code) a test asks
    this process to exit at (:data:`ENV_TEST_EXIT`).  ``Placement()`` is a single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    flush_every: int | None = None
    exit_at: tuple[int, int] | None = None

    def shard(self, n: int, seed: int) -> np.ndarray:
        """This process's rows of a training set of ``n``: ``n // world_size`` indices (int64, sorted) of one
        permutation drawn from ``seed`` (the same on every process), so the shards are disjoint and together
        cover all but ``n % world_size`` rows (as ``DistributedSampler(drop_last=True)``).  All rows for a
        single process."""
        if self.world_size == 1:
            return np.arange(n, dtype=np.int64)
        per = n // self.world_size
        if per == 0:
            raise ValueError(f"{n} training rows cannot be shared among {self.world_size} processes")
        perm = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5EED])).permutation(n)
        return np.sort(perm[self.rank * per:(self.rank + 1) * per]).astype(np.int64)

    def local_batch(self, global_batch: int) -> int:
        """Rows per process of a global batch.  Raises LessonConfigError when it does not split evenly."""
        if global_batch % self.world_size:
            from visualizer.core.errors import LessonConfigError
            raise LessonConfigError(f"A batch of {global_batch} does not split evenly over {self.world_size} "
                                    f"processes: choose a multiple of {self.world_size}.")
        return global_batch // self.world_size

    def generator_seed(self, seed: int) -> int:
        """The seed of this process's generator for batches and noise: ``seed`` on rank 0 (as a single
        process), an independent stream of (seed, rank) on the others."""
        if self.rank == 0:
            return int(seed)
        return int(np.random.SeedSequence([int(seed), self.rank]).generate_state(1, np.uint64)[0] >> 1)

    def before_step(self, step: int) -> None:
        """Note the step under way (for messages); test hook: exit at once (no clean-up, as a crash) at the step
        :data:`ENV_TEST_EXIT` names."""
        global _step
        _step = step
        if self.exit_at is not None and step == self.exit_at[0]:
            print(f"rank {self.rank}: exiting at step {step} ({ENV_TEST_EXIT})", file=sys.stderr, flush=True)
            os._exit(self.exit_at[1])


_placement = Placement()
_failure: str | None = None
_step = 0                                    # the step under way (for messages)
_stop_wanted: str | None = None              # this process was asked to stop (a signal, --timeout, the window)
_stop_agreed: tuple[int, str] | None = None  # (step, reason): the processes agreed at a flush to stop there
_on_stop: Callable[[str], None] | None = None    # called in the training thread when they agree
PROBE_TIMEOUT_S = 10.0                       # how long the end-of-run check waits for the other processes


def placement() -> Placement:
    """This process's placement (single unless :func:`run_distributed` or :func:`use_placement` set one)."""
    return _placement


@contextlib.contextmanager
def use_placement(p: Placement) -> Iterator[Placement]:
    """Build lessons as process ``p.rank`` of ``p.world_size`` would, without a process group (no DDP, no
    all-reduce): its shard, its per-process batch and its noise.  For tests and tools that recompute what one
    process of a torchrun did."""
    global _placement
    old, _placement = _placement, p
    try:
        yield p
    finally:
        _placement = old


def group_ready() -> bool:
    """True once this process has joined a process group (under torchrun)."""
    return dist.is_available() and dist.is_initialized()


def record_failure(step: int, error: BaseException, when: str = "during") -> ProcessGroupFailed:
    """The :class:`ProcessGroupFailed` to raise for ``error`` in a collective at ``step``; remembered so the end
    of the run can say it again.  Names the peer when there is only one other process."""
    global _failure
    p = _placement
    if p.world_size == 2:
        who = f"rank {1 - p.rank} stopped responding or exited"
    else:
        who = "another process stopped responding or exited"
    text = " ".join(str(error).split())
    if len(text) > 300:
        text = text[:300] + " ..."
    message = (f"{who}: the process group failed {when} step {step} ({type(error).__name__}: {text}); "
               f"the run ends here and keeps its data so far")
    if _failure is None:
        _failure = message
    return ProcessGroupFailed(message)


COLLECTIVE_SIGNS = ("gloo", "nccl", "connection closed", "connection reset", "timed out", "timeout",
                    "process group", "processgroup", "broken pipe", "peer")


def is_collective_error(error: BaseException) -> bool:
    """True for an error of the process group (a DistError, or gloo/NCCL's words in a RuntimeError raised
    from DDP's gradient all-reduce inside ``backward``), not one of the lesson's own code."""
    if isinstance(error, dist.DistError):
        return True
    text = str(error).lower()
    return any(sign in text for sign in COLLECTIVE_SIGNS)


def failed() -> bool:
    """True after a collective failed: the process group must not be used again."""
    return _failure is not None


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` under DistributedDataParallel: its gradients are averaged over the processes during
    ``backward``; rank 0's parameters and buffers are copied to every process at construction.  No buffer sync
    at each forward (``forward_sync_buffers=False``, formerly ``broadcast_buffers=False``): DDP would otherwise
    copy rank 0's buffers (BatchNorm's running statistics) into every process at each forward, in place, and a
    GAN's discriminator runs forward several times before one backward (real, then fake), which autograd
    rejects as a modified saved tensor.  BatchNorm thus normalizes each process's batch with its own statistics
    and keeps its own running averages (as any DDP run without SyncBatchNorm)."""
    import inspect

    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    no_sync = ({"forward_sync_buffers": False}
               if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
               else {"broadcast_buffers": False})
    return DistributedDataParallel(module, device_ids=ids, output_device=device.index if ids else None, **no_sync)


def all_reduce_mean(values: torch.Tensor, step: int) -> torch.Tensor:
    """The mean over the processes of ``values`` (1-D, on this process's device) after ``step``; one all_reduce.
    After a failure (or without a process group) the local values.  Raises ProcessGroupFailed when the
    collective fails.

    The same all_reduce carries one more number: how many processes were asked to stop (:func:`request_stop`).
    When any was, every process learns it at this same step, and the callback of :func:`on_stop_agreed` runs (in
    the training thread, inside the flush), so they all stop after the same step: a process that stopped alone
    would leave the others waiting in their next gradient all-reduce until the timeout."""
    global _stop_agreed
    if not group_ready() or failed():
        return values
    flag = torch.tensor([1.0 if _stop_wanted else 0.0], dtype=values.dtype, device=values.device)
    both = torch.cat([values.reshape(-1), flag])
    try:
        dist.all_reduce(both, op=dist.ReduceOp.SUM)
    except (RuntimeError, dist.DistError) as e:
        raise record_failure(step, e, when="after") from e
    if _stop_agreed is None and float(both[-1]) > 0:
        n = int(round(float(both[-1])))
        reason = _stop_wanted or (f"{'another process was' if n == 1 else f'{n} other processes were'} "
                                  "asked to stop")
        _stop_agreed = (step, reason)
        if _on_stop is not None:
            _on_stop(f"stopped with every process after step {step}: {reason}")
    return both[:-1] / dist.get_world_size()


def request_stop(reason: str) -> None:
    """Ask every process of the run to stop: they agree at the next metric flush (at most ``flush_every``
    steps away) and stop after that same step.  Any thread (the CLI's, on a signal, ``--timeout`` or the
    window's stop)."""
    global _stop_wanted
    if _stop_wanted is None:
        _stop_wanted = reason


def on_stop_agreed(callback: Callable[[str], None] | None) -> None:
    """``callback(message)`` runs in the training thread when the processes agree to stop (None: none)."""
    global _on_stop
    _on_stop = callback


def stop_agreed() -> tuple[int, str] | None:
    """(step, reason) once the processes agreed to stop, else None."""
    return _stop_agreed


# ---- the run ---------------------------------------------------------------------------------------------
def torchrun_env(environ: dict[str, str] | None = None) -> bool:
    """True when the process was started by torchrun (or by hand with its variables)."""
    env = os.environ if environ is None else environ
    return all(k in env for k in ("RANK", "WORLD_SIZE"))


def _env_int(env: dict[str, str], name: str, default: int | None = None) -> int:
    text = env.get(name)
    if text is None:
        if default is None:
            raise ValueError(f"torchrun variable {name} is not set")
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number") from None


def _env_positive(env: dict[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None:
        return default
    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not v > 0 or v == float("inf"):
        raise ValueError(f"{name}={text!r} must be a positive number")
    return v


def placement_from_env(env: dict[str, str], device: str) -> Placement:
    """The Placement torchrun's variables describe.  Raises ValueError for malformed ones."""
    rank, world = _env_int(env, "RANK"), _env_int(env, "WORLD_SIZE")
    local = _env_int(env, "LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} must be in 0 .. WORLD_SIZE-1 = {world - 1}")
    flush = int(_env_positive(env, ENV_FLUSH_EVERY, FLUSH_EVERY.get(device, 10)))
    exit_at = None
    if env.get(ENV_TEST_EXIT):
        parts = [int(x) for x in env[ENV_TEST_EXIT].split(":")]
        if parts[0] == rank:
            exit_at = (parts[1], parts[2] if len(parts) > 2 else 1)
    return Placement(rank, world, local, max(1, flush), exit_at)


def _settings(args: argparse.Namespace) -> tuple[dict[str, Any], type | None]:
    """What every process must agree on: lesson, steps and every hyperparameter (validated, defaults filled in,
    so ``lr=0.001`` and ``lr=1e-3`` agree); the lesson class, or None when the settings are not valid (the run
    then reports that error itself, in every process alike)."""
    from visualizer.core import registry
    from visualizer.core.hyperparams import HyperparameterError, parse_assignment, select_data_sets

    out: dict[str, Any] = {"lesson": args.lesson, "steps": args.steps}
    raw: dict[str, Any] = {}
    try:
        for text in args.assignments:
            name, value = parse_assignment(text)
            raw[name] = value
    except HyperparameterError:
        raw = {"--set": list(args.assignments)}
    if args.engine:
        raw["engine"] = args.engine
    if args.device:
        raw["device"] = args.device
    try:
        cls = registry.get(args.lesson)
        values, _ = select_data_sets(cls.all_params(), raw)
        hp = cls.hyperparameters(values)
        out.update(hp.as_dict())
        return out, cls
    except Exception:                           # noqa: BLE001 - reported by the run itself, on every rank
        out.update(raw)
        return out, None


def settings_digest(settings: dict[str, Any]) -> str:
    """SHA-256 of the settings as canonical JSON (keys sorted; values as their repr where JSON has no form)."""
    text = json.dumps(settings, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def mismatch_message(gathered: list[tuple[str, dict[str, Any]]]) -> str | None:
    """None when every process's (digest, settings) agrees with rank 0's; else which settings differ where,
    e.g. ``seed (rank 0: 0; rank 1: 1)``."""
    ref_digest, ref = gathered[0]
    diffs: dict[str, list[int]] = {}
    for rank, (digest, settings) in enumerate(gathered[1:], start=1):
        if digest == ref_digest:
            continue
        for key in sorted(set(ref) | set(settings)):
            if ref.get(key, "(not set)") != settings.get(key, "(not set)"):
                diffs.setdefault(key, []).append(rank)
    if not diffs:
        return None
    parts = []
    for key, ranks in diffs.items():
        seen = [0] + ranks
        shown = "; ".join(f"rank {r}: {gathered[r][1].get(key, '(not set)')!r}" for r in seen)
        parts.append(f"{key} ({shown})")
    return ("the processes were started with different settings: " + ", ".join(parts)
            + ". Start every process with the same arguments.")


def _support_error(cls, settings: dict[str, Any]) -> str | None:
    """Why ``cls`` cannot train under torchrun with ``settings``; None when it can."""
    if not getattr(cls, "supports_ddp", False):
        from visualizer.core import registry
        able = sorted(i for i, c in registry.discover().items() if getattr(c, "supports_ddp", False))
        return (f"lesson {cls.info.id!r} does not support distributed training (torchrun); lessons that do: "
                f"{', '.join(able) or '(none)'}")
    if settings.get("engine") != "torch":
        return (f"distributed training (torchrun) needs the torch engine; lesson {cls.info.id!r} was asked for "
                f"the {settings.get('engine')} engine (use --engine torch)")
    if settings.get("compare_engines"):
        return ("the engine comparison (compare_engines) trains a NumPy twin in the same process and cannot "
                "run under torchrun: leave it off")
    return None


def _probe_peers(p: Placement, timeout_s: float) -> None:
    """After a run stopped by a signal (torchrun's agent sends SIGTERM to every process when one fails): check
    with a monitored barrier (gloo) that the others are still there; a missing one is recorded as the failure."""
    if p.world_size == 1 or dist.get_backend() != "gloo":
        return
    try:
        dist.monitored_barrier(timeout=datetime.timedelta(seconds=min(timeout_s, PROBE_TIMEOUT_S)),
                               wait_all_ranks=True)
    except (RuntimeError, dist.DistError) as e:
        record_failure(_step, e, when="after")


def _init_group(p: Placement, device: str, timeout_s: float) -> None:
    backend = "nccl" if device == "cuda" else "gloo"
    kwargs: dict[str, Any] = {}
    if device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda under torchrun, but PyTorch finds no usable CUDA GPU")
        torch.cuda.set_device(p.local_rank)
        kwargs["device_id"] = torch.device("cuda", p.local_rank)
    dist.init_process_group(backend, rank=p.rank, world_size=p.world_size,
                            timeout=datetime.timedelta(seconds=timeout_s), **kwargs)


def run_distributed(args: argparse.Namespace, body: Callable[[argparse.Namespace], int]) -> int:
    """Run ``body(args)`` (the CLI's headless run) as one process of a torchrun job: join the group, check the
    settings agree and the lesson supports DDP, keep ranks other than 0 quiet (their stdout goes nowhere and
    they write no files), then leave the group.  Returns the exit code."""
    global _placement, _failure, _stop_wanted, _stop_agreed, _on_stop
    env = dict(os.environ)
    settings, cls = _settings(args)
    device = str(settings.get("device", "cpu"))
    try:
        p = placement_from_env(env, device)
        timeout_s = _env_positive(env, ENV_TIMEOUT, DEFAULT_TIMEOUT_S)
    except ValueError as e:
        print(f"error: torchrun: {e}", file=sys.stderr)
        return EXIT_USAGE
    try:
        _init_group(p, device, timeout_s)
    except Exception as e:                       # noqa: BLE001 - a rendezvous that failed: say so, exit
        print(f"error: rank {p.rank}: could not join the process group ({type(e).__name__}: {e})", file=sys.stderr)
        return EXIT_ERROR
    quiet, stdout = None, sys.stdout
    try:
        gathered: list[Any] = [None] * p.world_size
        try:
            dist.all_gather_object(gathered, (settings_digest(settings), settings))
        except (RuntimeError, dist.DistError) as e:
            print(f"error: rank {p.rank}: the processes could not compare their settings "
                  f"({type(e).__name__}: {e})", file=sys.stderr)
            return EXIT_ERROR
        message = mismatch_message(gathered)
        if message is not None:
            print(f"error: rank {p.rank}: {message}", file=sys.stderr)
            return EXIT_USAGE
        if cls is not None and (why := _support_error(cls, settings)) is not None:
            if p.rank == 0:
                print(f"error: {why}", file=sys.stderr)
            return EXIT_USAGE
        _placement, _failure = p, None
        if p.rank != 0:
            for name in ("export", "run_dir", "tensorboard"):       # rank 0 alone writes files
                if getattr(args, name, None):
                    setattr(args, name, None)
            quiet = open(os.devnull, "w")
            sys.stdout = quiet
        else:
            print(f"{args.lesson}: torchrun: {p.world_size} process(es), backend "
                  f"{dist.get_backend()}, per-process batch = batch_size / {p.world_size}, "
                  f"metrics averaged every {p.flush_every} steps", flush=True)
        code = body(args)
        if code == EXIT_STOPPED and _failure is None:
            _probe_peers(p, timeout_s)
        if _failure is not None:
            print(f"error: rank {p.rank}: {_failure}", file=sys.stderr, flush=True)
            code = code or EXIT_ERROR
        elif code == EXIT_STOPPED and p.rank != 0 and _stop_agreed is not None:
            # stopped together, as asked: rank 0 reports it (exit code 5) and writes the files.  A non-zero exit
            # here would make torchrun's agent SIGTERM rank 0 while it is still writing them.
            code = 0
        return code
    finally:
        if quiet is not None:
            sys.stdout = stdout
            quiet.close()
        _placement = Placement()
        _stop_wanted = _stop_agreed = _on_stop = None
        if group_ready():
            with contextlib.suppress(Exception):
                dist.destroy_process_group()
