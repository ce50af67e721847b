"""The program model on realistic multi-file trees built in tmp dirs: imports resolved the way
Python resolves them, programs = entry points, and project rules reported per program."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import kerascheck
from kerascheck.findings import Location
from kerascheck.static.programs import ImportStatement, ProgramModel, scan_imports

CONFIG = '[project]\nname = "demo"\n\n[tool.kerascheck]\ntarget-keras = "3"\n'


def tree(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s} for s in sources]
    return json.dumps({"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5})


def model_of(root: Path, *, relative: bool = True) -> ProgramModel:
    """The program model of every file under ``root``, paths relative to ``root``."""
    imports = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".ipynb"):
            name = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".ipynb":
                from kerascheck.static.notebooks import notebook_source

                text = notebook_source(str(path), text).text
            imports[str(path)] = scan_imports(text, name, lambda line, column, name=name: Location(name, line, column))
    model = ProgramModel.build(imports, root)
    return model


def grouping(model: ProgramModel, root: Path) -> dict[str, list[str]]:
    def rel(path: str) -> str:
        return Path(path).relative_to(root).as_posix()

    return {rel(p.entry): sorted(rel(f) for f in p.files[1:]) for p in model.programs}


def run_cli(root: Path, *args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "kerascheck", *args], cwd=root, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


SRC_LAYOUT = {
    "src/trainer/__init__.py": "",
    "src/trainer/data.py": "import numpy as np\nx = np.zeros((8, 2))\ny = np.zeros(8)\n",
    "src/trainer/loop.py": (
        "import keras\nfrom . import data\nfrom .models import build\n\n"
        "\ndef train(model):\n    model.fit(data.x, data.y, epochs=2)\n"
    ),
    "src/trainer/models/__init__.py": "from .mlp import build\n",
    "src/trainer/models/mlp.py": "import keras\n\ndef build():\n    return keras.Sequential([keras.layers.Dense(1)])\n",
    "scripts/train.py": (
        "import keras\nfrom trainer.loop import train\nfrom trainer.models import build\n"
        "\nkeras.utils.set_random_seed(0)\ntrain(build())\n"
    ),
    "scripts/finetune.py": "import keras\nfrom trainer import loop\nfrom trainer.models import build\n\nloop.train(build())\n",
}


def test_src_layout_two_entry_points_share_the_library(tmp_path):
    root = tree(tmp_path, SRC_LAYOUT)
    model = model_of(root)
    library = ["src/trainer/__init__.py", "src/trainer/data.py", "src/trainer/loop.py", "src/trainer/models/__init__.py", "src/trainer/models/mlp.py"]
    assert grouping(model, root) == {"scripts/finetune.py": library, "scripts/train.py": library}
    loop = str(root / "src/trainer/loop.py")
    assert sorted(Path(p.entry).name for p in model.programs_of(loop)) == ["finetune.py", "train.py"]
    finetune = model.program(str(root / "scripts/finetune.py"))
    assert finetune is not None and finetune.modules[loop] == "trainer.loop"
    assert finetune.modules[str(root / "src/trainer/models/mlp.py")] == "trainer.models.mlp"
    assert [statement.text() for _, statement in finetune.chain(str(root / "src/trainer/data.py"))] == [
        "from trainer import loop",
        "from . import data",
    ]


def test_src_layout_finding_is_reported_in_the_entry_point_that_lacks_the_seed(tmp_path):
    root = tree(tmp_path, SRC_LAYOUT)
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("finetune.py", 2)]
    assert "src/trainer/loop.py" in findings[0].message.replace("\\", "/") and "line 7" in findings[0].message


def test_show_programs_prints_the_grouping(tmp_path):
    root = tree(tmp_path, SRC_LAYOUT)
    code, out, err = run_cli(root, "check", "--show-programs", "--no-cache")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2 programs (search path after each entry point's directory: ., src)"
    assert "scripts/finetune.py  (script, 6 files)" in lines
    start = lines.index("scripts/finetune.py  (script, 6 files)")
    assert lines[start + 1 : start + 6] == [
        "└─ src/trainer/__init__.py  (trainer: from trainer import loop)  [in 2 programs]",
        "└─ src/trainer/loop.py  (trainer.loop: from trainer import loop)  [in 2 programs]",
        "   └─ src/trainer/data.py  (trainer.data: from . import data)  [in 2 programs]",
        "└─ src/trainer/models/__init__.py  (trainer.models: from trainer.models import build)  [in 2 programs]",
        "   └─ src/trainer/models/mlp.py  (trainer.models.mlp: from .mlp import build)  [in 2 programs]",
    ]


def test_a_local_file_named_like_a_library_is_not_imported_from_elsewhere(tmp_path):
    # ``tools/keras.py`` (which seeds) is not on train.py's search path: ``import keras`` is the
    # installed library, so the two files are separate programs and train.py is unseeded.
    root = tree(
        tmp_path,
        {
            "tools/keras.py": "import random\nimport tensorflow as tf\nrandom.seed(0)\ntf.random.set_seed(0)\n",
            "train.py": "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        },
    )
    model = model_of(root)
    assert grouping(model, root) == {"tools/keras.py": [], "train.py": []}
    assert [s.text() for s in model.external[str(root / "train.py")]] == ["import keras"]
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("train.py", 3)]


def test_a_local_module_beside_the_script_does_shadow_the_library(tmp_path):
    # Exactly as Python: ``sys.path[0]`` is the script's directory, so exp/keras.py wins.
    root = tree(tmp_path, {"exp/keras.py": "x = 1\n", "exp/run.py": "import keras\n", "other/run.py": "import keras\n"})
    assert grouping(model_of(root), root) == {"exp/run.py": ["exp/keras.py"], "other/run.py": []}


def test_notebooks_named_like_libraries_are_never_imported(tmp_path):
    root = tree(
        tmp_path,
        {
            "keras.ipynb": notebook("import keras\n", "keras.utils.set_random_seed(0)\n"),
            "tensorflow.ipynb": notebook("import tensorflow as tf\n"),
            "train.py": "import keras\nimport tensorflow as tf\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        },
    )
    model = model_of(root)
    assert grouping(model, root) == {"keras.ipynb": [], "tensorflow.ipynb": [], "train.py": []}
    assert all(p.is_notebook for p in model.programs if p.entry.endswith(".ipynb"))
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("train.py", 4)]


def test_a_notebook_is_its_own_program_with_what_it_imports(tmp_path):
    root = tree(
        tmp_path,
        {
            "nbs/seeding.py": "import keras\nkeras.utils.set_random_seed(0)\n",
            "nbs/explore.ipynb": notebook("import keras\n", "import seeding\n", "model = keras.Sequential()\nmodel.fit(x, y)\n"),
            "nbs/other.ipynb": notebook("import keras\nmodel = keras.Sequential()\n", "model.fit(x, y)\n"),
        },
    )
    assert grouping(model_of(root), root) == {"nbs/explore.ipynb": ["nbs/seeding.py"], "nbs/other.ipynb": []}
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.cell, f.location.line) for f in findings] == [("other.ipynb", 2, 1)]


def test_python_resolution_rules(tmp_path):
    root = tree(
        tmp_path,
        {
            # a package wins over a module of the same name in the same directory
            "app/util/__init__.py": "",
            "app/util.py": "",
            # a namespace package (no __init__) only when nothing else has the name
            "app/ns/part.py": "",
            # ``from pkg import name``: name is a submodule when one exists, else an attribute
            "app/pkg/__init__.py": "VALUE = 1\n",
            "app/pkg/sub.py": "from .. import util\nfrom ..pkg import VALUE\n",
            "app/main.py": "import util\nimport ns.part\nfrom pkg import sub, VALUE\nimport pkg.missing\nimport json\n",
        },
    )
    model = model_of(root)
    main = model.program(str(root / "app/main.py"))
    assert main is not None
    files = {Path(f).relative_to(root).as_posix(): name for f, name in main.modules.items()}
    assert files == {
        "app/main.py": "__main__",
        "app/util/__init__.py": "util",
        "app/ns/part.py": "ns.part",
        "app/pkg/__init__.py": "pkg",
        "app/pkg/sub.py": "pkg.sub",
    }
    assert "app/util.py" in grouping(model, root)  # shadowed by the package: its own program
    assert [s.text() for s in model.external[str(root / "app/main.py")]] == ["import json"]


def test_import_cycles_nothing_else_imports_still_form_a_program(tmp_path):
    root = tree(tmp_path, {"a.py": "import b\n", "b.py": "import a\n"})
    model = model_of(root)
    assert len(model.programs) == 1 and sorted(Path(f).name for f in model.programs[0].files) == ["a.py", "b.py"]


def test_unrelated_sub_projects_are_not_merged_by_file_name(tmp_path):
    # Two sub-projects with their own ``utils.py``: a save in proj_b must not make proj_a's
    # custom layer "saved" (KC404), and proj_b's seed must not seed proj_a (KC301).
    layer = "import keras\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return x * 2\n"
    root = tree(
        tmp_path,
        {
            "proj_a/utils.py": layer,
            "proj_a/infer.py": "import keras\nfrom utils import Scale\nmodel = keras.Sequential([Scale()])\nmodel.fit(x, y)\n",
            "proj_b/utils.py": "import keras\nkeras.utils.set_random_seed(0)\n",
            "proj_b/train.py": "import keras\nimport utils\nmodel = keras.Sequential()\nmodel.fit(x, y)\nmodel.save('m.keras')\n",
        },
    )
    assert grouping(model_of(root), root) == {"proj_a/infer.py": ["proj_a/utils.py"], "proj_b/train.py": ["proj_b/utils.py"]}
    findings = kerascheck.check([root], select=["KC301", "KC404"], config=str(root / "pyproject.toml"))
    assert [(f.code, Path(f.location.path).parent.name, Path(f.location.path).name) for f in findings] == [("KC301", "proj_a", "infer.py")]


def test_a_library_that_trains_in_an_uncalled_function_does_not_make_a_program_train(tmp_path):
    root = tree(
        tmp_path,
        {
            "lib.py": "import keras\n\ndef train(model):\n    model.fit(x, y)\n\ndef build():\n    return keras.Sequential()\n",
            "predict.py": "import lib\nmodel = lib.build()\nmodel.predict(x)\n",
        },
    )
    assert kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml")) == []


def test_results_are_identical_with_one_and_two_workers(tmp_path):
    files = dict(SRC_LAYOUT)
    for index in range(16):  # enough files for the worker pool to start
        seed = "keras.utils.set_random_seed(0)" if index % 2 else ""
        files[f"experiments/exp{index}.py"] = f"import keras\nfrom trainer.loop import train\n{seed}\ntrain(keras.Sequential())\n"
    cells = ("%matplotlib inline\n", "from trainer import loop\nimport keras\n", "loop.train(keras.Sequential())\n")
    files["notebooks/explore.ipynb"] = notebook(*cells)
    root = tree(tmp_path, files)
    outputs = [run_cli(root, "check", "--no-cache", "--output-format", "json", "-j", jobs) for jobs in ("1", "2")]
    assert outputs[0][0] == outputs[1][0] == 1
    assert outputs[0][1] == outputs[1][1]
    assert len(json.loads(outputs[0][1])) == 10  # 8 unseeded experiments, finetune.py, the notebook


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import a.b as c, d\n", [("a.b", 0, ()), ("d", 0, ())]),
        ("from ..x import y as z, w\n", [("x", 2, ("y", "w"))]),
        ("from . import *\n", [("", 1, ("*",))]),
        ("def f():\n    try:\n        import lazy\n    except ImportError:\n        pass\n", [("lazy", 0, ())]),
        ("x = 'import nothing'\n", []),
    ],
)
def test_scan_imports(source, expected):
    found = scan_imports(source, "m.py", lambda line, column: Location("m.py", line, column))
    assert [(s.module, s.level, s.names) for s in found.statements] == expected
    assert all(isinstance(s, ImportStatement) for s in found.statements)
    assert not found.main_guard


def test_a_script_others_import_functions_from_is_still_an_entry_point(tmp_path):
    # Shape of dl-quick-reference/Chapter09: the training script runs under its __main__ guard;
    # the prediction script imports its data helpers and calls its *own* main().
    root = tree(
        tmp_path,
        {
            "lstm.py": (
                "import keras\n\ndef read_data():\n    return 1\n\ndef main():\n"
                "    model = keras.Sequential()\n    model.fit(read_data(), 1)\n\nif __name__ == '__main__':\n    main()\n"
            ),
            "predict.py": (
                "import keras\nfrom lstm import read_data\n\ndef main():\n"
                "    keras.models.load_model('m.keras').predict(read_data())\n\nif __name__ == '__main__':\n    main()\n"
            ),
        },
    )
    assert grouping(model_of(root), root) == {"lstm.py": [], "predict.py": ["lstm.py"]}
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("lstm.py", 8)]


def test_a_library_method_that_trains_counts_when_the_program_calls_into_it(tmp_path):
    # Shape of emnlp2017-bilstm-cnn-crf: ``fit`` calls ``trainModel``, which trains; the
    # training script calls ``fit``, the tagging script only ``loadModel``/``tagSentences``.
    library = (
        "import keras\n\nclass Tagger:\n    def trainModel(self):\n        self.model.train_on_batch(x, y)\n\n"
        "    def fit(self, epochs):\n        for _ in range(epochs):\n            self.trainModel()\n\n"
        "    def tag(self, sentences):\n        return self.model.predict(sentences)\n"
    )
    root = tree(
        tmp_path,
        {
            "nets/__init__.py": "",
            "nets/tagger.py": library,
            "train.py": "from nets.tagger import Tagger\nmodel = Tagger()\nmodel.fit(epochs=3)\n",
            "run.py": "from nets.tagger import Tagger\nmodel = Tagger.load('m')\nprint(model.tag(['a']))\n",
        },
    )
    findings = kerascheck.check([root], select=["KC301"], config=str(root / "pyproject.toml"))
    assert [(Path(f.location.path).name, f.location.line) for f in findings] == [("train.py", 1)]
    assert "nets/tagger.py" in findings[0].message.replace("\\", "/")


def test_a_namespace_package_path_spelled_by_imports_makes_its_parent_a_root(tmp_path):
    # Shape of xreport: app/server has no __init__.py, its subpackages do, imports say server.x.
    root = tree(
        tmp_path,
        {
            "app/server/services/__init__.py": "",
            "app/server/services/jobs.py": "from server.learning.trainer import run\n",
            "app/server/learning/__init__.py": "",
            "app/server/learning/trainer.py": "def run():\n    pass\n",
            "tools/main.py": "from server.services import jobs\n",
        },
    )
    model = model_of(root)
    assert str(root / "app") in model.roots
    assert grouping(model, root) == {
        "tools/main.py": [
            "app/server/learning/__init__.py",
            "app/server/learning/trainer.py",
            "app/server/services/__init__.py",
            "app/server/services/jobs.py",
        ]
    }


DOCS_SAMPLE = {
    "src/trainer/__init__.py": "",
    "src/trainer/data.py": "import numpy as np\nx = np.zeros((8, 2))\ny = np.zeros(8)\n",
    "src/trainer/loop.py": "import keras\nfrom . import data\n\n\ndef train(model):\n    model.fit(data.x, data.y, epochs=2)\n",
    "src/trainer/models/__init__.py": "from .mlp import build\n",
    "src/trainer/models/mlp.py": "import keras\n\n\ndef build():\n    return keras.Sequential([keras.layers.Dense(1)])\n",
    "scripts/train.py": (
        "import keras\nfrom trainer.loop import train\nfrom trainer.models import build\n"
        "\nkeras.utils.set_random_seed(0)\ntrain(build())\n"
    ),
    "scripts/finetune.py": "import keras\nfrom trainer import loop\nfrom trainer.models import build\n\nloop.train(build())\n",
    "tools/keras.py": "import keras\nkeras.utils.set_random_seed(1)\n",
    "notebooks/keras.ipynb": notebook("%matplotlib inline\nimport keras\nfrom trainer.models import build\n"),
}


def test_the_grouping_shown_in_docs_programs_md_is_what_the_tool_prints(tmp_path):
    root = tree(tmp_path, DOCS_SAMPLE)
    code, out, err = run_cli(root, "check", "--show-programs", "--no-cache")
    assert code == 0, err
    docs = (Path(__file__).resolve().parent.parent / "docs" / "programs.md").read_text(encoding="utf-8")
    assert out.strip() in docs
    code, out, err = run_cli(root, "check", "--no-cache", "--select", "KC3")
    assert out.splitlines()[0].split(" with no global seed")[0] in docs


def test_a_warm_cache_keeps_the_program_model(tmp_path):
    # Imports are part of each file's cached result: a run answered from the cache groups the
    # files exactly as the cold run did.
    root = tree(tmp_path, SRC_LAYOUT)
    cold = run_cli(root, "check", "--output-format", "json", "--select", "KC301")
    warm = run_cli(root, "check", "--output-format", "json", "--select", "KC301")
    assert cold[1] == warm[1] and [Path(f["filename"]).name for f in json.loads(warm[1])] == ["finetune.py"]
    assert run_cli(root, "check", "--show-programs")[1] == run_cli(root, "check", "--show-programs", "--no-cache")[1]


def test_a_package_init_is_no_entry_point_unless_it_has_a_main_block(tmp_path: Path):
    root = tree(
        tmp_path,
        {
            "lib/__init__.py": "from lib import core\n",
            "lib/core.py": "import numpy\n",
            "tool/__init__.py": "if __name__ == '__main__':\n    print('run')\n",
        },
    )
    model = model_of(root)
    # python runs a package's __init__ only when something imports the package
    assert grouping(model, root) == {"lib/core.py": [], "tool/__init__.py": []}
    assert model.programs_of(str(root / "lib/__init__.py")) == ()


def test_membership_matches_walking_every_program(tmp_path: Path):
    """programs_of (from the reachability pass) agrees with the walked programs' files, cycles included."""
    root = tree(
        tmp_path,
        {
            "a.py": "import b\nimport c\n",
            "b.py": "import c\n",
            "c.py": "import d\n",
            "d.py": "import c\n",  # a cycle
            "e.py": "import d\nif __name__ == '__main__':\n    pass\n",
            "sub/f.py": "import g\n",  # another sys.path[0]
            "sub/g.py": "",
        },
    )
    model = model_of(root)
    walked: dict[str, list[str]] = {}
    for program in model.programs:
        for path in program.files:
            walked.setdefault(path, []).append(program.entry)
    for path, entries in walked.items():
        assert sorted(p.entry for p in model.programs_of(path)) == sorted(entries)
    assert [p.entry for p in model.programs_with_any([str(root / "d.py")])] == [str(root / "a.py"), str(root / "e.py")]
