"""The language server's incremental parse equals a full ``libcst.parse_module`` after any edit:
random edit sequences over real files (the repository's own sources and examples, and the shared
keras-io corpus when present) compare the spliced tree with a full parse, node for node."""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest

from kerascheck.static.incremental_parse import IncrementalParser

REPO = Path(__file__).resolve().parent.parent
_SHARED = next((p / "shared" / "corpus" for p in REPO.parents if (p / "shared" / "corpus").is_dir()), None)

#: Text an editor inserts: statements, blocks, comments at every indentation, half-typed code,
#: brackets and quotes that open or close things, other line breaks. (Form feeds and lone
#: backslash lines, which libcst's own code generation drops, have cases of their own below:
#: a text that libcst does not write back exactly is always parsed in full.)
SNIPPETS = (
    "x = 1\n", "    y = 2\n", "        z = 3\n", "# note\n", "    # indented note\n", "\n", "\n\n\n", "   \n",
    "def added(a):\n    return a\n", "class Added:\n  value = 1\n", "@decorator\n", "if flag:\n", "else:\n",
    "    else:\n", "\tq = 3\n", "(", ")", "[", "]", '"""', "'", "z = 1 + \\\n    2\n", "  ", "\r\n", "\r", "foo(", "x", ":",
    "pass", "return", " # trailing", "async def g():\n    await h()\n", "try:\n    pass\nexcept E:\n    pass\n",
    "if a:\n    b = 1\n", "lambda: 0", "\n# end\n", "import keras\n", "model.fit(x, epochs=2)\n",
)


def _sources() -> list[Path]:
    found = [
        REPO / "kerascheck" / "rules" / "seeds.py",
        *sorted(REPO.glob("examples/*/*.py"))[:4],
        *sorted(REPO.glob("tests/corpus/*.py"))[:6],
    ]
    if _SHARED is not None:
        vision = _SHARED / "keras-io" / "examples" / "vision"
        found += [vision / "cait.py", vision / "mnist_convnet.py", vision / "grad_cam.py"]
    return [path for path in found if path.is_file()]


def _full(text: str) -> cst.Module | type[BaseException]:
    try:
        return cst.parse_module(text)
    except Exception as exc:
        return type(exc)


