"""Project rules over several files: seeds (KC301/KC302), preprocessors (KC401), custom objects (KC404)."""

from __future__ import annotations

from pathlib import Path

import kerascheck
from kerascheck.rules.persistence import UnregisteredCustomObject, UnsavedPreprocessor
from kerascheck.rules.seeds import MissingGlobalSeed, PartialSeeding
from kerascheck.testing import check_source

TRAIN = """\
import keras
from utils.seed import seed_everything

seed_everything(42)
model = keras.Sequential([keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, y, epochs=3)
"""
SEED_HELPER = """\
import random

import numpy as np
import tensorflow as tf


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
"""
TRAIN_NO_SEED = """\
import keras
from utils import data

model = keras.Sequential([keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(data.x, data.y, epochs=3)
"""


def test_seed_in_imported_helper_module_counts():
    project = {"utils/__init__.py": "", "utils/seed.py": SEED_HELPER}
    assert check_source(MissingGlobalSeed, TRAIN, project=project, filename="train.py") == []
    assert check_source(PartialSeeding, TRAIN, project=project, filename="train.py") == []


def test_training_without_seed_in_any_imported_module_is_reported_once():
    project = {"utils/__init__.py": "", "utils/data.py": "import numpy as np\nx = np.zeros((4, 2))\ny = np.zeros(4)\n"}
    findings = check_source(MissingGlobalSeed, TRAIN_NO_SEED, project=project, filename="train.py")
    assert [(f.code, f.location.line) for f in findings] == [("KC301", 6)]


def test_partial_seed_in_helper_is_reported_in_the_helper(tmp_path: Path):
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "seed.py").write_text("import tensorflow as tf\n\ndef seed_everything(s):\n    tf.random.set_seed(s)\n")
    (tmp_path / "train.py").write_text(TRAIN)
    findings = kerascheck.check([tmp_path], select=["KC301", "KC302"])
    assert [(Path(f.location.path).name, f.code, f.location.line) for f in findings] == [("seed.py", "KC302", 4)]
    assert "Python's `random`" in findings[0].message


def test_inference_only_package_needs_no_seed(tmp_path: Path):
    (tmp_path / "serve").mkdir()
    (tmp_path / "serve" / "__init__.py").write_text("")
    (tmp_path / "serve" / "predict.py").write_text(
        "import keras\nfrom serve.io import read\nmodel = keras.models.load_model('m.keras')\nprint(model.predict(read()))\n"
    )
    (tmp_path / "serve" / "io.py").write_text("import numpy as np\n\ndef read():\n    return np.load('x.npy')\n")
    assert kerascheck.check([tmp_path], select=["KC301", "KC302"]) == []


def test_each_unseeded_program_of_a_project_is_reported(tmp_path: Path):
    (tmp_path / "seeding.py").write_text("import keras\nkeras.utils.set_random_seed(0)\n")
    (tmp_path / "seeded.py").write_text("import keras\nimport seeding\nmodel = keras.Sequential()\nmodel.fit(x, y)\n")
    (tmp_path / "unseeded.py").write_text("import keras\nmodel = keras.Sequential()\n\nmodel.fit(x, y)\n")
    findings = kerascheck.check([tmp_path], select=["KC301"])
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("unseeded.py", 4)]


PREPARE = """\
import keras
from sklearn.preprocessing import StandardScaler
from artifacts import save_artifacts

scaler = StandardScaler()
x_train = scaler.fit_transform(x_train)
model = keras.Sequential([keras.layers.Dense(1)])
model.fit(x_train, y_train)
model.save("model.keras")
"""


def test_scaler_dumped_by_joblib_in_another_module_counts_as_saved():
    project = {"artifacts.py": "import joblib\n\ndef save_artifacts():\n    joblib.dump(scaler, 'scaler.joblib')\n"}
    assert check_source(UnsavedPreprocessor, PREPARE, project=project, filename="prepare.py") == []


def test_scaler_never_saved_anywhere_is_reported():
    project = {"artifacts.py": "import joblib\n\ndef save_artifacts(history):\n    joblib.dump(history, 'history.joblib')\n"}
    findings = check_source(UnsavedPreprocessor, PREPARE, project=project, filename="prepare.py")
    assert [(f.code, f.location.line) for f in findings] == [("KC401", 6)]
    assert "`scaler` (StandardScaler)" in findings[0].message


