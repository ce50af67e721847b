"""KP111: the model exported for serving (``model.export``) computes what ``predict`` does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from kerascheck.findings import Finding
from kerascheck.probes.base import Probe, ProbeContext


class ServingMismatch(Probe):
    """## What it does
    Exports the model the way it is served (`model.export(dir)`, a TensorFlow SavedModel for
    TF Serving, TFLite conversion or Vertex AI), loads the export back with
    `tf.saved_model.load`, calls its `serve` endpoint on the probe inputs and compares the
    result with `predict`. Reports an export that fails, outputs that differ, and an export
    whose graph calls back into Python (`tf.numpy_function`, `tf.py_function`): it only runs
    in a Python process that has the same code loaded, never in TF Serving. Models with ragged
    inputs are not compared (the export is traced with dense input specs).

    ## Why is this bad?
    The SavedModel is traced from `call` with `training=False`; anything that only happens in
    Python (a custom `predict_step`, preprocessing done outside the model, a layer whose `call`
    branches on Python values or on the batch size) is missing from it. The model you tested
    is then not the model you serve.

    ## Example
    ```python
    class Round(keras.layers.Layer):
        def call(self, x):             # NumPy inside the graph: not part of the SavedModel
            return tf.numpy_function(lambda a: np.round(a, 2), [x], x.dtype)
    ```

    ## Use instead
    Keep every step of inference inside `call` and written with `keras.ops` (no Python
    branching on tensor values or shapes), and test the exported artifact itself.

    ## Options
    * `atol` (default `1e-5`), `rtol` (default `1e-4`): tolerance when comparing outputs.
    """

    code = "KP111"
    name = "serving-mismatch"
    summary = "The exported SavedModel (model.export) predicts differently from predict()"
    options: ClassVar[dict[str, Any]] = {"atol": 1e-5, "rtol": 1e-4}

    def run(self, ctx: ProbeContext) -> Iterator[Finding]:
        import tensorflow as tf

        from kerascheck.probes import _tf
        from kerascheck.probes.loading import short_cause

        if ctx.source_format == "savedmodel":
            return  # already the served artifact
        if _has_ragged(ctx.inputs):
            return  # the export's serve signature is traced dense: no fair comparison to make
        atol, rtol = ctx.tolerances()
        ctx.reset_states()
        expected = ctx.predict()
        ctx.reset_states()
        if not _tf.close(expected, ctx.predict(), atol, rtol):
            return  # random predictions are KP102's
        for kwargs in ({"training": False}, {}):
            ctx.reset_states()
            if not _tf.close(expected, ctx.model(ctx.inputs, **kwargs), atol, rtol):
                # The export traces call(); when call() disagrees with predict, KP107 (with
                # training=False) or KP103 (without) already reports the cause.
                return
        ctx.reset_states()
        target = ctx.tmpdir / "exported"
        try:
            ctx.model.export(str(target), verbose=False)
        except Exception as exc:  # any failure is the finding
            yield ctx.finding(f"model.export() fails, so this model cannot be served as a SavedModel: {short_cause(exc)}")
            return
        try:
            served = _serve(tf.saved_model.load(str(target)), ctx.inputs)
        except Exception as exc:
            yield ctx.finding(
                "calling the exported SavedModel's serve endpoint fails (TF Serving would too): "
                f"{short_cause(exc)}"
            )
            return
        python_ops = _python_callbacks(target)
        if python_ops:
            yield ctx.finding(
                f"the exported SavedModel calls back into Python ({', '.join(python_ops)}, from "
                "tf.numpy_function/tf.py_function): it runs only in a process that has this "
                "Python code loaded, not in TF Serving, TFLite or another language; write the "
                "step with keras.ops"
            )
            return
        if _tf.close(expected, served, atol, rtol):
            return
        yield ctx.finding(
            f"the exported SavedModel (model.export, 'serve' endpoint) differs from predict by up "
            f"to {_tf.max_difference(expected, served):.3g}: part of inference happens outside the "
            "traced call() (Python branches on shapes or values, state kept in Python)"
        )


def _has_ragged(data: Any) -> bool:
    values = data.values() if isinstance(data, dict) else data if isinstance(data, (list, tuple)) else [data]
    return any(type(value).__name__ == "RaggedTensor" for value in values)


def _serve(loaded: Any, inputs: Any) -> Any:
    """Call the export's ``serve`` endpoint in the batch size the inputs have."""
    return loaded.serve(inputs)


#: Graph ops that call a Python function registered in the exporting process.
_PYTHON_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})


def _python_callbacks(saved_model: Any) -> list[str]:
    """Names of ops in an exported SavedModel's graph that call back into Python."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((saved_model / "saved_model.pb").read_bytes())
    found: set[str] = set()
    for graph in proto.meta_graphs:
        nodes = list(graph.graph_def.node)
        for function in graph.graph_def.library.function:
            nodes.extend(function.node_def)
        found.update(node.op for node in nodes if node.op in _PYTHON_OPS)
    return sorted(found)
