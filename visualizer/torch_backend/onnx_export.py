"""ONNX export of a torch lesson's model, for Netron or an ONNX runtime.

The model is one module of the lesson's :class:`~visualizer.torch_backend.trainer.TorchTrainer`
(``lesson.trainer.modules``): ``model`` where the lesson has one, a GAN's generator ``G``, a DQN's ``online``
network, else the first (:func:`pick_module`).  Its example input is the input of its last real forward call,
which the trainer keeps (``TorchTrainer.last_inputs``, references, no copy); a lesson that has not called it yet
(nothing trained, or a model called only through other methods) gets one snapshot of its views first, which runs
most models once.  The export is ``torch.onnx.export(..., dynamo=True)`` (torch.export and onnxscript, opset
:data:`OPSET`) in evaluation mode (dropout off, batch norm with its running statistics), with the legacy TorchScript
exporter as the fallback; then ``onnx.checker.check_model``.  The input shapes are those of the recorded call
(fixed, e.g. a batch of 64).  Needs the optional extra ``pip install 'deep-learning-visualizer[onnx]'`` (onnx,
onnxscript).  Imports torch: import only on a torch lesson's path.
"""
from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn
from torch.utils import _pytree

OPSET = 18
INSTALL_HINT = "pip install 'deep-learning-visualizer[onnx]'"
PREFERRED = ("model", "G", "online", "net")       # the module a lesson's "model" means, in this order
EXTERNAL_DATA_BYTES = 1_800_000_000               # above this (ONNX's 2 GB protobuf limit) weights go in a .data file


class OnnxExportError(ValueError):
    """The model cannot be exported: the message names the module and, where the exporter said, the operator."""


@dataclass
class OnnxExport:
    """One exported model.  path: the .onnx file; module: its name in the lesson's trainer (e.g. ``G``);
    module_class: its class name; exporter: ``dynamo`` or ``torchscript``; opset: the ONNX opset;
    inputs: the example input's tensors as float/int arrays, in the graph's input order (non-tensor arguments
    are constants of the graph); outputs: PyTorch's outputs on them in evaluation mode, flattened in the graph's
    output order; warning: why the first exporter failed where the fallback was used ("" otherwise)."""

    path: Path
    module: str
    module_class: str
    exporter: str
    opset: int
    inputs: list[np.ndarray] = field(default_factory=list)
    outputs: list[np.ndarray] = field(default_factory=list)
    warning: str = ""

    def describe(self, lesson_id: str = "") -> str:
        """One line for the user: what was exported where, and how to look at it."""
        shapes = ", ".join("x".join(map(str, a.shape)) or "scalar" for a in self.inputs) or "none"
        who = f"{lesson_id}'s " if lesson_id else ""
        return (f"Exported {who}module '{self.module}' ({self.module_class}) to {self.path} as ONNX opset "
                f"{self.opset} ({self.exporter} exporter; input {shapes}); open it in Netron to see the graph.")


def trainer_modules(lesson) -> Mapping[str, nn.Module]:
    """The lesson's PyTorch modules (name -> module); raises NotImplementedError for a lesson without a
    TorchTrainer (the numpy engine, or a lesson that trains no network)."""
    modules = getattr(getattr(lesson, "trainer", None), "modules", None)
    if not isinstance(modules, Mapping) or not modules or not all(isinstance(m, nn.Module) for m in modules.values()):
        engine = getattr(getattr(lesson, "hp", None), "get", lambda *_: None)("engine")
        hint = " (it runs on the numpy engine: switch Engine to torch)" if engine == "numpy" else ""
        raise NotImplementedError(f"this lesson has no PyTorch model to export{hint}")
    return modules


def pick_module(modules: Mapping[str, nn.Module], name: str | None = None) -> str:
    """The module to export: ``name`` if given (KeyError-free: NotImplementedError naming the choices), else the
    first of :data:`PREFERRED` present, else the first module."""
    if name is not None:
        if name not in modules:
            raise NotImplementedError(f"no module {name!r}; this lesson has {', '.join(modules)}")
        return name
    return next((n for n in PREFERRED if n in modules), next(iter(modules)))


