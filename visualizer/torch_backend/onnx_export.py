"""ONNX export of a torch lesson's model, for Netron or an ONNX runtime.

The model is one module of the lesson's :class:`~visualizer.torch_backend.trainer.TorchTrainer`
(``lesson.trainer.modules``), among those the lesson has called: ``model`` where it has one, a GAN's generator
``G``, a DQN's ``online`` network, else the first (:func:`pick_module`).  Its example input is the input of its
last real forward call, which the trainer keeps (``TorchTrainer.last_inputs``, references, no copy); a lesson that
has not called it yet gets one snapshot of its views first, which runs most models once.  A model the lesson
calls only through its parts (``encode`` and ``decode``, no ``forward``) is exported by the part a snapshot
calls, a decoder first (``model.decoder``).

The export is ``torch.onnx.export(..., dynamo=True)`` (torch.export and onnxscript, opset :data:`OPSET`) in
evaluation mode (dropout off, batch norm with its running statistics), on a copy of the model; then
``onnx.checker.check_model``.  There is no fallback to the legacy TorchScript exporter: its tracing turns what it
cannot follow (a NumPy round trip, data-dependent control flow) into constants without an error.  The input shapes
are those of the recorded call (fixed, e.g. a batch of 64).  Needs the optional extra
``pip install 'deep-learning-visualizer[onnx]'`` (onnx, onnxscript).  torch, onnx and onnxscript are imported when
a function runs (the window imports this module to name the exporter its training process runs).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

OPSET = 18
INSTALL_HINT = "pip install 'deep-learning-visualizer[onnx]'"
PREFERRED = ("model", "G", "online", "net")       # the module a lesson's "model" means, in this order
EXTERNAL_DATA_BYTES = 1_800_000_000               # above this (ONNX's 2 GB protobuf limit) weights go in a .data file


class OnnxExportError(ValueError):
    """The model cannot be exported: the message names the module and, where the exporter said, the operator."""


@dataclass
class OnnxExport:
    """One exported model.  path: the .onnx file; module: its name in the lesson's trainer (``G``; a part:
    ``model.decoder``);
    module_class: its class name; opset: the ONNX opset;
    inputs: the example input's tensors as float/int arrays, in the graph's input order (non-tensor arguments
    are constants of the graph); outputs: PyTorch's outputs on them in evaluation mode, flattened in the graph's
    output order."""

    path: Path
    module: str
    module_class: str
    opset: int
    inputs: list[np.ndarray] = field(default_factory=list)
    outputs: list[np.ndarray] = field(default_factory=list)

    def describe(self, lesson_id: str = "") -> str:
        """One line for the user: what was exported where, and how to look at it."""
        shapes = ", ".join("x".join(map(str, a.shape)) or "scalar" for a in self.inputs) or "none"
        who = f"{lesson_id}'s " if lesson_id else ""
        return (f"Exported {who}module '{self.module}' ({self.module_class}) to {self.path} as ONNX opset "
                f"{self.opset} (input {shapes}); open it in Netron to see the graph.")


def trainer_modules(lesson) -> Mapping[str, Any]:
    """The lesson's PyTorch modules (name -> module); raises NotImplementedError for a lesson without a
    TorchTrainer (the numpy engine, or a lesson that trains no network)."""
    from torch import nn

    modules = getattr(getattr(lesson, "trainer", None), "modules", None)
    if not isinstance(modules, Mapping) or not modules or not all(isinstance(m, nn.Module) for m in modules.values()):
        try:
            engine = lesson.hp["engine"]
        except (AttributeError, KeyError, TypeError):
            engine = None
        hint = " (it runs on the numpy engine: switch Engine to torch)" if engine == "numpy" else ""
        raise NotImplementedError(f"this lesson has no PyTorch model to export{hint}")
    return modules


def pick_module(modules: Mapping[str, Any], name: str | None = None) -> str:
    """The module to export: ``name`` if given (KeyError-free: NotImplementedError naming the choices), else the
    first of :data:`PREFERRED` present, else the first module."""
    if name is not None:
        if name not in modules:
            raise NotImplementedError(f"no module {name!r}; this lesson has {', '.join(modules)}")
        return name
    return next((n for n in PREFERRED if n in modules), next(iter(modules)))


def _unwrap(module):
    """The model inside a DistributedDataParallel (or DataParallel) wrapper."""
    from torch import nn

    inner = getattr(module, "module", None)
    return inner if isinstance(inner, nn.Module) else module


PREFERRED_PARTS = ("decoder", "generator", "G")   # of a model without a forward of its own: what generates


def _copy_inputs(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    import torch
    from torch.utils import _pytree

    def copy(x: Any) -> Any:
        return x.detach().clone() if isinstance(x, torch.Tensor) else x
    return _pytree.tree_map(copy, tuple(args)), _pytree.tree_map(copy, dict(kwargs))


def _part_inputs(lesson, model) -> dict[str, tuple[tuple, dict]]:
    """The inputs of ``model``'s direct children during one snapshot of the lesson's views (for a model the lesson
    calls through its parts, e.g. a VAE's ``encode`` and ``decode``)."""
    import torch
    from visualizer.torch_backend.trainer import _InputRecorder

    store: dict[str, tuple[tuple, dict]] = {}
    handles = [child.register_forward_pre_hook(_InputRecorder(store, n), with_kwargs=True)
               for n, child in model.named_children()]
    try:
        with torch.no_grad():
            lesson.snapshot()
    finally:
        for h in handles:
            h.remove()
    return store


def _example(lesson, name: str, model) -> tuple[str, Any, tuple, dict]:
    """(label, module, args, kwargs): the module to export and a copy of its last real input.  ``name``'s own
    forward call where the trainer recorded one (after a snapshot of the views if none yet); else, for a model the
    lesson calls only through its parts, the part of :data:`PREFERRED_PARTS` (else the first) that the snapshot
    called, labelled ``name.part``.  Raises OnnxExportError if nothing was called."""
    import torch

    store = lesson.trainer.last_inputs
    if name not in store:
        with torch.no_grad():
            lesson.snapshot()                   # most views run the model once
    if name in store:
        return (name, model, *_copy_inputs(*store[name]))
    parts = _part_inputs(lesson, model)
    if not parts:
        raise OnnxExportError(f"module '{name}' ({type(model).__name__}) has not been called yet, so its input is "
                              "unknown: train a step first")
    part = next((p for p in PREFERRED_PARTS if p in parts), next(iter(parts)))
    return (f"{name}.{part}", getattr(model, part), *_copy_inputs(*parts[part]))


def _tensors(tree: Any) -> list:
    import torch
    from torch.utils import _pytree

    return [x for x in _pytree.tree_leaves(tree) if isinstance(x, torch.Tensor)]


def _numpy(t) -> np.ndarray:
    import torch

    t = t.detach().cpu()
    return (t.float() if t.dtype in (torch.float16, torch.bfloat16) else t).numpy().copy()


_OP = re.compile(r"(aten[:.]{1,2}[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)")
_TARGET = re.compile(r"target=torch\.ops\.(aten\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _reason(e: BaseException) -> str:
    """The operator an exporter error names (``aten.histc.default``) and its first explanation in a line."""
    text = _ANSI.sub("", str(e))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head, sep, summary = text.partition("## Exception summary")
    why = next((line.strip() for line in summary.splitlines() if line.strip()), "") if sep else ""
    why = re.sub(r"^<class '[\w.]+'>:\s*", "", why) or (lines[0] if lines else type(e).__name__)
    ops = _TARGET.findall(text) or _OP.findall(text)
    unique = list(dict.fromkeys(ops))[:3]
    return (f"unsupported operator {', '.join(unique)}: " if unique else "") + why[:300]


def _export(model, args: tuple, kwargs: dict, path: Path, opset: int) -> None:
    import torch

    big = sum(p.numel() * p.element_size() for p in model.parameters()) > EXTERNAL_DATA_BYTES
    with warnings.catch_warnings():         # e.g. "exporting a model in training mode"; it is in eval mode
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, args, kwargs=kwargs or None, dynamo=True, opset_version=opset,
                                    verbose=False, optimize=True, report=False, external_data=big)
        program.save(str(path), external_data=big)


def _private(model):
    """A deep copy of ``model`` (weights, buffers and Python attributes), in its mode; ``model`` itself where it
    cannot be copied."""
    import copy

    try:
        return copy.deepcopy(model)
    except Exception:                                   # noqa: BLE001 - e.g. an attribute that does not copy
        return model


def _restore(modes: list) -> None:
    """Put every module back in the training or evaluation mode it had (each on its own, not recursively)."""
    for m, training in modes:
        m.training = training


def export_onnx(lesson, path: Path | str, module: str | None = None, opset: int = OPSET) -> OnnxExport:
    """Export one module of ``lesson``'s trainer to ``path`` as ONNX and check the file with ``onnx.checker``:
    ``module`` if given, else (:func:`pick_module`) among the modules the lesson has called (a lesson that trains
    one of several variants exports the one it trains).  Every module is in the training or evaluation mode it had
    when this returns (the export runs in evaluation mode); no weight changes.  Returns an :class:`OnnxExport`
    with the example input and PyTorch's output.

    Raises ImportError (onnx or onnxscript missing: the message says how to install them), NotImplementedError
    (no PyTorch model), OnnxExportError (the model cannot be exported: the operator is named; or the checker
    rejects the file) and OSError (the file cannot be written)."""
    import torch

    try:
        import onnx
        import onnxscript  # noqa: F401 - the dynamo exporter needs it
    except ImportError as e:
        raise ImportError(f"ONNX export needs onnx and onnxscript ({e}): {INSTALL_HINT}") from None
    modules = trainer_modules(lesson)
    store = getattr(lesson.trainer, "last_inputs", None)
    if store is None:
        raise NotImplementedError("this lesson's trainer does not record its model's inputs")
    modes = [(m, m.training) for top in modules.values() for m in top.modules()]   # a snapshot may change them
    called = {k: m for k, m in modules.items() if k in store}
    top = pick_module(called or modules, module) if module is None else pick_module(modules, module)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = store.get(top)
    try:
        name, model, args, kwargs = _example(lesson, top, _unwrap(modules[top]))
    except BaseException:
        _restore(modes)
        raise
    model.eval()
    try:
        # each on its own copy: a model with state of its own (an RNN's carried hidden state, changed by every
        # call) gives both the same state, and tracing assigns nothing to the model that trains
        with torch.no_grad():
            expected = _private(model)(*args, **kwargs)
        try:
            _export(_private(model), args, kwargs, path, opset)
        except Exception as e:                         # noqa: BLE001 - every exporter failure, named
            raise OnnxExportError(f"module '{name}' ({type(model).__name__}) cannot be exported to ONNX: "
                                  f"{_reason(e)}") from e
    finally:
        _restore(modes)
        if kept is not None:
            store[top] = kept                          # tracing calls the module too: keep the real input
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as e:                              # noqa: BLE001 - the checker's own error types vary
        raise OnnxExportError(f"the exported file of module '{name}' fails onnx.checker: {_reason(e)}") from e
    return OnnxExport(path, name, type(model).__name__, opset,
                      [_numpy(t) for t in _tensors((args, kwargs))], [_numpy(t) for t in _tensors(expected)])


def export_onnx_message(lesson, path: str) -> str:
    """:func:`export_onnx` with its default module, for ``session.export_model``: the line to show the user."""
    result = export_onnx(lesson, path)
    lesson_id = getattr(getattr(lesson, "info", None), "id", "")
    return result.describe(lesson_id)
