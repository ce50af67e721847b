"""KC302's unsafe fix never breaks the program: the name ``keras.utils.set_random_seed`` is
spelled with is bound before the new call runs (issue 10, point 4).

Each fixed program is run for real up to its seed call (the import section and the seed), with
a stand-in ``keras`` module that records the seed, so a NameError would fail the test.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import types
from pathlib import Path

import pytest

TRAIN = "model = keras.Sequential()\nmodel.fit(x, y)\n"


def fix(root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kerascheck", "check", "--no-cache", "--select", "KC302", "--fix", "--unsafe-fixes", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_until_seeded(path: Path, monkeypatch: pytest.MonkeyPatch, call: str | None = None) -> list[int]:
    """Execute ``path``'s statements up to the one holding ``set_random_seed`` (then ``call``)."""
    seeds: list[int] = []
    stub = types.ModuleType("keras")
    stub.utils = types.SimpleNamespace(set_random_seed=seeds.append)  # type: ignore[attr-defined]
    tensorflow = types.ModuleType("tensorflow")
    tensorflow.keras = stub  # type: ignore[attr-defined]
    for name, module in (("keras", stub), ("tensorflow", tensorflow), ("tensorflow.keras", stub)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.syspath_prepend(str(path.parent))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = []
    for statement in tree.body:
        body.append(statement)
        if "set_random_seed" in ast.unparse(statement) and not isinstance(statement, ast.FunctionDef):
            break  # the rest needs a real model
    namespace: dict[str, object] = {"__name__": "fixed"}
    exec(compile(ast.Module(body, []), str(path), "exec"), namespace)
    if call:
        eval(call, namespace)
    return seeds


def test_a_seed_above_the_keras_import_moves_below_it(tmp_path, monkeypatch):
    (tmp_path / "train.py").write_text(
        "import numpy as np\nnp.random.seed(7)  # reproducible\nimport keras\nimport json\n" + TRAIN, encoding="utf-8"
    )
    fix(tmp_path)
    fixed = (tmp_path / "train.py").read_text(encoding="utf-8")
    assert fixed == "import numpy as np\n\nimport keras\nkeras.utils.set_random_seed(7)  # reproducible\nimport json\n" + TRAIN
    assert run_until_seeded(tmp_path / "train.py", monkeypatch) == [7]


def test_a_seed_above_a_tf_keras_import_moves_below_the_last_binding_import(tmp_path, monkeypatch):
    (tmp_path / "train.py").write_text(
        "import numpy as np\nnp.random.seed(3)\nfrom tensorflow import keras\nimport os\nfrom tensorflow import keras\n" + TRAIN,
        encoding="utf-8",
    )
    fix(tmp_path)
    fixed = (tmp_path / "train.py").read_text(encoding="utf-8")
    assert fixed.splitlines()[4:6] == ["from tensorflow import keras", "keras.utils.set_random_seed(3)"]
    assert run_until_seeded(tmp_path / "train.py", monkeypatch) == [3]


def test_a_seed_in_a_function_is_replaced_in_place(tmp_path, monkeypatch):
    # The module's imports (even one below the function) run before ``main()`` is called.
    source = "import numpy as np\n\ndef main():\n    np.random.seed(5)\n\nimport keras\n"
    (tmp_path / "train.py").write_text(source + "main()\n" + TRAIN, encoding="utf-8")
    fix(tmp_path)
    fixed = (tmp_path / "train.py").read_text(encoding="utf-8")
    assert fixed == source.replace("np.random.seed(5)", "keras.utils.set_random_seed(5)") + "main()\n" + TRAIN
    (tmp_path / "train.py").write_text(fixed.replace(TRAIN, ""), encoding="utf-8")
    assert run_until_seeded(tmp_path / "train.py", monkeypatch) == [5]  # main() runs at the end


def test_a_helper_module_without_keras_gets_the_import(tmp_path, monkeypatch):
    (tmp_path / "seeding.py").write_text("import numpy as np\n\n\ndef seed_all(s):\n    np.random.seed(s)\n", encoding="utf-8")
    (tmp_path / "train.py").write_text("import keras\nfrom seeding import seed_all\nseed_all(11)\n" + TRAIN, encoding="utf-8")
    fix(tmp_path)
    fixed = (tmp_path / "seeding.py").read_text(encoding="utf-8")
    assert fixed.endswith("def seed_all(s):\n    import keras\n    keras.utils.set_random_seed(s)\n")
    assert run_until_seeded(tmp_path / "seeding.py", monkeypatch, call="seed_all(11)") == [11]
