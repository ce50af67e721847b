"""The generated Keras API data (``kerascheck.keras_api``) and the hand-written facts beside it.

The ``tf`` tests check entries of the shipped data, and each hand-written fact that Keras 3 can
demonstrate, against the Keras 3 installed with the probe extra.
"""

from __future__ import annotations

import importlib
import warnings

import pytest

from kerascheck.keras_api import facts, load, target_for


def test_provenance_names_the_releases_it_was_generated_from():
    provenance = load().provenance
    assert provenance["generator"] == "tools/keras_api.py"
    assert set(provenance["releases"]) == {"1", "2.3", "2.15", "3"}
    assert provenance["releases"]["2.15"].startswith("2.15")
    assert provenance["releases"]["3"].startswith("3.")
    assert set(load().targets) == {"2.15", "3", "3-tf"}


def test_target_selection():
    assert target_for("1", tf_keras=False) is None
    assert target_for("2.12", tf_keras=True).label == "2.15"
    assert target_for("3", tf_keras=False).label == "3"
    assert target_for("3.4", tf_keras=True).label == "3-tf"


@pytest.mark.parametrize(
    ("name", "moved"),
    [
        ("keras.layers.advanced_activations", ("LeakyReLU", "keras.layers.LeakyReLU")),
        ("keras.layers.recurrent", ("LSTM", "keras.layers.LSTM")),
        ("keras.layers.embeddings", ("Embedding", "keras.layers.Embedding")),
        ("keras.layers.normalization", ("BatchNormalization", "keras.layers.BatchNormalization")),
        ("keras.utils.data_utils", ("get_file", "keras.utils.get_file")),
        ("keras.utils.generic_utils", ("Progbar", "keras.utils.Progbar")),
        ("keras.utils.np_utils", ("to_categorical", "keras.utils.to_categorical")),
    ],
)
def test_removed_modules_with_their_moves(name, moved):
    for label in ("3", "3-tf", "2.15"):
        removed = load().targets[label].removed(f"{name}.{moved[0]}")
        assert removed is not None and removed.is_module and removed.name == name
        assert removed.moved(moved[0]) == moved[1]


@pytest.mark.parametrize(
    ("name", "targets"),
    [
        ("keras.utils.multi_gpu_model", ("2.15", "3", "3-tf")),
        ("keras.layers.Merge", ("2.15", "3", "3-tf")),
        ("keras.layers.merge", ("2.15", "3", "3-tf")),
        ("keras.layers.CuDNNLSTM", ("2.15", "3", "3-tf")),  # TF 2 kept it under compat.v1 only
        ("keras.backend.function", ("3", "3-tf")),
        ("keras.backend.set_session", ("2.15", "3", "3-tf")),
        ("keras.preprocessing.image.ImageDataGenerator", ("3",)),
    ],
)
def test_removed_names(name, targets):
    for label in ("2.15", "3", "3-tf"):
        removed = load().targets[label].removed(name)
        assert (removed is not None) == (label in targets), (name, label)


def test_names_that_still_exist_are_not_removed():
    keras3 = load().targets["3"]
    for name in ("keras.layers.Dense", "keras.layers.LSTM", "keras.utils.to_categorical", "keras.backend.epsilon", "keras.datasets.mnist.load_data"):
        assert keras3.removed(name) is None, name
    # tf.keras under Keras 3 keeps the legacy preprocessing classes and backend functions
    assert load().targets["3-tf"].removed("keras.preprocessing.image.ImageDataGenerator") is None


def test_keyword_renames_come_from_keras_own_conversions():
    dense = target_for("3", tf_keras=False).removed_keywords("keras.layers.Dense")
    assert dense["W_regularizer"].replacement == "kernel_regularizer"
    assert dense["init"].replacement == "kernel_initializer"
    assert "batch_input_shape" in dense  # through the Layer base
    assert "kernel_initializer" not in dense and "input_shape" not in dense
    conv = target_for("2.15", tf_keras=False).removed_keywords("keras.layers.Conv2D")
    assert conv["border_mode"].replacement == "padding"
    assert conv["dim_ordering"].value_converted  # 'tf' -> 'channels_last'


