"""The base class of dynamic probes and the context a probe runs in.

A probe class is pure metadata plus ``run``. The parent process imports probe classes only to
list and document them (``kerascheck rule KP102``) and to name them to the child process, so a
probe module must not import TensorFlow or Keras at module level: do it inside ``run``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from kerascheck.checkdoc import Documented
from kerascheck.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import numpy as np


#: How many layers a grouped finding names before it says "and N more".
MAX_NAMED_LAYERS = 5


class Probe(Documented):
    """A dynamic check run on a loaded model inside the probe subprocess.

    Subclasses set ``code`` (``KPnnn``), ``name``, ``summary``, ``severity``, ``options`` and a
    docstring with the ruff sections, and implement :meth:`run`.
    """

    #: Documented only: run by the Keras callback during ``fit``, never on a saved model.
    callback_only: ClassVar[bool] = False
    #: Documented only: emitted by the runner itself (KP001, KP002), never run as a probe.
    runner_emitted: ClassVar[bool] = False
    #: False for probes that only inspect weights/config; they run even when no inputs exist.
    needs_inputs: ClassVar[bool] = True

    def run(self, ctx: ProbeContext) -> Iterable[Finding]:
        """Examine ``ctx.model`` and yield findings (built with :meth:`ProbeContext.finding`)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement run()")

    @classmethod
    def runs_on_models(cls) -> bool:
        """Whether the runner executes this probe on a loaded model."""
        return not (cls.callback_only or cls.runner_emitted)

    @classmethod
    def finding_on(
        cls,
        target: str,
        message: str,
        *,
        layer: str | None = None,
        severity: Severity | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
    ) -> Finding:
        """A finding of this probe about the model ``target`` names (a path or ``file.py:fn``):
        located at ``target::layer``, or at the model itself when no layer is given."""
        return cls.finding_at(Location(path=target, logical=layer), message, severity=severity, extra=extra)

    @classmethod
    def ref(cls) -> str:
        """``"module:QualName"``: how the child process finds this class again."""
        return f"{cls.__module__}:{cls.__qualname__}"

    @classmethod
    def resolve_options(cls, configured: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
        """The class defaults overlaid with options configured under the code or the slug."""
        result = dict(cls.options)
        for key in (cls.name, cls.code):  # the code wins when both are given
            result.update((configured or {}).get(key, {}))
        return result


class ProbeContext:
    """Everything a probe may use: the model, its inputs, its options and scratch space.

    Built by the child process once per probe. ``inputs`` is in the structure the model takes
    (one array, a list of arrays, or a dict keyed by input name) and has ``batch_size`` rows,
    which is the fixed batch size of a stateful model when it has one.
    """

    def __init__(
        self,
        *,
        probe: type[Probe],
        model: Any,
        path: str,
        inputs: Any,
        batch_size: int,
        options: Mapping[str, Any],
        rng: np.random.Generator,
        tmpdir: Path,
        source_format: str,
        compile_error: str | None = None,
        unsafe: bool = False,
        reload_kwargs: Mapping[str, Any] | None = None,
        reference: list[Any] | None = None,
    ) -> None:
        self.probe = probe
        self.model = model
        self.path = path
        self.inputs = inputs
        self.batch_size = batch_size
        self.options = dict(options)
        self.rng = rng
        self.tmpdir = tmpdir
        #: ``"keras"``, ``"h5"``, ``"savedmodel"`` or ``"factory"``.
        self.source_format = source_format
        #: Why loading with ``compile=True`` failed (the model was then loaded uncompiled).
        self.compile_error = compile_error
        self.unsafe = unsafe
        #: Keyword arguments for ``keras.saving.load_model`` that match how the model was loaded.
        self.reload_kwargs = dict(reload_kwargs or {})
        #: Outputs the model gave for ``inputs`` before it was saved (flattened arrays), when
        #: known: the Python API records them for in-memory models. KP104 compares against it.
        self.reference = reference

    def finding(
        self,
        message: str,
        layer: str | None = None,
        severity: Severity | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
    ) -> Finding:
        """A finding of this probe located at ``path::layer`` (or at the model when no layer).

        ``extra`` carries data for reports, e.g. ``("divergence", ((layer, max diff), ...))``
        for the per-layer plot of the HTML report.
        """
        return self.probe.finding_on(self.path, message, layer=layer, severity=severity, extra=extra)

    def layers_finding(
        self, kind: str, paths: Sequence[str], statement: str, severity: Severity | None = None
    ) -> Finding:
        """One finding for one cause seen in several layers (52 untrained BatchNormalization
        layers are one problem): names the first few with the count, and keeps every path in
        ``extra["layers"]``. A single layer is located at that layer. ``kind`` qualifies the
        word "layer" (``"BatchNormalization"`` → "BatchNormalization layer 'bn'"; ``""`` for
        none).
        """
        layers = (("layers", tuple(paths)),)
        if len(paths) == 1:
            subject = f"{kind} layer {paths[0]!r}".strip()
            return self.finding(f"{subject}: {statement}", layer=paths[0], severity=severity, extra=layers)
        shown = ", ".join(repr(p) for p in paths[:MAX_NAMED_LAYERS])
        more = f" and {len(paths) - MAX_NAMED_LAYERS} more" if len(paths) > MAX_NAMED_LAYERS else ""
        subject = " ".join(part for part in (str(len(paths)), kind, "layers") if part)
        return self.finding(f"{subject} ({shown}{more}): {statement}", severity=severity, extra=layers)

    # Helpers shared by several probes; they import Keras lazily via kerascheck.probes._tf.

    def tolerances(self) -> tuple[float, float]:
        """``(atol, rtol)`` from the probe's options, for probes that compare outputs."""
        return float(self.options["atol"]), float(self.options["rtol"])

    def predict(self, model: Any = None, inputs: Any = None) -> Any:
        """``model.predict`` with the batch size the inputs were made for, quietly."""
        target = self.model if model is None else model
        data = self.inputs if inputs is None else inputs
        return target.predict(data, batch_size=self.batch_size, verbose=0)

    def reset_states(self, model: Any = None) -> None:
        """Reset every stateful RNN so the next call starts from zero state."""
        from kerascheck.probes import _tf

        _tf.reset_states(self.model if model is None else model)
