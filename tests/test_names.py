"""Name resolution through imports and aliases (the light pass that replaces libcst scopes)."""

from __future__ import annotations

import libcst as cst
import pytest

from kerascheck.static.context import FileContext


def _resolve(source: str, expression: str) -> str | None:
    module = cst.parse_module(source + f"\n_ = {expression}\n")
    context = FileContext("x.py", module.code, module)
    assign = module.body[-1].body[0]
    return context.qualified(assign.value)


@pytest.mark.parametrize(
    ("source", "expression"),
    [
        ("import tensorflow as tf", "tf.keras.layers.Dense"),
        ("import keras", "keras.layers.Dense"),
        ("import tf_keras", "tf_keras.layers.Dense"),
        ("from keras import layers as L", "L.Dense"),
        ("import tensorflow.keras as K", "K.layers.Dense"),
        ("from tensorflow.keras.layers import Dense", "Dense"),
        ("from tensorflow.keras.layers import Dense as D", "D"),
        ("from tensorflow import keras", "keras.layers.Dense"),
        ("import tensorflow.keras.layers as layers", "layers.Dense"),
        ("from tensorflow.python.keras import layers", "layers.Dense"),
    ],
)
def test_every_keras_spelling_resolves_alike(source, expression):
    assert _resolve(source, expression) == "keras.layers.Dense"


def test_unimported_names_are_not_qualified():
    assert _resolve("import keras", "model.predict") is None
    assert _resolve("", "keras.layers.Dense") is None


def test_import_after_use_in_function_resolves():
    source = "def f():\n    return L.Dense(1)\nfrom keras import layers as L"
    module = cst.parse_module(source)
    context = FileContext("x.py", source, module)
    call = module.body[0].body.body[0].body[0].value
    assert context.qualified(call.func) == "keras.layers.Dense"


def test_raw_name_keeps_the_prefix_used():
    module = cst.parse_module("import tensorflow as tf\n_ = tf.keras.preprocessing.image\n")
    context = FileContext("x.py", module.code, module)
    expr = module.body[-1].body[0].value
    assert context.raw_qualified(expr) == "tensorflow.keras.preprocessing.image"
    assert context.qualified(expr) == "keras.preprocessing.image"


def test_keras_modules_config_maps_reexports():
    module = cst.parse_module("from myproj import nn\n_ = nn.Dense\n")
    context = FileContext("x.py", module.code, module, keras_aliases={"myproj.nn": "keras.layers"})
    assert context.qualified(module.body[-1].body[0].value) == "keras.layers.Dense"
