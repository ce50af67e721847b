"""``from utils import *`` of a project module that imports Keras (fast.ai's course notebooks):
the importing file uses Keras, the star-bound names resolve, and the cache follows ``utils.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kerascheck.python_api import open_session, run_check
from kerascheck.static import engine as engine_module
from kerascheck.static import star_imports

UTILS = """\
import numpy as np
from keras.layers import *
from keras.models import Sequential, Model
import keras.backend as K
from keras import optimizers

def plot(x):
    return x
"""

TRAINING = [
    "from utils import *\n",
    "model = Sequential([Dense(10, input_dim=3)])\n",
    "model.compile(optimizer='adam', loss='mse')\n",
    "model.fit(x, y, nb_epoch=3)\n",
    "model.fit_generator(gen, steps_per_epoch=10)\n",
    "K.set_session(sess)\n",
]

EXPECTED = {("KC106", 4), ("KC103", 5), ("KC107", 6)}


def _notebook(lines: list[str]) -> str:
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": lines}
    document = {"cells": [cell], "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1)


def _check(root: Path, target: Path, **overrides: object) -> set[tuple[str, int]]:
    (root / "kerascheck.toml").write_text("select = ['KC1']\n", encoding="utf-8")
    session = open_session(start=root, overrides=overrides or None)
    found, _ = run_check(session, [str(target)], jobs=1)
    return {(f.code, f.location.line) for f in found}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "utils.py").write_text(UTILS, encoding="utf-8")
    return tmp_path


def test_script_next_to_utils_gets_the_api_findings(project: Path) -> None:
    script = project / "train.py"
    script.write_text("".join(TRAINING), encoding="utf-8")
    assert _check(project, script, cache=False) == EXPECTED


def test_notebook_next_to_utils_gets_the_api_findings(project: Path) -> None:
    notebook = project / "lesson3.ipynb"
    notebook.write_text(_notebook(TRAINING), encoding="utf-8")
    assert _check(project, notebook, cache=False) == EXPECTED


def test_transitive_star_import_within_the_project(tmp_path: Path) -> None:
    (tmp_path / "utils.py").write_text(UTILS, encoding="utf-8")
    (tmp_path / "utils2.py").write_text("from utils import *\nimport os\n", encoding="utf-8")
    script = tmp_path / "train.py"
    script.write_text("".join(TRAINING).replace("from utils import", "from utils2 import"), encoding="utf-8")
    assert _check(tmp_path, script, cache=False) == EXPECTED


def test_all_excluding_keras_names_binds_none_of_them(tmp_path: Path) -> None:
    (tmp_path / "utils.py").write_text(UTILS + "__all__ = ['plot']\n", encoding="utf-8")
    script = tmp_path / "train.py"
    script.write_text("".join(TRAINING), encoding="utf-8")
    assert _check(tmp_path, script, cache=False) == set()
    bound = star_imports.bindings(str(script), script.read_text(encoding="utf-8"))
    assert dict(bound.names) == {} and not bound.uses_keras


def test_private_and_redefined_names_are_not_bound(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("import keras.backend as _K\nimport keras.backend as K\nK = None\nimport keras as k\n", encoding="utf-8")
    bound = star_imports.bindings(str(tmp_path / "x.py"), "from helpers import *\n")
    assert dict(bound.names) == {"k": "keras"}


def test_unresolvable_star_import_stays_external(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("".join(TRAINING).replace("from utils import", "from some_installed_lib import"), encoding="utf-8")
    assert _check(tmp_path, script, cache=False) == set()
    bound = star_imports.bindings(str(script), script.read_text(encoding="utf-8"))
    assert dict(bound.names) == {} and bound.dependencies == ()


def test_a_notebook_is_never_imported(tmp_path: Path) -> None:
    (tmp_path / "utils.ipynb").write_text(_notebook(UTILS.splitlines(keepends=True)), encoding="utf-8")
    bound = star_imports.bindings(str(tmp_path / "x.py"), "from utils import *\n")
    assert dict(bound.names) == {}


def test_broken_module_binds_nothing_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "utils.py").write_text("from keras.layers import *\ndef broken(:\n", encoding="utf-8")
    script = tmp_path / "train.py"
    script.write_text("".join(TRAINING), encoding="utf-8")
    assert _check(tmp_path, script, cache=False) == set()
    assert star_imports.bindings(str(script), "from utils import *\n") == star_imports.StarBindings()


def test_star_import_cycle_terminates(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from b import *\nimport keras.backend as K\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from a import *\nfrom keras.models import Sequential\n", encoding="utf-8")
    bound = star_imports.bindings(str(tmp_path / "main.py"), "from a import *\n")
    assert dict(bound.names)["K"] == "keras.backend"
    assert dict(bound.names)["Sequential"] == "keras.models.Sequential"
    assert {Path(path).name for path, _ in bound.dependencies} == {"a.py", "b.py"}


def test_keras_star_import_in_utils_binds_known_layer_names(project: Path) -> None:
    bound = star_imports.bindings(str(project / "x.py"), "from utils import *\n")
    assert bound.names["Dense"] == "keras.layers.Dense"
    assert bound.names["K"] == "keras.backend"
    assert "plot" not in bound.names  # a definition, not an import
    assert bound.uses_keras


def test_editing_utils_invalidates_the_notebooks_cached_result(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = project / "lesson3.ipynb"
    notebook.write_text(_notebook(TRAINING), encoding="utf-8")
    assert _check(project, notebook) == EXPECTED

    # Unchanged: the warm run answers from the cache without checking.
    checked: list[str] = []
    original = engine_module.Engine.check_file

    def counting(self: engine_module.Engine, path: str, *args: object, **kwargs: object) -> engine_module.FileResult:
        checked.append(os.path.basename(path))
        return original(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module.Engine, "check_file", counting)
    assert _check(project, notebook) == EXPECTED
    assert checked == []

    # utils.py no longer imports Keras: the notebook's cached findings must not be replayed.
    (project / "utils.py").write_text("import numpy as np\n", encoding="utf-8")
    assert _check(project, notebook) == set()
    assert checked == ["lesson3.ipynb"]
