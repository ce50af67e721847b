"""The project rules' text filter: a file with no Keras name and nothing a project fact needs is
never parsed, and the findings are exactly those of parsing every file (``engine.PREFILTER``
off), including when such a file matters through a name another file's facts hold."""

from __future__ import annotations

from pathlib import Path

import pytest

import kerascheck
from kerascheck.python_api import open_session
from kerascheck.static import engine as engine_module
from kerascheck.static.engine import Engine, check_paths, iter_targets

TRAINS = "import keras\nimport mid\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile('adam', 'mse')\nmodel.fit(x, y)\n"
HELPER = "import random\n\n\ndef setup():\n    random.seed(1)\n"
#: Calls the seeding helper and mentions nothing a project fact needs.
MID = "from helpers import setup\n\nsetup()\n"
PLAIN = "import os\n\n\ndef main():\n    return os.getcwd()\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _both(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    def run() -> list[str]:
        findings = kerascheck.check([str(root)], select=["KC3", "KC4"])
        return [f"{f.location.path}:{f.location.line}:{f.code}:{f.message}" for f in findings]

    filtered = run()
    monkeypatch.setattr(engine_module, "PREFILTER", False)
    return filtered, run()


def test_a_file_calling_another_files_seed_helper_is_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"main.py": TRAINS, "mid.py": MID, "helpers.py": HELPER, "plain.py": PLAIN})
    filtered, everything = _both(tmp_path, monkeypatch)
    assert filtered == everything
    assert not any(":KC301:" in f and "main.py" in f for f in everything)  # the helper seeds main's program


def test_left_out_files_are_not_parsed_until_their_program_needs_them(tmp_path: Path) -> None:
    _write(tmp_path, {"main.py": TRAINS, "mid.py": MID, "helpers.py": HELPER, "plain.py": PLAIN})
    session = open_session(start=tmp_path, overrides={"cache": False, "select": ("KC3",)})
    engine = Engine(session.registry.rules, session.config, session.registry.config_options)
    results = {Path(r.path).name: r for r in check_paths(engine, iter_targets(session.config, [str(tmp_path)]), jobs=1)}
    # Only main.py (Keras, training) is parsed at first: a seed matters only beside training.
    assert not results["main.py"].left_out
    assert all(results[name].left_out and not results[name].facts for name in ("helpers.py", "mid.py", "plain.py"))
    model = engine.program_model(list(results.values()), root=tmp_path)
    rechecked = {Path(r.path).name: r for r in engine.recheck_left_out(list(results.values()), model)}
    # main.py trains, so its program's seed is looked for (helpers.py), then the calls of the
    # helper that seed defines (mid.py); plain.py is in no training program.
    assert rechecked["helpers.py"].facts and rechecked["mid.py"].facts and rechecked["plain.py"] is results["plain.py"]


PROJECTS = {
    "preprocessor dumped elsewhere": {
        "train.py": "import keras\nfrom sklearn.preprocessing import StandardScaler\nimport store\n"
        "scaler = StandardScaler()\nscaler.fit(x)\nmodel = keras.Sequential()\nmodel.save('m.keras')\nstore.keep(scaler)\n",
        "store.py": "import pickle\n\n\ndef keep(thing):\n    with open('s.pkl', 'wb') as handle:\n        pickle.dump(thing, handle)\n",
    },
    "training function called from a plain entry point": {
        "run.py": "from trainer import train\n\ntrain()\n",
        "trainer.py": "import keras\n\n\ndef train():\n    model = keras.Sequential()\n    model.fit(x, y)\n",
    },
    "custom layer saved without custom objects": {
        "layers.py": "import keras\n\n\nclass Scale(keras.layers.Layer):\n    def call(self, x):\n        return x * 2\n",
        "main.py": "import keras\nfrom layers import Scale\nmodel = keras.Sequential([Scale()])\nmodel.save('m.keras')\n",
        "other.py": "def unrelated():\n    return 1\n",
    },
    "determinism from an environment variable": {
        "env.py": "import os\nos.environ['TF_DETERMINISTIC_OPS'] = '1'\n",
        "main.py": "import env\nimport keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
    },
}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_findings_are_those_of_parsing_every_file(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, PROJECTS[name])
    filtered, everything = _both(tmp_path, monkeypatch)
    assert filtered == everything


def test_the_test_corpus_findings_are_those_of_parsing_every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = Path(__file__).parent / "corpus"

    def run() -> list[str]:
        return sorted(f"{f.location.path}:{f.location.line}:{f.code}:{f.message}" for f in kerascheck.check([str(corpus)], select=["KC"]))

    filtered = run()
    monkeypatch.setattr(engine_module, "PREFILTER", False)
    assert filtered == run() and filtered
