"""The generated Keras API data (``kerascheck.keras_api``) and the hand-written facts beside it.

The ``tf`` tests check entries of the shipped data, and each hand-written fact that Keras 3 can
demonstrate, against the Keras 3 installed with the probe extra.
"""

from __future__ import annotations

import ast
import importlib
import warnings

import pytest

from kerascheck.keras_api import facts, learning_phase_names, load, module_names, target_for
from kerascheck.static.names import ImportTable


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
        # Keras 2.3 re-exported ``keras_applications.vgg16`` there
        ("keras.applications.vgg16.vgg16", ("2.15", "3", "3-tf")),
        # only tf.keras lacks the Keras 2 loss functions
        ("keras.losses.mean_squared_error", ("3-tf",)),
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
    # a subpackage ``dir(tf.keras)`` does not show until it is imported
    assert load().targets["3-tf"].removed("keras.saving.deserialize_keras_object") is None


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


def test_removed_optimizer_methods_and_abstract_methods_kept():
    keras3 = target_for("3", tf_keras=False)
    assert keras3.removed_class_method("keras.optimizers.Adam", "get_updates") == "2.3"
    assert keras3.removed_class_method("keras.optimizers.SGD", "minimize") == "2.15"
    assert keras3.removed_class_method("keras.optimizers.Adam", "apply_gradients") is None
    assert keras3.removed_class_method("keras.callbacks.EarlyStopping", "on_batch_begin") is None
    # methods that only raise because subclasses implement them are not "removed"
    assert keras3.removed_method("Layer", "call") is None
    assert keras3.removed_method("Layer", "compute_output_shape") is None
    assert keras3.removed_method("Optimizer", "update_step") is None
    assert target_for("2.15", tf_keras=False).removed_class_method("keras.optimizers.Adam", "minimize") is None


def test_renamed_module_and_removed_alias_replacements():
    for label in ("2.15", "3", "3-tf"):
        target = load().targets[label]
        removed = target.removed("keras.initializations.uniform")
        assert removed is not None and removed.successor == "keras.initializers"
        assert removed.moved("uniform") == "keras.initializers.RandomUniform"
        assert removed.moved("glorot_uniform") == "keras.initializers.GlorotUniform"
        assert removed.moved("get") == "keras.initializers.get"  # not ``keras.activations.get``
        assert target.removed("keras.layers.Deconvolution2D").replacement == "keras.layers.Conv2DTranspose"


def test_star_imports_bind_every_release_s_names():
    assert {"Sequential", "Model"} <= module_names("keras.models")
    assert {"Convolution2D", "Deconvolution2D"} <= module_names("keras.layers.convolutional")
    assert {"merge", "Merge", "Conv2D", "concatenate"} <= module_names("keras.layers")
    table = ImportTable()
    import libcst as cst

    for statement in ("from keras.models import *", "from keras.layers import *"):
        table.add(cst.parse_statement(statement).body[0])  # type: ignore[attr-defined]
    assert table.qualified(cst.Name("Input")) == "keras.layers.Input"  # the later star import wins
    assert table.qualified(cst.Name("Sequential")) == "keras.models.Sequential"


def test_learning_phase_names_come_from_the_data():
    assert {"keras.backend.learning_phase", "keras.backend.set_learning_phase", "keras.backend.learning_phase_scope"} <= learning_phase_names()
    assert all(target_for("3", tf_keras=False).removed(name) for name in learning_phase_names())


def test_merge_modes_fact():
    assert facts.MERGE_MODES["concat"][:2] == ("concatenate", {"concat_axis": "axis"})
    assert facts.MERGE_MODES["cos"][2] == {"axes": "-1", "normalize": "True"}


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
    # ``keras._tf_keras.keras`` is what ``tf.keras`` is under TensorFlow >= 2.16: its ``saving`` imports
    assert load().targets["3-tf"].removed("keras.saving") is None and _exists("keras._tf_keras.keras.saving.deserialize_keras_object")
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


@pytest.mark.tf
def test_removed_optimizer_methods_and_learning_phase_in_installed_keras3():
    keras = _keras()
    if not keras.__version__.startswith("3"):
        pytest.skip("needs Keras 3")
    keras3 = load().targets["3"]
    optimizer = keras.optimizers.Adam(1e-3)
    for method in ("get_updates", "get_gradients", "get_weights", "minimize"):
        assert keras3.removed_class_method("keras.optimizers.Adam", method) and not hasattr(optimizer, method), method
    assert hasattr(optimizer, "update_step") and keras3.removed_method("Optimizer", "update_step") is None
    for name in learning_phase_names():
        assert not _exists(name), name
    assert hasattr(keras.initializers, "RandomUniform") and not _exists("keras.initializations")


@pytest.mark.tf
def test_fact_merge_modes_are_the_keras3_merge_functions():
    keras = _keras()
    import numpy as np

    a = np.ones((2, 3), "float32")
    b = np.full((2, 3), 2.0, "float32")
    for mode, (function, _, defaults) in facts.MERGE_MODES.items():
        merged = getattr(keras.layers, function)
        kwargs = {k: ast.literal_eval(v) for k, v in defaults.items()}
        out = np.asarray(merged([a, b], **kwargs))
        expected = {
            "sum": a + b,
            "mul": a * b,
            "ave": (a + b) / 2,
            "max": np.maximum(a, b),
            "concat": np.concatenate([a, b], -1),
            "dot": (a * b).sum(-1, keepdims=True),
            "cos": np.ones((2, 1)),
        }[mode]
        assert np.allclose(out, expected), mode
