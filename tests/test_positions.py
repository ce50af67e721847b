"""Positions computed one top-level statement at a time equal libcst's own ``PositionProvider``."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from kerascheck.static.cst_children import children
from kerascheck.static.positions import NodePositions

REPO = Path(__file__).resolve().parent.parent

TRICKY = {
    "decorators_and_comments": (
        "#!/usr/bin/env python\n# header comment\n\nimport keras\n\n\n# before the decorator\n"
        "@keras.saving.register_keras_serializable()\n\n# between decorator and def\n@other\n"
        "class Scale(keras.layers.Layer):\n    def call(self, x):\n        return x * 2  # doubled\n\n"
        "    # a comment in the class body\n\n\nx = 1; y = 2;  z = 3\nif x:\n    pass\nelif y:\n    pass\n"
        "else:\n    z = (\n        1 +\n        2\n    )\n# footer comment\n\n"
    ),
    "no_trailing_newline": "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)",
    "footer_without_newline": "import keras\nmodel = keras.Sequential()\n# the end",
    "crlf": "import keras\r\n\r\ndef f():\r\n    return keras.Input((2,))\r\n\r\nm = f()\r\n",
    "tabs_and_continuations": "def f(a,\n      b):\n\tif a:\n\t\treturn b \\\n\t\t\t+ 1\n\treturn [\n\t\ta for a in b\n\t]\nx = f(1, 2)\n",
    "strings_spanning_lines": 's = """one\ntwo\nthree"""\nt = f"{s!r:>10}" "x"\nasync def g():\n    async with a as b:\n        await b\n',
    "only_comments": "# nothing\n\n# here\n",
    "empty": "",
    "match_and_try": (
        "try:\n    import keras\nexcept ImportError:  # no keras\n    keras = None\nfinally:\n    pass\n"
        "match keras:\n    case None:\n        pass\n    case _:\n        print(keras)\n"
    ),
}


def _truth(module: cst.Module) -> dict[int, tuple[int, int, int, int]]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    spans = {}
    for node, pos in wrapper.resolve(PositionProvider).items():
        spans[id(node)] = (pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)
    return spans


def _all_nodes(module: cst.Module) -> list[cst.CSTNode]:
    nodes: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(children(node))
    return nodes


def _sources() -> list[tuple[str, str]]:
    found = list(TRICKY.items())
    for path in sorted([*REPO.glob("examples/**/*.py"), *REPO.glob("tests/data/**/*.py")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        found.append((str(path.relative_to(REPO)), text))
    return found


def _parsed(text: str) -> tuple[cst.Module, ast.Module] | None:
    try:
        return cst.parse_module(text), ast.parse(text)
    except (SyntaxError, cst.ParserSyntaxError, ValueError, RecursionError):
        return None


@pytest.mark.parametrize("name,text", _sources(), ids=lambda value: value if isinstance(value, str) and len(value) < 80 else "")
def test_spans_equal_libcsts_in_any_order_with_any_hint(name: str, text: str) -> None:
    parsed = _parsed(text)
    if parsed is None:
        pytest.skip("not valid Python (a syntax-error fixture)")
    module, tree = parsed
    truth = _truth(module)
    nodes = _all_nodes(module)
    rng = random.Random(name)
    rng.shuffle(nodes)
    positions = NodePositions(module, text, tree)
    statements = len(module.body)
    for node in nodes:
        positions.current = rng.randrange(statements) if statements and rng.random() < 0.5 else None
        hint = rng.randrange(statements) if statements and rng.random() < 0.3 else None
        assert positions.span(node, hint) == truth[id(node)], (name, type(node).__name__)


def test_one_statement_is_generated_for_a_node_of_one_statement() -> None:
    text = TRICKY["decorators_and_comments"]
    module, tree = _parsed(text) or pytest.fail("parses")
    positions = NodePositions(module, text, tree)
    call = next(n for n in _all_nodes(module.body[1]) if isinstance(n, cst.Return))
    assert positions.span(call) == _truth(module)[id(call)]
    assert sum(positions._done) == 1 and not positions._whole_done


def test_an_ast_of_another_text_is_caught_and_the_whole_module_generated() -> None:
    text = TRICKY["decorators_and_comments"]
    module = cst.parse_module(text)
    shifted = ast.parse("\n\n\n" + text)  # every statement three lines lower: the checks disagree
    positions = NodePositions(module, text, shifted)
    truth = _truth(module)
    for node in _all_nodes(module):
        assert positions.span(node) == truth[id(node)]
    assert positions._whole_done


def test_a_node_of_another_tree_has_no_span() -> None:
    module, tree = _parsed("x = 1\n") or pytest.fail("parses")
    assert NodePositions(module, "x = 1\n", tree).span(cst.Name("x")) is None
