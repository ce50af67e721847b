"""``Rule.text_filter``: a rule that also looks at files without Keras names the ones it needs;
the others never reach it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import pytest

from kerascheck import Rule
from kerascheck.config import Config
from kerascheck.plugins import load_plugins
from kerascheck.static.engine import Engine

_DOC = '''
    ## What it does
    Reports every module it is given (a test double).

    ## Why is this bad?
    It is a test double.

    ## Example
    ```python
    random.seed(0)
    ```

    ## Use instead
    Nothing.
'''


class SeedModules(Rule):
    __doc__ = _DOC
    code = "ZT901"
    name = "test-seed-modules"
    summary = "Test double"
    requires_keras = False
    text_filter = re.compile(r"\bseed\b")
    seen: ClassVar[list[str]] = []

    def visit_Module(self, node) -> None:  # type: ignore[no-untyped-def]
        type(self).seen.append(self.context.path)
        self.report(node, "given this module")


@pytest.fixture()
def engine() -> Engine:
    rules = {**load_plugins(use_entry_points=False).rules, SeedModules.code: SeedModules}
    SeedModules.seen.clear()
    return Engine(rules, Config(select=(SeedModules.code,), root=str(Path.cwd())))


def test_a_file_matching_the_filter_reaches_the_rule(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "helpers.py"
    path.write_text("import random\n\ndef reset():\n    random.seed(0)\n", encoding="utf-8")
    result = engine.check_file(str(path))
    assert [f.code for f in result.findings] == ["ZT901"] and SeedModules.seen == [str(path)]


def test_a_file_mentioning_keras_always_reaches_the_rule(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text("import keras\nmodel = keras.Sequential()\n", encoding="utf-8")
    assert [f.code for f in engine.check_file(str(path)).findings] == ["ZT901"]


def test_any_other_file_never_reaches_the_rule(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "plain.py"
    path.write_text("import os\nprint(os.sep)\n", encoding="utf-8")
    assert engine.check_file(str(path)).findings == [] and SeedModules.seen == []


def test_a_text_filter_that_is_not_a_pattern_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="compiled pattern"):

        class Broken(Rule):
            text_filter = "seed"  # type: ignore[assignment]