def test_unregistered_layer_saved_by_the_importing_trainer(tmp_path: Path):
    (tmp_path / "layers.py").write_text("import keras\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return x * 2\n")
    (tmp_path / "train.py").write_text("import keras\nfrom layers import Scale\nmodel = keras.Sequential([Scale()])\nmodel.save('m.keras')\n")
    findings = kerascheck.check([tmp_path], select=["KC404"])
    assert [(Path(f.location.path).name, f.code, f.location.line) for f in findings] == [("layers.py", "KC404", 3)]
    # an inference script that passes ``custom_objects`` makes it loadable
    (tmp_path / "predict.py").write_text(
        "import keras\nfrom layers import Scale\nm = keras.models.load_model('m.keras', custom_objects={'Scale': Scale})\n"
    )
    assert kerascheck.check([tmp_path], select=["KC404"]) == []
    assert check_source(UnregisteredCustomObject, "import keras\n", project={}) == []


def test_fast_locator_agrees_with_libcst_positions():
    import libcst as cst

    from kerascheck.rules.matchers import FastLocator
    from kerascheck.static.context import FileContext

    source = (
        '"""model.fit(x) in a docstring"""\n'
        "def fit(x):  # model.fit(y) in a comment\n"
        "    return x\n"
        "class Model(Base):\n"
        "    pass\n"
        "print(f'{model.fit(1)}', 'model.fit(2)')\n"
        "model.fit(\n    x,  # first\n)\n"
        "h = model . fit(x); model.fit(z)\n"
        "s = 'é'; model.fit(é)\n"
    )
    module = cst.parse_module(source)
    context = FileContext("t.py", source, module)
    locator = FastLocator(context)
    calls: list[cst.Call] = []

    class Walk(cst.CSTVisitor):
        def visit_FormattedString(self, node: cst.FormattedString) -> None:
            locator.fstring_depth += 1

        def leave_FormattedString(self, node: cst.FormattedString) -> None:
            locator.fstring_depth -= 1

        def visit_Call(self, node: cst.Call) -> None:
            locator.count(node)
            calls.append(node)

    module.visit(Walk())
    located = [c for c in calls if locator.call_range(c) is not None]
    assert len(located) == len(calls) - 1  # only the call inside the f-string is left to libcst
    for call in calls:
        assert locator.location(call) == context.location(call)
    class_node = next(s for s in module.body if isinstance(s, cst.ClassDef))
    assert locator.class_name_location(class_node) == context.location(class_node.name)


# -- which training runs (the program's code that runs calls it) -------------------------------

TRAINER_LIBRARY = """\
import keras


class Trainer:
    def train(self, x, y):
        self.model = keras.Sequential([keras.layers.Dense(1)])
        self.model.fit(x, y)
"""


def _names_and_lines(findings: list[kerascheck.Finding]) -> list[tuple[str, str, int]]:
    return sorted((Path(f.location.path).name, f.code, f.location.line) for f in findings)


def test_a_library_nobody_calls_trains_no_program(tmp_path: Path):
    (tmp_path / "trainer.py").write_text(TRAINER_LIBRARY)
    (tmp_path / "report.py").write_text("import trainer\n\nprint(trainer.Trainer)\n")  # imports it, runs nothing of it
    assert kerascheck.check([tmp_path], select=["KC301"]) == []


def test_pytest_runs_the_tests_of_a_test_file(tmp_path: Path):
    (tmp_path / "trainer.py").write_text(TRAINER_LIBRARY)
    test = "from trainer import Trainer\n\n\ndef test_training_converges():\n    Trainer().train(x, y)\n"
    (tmp_path / "test_trainer.py").write_text(test)
    (tmp_path / "helpers.py").write_text(test)  # the same code outside a test file: nothing calls the function
    findings = kerascheck.check([tmp_path], select=["KC301"])
    assert _names_and_lines(findings) == [("test_trainer.py", "KC301", 1)]  # at the import of the training module
    assert "trainer.py" in findings[0].message


def test_an_attribute_call_is_not_the_files_own_function(tmp_path: Path):
    # python -m app: __main__.py's main() calls cli.main(), which is not __main__.py's own main
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "__main__.py").write_text(
        "from app import cli\n\n\ndef main():\n    cli.main()\n\n\nif __name__ == '__main__':\n    main()\n"
    )
    (tmp_path / "app" / "cli.py").write_text(
        "import keras\n\n\ndef train():\n    model = keras.Sequential()\n    model.fit(x, y)\n\n\ndef main():\n    train()\n"
    )
    findings = kerascheck.check([tmp_path], select=["KC301"])
    assert _names_and_lines(findings) == [("__main__.py", "KC301", 1)]


def test_a_package_init_is_no_entry_point(tmp_path: Path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg import train_on_import\n")
    (tmp_path / "pkg" / "train_on_import.py").write_text("import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\n")
    findings = kerascheck.check([tmp_path], select=["KC301"])
    # nothing imports the package, so the module that trains on import is its own program
    assert _names_and_lines(findings) == [("train_on_import.py", "KC301", 3)]
