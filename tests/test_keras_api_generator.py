"""The generator (``tools/keras_api.py`` + ``tools/keras_api_extract.py``) on a small package
written here, laid out like Keras 2.3 (the real releases are too slow to install in a test)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


extract = _load("keras_api_extract")
generator = _load("keras_api")

_FILES = {
    "keras/__init__.py": "from . import layers\nfrom . import utils\n",
    "keras/legacy/__init__.py": "",
    "keras/legacy/interfaces.py": (
        "def generate_legacy_interface(**kwargs):\n    return lambda f: f\n"
        "legacy_dense_support = generate_legacy_interface(\n"
        "    conversions=[('output_dim', 'units'), ('init', 'kernel_initializer')])\n"
        "legacy_pool_support = generate_legacy_interface(\n"
        "    conversions=[('dim_ordering', 'data_format')], value_conversions={'dim_ordering': {'tf': 'channels_last'}})\n"
    ),
    "keras/engine/__init__.py": "from .base_layer import Layer\n",
    "keras/engine/base_layer.py": (
        "class Layer(object):\n"
        "    def __init__(self, **kwargs):\n"
        "        allowed_kwargs = {'input_shape', 'batch_input_shape', 'name'}\n"
        "    def add_metric(self, value):\n        pass\n"
        "    @property\n    def weights(self):\n        return []\n"
    ),
    "keras/layers/__init__.py": "from ..engine import Layer\nfrom .core import *\nfrom .recurrent import LSTM\n",
    "keras/layers/core.py": (
        "from .. import legacy\nfrom ..legacy import interfaces\nfrom ..engine.base_layer import Layer\n"
        "class Dense(Layer):\n"
        "    @interfaces.legacy_dense_support\n"
        "    def __init__(self, units, kernel_initializer='glorot', **kwargs):\n        pass\n"
        "class Pool(Layer):\n"
        "    @interfaces.legacy_pool_support\n"
        "    def __init__(self, data_format=None, **kwargs):\n        pass\n"
    ),
    "keras/layers/recurrent.py": (
        "from ..engine.base_layer import Layer\nclass LSTM(Layer):\n"
        "    def __init__(self, units, **kwargs):\n        pass\n"
    ),
    "keras/utils/__init__.py": "from .generic_utils import Progbar\nif True:\n    from .gpu import multi_gpu_model\n",
    "keras/utils/generic_utils.py": "class Progbar(object):\n    def __init__(self, target):\n        pass\n",
    "keras/utils/gpu.py": "def multi_gpu_model(model, gpus=None):\n    return model\n",
}


def _old_release(tmp_path: Path) -> dict:
    for name, text in _FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return extract.extract_source(tmp_path / "keras", "2.3.1")


def test_source_extraction_reads_modules_signatures_and_keras_own_conversions(tmp_path):
    surface = _old_release(tmp_path)["surfaces"]["keras"]
    assert "keras.layers.recurrent" in surface["modules"]
    assert surface["modules"]["keras.layers"]["Dense"] == "c"
    assert surface["modules"]["keras.utils"]["multi_gpu_model"] == "f"  # imported under ``if``
    assert surface["signatures"]["keras.layers.Dense"] == ["units", "kernel_initializer", "**"]
    assert surface["renames"]["keras.layers.Dense"] == {"output_dim": ["units", False], "init": ["kernel_initializer", False]}
    assert surface["renames"]["keras.layers.Pool"]["dim_ordering"] == ["data_format", True]
    assert surface["layer_keywords"] == ["batch_input_shape", "input_shape", "name"]
    assert "add_metric" in surface["methods"]["Layer"] and "weights" not in surface["methods"]["Layer"]


def _new_release() -> dict:
    """A Keras-3-like target, written as the import mode would report it."""
    surface = {
        "modules": {
            "keras": {"layers": "m", "utils": "m", "ops": "m"},
            "keras.layers": {"Dense": "c", "LSTM": "c", "Layer": "c", "Pool": "c"},
            "keras.utils": {"Progbar": "c"},
            "keras.ops": {},
        },
        "signatures": {
            "keras.layers.Dense": ["units", "kernel_initializer", "**"],
            "keras.layers.Pool": ["data_format", "**"],
            "keras.layers.LSTM": ["units", "**"],
            "keras.layers.Layer": ["name", "**"],
        },
        "methods": {"Layer": {"add_metric": []}, "Layer.attributes": {"add_metric": [], "weights": []}},
        "probes": {
            "keras.layers.Dense": {
                "init": ["reject", "Unrecognized keyword arguments: init"],
                "output_dim": ["reject", "Unrecognized"],
                "input_shape": ["ok", ""],
                "batch_input_shape": ["reject", "Unrecognized"],
            },
            "keras.layers.Pool": {"dim_ordering": ["reject", "Unrecognized"]},
        },
        "disabled": {"Layer.add_metric": "add_metric() is deprecated"},
    }
    return {"version": "3.0", "surfaces": {"keras": surface, "tf.keras": surface}}


def test_diff_lists_what_the_target_lost_with_replacements(tmp_path, monkeypatch):
    old = _old_release(tmp_path)
    empty = {"version": "0", "surfaces": {"keras": {"modules": {}, "signatures": {}, "methods": {}, "probes": {}}}}
    releases = {"1": empty, "2.3": old, "2.15": _new_release(), "3": _new_release()}
    targets = generator.diff(releases)
    keras3 = targets["3"]
    assert keras3["modules"]["keras.layers.recurrent"][1]["LSTM"] == "keras.layers.LSTM"
    assert keras3["modules"]["keras.utils.generic_utils"][1] == {"Progbar": "keras.utils.Progbar"}
    assert keras3["symbols"]["keras.utils.multi_gpu_model"] == ["2.3", ""]
    dense = dict(keras3["keywords"]["keras.layers.Dense"])
    if dense.pop("*", None):  # the keywords most layers lost are kept once, for all of them
        dense.update(keras3["layer_keywords"])
    assert dense["output_dim"] == ["2.3", "units"]  # compact: [last, replacement]
    assert "kernel_initializer" not in dense
    assert "input_shape" not in dense  # the probe saw it accepted
    assert dense["batch_input_shape"] == ["2.3"]  # a base-layer keyword (``allowed_kwargs``)
    assert "units" not in keras3["keywords"].get("keras.layers.LSTM", {})  # not probed: ``**kwargs`` may take it
    assert keras3["keywords"]["keras.layers.Pool"]["dim_ordering"] == ["2.3", "data_format", 1]
    assert "add_metric" in keras3["methods"]["Layer"]  # a stub that only raises counts as removed


class _Optimizer:
    def __init__(self, learning_rate=0.1, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=2)
        if "lr" in kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")


class _Layer:
    def __init__(self, units, **kwargs):
        if "alpha" in kwargs:
            alpha = kwargs.pop("alpha")
            if alpha is None:
                raise ValueError("The negative_slope value cannot be None")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to Layer: {kwargs}")


def test_probe_calls_the_constructor():
    assert extract._probe_one(_Optimizer, None, "decay")[0] == "warn"
    assert extract._probe_one(_Optimizer, None, "lr")[0] == "reject"
    assert extract._probe_one(_Layer, None, "alpha") == ["ok", ""]  # None rejected, a number taken
    assert extract._probe_one(_Layer, None, "border_mode")[0] == "reject"  # ``units`` filled in


def test_rejection_must_be_about_the_keyword():
    assert not extract._names_unknown_keyword("Dense.__init__() missing 1 required positional argument: 'units'", "init")
    assert not extract._names_unknown_keyword("Expected `trainable` to be a boolean", "trainable")
    assert extract._names_unknown_keyword("Unrecognized keyword arguments passed to Dense: {'init': None}", "init")


def test_a_stub_counts_as_removed_only_when_its_error_says_so():
    def retired(self):
        raise NotImplementedError("Layer `add_metric()` method is deprecated. Add your metric in `Model.compile()`")

    def abstract(self, gradient, variable):
        raise NotImplementedError

    assert extract._disabled(retired) is not None
    assert extract._disabled(abstract) is None  # ``Optimizer.update_step``: subclasses implement it


_KERAS1 = {
    "keras/__init__.py": "from . import initializations\nfrom . import layers\n",
    "keras/initializations.py": (
        "def uniform(shape, scale=0.05, name=None):\n    pass\n"
        "def glorot_uniform(shape, name=None):\n    pass\n"
        "def get(identifier):\n    pass\n"
        "def get_fans(shape):\n    pass\n"
    ),
    "keras/layers/__init__.py": "from .convolutional import *\n",
    "keras/layers/convolutional.py": (
        "class Deconvolution2D(object):\n"
        "    def __init__(self, nb_filter, nb_row, nb_col, output_shape, **kwargs):\n        pass\n"
    ),
    "keras/optimizers.py": (
        "class Optimizer(object):\n    def get_updates(self, params, loss):\n"
        "        pass\n    def get_config(self):\n        pass\n"
    ),
    "keras/callbacks.py": "class Callback(object):\n    def on_batch_begin(self, batch, logs=None):\n        pass\n",
}

_KERAS2 = {
    "keras/__init__.py": "from . import initializers\nfrom . import layers\n",
    "keras/initializers.py": (
        "class RandomUniform(object):\n    pass\n"
        "def glorot_uniform(seed=None):\n    pass\n"
        "def get(identifier):\n    pass\n"
        "uniform = random_uniform = RandomUniform\n"
    ),
    "keras/layers/__init__.py": "from .convolutional import *\n",
    "keras/layers/convolutional.py": (
        "class Conv2DTranspose(object):\n    def __init__(self, filters, kernel_size, **kwargs):\n"
        "        pass\nDeconvolution2D = Conv2DTranspose\n"
    ),
    "keras/optimizers.py": (
        "class Optimizer(object):\n    def get_updates(self, loss, params):\n"
        "        pass\n    def get_config(self):\n        pass\n"
    ),
    "keras/callbacks.py": "class Callback(object):\n    def on_batch_begin(self, batch, logs=None):\n        pass\n",
}


def _source_release(tmp_path: Path, files: dict[str, str], version: str) -> dict:
    root = tmp_path / version
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return extract.extract_source(root / "keras", version)


def test_aliases_renamed_modules_and_optimizer_methods(tmp_path):
    keras1 = _source_release(tmp_path, _KERAS1, "1.2.2")
    keras2 = _source_release(tmp_path, _KERAS2, "2.3.1")
    surface2 = keras2["surfaces"]["keras"]
    assert surface2["aliases"]["keras.layers.Deconvolution2D"] == "Conv2DTranspose"
    assert surface2["aliases"]["keras.initializers.uniform"] == "RandomUniform"
    assert surface2["class_methods"]["keras.optimizers.Optimizer"]["methods"] == ["get_config", "get_updates"]
    target = {
        "modules": {
            "keras": {"initializers": "m", "layers": "m", "optimizers": "m", "callbacks": "m"},
            "keras.initializers": {"RandomUniform": "c", "GlorotUniform": "c", "glorot_uniform": "c", "get": "f"},
            "keras.layers": {"Conv2DTranspose": "c"},
            "keras.optimizers": {"Optimizer": "c"},
            "keras.callbacks": {"Callback": "c"},
        },
        "aliases": {"keras.initializers.glorot_uniform": "GlorotUniform"},
        "signatures": {"keras.layers.Conv2DTranspose": ["filters", "kernel_size", "**"]},
        "methods": {"Optimizer": {"get_config": []}, "Optimizer.attributes": {"get_config": []}, "Callback": {"on_batch_begin": []}},
        "class_methods": {"keras.optimizers.Optimizer": {"methods": ["get_config"], "attributes": ["get_config"]}},
        "probes": {},
        "disabled": {},
    }
    releases = {
        "1": keras1,
        "2.3": keras2,
        "2.15": {"version": "2.15", "surfaces": {"keras": target}},
        "3": {"version": "3", "surfaces": {"keras": target, "tf.keras": target}},
    }
    keras3 = generator.diff(releases)["3"]
    last, moves, successor = keras3["modules"]["keras.initializations"]
    assert (last, successor) == ("1", "keras.initializers")
    # Keras-1 functions became classes: their class, not a namesake elsewhere
    assert moves == {
        "uniform": "keras.initializers.RandomUniform",
        "glorot_uniform": "keras.initializers.GlorotUniform",
        "get": "keras.initializers.get",
    }
    assert keras3["symbols"]["keras.layers.Deconvolution2D"] == ["2.3", "keras.layers.Conv2DTranspose"]
    assert keras3["methods"]["Optimizer"] == {"get_updates": "2.3"}
    assert "Callback" not in keras3["methods"]  # nothing gone
    exports = generator.exports(releases)
    assert {"uniform", "glorot_uniform", "get_fans"} <= set(exports["keras.initializations"])
    assert "Deconvolution2D" in exports["keras.layers"] and "Conv2DTranspose" in exports["keras.layers"]


def test_source_records_modules_keras_re_exported_from_its_split_out_packages(tmp_path):
    """Keras 2.3's ``keras.applications.vgg16`` held ``keras_applications.vgg16`` as ``vgg16``
    (code reached ``keras.applications.vgg16.vgg16.WEIGHTS_PATH``); other packages whose name
    merely starts with ``keras`` are not Keras."""
    files = {
        "keras/__init__.py": "from . import applications\n",
        "keras/applications/__init__.py": "from .vgg16 import VGG16\n",
        "keras/applications/vgg16.py": (
            "from keras_applications import vgg16\nfrom keras_extra import helper\n"
            "def VGG16(*args, **kwargs):\n    return vgg16.VGG16(*args, **kwargs)\n"
        ),
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    modules = extract.extract_source(tmp_path / "keras", "2.3.1")["surfaces"]["keras"]["modules"]
    assert modules["keras.applications.vgg16"] == {"VGG16": "f", "vgg16": "v"}


def test_import_walk_lists_subpackages_dir_does_not_show(tmp_path, monkeypatch):
    """``from tensorflow.keras import saving`` works under TensorFlow 2.16+ although ``saving``
    is no attribute of ``tf.keras`` until imported: the walk imports such subpackages."""
    package = tmp_path / "fakekeras"
    (package / "saving").mkdir(parents=True)
    (package / "_private").mkdir()
    (package / "__init__.py").write_text("class Model:\n    pass\n")
    (package / "saving" / "__init__.py").write_text("def load_model(path):\n    return path\n")
    (package / "_private" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    root = importlib.import_module("fakekeras")
    assert "saving" not in dir(root)
    modules, signatures = extract.walk_installed(root, "keras", {}, {})
    assert modules["keras"] == {"Model": "c", "saving": "m"}
    assert modules["keras.saving"] == {"load_model": "f"}
    assert signatures["keras.saving.load_model"] == ["path"]
