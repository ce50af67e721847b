"""The plugin in docs/plugins.md, exactly as printed there, is a working distribution.

The guide's ``# file: PATH`` code blocks are written to a temporary directory, installed with
pip into a fresh virtual environment (the ``plugin_env`` fixture) and used the way
its reader would: its own tests pass, ``kerascheck plugins`` lists it, ``kerascheck check``
reports through its entry point with the plugin's own documentation URL, and the name
``kerascheck plugins`` prints blocks it.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from plugin_envs import PluginEnv

pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
#: A fenced block whose first line names its file; a block holding ``` fences uses ````.
_BLOCK = re.compile(r"^(?P<fence>`{3,})[a-z]*\n# file: (?P<path>\S+)\n(?P<body>.*?)^(?P=fence)$", re.S | re.M)


def guide_files() -> dict[str, str]:
    """``{path: text}`` of the guide's ``# file:`` blocks (the comment line is kept)."""
    text = GUIDE.read_text(encoding="utf-8")
    return {m.group("path"): f"# file: {m.group('path')}\n{m.group('body')}" for m in _BLOCK.finditer(text)}


def test_the_public_api_table_names_exactly_the_exports():
    import kerascheck

    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## The public API") : text.index("## Hooks")]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    named = {name for cell in first_cells for name in re.findall(r"`([\w.]+)`", cell)} - {"kerascheck.testing"}
    assert named == set(kerascheck.__all__) | {"__version__"}


def test_the_guide_has_a_complete_plugin():
    assert set(guide_files()) == {
        "kerascheck-demo/pyproject.toml",
        "kerascheck-demo/kerascheck_demo.py",
        "kerascheck-demo/tests/test_rules.py",
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, plugin_env) -> tuple[PluginEnv, Path]:
    root = tmp_path_factory.mktemp("from-docs")
    for path, text in guide_files().items():
        target = root / "src" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return plugin_env(root / "src" / "kerascheck-demo"), root


def test_its_own_tests_pass_against_the_installed_plugin(demo, tmp_path):
    env, root = demo
    tests = tmp_path / "tests"
    shutil.copytree(root / "src" / "kerascheck-demo" / "tests", tests)
    proc = env.pytest(tests, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert re.search(r"\b6 passed\b", proc.stdout), proc.stdout  # 4 examples, metadata, aliases


def test_it_is_listed_reports_and_links_to_its_own_docs(demo, tmp_path):
    env, _ = demo
    listing = env.kerascheck("plugins", cwd=tmp_path)
    assert "kerascheck-demo 0.1.0  prefixes: DM  modules: kerascheck_demo" in listing.stdout, listing.stdout + listing.stderr
    (tmp_path / "train.py").write_text("import keras\nopt = keras.optimizers.SGD(learning_rate=0.1, nesterov=True)\n", encoding="utf-8")
    proc = env.kerascheck("check", "train.py", "--select", "DM", "--output-format", "json", cwd=tmp_path)
    (finding,) = json.loads(proc.stdout)
    assert finding["code"] == "DM101" and finding["location"] == {"row": 2, "column": 7}
    assert finding["url"] == "https://example.org/kerascheck-demo/DM101.html"
    fixed = env.kerascheck("check", "train.py", "--select", "DM", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "nesterov=True, momentum=0.9)" in (tmp_path / "train.py").read_text(encoding="utf-8")


def test_the_printed_name_blocks_it(demo, tmp_path):
    env, _ = demo
    (tmp_path / "train.py").write_text("import keras\nopt = keras.optimizers.SGD(nesterov=True)\n", encoding="utf-8")
    blocked = env.kerascheck("check", "train.py", "-p", "no:kerascheck-demo", cwd=tmp_path)
    assert "DM101" not in blocked.stdout and "warning" not in blocked.stderr
    assert "DM101" in env.kerascheck("check", "train.py", cwd=tmp_path).stdout
