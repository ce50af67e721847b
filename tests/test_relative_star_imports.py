"""Keras reached through a package's ``from .imports import *`` (ktrain's layout) and through
module aliases made by assignment (``K = keras.backend``), with ``except ImportError`` fallbacks
(``K = None``) that must not erase what the ``try`` imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerascheck.python_api import open_session, run_check
from kerascheck.static import star_imports
from kerascheck.static.context import analyse
from kerascheck.static.semantic.module_aliases import is_keras_module

#: A package's ``imports.py`` as ktrain writes it: TensorFlow optional, ``K`` an alias of a module.
IMPORTS = """\
import os
try:
    if os.environ.get("V1"):
        import tensorflow.compat.v1 as tf
        from tensorflow.compat.v1 import keras
    else:
        import tensorflow as tf
        from tensorflow import keras
    K = keras.backend
    TF_INSTALLED = True
except ImportError:
    keras = None
    K = None
    tf = None
    TF_INSTALLED = False
Dense = keras.layers.Dense
import numpy as np
"""

TRAINER = """\
from ...imports import *


class Trainer:
    def __init__(self, model):
        self._model = model

    def train(self, x, y, batches):
        self._model.compile(optimizer="adam", loss="mse")
        self._model.fit_generator(generator=batches, epochs=3)


def outputs(model, x):
    f = K.function([model.input], [model.output])
    return f([x])


