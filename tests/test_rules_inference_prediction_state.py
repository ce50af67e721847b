"""KC2xx / KC5xx / KC7xx beyond their examples: multi-line code, import aliases, fixes."""

from __future__ import annotations

import textwrap

from kerascheck.rules.inference import (
    CallTrainingDefaultTrue,
    LearningPhaseApi,
    TrainingOverriddenInCall,
    TrainingTrueAtInference,
)
from kerascheck.rules.prediction import (
    ArgmaxOnSingleOutput,
    ArgmaxWithoutAxis,
    PredictInLoop,
    PredictInTfFunction,
    PredictOnBatchWholeDataset,
)
from kerascheck.rules.state import (
    PythonStateInCall,
    StatefulBatchSize,
    StatefulFitShuffle,
    StatefulPredictWithoutReset,
)
from kerascheck.testing import check_source, fix_source


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def lines(findings) -> list[int]:
    return [f.location.line for f in findings]


# -- KC201 -------------------------------------------------------------------------------------


def test_kc201_multiline_call_with_module_alias() -> None:
    code = src(
        """
        import tensorflow.keras as K
        model = K.models.load_model("m.keras")
        probs = model(
            images,
            training=True,
        )
        """
    )
    findings = check_source(TrainingTrueAtInference, code)
    assert lines(findings) == [3]
    assert findings[0].message.startswith("`model(..., training=True)` outside training code")
    assert (findings[0].location.end_line, findings[0].code) == (6, "KC201")


def test_kc201_silent_in_multiline_gradient_tape_and_train_functions() -> None:
    code = src(
        """
        import tf_keras as keras
        import tensorflow as tf
        model = keras.Sequential([keras.layers.Dense(2)])
        with tf.GradientTape(
            persistent=True,
        ) as tape:
            out = model(x, training=True)
        def train_epoch(batch):
            return model(batch, training=True)
        """
    )
    assert check_source(TrainingTrueAtInference, code) == []


def test_kc201_layer_alias_batchnorm_flagged_dropout_silent() -> None:
    code = src(
        """
        from keras import layers as L
        h = L.Dropout(0.3)(x, training=True)
        h = L.BatchNormalization()(h, training=True)
        """
    )
    findings = check_source(TrainingTrueAtInference, code)
    assert lines(findings) == [3]
    assert "BatchNormalization" in findings[0].message


def test_kc201_only_the_undeclared_call_of_two() -> None:
    code = src(
        """
        import keras
        model = keras.models.load_model("m.keras")
        def predict_with_uncertainty(x):
            return [model(x, training=True) for _ in range(30)]
        def serve(x):
            return model(x, training=True)
        """
    )
    assert lines(check_source(TrainingTrueAtInference, code)) == [6]


# -- KC202 / KC203 -----------------------------------------------------------------------------


def test_kc202_multiline_signature_fix_with_layers_alias() -> None:
    code = src(
        """
        from keras import layers as L
        class Noisy(L.Layer):
            def call(
                self,
                x,
                training=True,
            ):
                return x
        """
    )
    findings = check_source(CallTrainingDefaultTrue, code)
    assert lines(findings) == [6]
    assert "`Noisy.call` defaults to `training=True`" in findings[0].message
    assert findings[0].fix is not None and findings[0].fix.applicability.value == "safe"
    assert fix_source(CallTrainingDefaultTrue, code) == code.replace("training=True", "training=None")


def test_kc202_subclass_of_local_layer_subclass() -> None:
    code = src(
        """
        import tensorflow as tf
        class Base(tf.keras.layers.Layer):
            pass
        class Child(Base):
            def call(self, x, training=True):
                return x
        """
    )
    assert lines(check_source(CallTrainingDefaultTrue, code)) == [5]


def test_kc203_aliases_and_forwarding() -> None:
    code = src(
        """
        from keras import layers as L
        class Head(L.Layer):
            def __init__(self):
                super().__init__()
                self.drop = L.Dropout(0.5)
                self.norm = L.BatchNormalization()
            def call(self, x, training=None):
                x = self.drop(x, training=training)
                x = self.norm(
                    x,
                    training=True,
                )
                return self.drop(x, training=False)
        """
    )
    findings = check_source(TrainingOverriddenInCall, code)
    assert lines(findings) == [9, 13]
    assert "training=True" in findings[0].message
    assert "never drops" in findings[1].message


def test_kc203_mc_dropout_layer_is_silent() -> None:
    code = src(
        """
        import tensorflow.keras as K
        class MCDropout(K.layers.Dropout):
            def call(self, inputs):
                return super().call(inputs, training=True)
        class Head(K.layers.Layer):
            def call(self, x):
                # MC dropout: sample at inference on purpose
                return self.dropout(x, training=True)
        """
    )
    assert check_source(TrainingOverriddenInCall, code) == []


