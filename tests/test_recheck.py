"""The recheck's second test (:meth:`ProjectRule.recheck_confirm`): a left-out file whose text
holds its program's pattern is parsed again only if CPython's AST and its imports show it can
record a fact that matters, and the findings stay those of parsing every file."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerascheck
from kerascheck.findings import Location
from kerascheck.python_api import open_session
from kerascheck.rules.program_facts import PreprocessorFitted, ProjectRule, Seeds, Trains
from kerascheck.static import engine as engine_module
from kerascheck.static import python_ast, star_imports
from kerascheck.static.engine import Engine, check_paths, iter_targets
from kerascheck.static.programs import scan_imports
from kerascheck.static.recheck import LeftOutFile

HERE = Location("train.py", 1, 1)
TRAINS = [Trains(HERE)]
TRAINS_THROUGH_RUN = [Trains(HERE, callers=frozenset({"run"}))]
SEEDING_HELPER = [Trains(HERE), Seeds("python", "random.seed", HERE, helper="setup")]
FITS_LOOKUP = [PreprocessorFitted("lookup", "StringLookup", HERE)]


def _file(text: str, directory: Path) -> LeftOutFile:
    """``text`` as the left-out ``m.py`` beside a project module ``helpers.py``."""
    (directory / "helpers.py").write_text("from train import run as go\nfrom random import seed\n", encoding="utf-8")
    path = str(directory / "m.py")
    star = star_imports.bindings(path, text)
    imports = scan_imports(text, path, lambda line, column: Location(path, line, column))
    return LeftOutFile(path, text, imports, star_imports_project=bool(star.dependencies))


@pytest.mark.parametrize(
    ("program", "text"),
    [
        (TRAINS, "import random\nrandom.seed(0)\n"),
        (TRAINS, "from numpy.random import seed as s\ns(1)\n"),
        (TRAINS, "def f():\n    import torch\n    torch.manual_seed(0)\n"),
        (TRAINS, "from helpers import *\nseed(0)\n"),  # the star import may bind ``seed``
        (TRAINS, "import torch\n"),  # a Keras backend
        (TRAINS, "import os\nos.environ['KERAS_BACKEND'] = 'jax'\n"),
        (TRAINS, "import os\nos.environ['TF_DETERMINISTIC_OPS'] = '1'\n"),
        (TRAINS, "objects = {'custom_objects': {}}\n"),
        (TRAINS_THROUGH_RUN, "import train\ntrain.run()\n"),
        (TRAINS_THROUGH_RUN, "from train import run as go\ngo()\n"),  # the alias's imported name
        (TRAINS_THROUGH_RUN, "import threading\nthreading.Thread(target=run)\n"),  # passed on
        (TRAINS_THROUGH_RUN, "results = map(run, jobs)\n"),
        (TRAINS_THROUGH_RUN, "from helpers import *\ngo()  # run it\n"),  # ``go`` may be ``run`` bound elsewhere
        (SEEDING_HELPER, "from helpers import setup\nsetup()\n"),
        (FITS_LOOKUP, "import pickle\npickle.dump({'l': lookup}, f)\n"),
        (FITS_LOOKUP, "import json\njson.dump(self.lookup.get_vocabulary(), f)\n"),  # an attribute name
        (FITS_LOOKUP, "save(f'{lookup}')\n"),
        (FITS_LOOKUP, "from joblib import dump as keep\nkeep(lookup, 'l.pkl')\n"),  # an aliased dump
        ([Trains(HERE, callers=frozenset({"ｔｒａｉｎ"}))], "ｔｒａｉｎ()\n"),  # libcst keeps the spelling CPython normalises
    ],
)
def test_a_file_that_can_record_a_fact_that_matters_is_confirmed(program: list[object], text: str, tmp_path: Path) -> None:
    pattern = ProjectRule.recheck_pattern(program)
    assert pattern is not None and pattern.search(text), "the text test lets it through"
    assert ProjectRule.recheck_confirm(program, _file(text, tmp_path))


@pytest.mark.parametrize(
    ("program", "text"),
    [
        (TRAINS, "class Random:\n    def seed(self, a=None):\n        super().seed(a)\n"),  # random.py itself
        (TRAINS, "import os\n# results are deterministic\n"),
        (TRAINS, "import pickle\npickle.Pickler(f).save(obj)\n"),  # a ``.save`` is a model's only through Keras names
        (TRAINS_THROUGH_RUN, "def run():\n    pass\n"),  # defines a ``run``, never calls it
        (TRAINS_THROUGH_RUN, "import os\n# run the tests\n"),
        (FITS_LOOKUP, "import codecs\ncodecs.lookup('utf-8')\nlookup = codecs.lookup\n"),  # used, never dumped
        (FITS_LOOKUP, "def lookup(name):\n    return name\n"),
        (FITS_LOOKUP, "import codecs\ncodecs.register(lookup)\nprint(lookup.__name__)\n"),  # passed, but to no dump
        (TRAINS, "from _codecs import *\nfrom os.path import *\n# a seed\n"),  # star imports of installed modules bind nothing
    ],
)
def test_a_file_that_cannot_is_not(program: list[object], text: str, tmp_path: Path) -> None:
    pattern = ProjectRule.recheck_pattern(program)
    assert pattern is not None and pattern.search(text), "the text test alone would bring it back"
    assert not ProjectRule.recheck_confirm(program, _file(text, tmp_path))


def test_call_names_keep_every_spelling_a_libcst_walk_records() -> None:
    text = "from m import train as t\nt(model, *jobs, key=lookup)\nobj.run(lambda p: p)\nf(a.b, c[d], x=g(k=v))\nh(e)\n"
    tree = python_ast.compile_tree(text, "m.py")
    assert not isinstance(tree, BaseException)
    names = python_ast.call_names(tree, frozenset({"f", "train", "run"}))
    assert {"t", "train", "model", "jobs", "lookup", "run", "f", "g"} <= names.referenced
    assert {"a", "b", "c", "d", "g", "k", "v", "p", "model", "jobs", "lookup"} <= names.in_arguments
    assert "e" not in names.in_arguments  # ``h`` was not asked about


HELPER_MODULE = "import random\n\n\ndef setup():\n    random.seed(1)\n"
PROGRAM = "import keras\nimport helpers\nimport codecs_like\nhelpers.setup()\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(x, y)\n"
#: Holds the program's helper name, but only defines it: no fact it records can matter.
NOT_A_CALLER = "def setup():\n    return 'a seed of doubt'\n"


def test_a_file_the_confirmation_skips_changes_no_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in {"train.py": PROGRAM, "helpers.py": HELPER_MODULE, "codecs_like.py": NOT_A_CALLER}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    session = open_session(start=tmp_path, overrides={"cache": False, "select": ("KC3", "KC4")})
    engine = Engine(session.registry.rules, session.config, session.registry.config_options)
    results = check_paths(engine, iter_targets(session.config, [str(tmp_path)]), jobs=1)
    rechecked = {Path(r.path).name: r for r in engine.recheck_left_out(results, engine.program_model(results, root=tmp_path))}
    assert rechecked["helpers.py"].facts  # its seed call matters
    assert rechecked["codecs_like.py"].left_out and not rechecked["codecs_like.py"].facts  # never parsed
    filtered = [(Path(f.location.path).name, f.location.line, f.code, f.message) for f in kerascheck.check([str(tmp_path)], select=["KC3", "KC4"])]
    monkeypatch.setattr(engine_module, "PREFILTER", False)
    everything = [(Path(f.location.path).name, f.location.line, f.code, f.message) for f in kerascheck.check([str(tmp_path)], select=["KC3", "KC4"])]
    assert filtered == everything
