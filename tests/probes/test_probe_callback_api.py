"""The training callback (KP201, KP202) and the Python API on in-memory models."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

pytestmark = pytest.mark.tf
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from kerascheck.callback import KerascheckCallback  # noqa: E402
from kerascheck.findings import Severity  # noqa: E402
from kerascheck.probes.probe_function import probe  # noqa: E402


def overfitting_run(build_module: ModuleType, extra_callbacks: list, counter: bool = False) -> KerascheckCallback:
    """A wide net on 32 noise samples: validation loss bottoms out early, then rises."""
    custom = build_module.cl
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y, xv, yv = (rng.standard_normal(s).astype("float32") for s in [(32, 20), (32, 1), (32, 20), (32, 1)])
    inputs = keras.Input((20,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    if counter:
        hidden = custom.CallCounter(name="counter")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    check = KerascheckCallback(verbose=False)
    history = model.fit(x, y, validation_data=(xv, yv), epochs=25, verbose=0, callbacks=[check, *extra_callbacks])
    losses = history.history["val_loss"]
    assert losses[-1] > min(losses)  # the premise: the last epoch is not the best
    return check


def test_kp201_when_last_epoch_is_worse_and_nothing_restores(build_module: ModuleType) -> None:
    check = overfitting_run(build_module, [], counter=True)
    by_code = {f.code: f for f in check.findings}
    assert set(by_code) == {"KP201", "KP202"}
    assert f"epoch {check.best_epoch + 1} reached" in by_code["KP201"].message
    assert by_code["KP201"].location.path == __file__  # where fit was called
    assert by_code["KP202"].location.logical == "counter"
    assert "calls:" in by_code["KP202"].message


def test_silent_when_early_stopping_restores_best_weights(build_module: ModuleType) -> None:
    restore = keras.callbacks.EarlyStopping(patience=100, restore_best_weights=True)
    check = overfitting_run(build_module, [restore])
    assert check.findings == []
    assert check.best_epoch is not None  # it did track the metric


def test_api_probes_an_in_memory_model_against_its_own_predictions(build_module: ModuleType) -> None:
    model = build_module.build_lossy_config()
    findings = probe(model, select=["reload-mismatch", "KP106"])
    assert [f.code for f in findings] == ["KP104"]
    assert findings[0].location.path == "<in-memory model 'lossy_config'>"
    assert "in-memory model" in findings[0].message


def test_api_path_with_array_sample(build_module: ModuleType, example_models: dict) -> None:
    findings = probe(example_models["single_unit_softmax.keras"], sample=np.ones((2, 6), "float32"), select=["KP108"])
    assert [(f.code, f.severity) for f in findings] == [("KP108", Severity.WARNING)]


def test_kp201_ignores_noise_and_shows_values_that_differ() -> None:
    check = KerascheckCallback(verbose=False, select=("KP201",))
    for epoch, value in enumerate([0.9, 0.5, 0.50025]):  # a 0.05 % wiggle after the best epoch
        check.on_epoch_end(epoch, {"val_loss": value})
    check.on_train_end()
    assert check.findings == []

    strict = KerascheckCallback(verbose=False, select=("KP201",), relative_delta=0.0)
    for epoch, value in enumerate([0.9, 0.5, 0.50025]):
        strict.on_epoch_end(epoch, {"val_loss": value})
    strict.on_train_end()
    (finding,) = strict.findings
    assert "val_loss=0.5002," in finding.message and "reached 0.5;" in finding.message  # never "equal"


def test_kp201_says_when_the_monitored_metric_never_appears() -> None:
    check = KerascheckCallback(verbose=False, select=("KP201",))
    for epoch in range(3):
        check.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    check.on_train_end()
    (finding,) = check.findings
    assert finding.code == "KP201" and finding.severity is Severity.INFO
    assert "'val_loss' was never logged (logged: loss)" in finding.message


def test_api_rejects_unknown_selectors_like_check() -> None:
    from kerascheck.config import ConfigError

    with pytest.raises(ConfigError, match="KP9"):
        probe("model.keras", select=["KP9"])


class Unbuilt(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_api_returns_findings_for_models_it_cannot_feed_or_save(build_module: ModuleType) -> None:
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorize.adapt(["good film", "bad plot twist"])
    text = keras.Input((1,), dtype="string")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 3)(vectorize(text)))
    string_model = keras.Model(text, keras.layers.Dense(1, activation="sigmoid")(pooled), name="reviews")
    # a string-input model is probed like any other (its inputs come from the vocabulary)
    assert probe(string_model, select=["KP102", "KP104"]) == []
    # an unbuilt subclassed model: no weights, no signature; findings, not an exception
    findings = probe(Unbuilt(name="unbuilt"))
    assert findings and {f.code for f in findings} <= {"KP001", "KP002"}
    assert all(f.location.path == "<in-memory model 'unbuilt'>" for f in findings)