# -- KC204 -------------------------------------------------------------------------------------


def test_kc204_tf_keras_and_aliases() -> None:
    code = src(
        """
        import tf_keras as keras
        from tensorflow.keras import backend as B
        keras.backend.set_learning_phase(0)
        f = B.function(
            [model.input, B.learning_phase()],
            [model.output],
        )
        """
    )
    findings = check_source(LearningPhaseApi, code)
    assert lines(findings) == [3, 5]
    assert "`set_learning_phase` was removed in Keras 3" in findings[0].message
    keras2 = check_source(LearningPhaseApi, code, target_keras="2.15")
    assert all("deprecated" in f.message for f in keras2) and len(keras2) == 2


# -- KC501 -------------------------------------------------------------------------------------


def test_kc501_multiline_sample_and_alias() -> None:
    code = src(
        """
        import numpy as np
        import tensorflow.keras as K
        model = K.models.load_model("m.keras")
        for path in paths:
            img = load(path)
            pred = model.predict(
                np.expand_dims(
                    img,
                    axis=0,
                ),
                verbose=0,
            )
        """
    )
    findings = check_source(PredictInLoop, code)
    assert lines(findings) == [6]
    assert "`model.predict` on a single sample inside a loop" in findings[0].message


def test_kc501_batched_loops_and_warmup_are_silent() -> None:
    code = src(
        """
        import numpy as np
        import keras
        model = keras.models.load_model("m.keras")
        for epoch in range(3):
            preds = model.predict(x_val, batch_size=64)
        for batch in dataset:
            preds = model.predict(batch)
        dummy = np.zeros((1, 32))
        for _ in range(10):
            model.predict(dummy)
        """
    )
    assert check_source(PredictInLoop, code) == []


def test_kc501_name_bound_to_one_sample_in_comprehension_loop() -> None:
    code = src(
        """
        import tensorflow as tf
        from tensorflow import keras
        net = keras.Sequential([keras.layers.Dense(3)])
        for row in rows:
            x = tf.reshape(row, (1, -1))
            y = net.predict(x)
        ys = [net.predict(r[tf.newaxis, ...]) for r in rows]
        """
    )
    assert lines(check_source(PredictInLoop, code)) == [6, 7]


# -- KC502 / KC505 -----------------------------------------------------------------------------


def test_kc502_multiline_fix_keeps_layout() -> None:
    code = src(
        """
        import numpy as np
        import tf_keras as keras
        model = keras.models.load_model("m.keras")
        labels = np.argmax(
            model.predict(x_test),
        )
        """
    )
    findings = check_source(ArgmaxWithoutAxis, code)
    assert lines(findings) == [4]
    assert "flattened" in findings[0].message
    assert fix_source(ArgmaxWithoutAxis, code) == code.replace("model.predict(x_test),", "model.predict(x_test), axis=-1,")


def test_kc502_rebinding_the_prediction_name() -> None:
    code = src(
        """
        import tensorflow as tf
        import keras
        model = keras.models.load_model("m.keras")
        preds = model.predict(x)
        preds = tf.argmax(preds).numpy()
        again = tf.argmax(preds)
        """
    )
    findings = check_source(ArgmaxWithoutAxis, code)
    # Line 5 reads the prediction; after it, ``preds`` holds labels, not a prediction.
    assert lines(findings) == [5]
    assert "axis=0" in findings[0].message


def test_kc505_functional_model_with_aliases() -> None:
    code = src(
        """
        import numpy as np
        from tensorflow.keras import layers as L, Model
        inp = L.Input((8,))
        h = L.Dense(16, activation="relu")(inp)
        out = L.Dense(
            1,
            activation="sigmoid",
        )(h)
        model = Model(inp, out)
        labels = np.argmax(model.predict(x), axis=1)
        """
    )
    findings = check_source(ArgmaxOnSingleOutput, code)
    assert lines(findings) == [10]
    assert "one-unit sigmoid output is always 0" in findings[0].message


def test_kc505_sequential_add_with_trailing_activation() -> None:
    code = src(
        """
        import numpy as np
        from keras.models import Sequential
        from keras.layers import Dense, Activation
        model = Sequential()
        model.add(Dense(1))
        model.add(Activation("sigmoid"))
        pred = model.predict(x)
        y = pred.argmax(axis=-1)
        """
    )
    assert lines(check_source(ArgmaxOnSingleOutput, code)) == [8]


# -- KC503 / KC504 -----------------------------------------------------------------------------