def test_ignored_keyword_carries_keras_own_warning():
    decay = target_for("3", tf_keras=False).removed_keywords("keras.optimizers.SGD")["decay"]
    assert decay.ignored and "ignored" in decay.message


def test_removed_methods():
    keras3 = target_for("3", tf_keras=False)
    assert keras3.removed_method("Model", "fit_generator") == "2.15"
    assert keras3.removed_method("Layer", "add_metric") == "2.15"
    assert keras3.removed_method("Model", "fit") is None
    assert target_for("2.15", tf_keras=False).removed_method("Model", "fit_generator") is None
    fit = keras3.removed_method_keywords("Model", "fit")
    assert {"workers", "use_multiprocessing", "nb_epoch"} <= set(fit)


def test_advice_for_uses_the_longest_entry():
    assert "MirroredStrategy" in facts.advice_for("keras.utils.multi_gpu_model")
    assert "TextVectorization" in facts.advice_for("keras.preprocessing.text.Tokenizer")
    assert facts.advice_for("keras.layers.Dense") == ""


def test_loading_is_lazy_and_cached():
    assert load() is load()


# -- against the installed Keras 3 (probe extra) -----------------------------------------------


def _keras():
    return pytest.importorskip("keras")


def _exists(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


@pytest.mark.tf
def test_data_agrees_with_installed_keras3():
    keras = _keras()
    if not keras.__version__.startswith("3"):
        pytest.skip("needs Keras 3")
    keras3 = load().targets["3"]
    for name in ("keras.utils.multi_gpu_model", "keras.layers.Merge", "keras.backend.function", "keras.layers.CuDNNLSTM"):
        assert keras3.removed(name) is not None and not _exists(name), name
    for module in ("keras.layers.recurrent", "keras.utils.np_utils", "keras.engine"):
        with pytest.raises(ImportError):
            importlib.import_module(module)
    moves = keras3.removed("keras.layers.advanced_activations.LeakyReLU")
    assert _exists(moves.moved("LeakyReLU"))
    with pytest.raises(ValueError, match="batch_input_shape"):
        keras.layers.Dense(2, batch_input_shape=(None, 3))
    with pytest.raises(TypeError):
        keras.Model().fit(x=None, workers=2)  # type: ignore[call-arg]


@pytest.mark.tf
def test_fact_lr_is_rejected_and_learning_rate_is_its_name():
    keras = _keras()
    with pytest.raises(ValueError, match="lr"):
        keras.optimizers.Adam(lr=0.1)
    assert float(keras.optimizers.Adam(learning_rate=0.25).learning_rate) == pytest.approx(0.25)
    assert facts.KEYWORD_RENAMES["lr"] == "learning_rate"


@pytest.mark.tf
def test_fact_decay_is_accepted_and_ignored():
    keras = _keras()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer = keras.optimizers.SGD(learning_rate=0.1, decay=0.5)
    assert any("decay" in str(w.message) for w in caught)
    assert not hasattr(optimizer, "decay")  # no schedule was built from it


@pytest.mark.tf
def test_fact_save_format_is_ignored_or_rejected(tmp_path):
    keras = _keras()
    import zipfile

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="save_format"):
        model.save(str(tmp_path / "saved_model"), save_format="tf")
    model.save(str(tmp_path / "m.keras"), save_format="tf")  # ignored: a .keras zip, no SavedModel
    assert zipfile.is_zipfile(tmp_path / "m.keras")
    assert "ignores" in facts.METHOD_KEYWORD_FACTS[("save", "save_format")]


@pytest.mark.tf
def test_fact_generator_methods_are_gone_and_fit_takes_generators():
    keras = _keras()
    import numpy as np

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    assert not hasattr(model, "fit_generator")

    def batches():
        while True:
            yield np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")

    history = model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert facts.METHOD_REPLACEMENTS["fit_generator"] == "fit"


@pytest.mark.tf
def test_fact_stubs_raise_in_keras3():
    keras = _keras()
    with pytest.raises(NotImplementedError):
        keras.layers.Layer().add_metric(1.0)
    with pytest.raises(ImportError):
        keras.optimizers.legacy.Adam()
