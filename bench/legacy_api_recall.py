"""Recall and false alarms of the legacy-API rules (KC103, KC106, KC107, KC110) on real code.

    python bench/legacy_api_recall.py [--corpus ../shared/corpus/real] [--kerascheck PATH]
                                      [--show-misses] [--show-false-alarms]

1. "Grep": walks every ``.py`` file and notebook code cell with ``ast`` (independently of
   kerascheck's own name resolution: its own import-alias table, which follows
   ``from keras.x import *`` and ``from helper import *`` of a ``helper.py`` beside the file)
   and looks every Keras name, keyword argument, model-method call and optimizer/callback
   method (on a name assigned a Keras optimizer or callback, or in a subclass of one) up in the
   generated data (``kerascheck/keras_api/data.json``, Keras 3 target). Each hit is a legacy
   API use that should be reported.
2. Runs ``kerascheck check --select KC103,KC106,KC107,KC110`` (the code at ``--kerascheck``, default
   this checkout: pass ``/path/to/older/checkout`` for a before/after comparison).
3. Counts per rule: uses found by the grep, how many of them kerascheck reported, and false
   alarms: reported names, keywords and methods that the installed Keras 3 does have (and that
   are not stubs that only raise). This step imports Keras (run it in the probe environment).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kerascheck.keras_api import facts, learning_phase_names, module_names, target_for  # noqa: E402 - after the path setup
from kerascheck.static.names import canonical  # noqa: E402

CODES = ("KC103", "KC106", "KC107", "KC110")
_OBJECT_MODULES = ("keras.optimizers", "keras.callbacks")
_SKIPPED_PREFIXES = ("tf_keras", "tensorflow.python")  # the Keras 3 target checks compat.v1 too


def _code_units(path: Path) -> list[tuple[int | None, str]]:
    """(cell number or None, source) for a script or each code cell of a notebook."""
    if path.suffix != ".ipynb":
        return [(None, path.read_text(encoding="utf-8", errors="replace"))]
    notebook = json.loads(path.read_text(encoding="utf-8"))
    units = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):  # kerascheck counts every cell
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        # IPython magics and shell escapes are not Python: blank them, keeping line numbers.
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        units.append((number, source))
    return units


class _Grep(ast.NodeVisitor):
    """Finds legacy API uses in one unit, given the file's import aliases."""

    def __init__(self, aliases: dict[str, str], star: frozenset[str] = frozenset()) -> None:
        self.aliases = aliases
        #: Names bound only by star imports (no import statement of the file shows them).
        self.star = star
        self.hits: list[tuple[str, int, str]] = []  # (code, line, what)
        self._inner: set[int] = set()
        self._objects: dict[str, str] = {}  # name -> Keras optimizer/callback class it holds
        self._classes: list[str | None] = []  # enclosing classes' Keras base, if any

    def _raw(self, node: ast.expr) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    @staticmethod
    def _target(raw: str):
        if raw.startswith(_SKIPPED_PREFIXES) or not canonical(raw).startswith("keras"):
            return None
        return target_for("3", tf_keras=raw.startswith("tensorflow"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        target = self._target(node.module)
        if target is None:
            return
        module = canonical(node.module)
        if target.removed(module) is not None:
            self.hits.append(("KC107", node.lineno, module))
            return
        for alias in node.names:
            name = f"{module}.{alias.name}"
            if alias.name != "*" and target.removed(name) is not None and name not in learning_phase_names():
                self.hits.append(("KC107", node.lineno, name))
                return

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            target = self._target(alias.name)
            if target is not None and target.removed(canonical(alias.name)) is not None:
                self.hits.append(("KC107", node.lineno, alias.name))
                return

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) not in self._inner:
            raw = self._raw(node)
            target = self._target(raw) if raw else None
            if target is not None:
                name = canonical(raw)
                if target.removed(name) is not None and name not in learning_phase_names():
                    self.hits.append(("KC107", node.lineno, name))
                    inner = node.value
                    while isinstance(inner, ast.Attribute):
                        self._inner.add(id(inner))
                        inner = inner.value
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        raw = self._raw(node.func)
        target = self._target(raw) if raw else None
        keywords = [k for k in node.keywords if k.arg]
        if target is not None:
            name = canonical(raw)
            gone = target.removed(name)
            if isinstance(node.func, ast.Name) and gone is not None and name not in learning_phase_names():
                rest = name[len(gone.name) + 1 :] if gone.is_module else ""
                is_merge = name.rpartition(".")[2] == "merge"
                if is_merge or (node.func.id in self.star and not (gone.is_module and (not rest or gone.moved(rest)))):
                    self.hits.append(("KC107", node.lineno, name))
            if gone is not None and gone.is_module and not gone.successor:
                name = gone.moved(name[len(gone.name) + 1 :]) or name
            elif gone is not None and not gone.is_module and gone.replacement:
                name = gone.replacement
            removed = target.removed_keywords(name)
            if not removed and target.removed(name) is not None:
                removed = target_for("2.15", tf_keras=False).removed_keywords(name)  # type: ignore[union-attr]
            self.hits += [("KC106", k.lineno, f"{name}({k.arg}=)") for k in keywords if k.arg in removed]
        elif isinstance(node.func, ast.Attribute) and _model_like(node.func.value):
            self._model_call(node, node.func.attr, keywords)
        if isinstance(node.func, ast.Attribute):
            self._object_call(node, node.func)
        self.generic_visit(node)

    def _keras_object(self, expr: ast.expr) -> str | None:
        """The optimizer/callback class ``expr`` is: a constructor call, or ``super()``/``self``
        in a subclass of one."""
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Name) and expr.func.id == "super":
                return self._classes[-1] if self._classes else None
            raw = self._raw(expr.func)
            name = canonical(raw) if raw else ""
            return name if name.rpartition(".")[0] in _OBJECT_MODULES else None
        if isinstance(expr, ast.Name):
            if expr.id == "self":
                return self._classes[-1] if self._classes else None
            return self._objects.get(expr.id)
        return None

    def visit_Assign(self, node: ast.Assign) -> None:
        held = self._keras_object(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if held is not None:
                    self._objects[target.id] = held
                else:
                    self._objects.pop(target.id, None)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        base = None
        for expr in node.bases:
            raw = self._raw(expr)
            name = canonical(raw) if raw else ""
            if name.rpartition(".")[0] in _OBJECT_MODULES:
                base = name
        if base is not None:
            target = target_for("3", tf_keras=False)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and target.removed_class_method(base, item.name):  # type: ignore[union-attr]
                    self.hits.append(("KC110", item.lineno, f"def {item.name}"))
        self._classes.append(base)
        self.generic_visit(node)
        self._classes.pop()

    def _object_call(self, node: ast.Call, func: ast.Attribute) -> None:
        held = self._keras_object(func.value)
        target = target_for("3", tf_keras=False)
        if held is not None and target.removed_class_method(held, func.attr):  # type: ignore[union-attr]
            self.hits.append(("KC110", node.lineno, f"{held}.{func.attr}"))

    def _model_call(self, node: ast.Call, method: str, keywords: list[ast.keyword]) -> None:
        target = target_for("3", tf_keras=False)
        removed_method = target.removed_method("Model", method) or target.removed_method("Sequential", method)
        if removed_method is not None and method not in ("predict_classes", "predict_proba"):
            self.hits.append(("KC103", node.lineno, method))
        removed = dict(target.removed_method_keywords("Model", method))
        replacement = facts.METHOD_REPLACEMENTS.get(method)
        if replacement and removed_method is not None:
            removed.update(target.rejected_by_model_method(replacement, [k.arg for k in keywords], old_method=method))
        self.hits += [("KC106", k.lineno, f"{method}({k.arg}=)") for k in keywords if k.arg in removed]


def _model_like(receiver: ast.expr) -> bool:
    """The grep's own receiver test: a name or attribute whose last part says ``model``."""
    last = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
    return "model" in last.lower()


def _aliases(
    trees: list[ast.Module], directory: Path | None = None, star: set[str] | None = None, seen: frozenset[Path] = frozenset()
) -> dict[str, str]:
    """Local name -> dotted path from the imports of ``trees``; star imports of Keras modules
    bind every name the data knows there, star imports of a ``helper.py`` in ``directory``
    bind what its own imports bind. Names bound only by star imports are added to ``star``."""
    aliases: dict[str, str] = {}
    explicit: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                        explicit.add(alias.asname)
                    else:
                        root = alias.name.split(".")[0]
                        aliases.setdefault(root, root)
                        explicit.add(root)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                        explicit.add(alias.asname or alias.name)
                    elif canonical(node.module).split(".")[0] == "keras":
                        aliases.update({name: f"{node.module}.{name}" for name in module_names(canonical(node.module))})
                    elif directory is not None and (directory / f"{node.module}.py") not in seen and (directory / f"{node.module}.py").is_file():
                        helper = directory / f"{node.module}.py"
                        try:
                            helper_tree = ast.parse(helper.read_text(encoding="utf-8", errors="replace"))
                        except SyntaxError:
                            continue
                        for name, target in _aliases([helper_tree], directory, None, seen | {helper}).items():
                            aliases.setdefault(name, target)
    if star is not None:
        star.update(name for name in aliases if name not in explicit)
    return aliases


def grep(corpus: Path) -> tuple[set[tuple], int]:
    expected: set[tuple] = set()
    unparsable = 0
    for path in sorted([*corpus.rglob("*.py"), *corpus.rglob("*.ipynb")]):
        trees = []
        for cell, source in _code_units(path):
            try:
                trees.append((cell, ast.parse(source)))
            except SyntaxError:
                unparsable += 1
        star: set[str] = set()
        aliases = _aliases([tree for _, tree in trees], path.parent, star)
        for cell, tree in trees:
            finder = _Grep(aliases, frozenset(star))
            finder.visit(tree)
            expected |= {(code, str(path), cell, line, what) for code, line, what in finder.hits}
    return expected, unparsable


def run_kerascheck(corpus: Path, kerascheck: Path) -> list[dict]:
    environment = {**os.environ, "PYTHONPATH": str(kerascheck), "NO_COLOR": "1"}
    result = subprocess.run(
        # ``KC1`` rather than the codes: an older checkout (``--kerascheck``) may lack some of them
        [sys.executable, "-m", "kerascheck", "check", str(corpus), "--select", "KC1", "--output-format", "json", "--no-cache", "--exit-zero", "-q"],
        capture_output=True,
        text=True,
        env=environment,
        cwd="/",
        check=True,
    )
    return [f for f in json.loads(result.stdout) if f["code"] in CODES]


# -- false alarms: does the installed Keras 3 have what was reported? ----------------------


def _stub_checker():
    spec = importlib.util.spec_from_file_location("keras_api_extract", ROOT / "tools" / "keras_api_extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module._disabled


def _resolve(dotted: str, tf_keras: bool) -> object | None:
    if tf_keras:
        dotted = "keras._tf_keras." + dotted
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def false_alarm(finding: dict, disabled) -> bool | None:
    """True if the installed Keras 3 has what ``finding`` says is gone, None if the bench cannot
    tell (the callee of a keyword is not a resolvable name)."""
    import keras

    message = finding["message"]
    tf_keras = _through_tensorflow(finding)
    if finding["code"] == "KC110":
        match = re.search(r"`(\w+)\.(\w+)`", message)
        if match is None:
            return None
        for module in _OBJECT_MODULES:
            cls = _resolve(f"{module}.{match.group(1)}", tf_keras)
            if inspect.isclass(cls):
                return hasattr(cls, match.group(2))
        return None
    if finding["code"] == "KC107" and message.startswith("Keras-1 `merge"):
        return _resolve("keras.layers.merge", tf_keras) is not None
    if finding["code"] == "KC107":
        match = re.search(r"(?:module|name) `([\w.]+)`", message)
        if match is None:
            return None
        obj = _resolve(match.group(1), tf_keras)
        if obj is None:
            return False
        target = obj.__init__ if inspect.isclass(obj) else obj
        return inspect.ismodule(obj) or disabled(target) is None
    if finding["code"] == "KC103":
        match = re.search(r"`(?:Model\.|Layer\.)?(\w+)`", message)
        if match is None:
            return None
        obj = getattr(keras.Model, match.group(1), None)
        return obj is not None and disabled(obj) is None
    match = re.search(r"`(\w+)=`", message)
    callee = _callee_at(finding, match.group(1)) if match else None
    if callee is None:
        return None
    obj = _resolve(callee, tf_keras) if "." in callee else getattr(keras.Model, callee, None)
    if obj is None:
        return False  # the callable itself is gone
    try:
        params = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj).parameters
    except (TypeError, ValueError):
        return None
    return match.group(1) in params


def _through_tensorflow(finding: dict) -> bool:
    """Does the reported line reach Keras through TensorFlow (``tf.keras``)? Judged from the
    file's imports: the aliases the line uses, or the module an import line names."""
    text = _line(finding)
    if text.lstrip().startswith(("from ", "import ")):
        return "tensorflow" in text
    trees = []
    for _, source in _code_units(Path(finding["filename"])):
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    aliases = _aliases(trees)
    used = [aliases[word] for word in re.findall(r"\b\w+\b", text) if word in aliases and canonical(aliases[word]).startswith("keras")]
    return bool(used) and all(raw.startswith("tensorflow") for raw in used)


def _line(finding: dict) -> str:
    units = dict(_code_units(Path(finding["filename"])))
    source = units.get(finding.get("cell"), "")
    lines = source.splitlines()
    row = finding["location"]["row"]
    return lines[row - 1] if 0 < row <= len(lines) else ""


def _callee_at(finding: dict, keyword: str) -> str | None:
    """The canonical callee (or model method name) of the call holding ``keyword=`` there."""
    path = Path(finding["filename"])
    units = _code_units(path)
    trees = []
    for cell, source in units:
        try:
            trees.append((cell, ast.parse(source)))
        except SyntaxError:
            continue
    aliases = _aliases([tree for _, tree in trees])
    finder = _Grep(aliases)
    for cell, tree in trees:
        if cell != finding.get("cell"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and any(k.arg == keyword and k.lineno == finding["location"]["row"] for k in node.keywords):
                raw = finder._raw(node.func)
                if raw:
                    return canonical(raw)
                if isinstance(node.func, ast.Attribute):
                    return node.func.attr
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent.parent / "shared" / "corpus" / "real")
    parser.add_argument("--kerascheck", type=Path, default=ROOT, help="checkout whose kerascheck is run")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--show-false-alarms", action="store_true")
    arguments = parser.parse_args()
    corpus = arguments.corpus.resolve()
    expected, unparsable = grep(corpus)
    findings = run_kerascheck(corpus, arguments.kerascheck)
    reported = {(f["code"], f["filename"], f.get("cell"), f["location"]["row"]) for f in findings}
    disabled = _stub_checker()
    verdicts = [(f, false_alarm(f, disabled)) for f in findings]
    alarms = [f for f, verdict in verdicts if verdict]
    unjudged = Counter(f["code"] for f, verdict in verdicts if verdict is None)
    found, hit = Counter(), Counter()
    misses = []
    for code, path, cell, line, what in sorted(expected, key=str):
        found[code] += 1
        if (code, path, cell, line) in reported:
            hit[code] += 1
        else:
            misses.append(f"{path}{f':cell {cell}' if cell else ''}:{line}: {code} {what}")
    total = Counter(f["code"] for f in findings)
    alarm_counts = Counter(f["code"] for f in alarms)
    print(f"corpus {corpus}, kerascheck from {arguments.kerascheck}")
    print(f"not counted: {unparsable} files or notebook cells Python 3 cannot parse")
    print(f"{'code':6} {'grep found':>10} {'reported':>9} {'missed':>7} {'all reported':>13} {'false alarms':>13} {'not judged':>11}")
    for code in CODES:
        print(
            f"{code:6} {found[code]:>10} {hit[code]:>9} {found[code] - hit[code]:>7} {total[code]:>13} {alarm_counts[code]:>13} {unjudged[code]:>11}"
        )
    if arguments.show_misses:
        print("\n".join(["", "missed:", *misses]))
    if arguments.show_false_alarms:
        print("\n".join(["", "false alarms:", *(f"{f['filename']}:{f['location']['row']}: {f['code']} {f['message']}" for f in alarms)]))


if __name__ == "__main__":
    main()
