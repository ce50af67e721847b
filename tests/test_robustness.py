"""No input crashes the engine or a rule; fixes always leave parsable code; bad files give a clear
finding and cost no other finding.

The fuzz tests generate Python with hypothesmith (from the grammar and from libcst nodes) and
with a small Keras-shaped grammar of our own, since generated code almost never spells a Keras
API and the Keras rules would otherwise never run.
"""

from __future__ import annotations

import ast
import os
import textwrap
import types
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from kerascheck.config import Config
from kerascheck.findings import Finding
from kerascheck.plugins import load_plugins
from kerascheck.static import engine as engine_module
from kerascheck.static.cst_children import descendants
from kerascheck.static.engine import Engine, FileResult, check_paths, iter_targets
from kerascheck.static.positions import NodePositions
from kerascheck.static.text_edits import apply_fixes

REGISTRY = load_plugins()
#: Every static rule, including those off by default (an exact code enables them).
ALL_RULES = Config(select=tuple(sorted(REGISTRY.rules)), root=str(Path.cwd()))
HEADER = "import keras\nimport tensorflow as tf\nfrom tensorflow import keras as tfk\nfrom keras import layers\nimport numpy as np\n"
FUZZ = settings(
    max_examples=int(os.environ.get("KERASCHECK_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    derandomize=True,
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(REGISTRY.rules, ALL_RULES)


def _run(engine: Engine, code: str, name: str = "fuzz.py") -> tuple[FileResult, list[Finding]]:
    result = engine.check_file(name, stdin_text=code)
    final = engine.finish([result])
    crashes = [f for f in (*result.findings, *final) if f.code == "KC000"]
    assert not crashes, f"internal error on:\n{code}\n{crashes[0].message}"
    return result, final


def _assert_fixes_parse(engine: Engine, code: str, findings: list[Finding]) -> None:
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return
    fixed = apply_fixes(code, fixable, unsafe=True).source
    try:
        cst.parse_module(fixed)
    except cst.ParserSyntaxError as exc:
        codes = sorted({f.code for f in fixable})
        pytest.fail(f"fixes of {codes} broke the code:\n--- before\n{code}\n--- after\n{fixed}\n{exc}")


# -- a Keras-shaped grammar ---------------------------------------------------------------------

CALLEES = [
    "keras.Sequential", "keras.Model", "tf.keras.Sequential", "tfk.models.load_model", "keras.models.load_model",
    "keras.saving.load_model", "layers.Dense", "layers.Dropout", "layers.BatchNormalization", "layers.LSTM",
    "layers.Lambda", "tf.keras.layers.Dense", "keras.utils.set_random_seed", "tf.random.set_seed", "np.random.seed",
    "np.argmax", "tf.argmax", "tf.function", "tf.GradientTape", "keras.callbacks.EarlyStopping",
    "keras.callbacks.ModelCheckpoint", "keras.backend.learning_phase", "tf.config.experimental.enable_op_determinism",
    "model", "model.predict", "model.predict_classes", "model.predict_proba", "model.fit", "model.evaluate",
    "model.save", "model.save_weights", "model.load_weights", "model.compile", "model.predict_on_batch",
    "model.reset_states", "model.fit_generator", "scaler.fit_transform", "scaler.transform", "joblib.dump",
    "train_test_split", "self.dense", "self.add_weight", "super().__init__", "print", "len", "range",
]
ARGS = [
    "x", "x_test", "1", "0.5", "None", "True", "'model.h5'", "'weights.keras'", "'model'", "[x, y]",
    "(1, 2)", "{'a': 1}", "lambda t: t", "*args", "**kwargs", "training=True", "training=False",
    "training=training", "axis=-1", "activation='softmax'", "activation='sigmoid'", "units=1", "1",
    "loss='binary_crossentropy'", "loss='categorical_crossentropy'", "shuffle=True", "stateful=True",
    "batch_size=32", "epochs=3", "callbacks=[cb]", "restore_best_weights=False", "save_best_only=True",
    "seed=1", "safe_mode=False", "custom_objects={}", "validation_split=0.2", "nb_epoch=3", "input_dim=4",
]


@st.composite
def _call(draw: st.DrawFn) -> str:
    callee = draw(st.sampled_from(CALLEES))
    args = draw(st.lists(st.sampled_from(ARGS), max_size=4))
    positional = [a for a in args if "=" not in a and not a.startswith("*")]
    keywords = list(dict.fromkeys(a for a in args if "=" in a and not a.startswith("*")))
    positional += ["*args"] * ("*args" in args)
    keywords += ["**kwargs"] * ("**kwargs" in args)  # after keywords, as Python requires
    tail = draw(st.sampled_from(["", "", ".numpy()", "[0]", ".shape", "(x)"]))
    return f"{callee}({', '.join(positional + keywords)}){tail}"


@st.composite
def _statement(draw: st.DrawFn, depth: int = 0, in_function: bool = False) -> str:
    """A statement; ``return`` only inside a function (elsewhere CPython's compiler refuses it)."""
    plain = [
        _call(),
        st.builds(lambda t, c: f"{t} = {c}", st.sampled_from(["model", "y", "pred", "m", "self.state", "cb", "x"]), _call()),
        st.sampled_from(["pass", "self.count += 1", "global seed", "import keras.backend as K", "from keras.models import Sequential"]),
    ]
    if in_function:
        plain.append(st.builds(lambda c: f"return {c}", _call()))
    simple = st.one_of(*plain)
    if depth >= 2:
        return draw(simple)

    def body(in_function: bool) -> st.SearchStrategy[list[str]]:
        return st.lists(_statement(depth + 1, in_function), min_size=1, max_size=3)

    compound = st.one_of(
        st.builds(lambda b: "for i in range(3):\n" + _indent(b), body(in_function)),
        st.builds(lambda b: "with tf.GradientTape() as tape:\n" + _indent(b), body(in_function)),
        st.builds(
            lambda n, b: f"def {n}(self, x, training=None):\n" + _indent(b),
            st.sampled_from(["call", "train_step", "train", "infer", "f"]),
            body(True),
        ),
        st.builds(lambda b: "@tf.function\ndef step(x):\n" + _indent(b), body(True)),
        st.builds(
            lambda base, b: f"class M({base}):\n" + _indent(b),
            st.sampled_from(["keras.Model", "layers.Layer", "object", "tf.keras.layers.Layer"]),
            body(False),
        ),
    )
    return draw(st.one_of(simple, compound))


def _indent(lines: list[str]) -> str:
    return textwrap.indent("\n".join(lines), "    ") + "\n"


keras_programs = st.lists(_statement(), min_size=1, max_size=8).map(lambda lines: HEADER + "\n".join(lines) + "\n")


@FUZZ
@given(code=keras_programs)
def test_keras_shaped_programs_never_crash_a_rule_and_fixes_parse(engine: Engine, code: str) -> None:
    _result, final = _run(engine, code)
    assert not any(f.code == "KC001" for f in final), f"the generator wrote invalid code:\n{code}"
    _assert_fixes_parse(engine, code, final)


@FUZZ
@given(code=hypothesmith.from_grammar())
def test_grammar_generated_python_never_crashes(engine: Engine, code: str) -> None:
    _run(engine, code)
    # The same text in a file that uses Keras, so every rule walks it.
    _, final = _run(engine, HEADER + code)
    _assert_fixes_parse(engine, HEADER + code, final)


@FUZZ
@given(code=hypothesmith.from_node())
def test_node_generated_python_never_crashes(engine: Engine, code: str) -> None:
    _, final = _run(engine, HEADER + code)
    _assert_fixes_parse(engine, HEADER + code, final)


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text_is_a_finding_never_a_crash(engine: Engine, text: str) -> None:
    _run(engine, text)
    _run(engine, HEADER + text)


# -- the fast walk is libcst's walk ----------------------------------------------------------------


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


class _Walked(engine_module._Dispatcher):
    """The engine's walk with a handler on every node type (so every event is recorded)."""

    def __init__(self) -> None:  # no rules: the tables are filled lazily by node type name
        self.events: list[tuple[str, int]] = []
        self._failed = set()
        self._context = types.SimpleNamespace(current_statement=None)  # the walk marks statements on it

        class Every(dict):  # type: ignore[type-arg]
            def __init__(self, kind: str, events: list[tuple[str, int]]) -> None:
                super().__init__()
                self.kind, self.sink = kind, events

            def get(self, key: str, default: object = None) -> list[tuple[object, object]]:  # type: ignore[override]
                return [(self, lambda node, kind=self.kind: self.sink.append((kind, id(node))))]

        self._visit = Every("visit", self.events)
        self._leave = Every("leave", self.events)


@FUZZ
@given(code=st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node(), keras_programs))
def test_engine_walk_matches_libcst_visit(code: str) -> None:
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError:
        return
    expected = _Recorder()
    module.visit(expected)
    walked = _Walked()
    walked.walk(module)
    assert walked.events == expected.events


@FUZZ
@given(code=st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node(), keras_programs))
def test_positions_by_statement_match_libcsts(code: str) -> None:
    try:
        module = cst.parse_module(code)
        tree = ast.parse(code)
    except (cst.ParserSyntaxError, SyntaxError, ValueError):
        return
    resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    truth = {id(node): (p.start.line, p.start.column + 1, p.end.line, p.end.column + 1) for node, p in resolved.items()}
    nodes = list(descendants(module))
    positions = NodePositions(module, code, tree)
    for node in reversed(nodes):  # last statements first: the statements' start lines are all used
        assert positions.span(node) == truth[id(node)]


# -- bad files ------------------------------------------------------------------------------------

BUGGY = "import keras\nm = keras.Sequential()\nm.predict_classes(x)\n"


def _check_tree(paths: list[str], *, root: Path, jobs: int = 1) -> list[Finding]:
    config = Config(root=str(root), select=("KC0", "KC1"))
    engine = Engine(REGISTRY.rules, config)
    results = check_paths(engine, iter_targets(config, paths), jobs=jobs)
    return engine.finish(results, root=root)


def _by_file(findings: list[Finding]) -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for finding in findings:
        table.setdefault(Path(finding.location.path).name, []).append((finding.code, finding.message))
    return table


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(BUGGY, encoding="utf-8")
    return tmp_path


def test_directory_named_like_a_source_file(tree: Path) -> None:
    (tree / "pkg.py").mkdir()
    (tree / "pkg.py" / "inner.py").write_text(BUGGY, encoding="utf-8")
    found = _by_file(_check_tree([str(tree / "pkg.py"), str(tree / "good.py")], root=tree))
    assert [code for code, _ in found["inner.py"]] == ["KC101"]
    assert [code for code, _ in found["good.py"]] == ["KC101"]
    # Named explicitly as a file to check (as an editor or pre-commit would), it is a finding.
    engine = Engine(REGISTRY.rules, ALL_RULES)
    result = engine.check_file(str(tree / "pkg.py"))
    assert [(f.code, f.message) for f in result.findings] == [("KC002", f"{tree / 'pkg.py'}: is a directory")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_reported_not_read(tree: Path) -> None:
    os.mkfifo(tree / "pipe.py")  # opening it for reading would block forever
    found = _by_file(_check_tree([str(tree)], root=tree))
    assert found["pipe.py"] == [("KC002", f"{tree / 'pipe.py'}: not a regular file (a FIFO): not read")]
    assert [code for code, _ in found["good.py"]] == ["KC101"]


def test_unreadable_file(tree: Path) -> None:
    target = tree / "secret.py"
    target.write_text(BUGGY, encoding="utf-8")
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            pytest.skip("running as a user who can read mode-000 files (root)")
        found = _by_file(_check_tree([str(tree)], root=tree))
        assert found["secret.py"] == [("KC002", f"{target}: cannot read: Permission denied")]
        assert [code for code, _ in found["good.py"]] == ["KC101"]
    finally:
        target.chmod(0o644)


def test_read_error_is_a_finding(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mode-000 case for users (root) who can read anything: the read itself fails."""
    from kerascheck.static import files

    target = tree / "failing.py"
    target.write_text(BUGGY, encoding="utf-8")
    real_open = open

    def failing_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path) == str(target):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(files, "open", failing_open, raising=False)
    found = _by_file(_check_tree([str(tree)], root=tree))
    assert found["failing.py"] == [("KC002", f"{target}: cannot read: Permission denied")]
    assert [code for code, _ in found["good.py"]] == ["KC101"]


def test_binary_file(tree: Path) -> None:
    (tree / "blob.py").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    found = _by_file(_check_tree([str(tree)], root=tree))
    assert found["blob.py"] == [("KC002", f"{tree / 'blob.py'}: binary file (contains NUL bytes)")]
    assert [code for code, _ in found["good.py"]] == ["KC101"]


def test_huge_file_is_checked_up_to_the_size_limit(tree: Path) -> None:
    """~3 MB: over the default max-file-size (libcst would need gigabytes), so KC002; checked
    when the limit is raised."""
    filler = "# " + "x" * 98 + "\n"
    text = '"""' + "padding line\n" * 150_000 + '"""\n' + filler * 10_000 + BUGGY  # ~3 MB
    (tree / "huge.py").write_text(text, encoding="utf-8")
    assert (tree / "huge.py").stat().st_size > 2_500_000
    found = _by_file(_check_tree([str(tree)], root=tree))
    [(code, message)] = found["huge.py"]
    assert code == "KC002" and "over the max-file-size limit (2.0 MB)" in message
    assert [code for code, _ in found["good.py"]] == ["KC101"]
    config = Config(root=str(tree), select=("KC0", "KC1"), max_file_size=4_000_000)
    engine = Engine(REGISTRY.rules, config)
    findings = engine.finish(check_paths(engine, [str(tree / "huge.py")], jobs=1), root=tree)
    assert [f.code for f in findings] == ["KC101"]


def test_latin1_with_coding_cookie_is_decoded(tree: Path) -> None:
    text = "# -*- coding: latin-1 -*-\n# café\n" + BUGGY + "label = 'données'\n"
    (tree / "latin.py").write_bytes(text.encode("latin-1"))
    found = _by_file(_check_tree([str(tree)], root=tree))
    assert [code for code, _ in found["latin.py"]] == ["KC101"]


def test_latin1_without_cookie_is_a_clear_finding(tree: Path) -> None:
    (tree / "latin.py").write_bytes(("# café\n" + BUGGY).encode("latin-1"))
    found = _by_file(_check_tree([str(tree)], root=tree))
    [(code, message)] = found["latin.py"]
    assert code == "KC002"
    assert message == f"cannot decode {tree / 'latin.py'}: invalid or missing encoding declaration"
    assert [code for code, _ in found["good.py"]] == ["KC101"]


def test_symlink_loop_terminates(tree: Path) -> None:
    package = tree / "pkg"
    package.mkdir()
    (package / "mod.py").write_text(BUGGY, encoding="utf-8")
    (package / "loop").symlink_to(tree, target_is_directory=True)  # pkg/loop -> its parent's parent
    (tree / "self").symlink_to(tree, target_is_directory=True)
    findings = _check_tree([str(tree)], root=tree)
    assert sorted(Path(f.location.path).relative_to(tree).as_posix() for f in findings) == ["good.py", "pkg/mod.py"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_file_deleted_between_discovery_and_checking(tree: Path, jobs: int) -> None:
    for index in range(20):  # enough files for the parallel path
        (tree / f"other{index:02}.py").write_text(BUGGY, encoding="utf-8")
    (tree / "gone.py").write_text(BUGGY, encoding="utf-8")
    config = Config(root=str(tree), select=("KC0", "KC1"))
    engine = Engine(REGISTRY.rules, config)
    targets = iter_targets(config, [str(tree)])
    (tree / "gone.py").unlink()
    findings = engine.finish(check_paths(engine, targets, jobs=jobs), root=tree)
    found = _by_file(findings)
    assert found["gone.py"] == [("KC002", f"{tree / 'gone.py'}: no such file")]
    assert sum(1 for name in found if name.startswith("other")) == 20
    assert all(codes == [("KC101", codes[0][1])] for name, codes in found.items() if name != "gone.py")


def test_deeply_nested_expression_is_not_analysed_never_a_crash(engine: Engine) -> None:
    code = HEADER + "y = " + "(" * 300 + "x" + ")" * 300 + "\n" + "z = " + "-" * 5000 + "x\n"
    _result, final = _run(engine, code)
    assert {f.code for f in final} <= {"KC001", "KC002"}
