"""Static model-factory discovery (kerascheck.static.model_factories) on realistic source:
which functions ``check --probe`` calls, which it skips (and why), and which are no factories."""

from __future__ import annotations

import textwrap

import pytest

from kerascheck.static.model_factories import FactoryScan, scan_source


def _scan(source: str) -> FactoryScan:
    return scan_source(textwrap.dedent(source), "models.py")


def _names(scan: FactoryScan) -> list[str]:
    return [f.qualname for f in scan.factories]


def _skipped(scan: FactoryScan) -> dict[str, str]:
    return {s.qualname: s.reason for s in scan.skipped}


# -- factories (VALID: probed) ----------------------------------------------------------------

FACTORIES = {
    "sequential bound to a name, compiled, then returned": """
        import keras
        from keras import layers

        def build_model(units=32, dropout=0.2, input_shape=(28, 28)):
            model = keras.Sequential([
                keras.Input(shape=input_shape),
                layers.Flatten(),
                layers.Dense(units, activation="relu"),
                layers.Dropout(dropout),
                layers.Dense(10, activation="softmax"),
            ])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            return model
    """,
    "functional Model(inputs, outputs) through tf.keras": """
        import tensorflow as tf

        def make_classifier(*, vocab=1000, name="clf", **overrides):
            inputs = tf.keras.Input(shape=(None,), dtype="int32")
            x = tf.keras.layers.Embedding(vocab, 16)(inputs)
            x = tf.keras.layers.GlobalAveragePooling1D()(x)
            outputs = tf.keras.layers.Dense(1, activation="sigmoid")(x)
            return tf.keras.Model(inputs=inputs, outputs=outputs, name=name)
    """,
    "an instance of a model subclass of the file": """
        import keras

        class TinyNet(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(3)

            def call(self, x):
                return self.dense(x)

        def tiny():
            net = TinyNet()
            return net
    """,
    "a factory returning what another factory returns": """
        import keras

        def _backbone():
            return keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])

        def build():
            return _backbone()
    """,
    "an outer function returning its nested builder's model": """
        import keras

        def build():
            def head():
                return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            return head()
    """,
    "negative and dict literal defaults": """
        import keras

        def build(offset=-1.0, config={"units": 4, "act": None}, flags=[True, False]):
            return keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)])
    """,
}


@pytest.mark.parametrize("source", FACTORIES.values(), ids=FACTORIES.keys())
def test_factory_is_found(source: str) -> None:
    scan = _scan(source)
    defined = [line.split("def ", 1)[1].split("(", 1)[0] for line in source.splitlines() if line.startswith("        def ")]
    assert _names(scan) == defined  # every module-level function of these sources is a factory
    assert scan.skipped == ()


def test_factory_def_location_and_target() -> None:
    scan = _scan(FACTORIES["sequential bound to a name, compiled, then returned"])
    (factory,) = scan.factories
    # the source starts with a blank line: ``def build_model`` is on line 5
    assert (factory.location.line, factory.location.column) == (5, 1)
    assert (factory.location.end_line, factory.location.end_column) == (5, 16)
    assert factory.target == "models.py:build_model"


def test_static_and_class_methods_are_factories() -> None:
    scan = _scan(
        """
        import keras

        class Zoo:
            @staticmethod
            def small():
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

            @classmethod
            def wide(cls, units=64):
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])

            def instance_method(self):
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        """
    )
    assert _names(scan) == ["Zoo.small", "Zoo.wide"]
    assert [f.target for f in scan.factories] == ["models.py:Zoo.small", "models.py:Zoo.wide"]
    assert scan.factories[0].location.column == 5


# -- skipped with a note ------------------------------------------------------------------------


def test_factory_needing_an_argument_is_skipped_naming_the_parameter() -> None:
    scan = _scan(
        """
        import keras

        def build_model(num_classes, hidden=64):
            model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(hidden), keras.layers.Dense(num_classes)])
            return model
        """
    )
    assert scan.factories == ()
    assert _skipped(scan) == {"build_model": "parameter 'num_classes' has no default"}
    assert scan.skipped[0].location.line == 4


def test_non_literal_default_keyword_only_and_decorators_are_skipped() -> None:
    scan = _scan(
        """
        import functools
        import keras

        HIDDEN = 32

        def with_optimizer(optimizer=keras.optimizers.Adam(1e-3)):
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            model.compile(optimizer=optimizer, loss="mse")
            return model

        def with_constant(units=HIDDEN):
            return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])

        def keyword_only(*, depth):
            return keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(4) for _ in range(depth)])

        @functools.lru_cache
        def cached():
            return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

        class Builders:
            @classmethod
            def sized(cls, units):
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
        """
    )
    assert scan.factories == ()
    assert _skipped(scan) == {
        "with_optimizer": "parameter 'optimizer' defaults to keras.optimizers.Adam(1e-3), not a literal",
        "with_constant": "parameter 'units' defaults to HIDDEN, not a literal",
        "keyword_only": "parameter 'depth' has no default",
        "cached": "it is decorated with @functools.lru_cache, which may change how it is called",
        "Builders.sized": "parameter 'units' has no default",
    }


