"""The semantic model across files and as the one model tracker: values of names and helpers
imported from project modules (and the cache noticing when those modules change), the one
module resolver shared by the program model and star imports, one CPython compile per file,
per-model layer facts read by KC604/KC605/KC704, and data flow (what an array is computed from)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst

from kerascheck.rules.persistence import FitBeforeSplit
from kerascheck.rules.prediction import ArgmaxOnSingleOutput
from kerascheck.rules.training import LossActivationMismatch, SoftmaxSingleUnit
from kerascheck.static import programs, python_ast, star_imports
from kerascheck.static.context import FileContext, analyse
from kerascheck.testing import check_source
from tests.test_semantic import _calls


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def _context_of(path: Path) -> FileContext:
    return analyse(path.read_text(encoding="utf-8"), str(path))


def _value_at_end(context: FileContext, expr: str):  # type: ignore[no-untyped-def]
    semantic = context.semantic
    return semantic.value_of(cst.parse_expression(expr), semantic.end)


PACKAGE = {
    "trainer/__init__.py": "",
    "trainer/paths.py": """
        import os

        BASE = os.path.join("runs", "exp1")
        FINAL = BASE + "/final.h5"

        def weights_file(tag="best"):
            return os.path.join(BASE, tag + "-weights.{epoch:02d}.hdf5")
        """,
    "trainer/train.py": """
        import keras
        from .paths import weights_file, FINAL as final_path
        from trainer.paths import BASE

        model = keras.Sequential([keras.layers.Dense(1)])
        checkpoint = keras.callbacks.ModelCheckpoint(weights_file(), save_best_only=True)
        model.fit(x, y, validation_split=0.2, callbacks=[checkpoint])
        model.save(final_path)
        """,
}


def test_values_of_names_and_helpers_imported_from_project_modules(tmp_path: Path) -> None:
    _write(tmp_path, PACKAGE)
    context = _context_of(tmp_path / "trainer" / "train.py")
    assert _value_at_end(context, "final_path").value == "runs/exp1/final.h5"  # relative import, renamed
    assert _value_at_end(context, "BASE").value == "runs/exp1"  # absolute import from the package root
    helper = _calls(context, "keras.callbacks.ModelCheckpoint")[0].args[0].value
    assert context.semantic.value_of(helper, context.semantic.end).value == "runs/exp1/best-weights.{epoch:02d}.hdf5"
    read = dict(context.semantic.modules_read())
    assert list(read) == [str(tmp_path / "trainer" / "paths.py")]


def test_rules_see_imported_paths_and_the_cache_follows_the_module(tmp_path: Path) -> None:
    _write(tmp_path, PACKAGE)

    def codes() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "kerascheck", "check", "--select", "KC104,KC105", "--output-format", "json", "trainer/train.py"],
            cwd=tmp_path, capture_output=True, text=True, check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        return sorted(f["code"] for f in json.loads(done.stdout))

    assert codes() == ["KC104", "KC105"]  # final.h5 saved whole; .hdf5 ModelCheckpoint path
    assert (tmp_path / ".kerascheck_cache").is_dir()
    (tmp_path / "trainer" / "paths.py").write_text(
        'BASE = "runs"\nFINAL = BASE + "/final.keras"\n\ndef weights_file():\n    return BASE + "/best.keras"\n', encoding="utf-8"
    )
    assert codes() == []  # train.py unchanged, but what it imports changed: not replayed from the cache


def test_an_imported_helper_called_with_arguments_or_in_a_cycle_stays_unknown(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.py": "from b import B\nA = B + '.h5'\n",
            "b.py": "from a import A\nB = A\n\ndef make(name):\n    return name + '.h5'\n",
            "main.py": "from b import make, B\nx = make('m')\n",
        },
    )
    context = _context_of(tmp_path / "main.py")
    assert not _value_at_end(context, "x").is_known  # its argument would decide
    assert not _value_at_end(context, "B").is_known  # a.A and b.B name each other


def test_one_module_resolver_prefers_a_package_like_python(tmp_path: Path) -> None:
    _write(tmp_path, {"utils.py": "from keras.layers import Dense\n", "utils/__init__.py": "from keras.layers import Conv2D\n"})
    assert programs.find_dotted("utils", [str(tmp_path)]) == str(tmp_path / "utils" / "__init__.py")
    bound = star_imports.bindings(str(tmp_path / "nb.py"), "from utils import *\n")
    assert "Conv2D" in bound.names and "Dense" not in bound.names  # the same answer the program model gives
    _write(tmp_path, {"ns/deep/mod.py": "X = 1\n"})  # namespace packages on the way
    assert programs.find_dotted("ns.deep.mod", [str(tmp_path)]) == str(tmp_path / "ns" / "deep" / "mod.py")
    assert programs.find_dotted("ns.deep", [str(tmp_path)]) is None  # a namespace package has no file


def test_each_file_is_compiled_once_and_top_level_await_is_accepted() -> None:
    text = "import keras\nresult = await fetch()\nasync with lock:\n    pass\n"
    tree = python_ast.compile_tree(text, "cell.ipynb")
    assert isinstance(tree, ast.Module)
    assert python_ast.compile_tree(text, "cell.ipynb") is tree  # the engine's verdict reuses the imports' compile
    imports = programs.scan_imports(text, "cell.ipynb", lambda line, column: programs.Location("cell.ipynb", line, column))
    assert [s.module for s in imports.statements] == ["keras"]
    assert isinstance(python_ast.compile_tree("def f(:\n", "bad.py"), SyntaxError)


MODELS = textwrap.dedent(
    """
    import keras
    from keras import layers

    encoder = keras.Sequential([layers.Dense(8), layers.Dense(1), layers.Activation("softmax")])
    inputs = keras.Input((4,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    logits = layers.Dense(3)(hidden)
    classifier = keras.Model(inputs, layers.Softmax()(logits))

    encoder.compile(loss="categorical_crossentropy")
    classifier.compile(loss="categorical_crossentropy")
    classifier = keras.Sequential([layers.Dense(1, activation="sigmoid")])
    classifier.compile(loss="categorical_crossentropy")
    """
)


def test_each_model_has_its_own_output_layer() -> None:
    context = analyse(MODELS)
    semantic = context.semantic
    compiles = _calls(context, "encoder.compile") + _calls(context, "classifier.compile")
    sites = {id(e.call): e.site for e in semantic.keras_models.events}
    outputs = [semantic.output_layer(c.func.value, sites[id(c)]) for c in compiles]  # type: ignore[attr-defined]
    assert [context.code(o) for o in outputs] == ['layers.Activation("softmax")', "layers.Softmax()", 'layers.Dense(1, activation="sigmoid")']
    encoder, _, rebound = compiles
    assert context.code(semantic.layer_before(outputs[0], encoder.func.value, sites[id(encoder)])) == "layers.Dense(1)"  # type: ignore[arg-type, attr-defined]
    assert context.code(semantic.layer_before(outputs[1])) == "layers.Dense(3)"  # type: ignore[arg-type]
    assert semantic.model_origin(rebound.func.value, sites[id(rebound)]) == "sequential"  # type: ignore[attr-defined]
    # KC604: the encoder's softmax over one unit; KC605: per model (the rebound sigmoid one too)
    assert [f.location.line for f in check_source(SoftmaxSingleUnit, MODELS)] == [5]
    assert [f.location.line for f in check_source(LossActivationMismatch, MODELS)] == [11, 14]


def test_argmax_on_the_model_a_name_holds_there() -> None:
    source = textwrap.dedent(
        """
        import numpy as np
        import keras

        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        first = np.argmax(model.predict(x), axis=-1)
        model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
        second = np.argmax(model.predict(x), axis=-1)
        """
    )
    assert [f.location.line for f in check_source(ArgmaxOnSingleOutput, source)] == [6]


def test_datasets_and_fixed_batch_sizes_through_bindings() -> None:
    source = textwrap.dedent(
        """
        import tensorflow as tf
        import keras

        train = tf.data.Dataset.from_tensor_slices((x, y))
        train = train.shuffle(100).batch(8)
        arrays = load()
        model = keras.Sequential([keras.layers.LSTM(4, batch_input_shape=(8, 5, 1), stateful=True)])
        model.fit(train)
        """
    )
    context = analyse(source)
    semantic = context.semantic
    assert semantic.is_dataset(cst.Name("train"), semantic.end)
    assert not semantic.is_dataset(cst.Name("arrays"), semantic.end)
    assert semantic.fixed_batch_size(cst.Name("model"), semantic.end) == 8


def test_data_flow_through_helpers_items_and_shapes() -> None:
    source = textwrap.dedent(
        """
        import numpy as np
        import keras
        from sklearn.preprocessing import MinMaxScaler

        def scale(values):
            return MinMaxScaler().fit_transform(values)

        data = scale(series)
        windows = np.zeros((len(data), 10))
        for i in range(len(data) - 10):
            windows[i] = data[i:i + 10]
        mask = np.zeros(len(data))
        train, test = windows[:500], windows[500:]
        """
    )
    context = analyse(source)
    semantic = context.semantic
    fit = _calls(context, "MinMaxScaler().fit_transform")[0]
    assert semantic.flows_from(cst.Name("windows"), {id(fit)}, semantic.end) == id(fit)
    assert semantic.flows_from(cst.Name("mask"), {id(fit)}, semantic.end) is None  # only its length
    assert [f.location.line for f in check_source(FitBeforeSplit, source)] == [7]


def test_values_of_attributes_of_imported_project_modules(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "config.py": 'WEIGHTS = "out/" + "model.h5"\n\ndef log_dir():\n    return WEIGHTS.replace(".h5", "") + "/logs"\n',
            "pkg/__init__.py": "",
            "pkg/paths.py": 'import os\n\ndef checkpoint():\n    return os.path.join("ckpt", "best.hdf5")\n',
            "pkg/train.py": "import config\nimport numpy as np\nfrom . import paths\n",
        },
    )
    context = _context_of(tmp_path / "pkg" / "train.py")
    assert _value_at_end(context, "config.WEIGHTS").value == "out/model.h5"  # found from the directory above the package
    _write(tmp_path, {"pkg/config.py": 'WEIGHTS = "local.keras"\n'})
    context = _context_of(tmp_path / "pkg" / "train.py")
    assert _value_at_end(context, "config.WEIGHTS").value == "local.keras"  # the file's own directory comes first
    assert _value_at_end(context, "paths.checkpoint()").value == "ckpt/best.hdf5"
    assert not _value_at_end(context, "np.pi").is_known  # numpy is not a project module
    assert sorted(Path(p).name for p, _ in context.semantic.modules_read()) == ["config.py", "paths.py"]


def test_a_recursive_helper_is_no_endless_factory() -> None:
    source = textwrap.dedent(
        """
        import keras

        def deserialize(config):
            if "inner" in config:
                return deserialize(config["inner"])
            return keras.Sequential()

        def walk(node):
            return walk(node.parent)

        model = deserialize(cfg)
        other = walk(tree)
        """
    )
    context = analyse(source)
    semantic = context.semantic
    assert semantic.model_origin(cst.Name("model"), semantic.end) == "factory"
    assert semantic.model_origin(cst.Name("other"), semantic.end) is None