def _edit(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    kind = rng.random()
    if kind < 0.35 and lines:  # insert a snippet at a line start
        at = rng.choice(line_starts)
        return text[:at] + rng.choice(SNIPPETS) + text[at:]
    if kind < 0.55:  # insert a snippet anywhere
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(SNIPPETS) + text[at:]
    if kind < 0.7 and lines:  # delete some whole lines
        first = rng.randrange(len(lines))
        last = min(len(lines), first + rng.choice((1, 1, 2, 5)))
        return text[: line_starts[first]] + text[line_starts[last] :]
    if kind < 0.8 and text:  # delete a few characters
        at = rng.randrange(len(text))
        return text[:at] + text[at + rng.randint(1, 12) :]
    if kind < 0.9 and lines:  # indent or dedent a line
        at = line_starts[rng.randrange(len(lines))]
        if text[at : at + 4] == "    " and rng.random() < 0.5:
            return text[:at] + text[at + 4 :]
        return text[:at] + "    " + text[at:]
    at = len(text) if rng.random() < 0.5 else rng.choice(line_starts)  # the editor's usual: append
    return text[:at] + f"# edit {rng.randrange(1000)}\n" + text[at:]


@pytest.mark.parametrize("path", _sources(), ids=lambda path: path.name)
def test_spliced_tree_equals_a_full_parse_after_random_edits(path: Path) -> None:
    rng = random.Random(path.name)
    text = path.read_text(encoding="utf-8")
    parser = IncrementalParser()
    assert parser.parse(text).deep_equals(cst.parse_module(text)) and parser.last_kind == "full"
    kinds: dict[str, int] = {}
    valid, good = 0, text
    for attempt in range(300):
        edited = _edit(text, rng)
        expected = _full(edited)
        if isinstance(expected, type):  # libcst refuses it: so must the incremental parse
            if attempt % 3 == 0:
                with pytest.raises(expected):
                    parser.parse(edited)
            # Mostly back to the last text that parsed; sometimes on editing the broken one
            # (the parser still holds the last good version).
            text = edited if rng.random() < 0.2 else good
            continue
        got = parser.parse(edited)
        kinds[parser.last_kind] = kinds.get(parser.last_kind, 0) + 1
        assert got.code == expected.code, (path.name, attempt)  # (libcst itself drops a form feed or a lone backslash line)
        assert got.deep_equals(expected), (path.name, attempt, parser.last_kind)
        text = good = edited
        valid += 1
        if valid == 30:
            break
    assert kinds.get("spliced", 0) >= 10, kinds  # the property is about splices: enough of them ran


def test_typing_inside_a_function_reparses_only_it() -> None:
    text = "import keras\n\n\ndef build():\n    return keras.Sequential()\n\n\ndef train(model):\n    model.fit(x)\n"
    parser = IncrementalParser()
    before = parser.parse(text)
    after = parser.parse(text.replace("model.fit(x)", "model.fit(x, epochs=3)"))
    assert parser.last_kind == "spliced" and after.deep_equals(cst.parse_module(after.code))
    assert after.body[1] is before.body[1] and after.body[2] is not before.body[2]  # build() reused as it was


@pytest.mark.parametrize(
    "before,after",
    [
        # An indented comment after a function belongs to its block (libcst's footer), not to
        # the next statement: the chunk must take the function too.
        ("def f():\n    pass\n\nx = 1\n", "def f():\n    pass\n    # mine\nx = 1\n"),
        ("def f():\n    pass\n\nx = 1\n", "def f():\n    pass\n\n    y = 2\nx = 1\n"),
        # A new "else:" belongs to the "if" before it.
        ("def f():\n    pass\nif a:\n    b = 1\nc = 2\n", "def f():\n    pass\nif a:\n    b = 1\nelse:\n    c = 2\n"),
        # The first indented block decides the module's indentation.
        ("x = 1\nif a:\n  b = 1\n", "x = 1\nif a:\n    b = 1\n"),
        # Line breaks: the first decides the module's; a chunk with other ones keeps them.
        ("def f():\n    pass\nx = 1\n", "def f():\n    pass\nx = 1\r\ny = 2\r\n"),
        # Without a final line break, and getting one.
        ("def f():\n    pass\nx = 1", "def f():\n    pass\nx = 2"),
        ("def f():\n    pass\nx = 1", "def f():\n    pass\nx = 1\n"),
        # A backslash continuation joins the next line.
        ("def f():\n    pass\nx = 1\ny = 2\n", "def f():\n    pass\nx = 1 + \\\ny = 2\n"),
        # What libcst's code generation does not write back: parsed in full, still equal.
        ("def f():\n    pass\nx = 1\ny = 2\n", "def f():\n    pass\nx = 1\n\f\ny = 2\n"),
        ("def f():\n    pass\nx = 1\ny = 2\n", "def f():\n    pass\nx = 1\n  \\\ny = 2\n"),
        # A string opened and closed across statements.
        ("def f():\n    pass\nx = 1\ny = 2\nz = 3\n", 'def f():\n    pass\nx = """1\ny = 2\nz = 3"""\n'),
    ],
)
def test_edits_at_statement_boundaries_equal_a_full_parse(before: str, after: str) -> None:
    parser = IncrementalParser()
    parser.parse(before)
    expected = _full(after)
    if isinstance(expected, type):
        with pytest.raises(expected):
            parser.parse(after)
    else:
        assert parser.parse(after).deep_equals(expected)


def _keras_sources() -> list[Path]:
    found = [REPO / "tests" / "corpus" / "so_dcgan_training_true.py", REPO / "tests" / "corpus" / "so_serving_tf_function.py"]
    if _SHARED is not None:
        found.append(_SHARED / "keras-io" / "examples" / "vision" / "cait.py")
    return [path for path in found if path.is_file()]


@pytest.mark.parametrize("source", _keras_sources(), ids=lambda path: path.name)
def test_findings_after_incremental_parses_equal_a_fresh_check(source: Path, tmp_path: Path) -> None:
    """What the server reports for an edited document (reusing its previous parse) equals a
    check of that text from scratch, edit after edit: the reuse never leaves a stale finding."""
    from kerascheck.lsp import Linter

    path = tmp_path / source.name
    text = source.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    editor, fresh = Linter(lambda: str(tmp_path)), Linter(lambda: str(tmp_path))
    rng = random.Random(source.name)
    editor.check(str(path), text)
    spliced = 0
    for _ in range(30):
        for _ in range(10):  # mostly valid versions (a broken one is a syntax-error finding, no parse)
            edited = _edit(text, rng)
            if not isinstance(_full(edited), type):
                break
        text = edited
        got = editor.check(str(path), text).findings
        spliced += editor._parsers[str(path)].last_kind == "spliced"
        fresh.forget(str(path))  # no previous parse: this check parses the whole text
        assert got == fresh.check(str(path), text).findings
    assert spliced >= 5
