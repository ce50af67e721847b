"""The work a tree that is mostly not Keras still costs (issue 16): the program model resolving
each import once per run, the recheck of left-out files (one search per alternative, on worker
processes), the Keras pre-filter's word test. Each must give exactly what the plain way gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kerascheck
from kerascheck.findings import Location
from kerascheck.python_api import open_session
from kerascheck.static import engine as engine_module
from kerascheck.static import files, programs, recheck
from kerascheck.static import workers as worker_pool
from kerascheck.static.engine import Engine, check_paths, iter_targets


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _model(root: Path) -> programs.ProgramModel:
    imports = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        imports[str(path)] = programs.scan_imports(text, str(path), lambda line, column, where=str(path): Location(where, line, column))
    return programs.ProgramModel.build(imports, root)


def test_a_shared_module_resolves_its_imports_from_each_programs_own_directory(tmp_path: Path) -> None:
    # lib/core.py's ``import util`` finds x/util.py when x/run.py runs, y/util.py when y/run.py
    # runs, and nothing (an installed library) when z/run.py runs: the edges of a module
    # shared by programs must not be reused from one program's start directory in another's.
    _write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/core.py": "import util\nimport lib\n",
            "x/run.py": "import lib.core\n",
            "x/util.py": "",
            "y/run.py": "import lib.core\n",
            "y/util.py": "",
            "z/run.py": "import lib.core\n",
        },
    )
    model = _model(tmp_path)
    runs = [p for p in model.programs if p.entry.endswith("run.py")]
    files = {Path(p.entry).parent.name: {Path(f).relative_to(tmp_path).as_posix() for f in p.files} for p in runs}
    assert files["x"] == {"x/run.py", "lib/__init__.py", "lib/core.py", "x/util.py"}
    assert files["y"] == {"y/run.py", "lib/__init__.py", "lib/core.py", "y/util.py"}
    assert files["z"] == {"z/run.py", "lib/__init__.py", "lib/core.py"}
    core = str(tmp_path / "lib" / "core.py")
    assert [s.text() for s in model.external[core]] == ["import util"]  # once, though three programs run it


HELPERS = 5
TRAINS = "import keras\n" + "".join(f"import helper{i}\n" for i in range(HELPERS)) + "model = keras.Sequential()\nmodel.fit(x, y)\n"
HELPER = "import random\n\n\ndef setup():\n    random.seed(1)\n"


def test_the_recheck_on_worker_processes_gives_what_one_process_and_parsing_everything_give(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"main.py": TRAINS, **{f"helper{i}.py": HELPER for i in range(HELPERS)}, "plain.py": "import os\n"})
    session = open_session(start=tmp_path, overrides={"cache": False, "select": ("KC3", "KC4")})
    runs = []
    pool_runs: list[int] = []
    real_run = worker_pool.run

    def counting_run(paths, **kwargs):  # type: ignore[no-untyped-def]
        pool_runs.append(len(paths))
        return real_run(paths, **kwargs)

    monkeypatch.setattr(worker_pool, "run", counting_run)
    for jobs in (1, 2):
        engine = Engine(session.registry.rules, session.config, session.registry.config_options)
        results = check_paths(engine, iter_targets(session.config, [str(tmp_path)]), jobs=jobs)
        assert all(r.left_out for r in results if "helper" in r.path)  # seeds alone are not parsed at first
        model = engine.program_model(results, root=tmp_path)
        rechecked = engine.recheck_left_out(results, model)
        assert all(r.facts and not r.left_out for r in rechecked if "helper" in r.path)
        runs.append([f"{Path(f.location.path).name}:{f.location.line}:{f.code}:{f.message}" for f in engine.finish(results, root=tmp_path)])
    assert pool_runs and set(pool_runs) == {HELPERS}  # jobs=2: the five helpers went to workers (jobs=1: none did)
    monkeypatch.setattr(engine_module, "PREFILTER", False)
    found = kerascheck.check([str(tmp_path)], select=["KC3", "KC4"])
    everything = [f"{Path(f.location.path).name}:{f.location.line}:{f.code}:{f.message}" for f in found]
    assert runs[0] == runs[1] == everything


@pytest.mark.parametrize(
    "pattern",
    [
        r"seed|determinis|\btorch\b|\.[\s\\]*(?:save|export)\b|\b(?:run_experiment|setup)\b",
        r"a|[|]b|c",
        r"[]|]|x",
        r"(a|b)c|d",
        r"(?i)SEED|x",  # an inline flag applies to every alternative: kept whole
        r"(s)e|\1",  # a back-reference: kept whole
        r"a\|b|c",
        r"seed(?<!\wseed)\b|torch(?=vision)|(?i:ss)|c",  # look-arounds and scoped flags stand alone
        r"(?P<x>s)e|(?P=x)1",  # a named back-reference: kept whole
    ],
)
def test_a_recheck_pattern_is_found_exactly_when_one_of_its_alternatives_is(pattern: str) -> None:
    texts = ["random.seed(1)", "x.save ('m')", "torchvision", "import torch", "a|b", "]", "ac", "bd", "seed", "ss", "s1", "c", "", "run_experiment()"]
    compiled = re.compile(pattern)
    alternatives = recheck.alternatives(compiled)
    for text in texts:
        assert any(a.search(text) for a in alternatives) == bool(compiled.search(text)), (pattern, text)
    if "(?i)" in pattern or "\\1" in pattern or "(?P=" in pattern:
        assert alternatives == (compiled,)
    else:
        assert len(alternatives) > 1, pattern  # each searched on its own


def test_the_tf_word_test_is_the_regex_it_replaces() -> None:
    old = re.compile(r"\btf\b")
    texts = ["import tf", "utf-8", "tf.keras", "x = tf", "mytf", "tf_x", "(tf)", "tfa", "ftf", "tf", "TF", "Keras"]
    texts += ["import tensorflow as T", "pass", "a\ntf\n", "é tf", "étf"]
    for text in texts:
        assert bool(engine_module._TF_WORD.search(text)) == bool(old.search(text)), text


def _mentions_keras(text: str, aliases: re.Pattern[str] | None = None) -> bool:
    return engine_module._mentions_keras(files.read("m.py", text), aliases)


@pytest.mark.parametrize(
    "text",
    [
        "from deps import tf\ntf.keras.layers.Dense(1)\n",
        "import deps as tf\n",
        "from deps import backend as tf\n",
        "import tf.compat\n",
        "def build():\n    from .shared import tf\n    return tf.keras.Sequential()\n",
        "try:\n    import jax\nexcept ImportError:\n    from .fallback import tf\n",
        "tf.keras.Sequential(\n",  # does not compile: decided as before (it gets KC001 anyway)
        "import keras\n",
        "model = tensorflow_model()\n",  # the names themselves still count, anywhere
    ],
)
def test_a_file_uses_keras_when_it_names_keras_or_an_import_binds_tf(text: str) -> None:
    assert _mentions_keras(text)


@pytest.mark.parametrize(
    "text",
    [
        "for tf in tests:\n    res = tf(h, f)\n",  # imghdr.py
        "with TarFile.open(src) as tf:\n    tf.extractall()\n",  # tarfile.py
        "tf = 1\nprint(tf)\n",
        "def f(tf):\n    return tf.Variable(1)\n",  # a parameter: names resolve through imports only
        "import tfx\nfrom tf_utils import x\n",
        "encoding = 'utf-8'\n",
    ],
)
def test_a_tf_no_import_binds_is_not_tensorflow(text: str) -> None:
    assert not _mentions_keras(text)


def test_a_configured_keras_module_counts_without_the_names() -> None:
    assert _mentions_keras("import tfx\n", re.compile("tfx"))


def test_a_file_whose_tf_no_import_binds_gets_the_same_findings_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Keras rules cannot tell anything from a ``tf`` that no import binds (qualified names come
    # from imports): skipping them finds what running them found.
    loop = "def run(tests, model, x):\n    for tf in tests:\n        tf(model.predict(x[:1]))\n"
    loop += "    model.predict_classes(x)\n    model.fit(x, x, epochs=3)\n"
    _write(tmp_path, {"loop.py": loop})
    skipped = kerascheck.check([str(tmp_path)], config=None)
    monkeypatch.setattr(engine_module, "_mentions_keras", lambda source, aliases: True)
    run_anyway = kerascheck.check([str(tmp_path)], config=None)
    assert [f.code for f in skipped] == [f.code for f in run_anyway]
