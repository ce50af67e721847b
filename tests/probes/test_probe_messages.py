"""One finding per cause, with the right cause named: probes run in-process on real tiny
Keras models (a ProbeContext built by hand, as the child builds it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from kerascheck.probes import _tf, inputs  # noqa: E402
from kerascheck.probes.base import ProbeContext  # noqa: E402
from kerascheck.probes.determinism import NondeterministicPredict, TrainingFlagSensitive  # noqa: E402
from kerascheck.probes.state import StatefulLayers  # noqa: E402


def run(probe, model, tmp_path: Path) -> list:
    data, batch = inputs.synthesize(inputs.signature(model), np.random.default_rng(0))
    ctx = ProbeContext(
        probe=probe, model=model, path="m.keras", inputs=inputs.as_model_inputs(data), batch_size=batch,
        options=probe.resolve_options({}), rng=np.random.default_rng(0), tmpdir=tmp_path, source_format="keras",
    )
    return list(probe().run(ctx))


def test_stateful_bidirectional_is_reported_once(tmp_path: Path) -> None:
    sequence = keras.Input(batch_shape=(2, 5, 3))
    wrapped = keras.layers.Bidirectional(keras.layers.LSTM(4, stateful=True), name="both_ways")(sequence)
    model = keras.Model(sequence, keras.layers.Dense(1)(wrapped))
    assert [path for path, _ in _tf.stateful_layers(model)] == ["both_ways"]
    (finding,) = run(StatefulLayers, model, tmp_path)
    assert finding.location.logical == "both_ways"
    assert "stateful Bidirectional layer 'both_ways'" in finding.message


class Counter(keras.layers.Layer):
    """Adds how often it was called: a variable updated during predict, no randomness."""

    def build(self, shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, x):
        self.calls.assign_add(1.0)
        return x + self.calls


def test_kp102_says_a_variable_update_not_randomness(tmp_path: Path) -> None:
    features = keras.Input((3,))
    model = keras.Model(features, keras.layers.Dense(2)(Counter(name="counter")(features)))
    (finding,) = run(NondeterministicPredict, model, tmp_path)
    assert "'counter' updates its variables during predict" in finding.message
    assert "random" not in finding.message
    assert dict(finding.extra)["divergence"][0][0] == "counter"  # the plot data, per layer


def test_kp103_advice_for_builtin_augmentation_layers(tmp_path: Path) -> None:
    image = keras.Input((8, 8, 3))
    augmented = keras.layers.RandomFlip(name="flip")(keras.layers.RandomRotation(0.2, name="rotate")(image))
    model = keras.Model(image, keras.layers.GlobalAveragePooling2D()(augmented))
    (finding,) = run(TrainingFlagSensitive, model, tmp_path)
    assert "2 built-in augmentation layers ('rotate', 'flip')" in finding.message
    assert "training=False" in finding.message and "default training to None" not in finding.message
    assert dict(finding.extra)["layers"] == ("rotate", "flip")