OPTIMIZER = tf.keras.optimizers.legacy.Adam()
"""


def _package(root: Path) -> Path:
    """``pkg/imports.py`` and ``pkg/text/ner/trainer.py`` star-importing it three levels up."""
    package = root / "pkg"
    ner = package / "text" / "ner"
    ner.mkdir(parents=True)
    for directory in (package, package / "text", ner):
        (directory / "__init__.py").write_text("", encoding="utf-8")
    (package / "imports.py").write_text(IMPORTS, encoding="utf-8")
    trainer = ner / "trainer.py"
    trainer.write_text(TRAINER, encoding="utf-8")
    return trainer


def _check(root: Path, target: Path) -> set[tuple[str, int]]:
    (root / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    session = open_session(start=root, overrides={"cache": False})
    found, _ = run_check(session, [str(target)], jobs=1)
    return {(f.code, f.location.line) for f in found}


# -- star imports ------------------------------------------------------------------------------


def test_relative_star_import_binds_the_packages_keras_names(tmp_path: Path) -> None:
    trainer = _package(tmp_path)
    bound = star_imports.bindings(str(trainer), trainer.read_text(encoding="utf-8"))
    names = dict(bound.names)
    # The ``try`` body's imports survive the handler's ``keras = None`` / ``tf = None``; ``K``,
    # bound once outside the handler, is the module alias; ``Dense`` (a class) is not an alias.
    assert names["tf"] == "tensorflow"
    assert names["keras"] == "tensorflow.keras"
    assert names["K"] == "tensorflow.keras.backend"
    assert names["np"] == "numpy"
    assert "Dense" not in names and "TF_INSTALLED" not in names
    assert bound.uses_keras
    assert [path for path, _ in bound.dependencies] == [str(tmp_path / "pkg" / "imports.py")]


@pytest.mark.parametrize(
    ("where", "statement"),
    [
        ("pkg/mod.py", "from .imports import *"),
        ("pkg/sub/mod.py", "from ..imports import *"),
        ("pkg/sub/mod.py", "from .. imports import *"),
        ("pkg/mod.py", "from . import *"),
    ],
)
def test_relative_star_import_resolves_from_the_package(tmp_path: Path, where: str, statement: str) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("import keras.backend as K\n", encoding="utf-8")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "imports.py").write_text("import keras.backend as K\n", encoding="utf-8")
    importer = tmp_path / where
    bound = star_imports.bindings(str(importer), statement + "\n")
    assert dict(bound.names) == {"K": "keras.backend"}


def test_relative_star_import_outside_the_tree_binds_nothing(tmp_path: Path) -> None:
    (tmp_path / "imports.py").write_text("import keras.backend as K\n", encoding="utf-8")
    # One dot looks in the file's own directory: ``imports.py`` is one level up, not there.
    assert star_imports.bindings(str(tmp_path / "pkg" / "mod.py"), "from .imports import *\n") == star_imports.StarBindings()


def test_nested_relative_star_imports_resolve_from_each_module(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "core").mkdir(parents=True)
    (tmp_path / "pkg" / "imports.py").write_text("import tensorflow as tf\n", encoding="utf-8")
    # ``core/base.py``'s own ``..imports`` is ``pkg/imports.py`` (from core/, not from the importer).
    (tmp_path / "pkg" / "core" / "base.py").write_text("from ..imports import *\nlayers = tf.keras.layers\n", encoding="utf-8")
    bound = star_imports.bindings(str(tmp_path / "pkg" / "model.py"), "from .core.base import *\n")
    assert dict(bound.names) == {"tf": "tensorflow", "layers": "tensorflow.keras.layers"}


def test_import_error_fallback_keeps_the_imported_binding(tmp_path: Path) -> None:
    (tmp_path / "compat.py").write_text(
        "try:\n    from tensorflow import keras\nexcept (ImportError, OSError):\n    keras = None\n", encoding="utf-8"
    )
    assert dict(star_imports.bindings(str(tmp_path / "x.py"), "from compat import *\n").names) == {"keras": "tensorflow.keras"}


def test_other_handlers_still_rebind(tmp_path: Path) -> None:
    # ``except ValueError`` is not an import's fallback: ``keras = None`` there may run after a
    # successful import, so the name is no longer known to be Keras.
    (tmp_path / "compat.py").write_text(
        "try:\n    from tensorflow import keras\nexcept ValueError:\n    keras = None\n", encoding="utf-8"
    )
    assert dict(star_imports.bindings(str(tmp_path / "x.py"), "from compat import *\n").names) == {}


def test_an_alias_bound_twice_is_not_an_alias(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text(
        "import keras\nK = keras.backend\nL = keras.layers\nif keras:\n    L = keras.ops\n", encoding="utf-8"
    )
    assert dict(star_imports.bindings(str(tmp_path / "x.py"), "from helpers import *\n").names) == {"keras": "keras", "K": "keras.backend"}


# -- module aliases in the checked file --------------------------------------------------------


def test_module_alias_by_assignment_resolves_in_the_file() -> None:
    context = analyse(
        "import tensorflow as tf\nimport keras\nK = keras.backend\ntfk = tf.keras\nlayers = tfk.layers\nv1 = tf.compat.v1\n"
        "Dense = layers.Dense\nK.function\nlayers.Dense\nv1.Session\n"
    )
    aliases = context.imports.aliases
    assert aliases["K"] == "keras.backend"
    assert aliases["tfk"] == "tensorflow.keras"
    assert aliases["layers"] == "tensorflow.keras.layers"
    assert aliases["v1"] == "tensorflow.compat.v1"
    assert "Dense" not in aliases  # a class, not a module: not an alias


def test_module_alias_rules_out_rebound_and_unknown_names() -> None:
    context = analyse(
        "import keras\nimport numpy as np\nK = keras.backend\nK = np\nL = keras.layers\ndef L():\n    pass\nM = np.linalg\nN = keras.nothing_here\n"
    )
    assert not {"K", "L", "M", "N"} & set(context.imports.aliases)


def test_import_error_fallback_in_the_file_keeps_the_alias() -> None:
    context = analyse("try:\n    import keras\n    K = keras.backend\nexcept ModuleNotFoundError:\n    K = None\n")
    assert context.imports.aliases["K"] == "keras.backend"


def test_class_bases_resolve_through_an_alias() -> None:
    context = analyse("import tensorflow as tf\nlayers = tf.keras.layers\nclass CRF(layers.Layer):\n    pass\n")
    assert context.semantic.classes.is_layer_class("CRF")


def test_alias_targets_are_modules_only() -> None:
    assert is_keras_module("tensorflow.keras.backend")
    assert is_keras_module("tf_keras.optimizers.legacy")
    assert is_keras_module("tensorflow.compat.v1")
    assert not is_keras_module("tensorflow.keras.layers.Dense")
    assert not is_keras_module("keras.backend.function")
    assert not is_keras_module("numpy.linalg")


# -- rules see Keras through them --------------------------------------------------------------


def test_rules_find_removed_apis_through_a_relative_star_import(tmp_path: Path) -> None:
    trainer = _package(tmp_path)
    found = _check(tmp_path, trainer)
    assert ("KC103", 10) in found  # self._model.fit_generator(...)
    assert ("KC106", 10) in found  # generator= (not accepted by fit)
    assert ("KC107", 14) in found  # K.function: K = keras.backend in imports.py
    assert ("KC107", 18) in found  # tf.keras.optimizers.legacy.Adam


def test_rules_find_removed_apis_through_an_alias_in_the_file(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("from tensorflow import keras\nK = keras.backend\nf = K.function([i], [o])\nK.set_session(s)\n", encoding="utf-8")
    assert {("KC107", 3), ("KC107", 4)} <= _check(tmp_path, script)


def test_without_the_package_nothing_is_found(tmp_path: Path) -> None:
    # The same module outside any package that provides Keras: no rule guesses.
    lone = tmp_path / "lone" / "trainer.py"
    lone.parent.mkdir()
    lone.write_text(TRAINER.replace("from ...imports import *", "from .imports import *"), encoding="utf-8")
    assert _check(tmp_path, lone) == set()