def test_kc503_dataset_chain_and_whole_array() -> None:
    code = src(
        """
        import tensorflow as tf
        model = tf.keras.models.load_model("m.keras")
        test_ds = (
            tf.data.Dataset.from_tensor_slices(x)
            .batch(32)
        )
        a = model.predict_on_batch(test_ds)
        b = model.predict_on_batch(X_test)
        c = model.predict_on_batch(X_test[:8])
        """
    )
    findings = check_source(PredictOnBatchWholeDataset, code)
    assert lines(findings) == [7, 8]
    assert "ValueError" in findings[0].message
    assert "batch_size" in findings[1].message


def test_kc504_multiline_decorator() -> None:
    code = src(
        """
        import tensorflow as tf
        from tensorflow import keras
        model = keras.models.load_model("m.keras")
        @tf.function(
            reduce_retracing=True,
        )
        def serve(batch):
            return model.predict(batch)
        def offline(batch):
            return model.predict(batch)
        """
    )
    findings = check_source(PredictInTfFunction, code)
    assert lines(findings) == [8]
    assert "inside `@tf.function`" in findings[0].message


# -- KC701 -------------------------------------------------------------------------------------


def test_kc701_alias_and_multiline() -> None:
    code = src(
        """
        import tensorflow.keras as K
        class Tracker(K.layers.Layer):
            def __init__(self):
                super().__init__()
                self.seen = 0
                self.log = {}
            def call(self, x):
                self.seen = (
                    self.seen
                    + 1
                )
                self.log.update({"last": x})
                return x
        """
    )
    findings = check_source(PythonStateInCall, code)
    assert lines(findings) == [8, 12]
    assert "`self.seen = ...`" in findings[0].message
    assert "`self.log.update(...)`" in findings[1].message


def test_kc701_shadowed_module_list_is_local() -> None:
    code = src(
        """
        from keras import layers as L
        cache = []
        class Block(L.Layer):
            def call(self, x):
                cache = []
                cache.append(x)
                return x
        """
    )
    assert check_source(PythonStateInCall, code) == []


# -- KC702 / KC703 / KC704 ---------------------------------------------------------------------


STATEFUL = src(
    """
    import tensorflow.keras as K
    model = K.Sequential([
        K.Input(batch_shape=(8, 20, 1)),
        K.layers.LSTM(16, stateful=True),
        K.layers.Dense(1),
    ])
    """
)


def test_kc703_multiline_fit_fix_with_trailing_comma() -> None:
    code = STATEFUL + src(
        """
        model.fit(
            x,
            y,
            batch_size=8,
        )
        """
    )
    findings = check_source(StatefulFitShuffle, code)
    assert lines(findings) == [7]
    fixed = fix_source(StatefulFitShuffle, code)
    assert "shuffle=False" in fixed and fixed.endswith("    batch_size=8,\n    shuffle=False,\n)\n")
    assert check_source(StatefulFitShuffle, fixed) == []


def test_kc704_keyword_positional_and_wrong_sizes() -> None:
    code = STATEFUL + src(
        """
        model.fit(x, y, 8, shuffle=False)
        a = model.predict(x, 8)
        b = model.predict(x)
        c = model.evaluate(x, y, batch_size=16)
        """
    )
    findings = check_source(StatefulBatchSize, code)
    assert lines(findings) == [9, 10]
    assert "default `batch_size=32`" in findings[0].message
    assert "given `batch_size=16`" in findings[1].message


def test_kc704_functional_input_batch_size_with_tf_keras() -> None:
    code = src(
        """
        import tf_keras
        inp = tf_keras.Input(shape=(5, 1), batch_size=2)
        out = tf_keras.layers.GRU(4, stateful=True)(inp)
        model = tf_keras.Model(inputs=inp, outputs=out)
        model.predict(x)
        """
    )
    findings = check_source(StatefulBatchSize, code)
    assert lines(findings) == [5]
    assert "only batches of 2" in findings[0].message


def test_kc702_reset_between_and_after() -> None:
    code = STATEFUL + src(
        """
        first = model.predict(x, batch_size=8)
        model.layers[0].reset_states()
        second = model.predict(x, batch_size=8)
        third = model.predict(x, batch_size=8)
        """
    )
    findings = check_source(StatefulPredictWithoutReset, code)
    assert lines(findings) == [10]
    assert "stateful RNN model `model`" in findings[0].message


def test_kc702_predict_in_loop_resets_in_nested_helper_loop() -> None:
    code = STATEFUL + src(
        """
        for window in windows:
            for layer in model.layers:
                if getattr(layer, "stateful", False):
                    layer.reset_states()
            model.predict(window, batch_size=8)
        for window in windows:
            model.predict(window, batch_size=8)
        """
    )
    assert lines(check_source(StatefulPredictWithoutReset, code)) == [13]
