"""Precision and recall of the static rules over the annotated corpus in ``tests/corpus``.

Every top-level ``.py`` file of the corpus is one program, every subdirectory one multi-file
project. Expectations are trailing comments on the line where a finding must be reported::

    model.fit(x, y, epochs=20, validation_split=0.1)  # expect: KC301, KC601
    logits = model(x, training=True)  # expect-none: KC201

``expect-none`` only documents a tricky line: any finding not listed by an ``expect`` comment
is a false positive, whether or not the line says ``expect-none``.

Usage: ``python bench/corpus_precision.py [--markdown]`` (prints TP/FP/FN, precision and recall
per rule and overall, default rules, target Keras 3).
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"

#: Findings with these code prefixes are not compared (engine-level codes: internal error,
#: syntax error, not analysed, unused suppression). Only KC0xx belongs here.
IGNORED_PREFIXES = ("KC0",)

#: Only kerascheck's own rules are measured; codes of third-party plugins that happen to be
#: installed in the environment (other prefixes) would make the numbers depend on the machine.
_BUILTIN_CODE = re.compile(r"KC\d{3}")

_DIRECTIVE = re.compile(r"expect(?P<none>-none)?:\s*(?P<codes>KC\d{3}(?:\s*,\s*KC\d{3})*)")
_CODE = re.compile(r"KC\d{3}")

#: (path relative to the corpus, line, code)
Key = tuple[str, int, str]


@dataclass(frozen=True)
class Unit:
    """One program checked on its own: a single script or a project directory."""

    name: str
    path: Path

    def files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.py") if "__pycache__" not in p.parts)


@dataclass
class Expectations:
    expected: set[Key] = field(default_factory=set)
    absent: set[Key] = field(default_factory=set)  # documented expect-none lines


@dataclass
class Outcome:
    unit: Unit
    expected: set[Key]
    actual: set[Key]
    absent: set[Key]
    files_checked: int

    @property
    def true_positives(self) -> set[Key]:
        return self.expected & self.actual

    @property
    def false_positives(self) -> set[Key]:
        return self.actual - self.expected

    @property
    def false_negatives(self) -> set[Key]:
        return self.expected - self.actual


def units(corpus: Path = CORPUS) -> list[Unit]:
    found = []
    for entry in sorted(corpus.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir() or entry.suffix == ".py":
            found.append(Unit(entry.name, entry))
    return found


def relative(path: str | Path, corpus: Path = CORPUS) -> str:
    return Path(path).resolve().relative_to(corpus.resolve()).as_posix()


def parse_expectations(path: Path, corpus: Path = CORPUS) -> Expectations:
    """Read ``# expect:``/``# expect-none:`` comments (with tokenize, so strings never match)."""
    result = Expectations()
    rel = relative(path, corpus)
    text = path.read_text(encoding="utf-8")
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type != tokenize.COMMENT:
            continue
        for match in _DIRECTIVE.finditer(token.string):
            target = result.absent if match.group("none") else result.expected
            for code in _CODE.findall(match.group("codes")):
                target.add((rel, token.start[0], code))
    clash = result.expected & result.absent
    if clash:
        raise ValueError(f"both expected and expected-absent: {sorted(clash)}")
    return result


def run_unit(unit: Unit, corpus: Path = CORPUS) -> Outcome:
    import kerascheck

    expectations = Expectations()
    for path in unit.files():
        parsed = parse_expectations(path, corpus)
        expectations.expected |= parsed.expected
        expectations.absent |= parsed.absent
    checked: list[object] = []
    findings = kerascheck.check([unit.path], target_keras="3", on_file=checked.append)
    actual = {
        (relative(f.location.path, corpus), f.location.line, f.code)
        for f in findings
        if _BUILTIN_CODE.fullmatch(f.code) and not f.code.startswith(IGNORED_PREFIXES)
    }
    return Outcome(unit, expectations.expected, actual, expectations.absent, len(checked))


def run_all(corpus: Path = CORPUS) -> list[Outcome]:
    return [run_unit(unit, corpus) for unit in units(corpus)]


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def table(outcomes: Iterable[Outcome], markdown: bool = False) -> str:
    """Per-rule TP/FP/FN with precision and recall, plus the overall row."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for outcome in outcomes:
        tp.update(code for _, _, code in outcome.true_positives)
        fp.update(code for _, _, code in outcome.false_positives)
        fn.update(code for _, _, code in outcome.false_negatives)
    codes = sorted(set(tp) | set(fp) | set(fn))
    rows = [(c, tp[c], fp[c], fn[c]) for c in codes]
    rows.append(("all", sum(tp.values()), sum(fp.values()), sum(fn.values())))
    header = ("rule", "TP", "FP", "FN", "precision", "recall")
    lines = []
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
    else:
        lines.append(f"{header[0]:<6} {header[1]:>4} {header[2]:>4} {header[3]:>4} {header[4]:>9} {header[5]:>6}")
    for code, t, p, n in rows:
        precision, recall = _ratio(t, t + p), _ratio(t, t + n)
        if markdown:
            lines.append(f"| {code} | {t} | {p} | {n} | {precision} | {recall} |")
        else:
            lines.append(f"{code:<6} {t:>4} {p:>4} {n:>4} {precision:>9} {recall:>6}")
    return "\n".join(lines)


def details(outcomes: Iterable[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        for label, keys in (("FP", outcome.false_positives), ("FN", outcome.false_negatives)):
            for path, line, code in sorted(keys):
                lines.append(f"{label} {code} {path}:{line}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--details", action="store_true", help="list every false positive and negative")
    args = parser.parse_args(argv)
    outcomes = run_all()
    scripts = sum(1 for o in outcomes if o.unit.path.is_file())
    projects = len(outcomes) - scripts
    clean = sum(1 for o in outcomes if not o.expected)
    print(f"corpus: {scripts} scripts and {projects} projects ({clean} programs with no expected finding)\n")
    print(table(outcomes, markdown=args.markdown))
    if args.details:
        print()
        print(details(outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