def test_loader_is_skipped_not_built() -> None:
    scan = _scan(
        """
        import keras

        def restore():
            return keras.models.load_model("checkpoints/best.keras")
        """
    )
    assert scan.factories == ()
    assert "loads a saved model" in _skipped(scan)["restore"]


def test_file_training_at_import_is_skipped_whole() -> None:
    scan = _scan(
        """
        import numpy as np
        import keras

        def build():
            return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

        model = build()
        model.compile("adam", "mse")
        model.fit(np.zeros((8, 4)), np.zeros((8, 1)), epochs=100)
        """
    )
    assert scan.factories == ()
    assert scan.file_skipped is not None
    assert ".fit() at line 10" in scan.file_skipped


def test_training_under_main_guard_keeps_the_factories() -> None:
    scan = _scan(
        """
        import numpy as np
        import keras

        def build():
            return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

        if __name__ == "__main__":
            model = build()
            model.compile("adam", "mse")
            model.fit(np.zeros((8, 4)), np.zeros((8, 1)), epochs=100)
            model.save("model.keras")
        """
    )
    assert _names(scan) == ["build"]
    assert scan.file_skipped is None


# -- not factories (INVALID: neither probed nor noted) -------------------------------------------

NOT_FACTORIES = {
    "returns the History of model.fit(...)": """
        import keras

        def train(epochs=5):
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            model.compile("adam", "mse")
            return model.fit(x=None, y=None, epochs=epochs)
    """,
    "returns predictions (a non-model)": """
        import keras
        import numpy as np

        def predict_all():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            return model.predict(np.zeros((2, 4)))
    """,
    "returns a layer, not a model": """
        import keras

        def make_head():
            return keras.layers.Dense(10, activation="softmax")
    """,
    "returns a plain value": """
        def learning_rate(step=0):
            return 1e-3 * 0.9 ** step
    """,
    "a lambda bound to a name": """
        import keras

        build = lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    """,
    "returns its nested builder itself, uncalled": """
        import keras

        def make_builder():
            def build():
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            return build
    """,
    "a model built inside an instance method": """
        import keras

        class Experiment:
            def model(self):
                return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    """,
    "returns a parameter (a model handed in)": """
        def freeze(model=None):
            for layer in model.layers:
                layer.trainable = False
            return model
    """,
    "a Keras layer's from_config": """
        import keras

        class Scale(keras.layers.Layer):
            @classmethod
            def from_config(cls, config):
                return cls(**config)
    """,
}


@pytest.mark.parametrize("source", NOT_FACTORIES.values(), ids=NOT_FACTORIES.keys())
def test_not_a_factory(source: str) -> None:
    scan = _scan(source)
    assert scan.factories == ()
    assert scan.skipped == ()


def test_syntax_error_gives_no_factories() -> None:
    assert scan_source("def build(:\n    pass\n", "broken.py") == FactoryScan("broken.py")


def test_function_that_trains_is_skipped_directly_or_through_a_helper() -> None:
    scan = _scan(
        """
        import keras

        def get_compiled_model():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            model.compile("adam", "mse")
            return model

        def _train(model, epochs=3):
            model.fit(x_train, y_train, epochs=epochs)

        def run_experiment():
            model = get_compiled_model()
            history = model.fit(x_train, y_train, validation_split=0.15, epochs=20)
            model.load_weights("/tmp/best")
            return model

        def trained():
            model = get_compiled_model()
            _train(model)
            return model
        """
    )
    assert _names(scan) == ["get_compiled_model"]
    assert _skipped(scan) == {
        "run_experiment": "it trains the model (calls .fit() at line 14): calling it would run the training",
        "trained": "it trains the model (through a function it calls that trains): calling it would run the training",
    }


def test_file_calling_a_training_function_at_import_is_skipped_whole() -> None:
    scan = _scan(
        """
        import keras

        def get_model():
            return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

        def run_experiment():
            model = get_model()
            model.compile("adam", "mse")
            model.fit(x_train, y_train, epochs=30)
            return model

        trained = run_experiment()
        """
    )
    assert scan.factories == ()
    assert scan.file_skipped is not None
    assert "calls run_experiment(), which trains a model, at line 13" in scan.file_skipped