def _unwrap(module: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel (or DataParallel) wrapper."""
    return getattr(module, "module", module) if hasattr(module, "module") and isinstance(
        getattr(module, "module"), nn.Module) else module


def _recorded(lesson, name: str) -> tuple[tuple, dict]:
    store = getattr(lesson.trainer, "last_inputs", None)
    if store is None:
        raise NotImplementedError("this lesson's trainer does not record its model's inputs")
    if name not in store:
        with torch.no_grad():
            lesson.snapshot()                   # most views run the model once
    if name not in store:
        raise OnnxExportError(f"module '{name}' has not been called yet, so its input is unknown: train a step "
                              "first (a lesson that calls only parts of it, e.g. an encoder, cannot be exported "
                              "whole)")
    args, kwargs = store[name]

    def copy(x: Any) -> Any:
        return x.detach().clone() if isinstance(x, torch.Tensor) else x
    return _pytree.tree_map(copy, tuple(args)), _pytree.tree_map(copy, dict(kwargs))


def _tensors(tree: Any) -> list[torch.Tensor]:
    return [x for x in _pytree.tree_leaves(tree) if isinstance(x, torch.Tensor)]


def _numpy(t: torch.Tensor) -> np.ndarray:
    t = t.detach().cpu()
    return (t.float() if t.dtype in (torch.float16, torch.bfloat16) else t).numpy().copy()


_OP = re.compile(r"(aten[:.]{1,2}[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)")


def _reason(e: BaseException) -> str:
    """The operator an exporter error names (``aten::...``), else its first line."""
    text = f"{type(e).__name__}: {e}"
    ops = sorted(set(_OP.findall(text)))
    first = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
    if ops:
        return f"unsupported operator {', '.join(ops[:3])} ({first[:200]})"
    return first[:300]


def _export(model: nn.Module, args: tuple, kwargs: dict, path: Path, opset: int, dynamo: bool) -> None:
    big = sum(p.numel() * p.element_size() for p in model.parameters()) > EXTERNAL_DATA_BYTES
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if dynamo:
            program = torch.onnx.export(model, args, kwargs=kwargs or None, dynamo=True, opset_version=opset,
                                        verbose=False, optimize=True, report=False, external_data=big)
            program.save(str(path), external_data=big)
        else:
            torch.onnx.export(model, args, str(path), kwargs=kwargs or None, dynamo=False, opset_version=opset,
                              verbose=False)


def export_onnx(lesson, path: Path | str, module: str | None = None, opset: int = OPSET) -> OnnxExport:
    """Export one module of ``lesson``'s trainer (:func:`pick_module`) to ``path`` as ONNX and check the file
    with ``onnx.checker``.  The module is in evaluation mode while it is exported and returns to its mode after;
    its weights are not changed.  Returns an :class:`OnnxExport` with the example input and PyTorch's output.

    Raises ImportError (onnx or onnxscript missing: the message says how to install them), NotImplementedError
    (no PyTorch model), OnnxExportError (the model cannot be exported: the operator is named; or the checker
    rejects the file) and OSError (the file cannot be written)."""
    try:
        import onnx
        import onnxscript  # noqa: F401 - the dynamo exporter needs it
    except ImportError as e:
        raise ImportError(f"ONNX export needs onnx and onnxscript ({e}): {INSTALL_HINT}") from None
    modules = trainer_modules(lesson)
    name = pick_module(modules, module)
    model = _unwrap(modules[name])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = lesson.trainer.last_inputs
    args, kwargs = _recorded(lesson, name)
    kept = store.get(name)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            expected = model(*args, **kwargs)
        exporter, warning = "dynamo", ""
        try:
            _export(model, args, kwargs, path, opset, dynamo=True)
        except Exception as first:                     # noqa: BLE001 - any exporter failure: try the other one
            warning = _reason(first)
            exporter = "torchscript"
            try:
                _export(model, args, kwargs, path, opset, dynamo=False)
            except Exception:                           # noqa: BLE001
                raise OnnxExportError(f"module '{name}' ({type(model).__name__}) cannot be exported to ONNX: "
                                      f"{warning}") from first
    finally:
        model.train(was_training)
        if kept is not None:
            store[name] = kept                          # tracing calls the module too: keep the real input
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as e:                              # noqa: BLE001 - the checker's own error types vary
        raise OnnxExportError(f"the exported file of module '{name}' fails onnx.checker: {_reason(e)}") from e
    return OnnxExport(path, name, type(model).__name__, exporter, opset,
                      [_numpy(t) for t in _tensors((args, kwargs))], [_numpy(t) for t in _tensors(expected)],
                      warning)


def export_onnx_message(lesson, path: str) -> str:
    """:func:`export_onnx` with its default module, for ``session.export_model``: the line to show the user."""
    result = export_onnx(lesson, path)
    lesson_id = getattr(getattr(lesson, "info", None), "id", "")
    line = result.describe(lesson_id)
    if result.warning:
        line += f" (the dynamo exporter failed: {result.warning})"
    return line
