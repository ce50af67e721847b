"""A Keras callback that checks a training run: ``KerascheckCallback``.

    from kerascheck.callback import KerascheckCallback
    check = KerascheckCallback()
    model.fit(x, y, validation_data=(xv, yv), epochs=20, callbacks=[check])
    check.findings   # [Finding(...)], also printed one line each at the end of fit

It reports KP201 (best-epoch-not-restored) and KP202 (python-state-in-training); their
documentation lives in :mod:`kerascheck.probes.training`. Importing this module imports Keras,
which anyone adding a callback to ``fit`` has already done.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import sys
from pathlib import Path
from typing import Any

import keras

from kerascheck.findings import Finding, Location, Severity
from kerascheck.probes.python_state import changed_attributes, changed_message, python_state
from kerascheck.probes.training import BestEpochNotRestored, PythonStateInTraining

_KERAS_ROOT = str(Path(keras.__file__).resolve().parent.parent)
_OWN_ROOT = str(Path(__file__).resolve().parent)


class KerascheckCallback(keras.callbacks.Callback):
    """Check a ``fit`` run; findings are printed at the end and kept in :attr:`findings`.

    KP201: the last epoch's ``monitor`` value is worse than the best epoch's by more than
    ``max(min_delta, relative_delta * |best|)`` (so a 0.05 % wiggle is not a finding), and no
    ``EarlyStopping(restore_best_weights=True)`` in the same ``fit`` call restores the best
    weights. The callbacks of the running ``fit`` are found by looking up
    the ``CallbackList`` that holds this callback in the calling frames; if it cannot be
    found, no restoring callback is assumed. The check uses the logged metric values, so it
    costs nothing per batch. When ``monitor`` is never logged (no validation data, a typo), an
    info finding says so instead of staying silent.

    KP202: plain Python attributes of the model and its layers (numbers, strings, booleans,
    ``None``, and the length of lists/dicts/sets of such values) are recorded at
    ``on_train_begin`` and compared at ``on_train_end``; Keras variables, private (``_``)
    attributes and the attributes Keras manages itself are ignored.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        min_delta: float = 0.0,
        relative_delta: float = 0.01,
        verbose: bool = True,
        select: tuple[str, ...] = ("KP201", "KP202"),
        report: str | Path | None = None,
    ) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', not {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.relative_delta = abs(float(relative_delta))
        self.verbose = verbose
        self.select = tuple(select)
        #: An HTML file written at the end of fit: the findings and the monitored curve.
        self.report = report
        self.findings: list[Finding] = []
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.last: float | None = None
        self.last_epoch: int | None = None
        self.epochs = 0
        self.logged: set[str] = set()
        #: ``(epoch, value)`` of the monitored metric, for the report's curve.
        self.curve: list[tuple[int, float]] = []
        self._before: dict[str, dict[str, Any]] = {}
        self._restorer: Any = None
        self._where = Location(path="<fit>")

    # --- Keras hooks ------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()
        self.findings = []
        frames = inspect.stack(context=0)
        try:
            self._restorer = _find_restorer(self, frames)
            self._where = _fit_call_site(frames)
        finally:
            del frames  # frames hold references to every local of the stack
        self._before = python_state(self.model)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epochs += 1
        self.logged.update(logs or {})
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        value = float(value)
        if math.isnan(value):
            return
        self.curve.append((epoch, value))
        self.last, self.last_epoch = value, epoch
        if self.best is None or self._improves(value, self.best):
            self.best, self.best_epoch = value, epoch

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if "KP201" in self.select:
            self.findings.extend(self._check_best_epoch())
        if "KP202" in self.select:
            self.findings.extend(self._check_python_state())
        if self.verbose:
            for finding in self.findings:
                print(f"{finding.location.display()}: {finding.code} {finding.message}", file=sys.stderr)
        if self.report is not None:
            from kerascheck.probes import html_report

            html_report.write_training(self.report, self.findings, self.monitor, self.curve, self.best_epoch)

    # --- checks -----------------------------------------------------------------------

    def _maximise(self) -> bool:
        if self.mode != "auto":
            return self.mode == "max"
        name = self.monitor.removeprefix("val_")
        return any(word in name for word in ("acc", "auc", "precision", "recall", "f1", "iou"))

    def _improves(self, value: float, reference: float) -> bool:
        if self._maximise():
            return value > reference + self.min_delta
        return value < reference - self.min_delta

    def tolerance(self) -> float:
        """How much worse than the best the last epoch may be before KP201 reports it."""
        return max(self.min_delta, self.relative_delta * abs(self.best or 0.0))

    def _check_best_epoch(self) -> list[Finding]:
        if self.best is None and self.epochs:
            logged = ", ".join(sorted(self.logged)) or "nothing"
            message = (
                f"KP201 could not check this fit: {self.monitor!r} was never logged (logged: "
                f"{logged}); pass validation data or KerascheckCallback(monitor=...)"
            )
            return [BestEpochNotRestored.finding_at(self._where, message, severity=Severity.INFO)]
        if self.best is None or self.last is None or self.best_epoch == self.last_epoch:
            return []
        if abs(self.last - self.best) <= self.tolerance():
            return []  # within tolerance of the best: noise, not a lost model
        if self._restorer is not None:
            return []
        assert self.best_epoch is not None and self.last_epoch is not None
        last, best = _distinct(self.last, self.best)
        message = (
            f"training ended at epoch {self.last_epoch + 1} with {self.monitor}={last}, "
            f"but epoch {self.best_epoch + 1} reached {best}; the model keeps the last "
            "epoch's weights: use EarlyStopping(restore_best_weights=True) or load the best "
            "checkpoint after fit"
        )
        return [BestEpochNotRestored.finding_at(self._where, message)]

    def _check_python_state(self) -> list[Finding]:
        findings = []
        for path, changes in changed_attributes(self._before, python_state(self.model)):
            where = dataclasses.replace(self._where, logical=path or None)
            message = changed_message(path or self.model.name, changes, "during training")
            findings.append(PythonStateInTraining.finding_at(where, message))
        return findings


def _distinct(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with the fewest significant digits (4 or more) that tell them apart."""
    for digits in range(4, 17):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if left != right:
            return left, right
    return repr(a), repr(b)


def _find_restorer(callback: Any, frames: list[inspect.FrameInfo]) -> Any:
    """The ``EarlyStopping(restore_best_weights=True)`` running next to ``callback``, if any."""
    for info in frames:
        for value in info.frame.f_locals.values():
            members = getattr(value, "callbacks", None)
            if not isinstance(members, list) or not any(m is callback for m in members):
                continue
            for member in members:
                if isinstance(member, keras.callbacks.EarlyStopping) and member.restore_best_weights:
                    return member
            return None
    return None


def _fit_call_site(frames: list[inspect.FrameInfo]) -> Location:
    """Where user code called ``fit``: the first frame outside Keras, TF and kerascheck."""
    for info in frames[1:]:
        filename = str(Path(info.filename).resolve()) if not info.filename.startswith("<") else info.filename
        if filename.startswith((_KERAS_ROOT, _OWN_ROOT)) or "tensorflow" in filename:
            continue
        return Location(path=info.filename, line=info.lineno or 1)
    return Location(path="<fit>")
