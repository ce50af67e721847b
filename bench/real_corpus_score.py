"""Precision and recall of kerascheck's static rules on real third-party code, from hand labels.

The corpora (``real``: 17 public projects; ``keras-io``: the keras.io examples; ``heldout``: 16
Keras packages from PyPI that no rule was tuned on, fetched by ``bench/heldout_fetch.py DIR``)
are not part of the repository. Their location is ``--corpus-dir``, else the ``KERASCHECK_CORPUS`` environment
variable, else ``../shared/corpus`` relative to the repository (also tried one level further up,
for a git worktree under ``wt/``). When the corpus is absent the scorer says so and exits 0.

How kerascheck is run (the labels were made from exactly this):

* ``python -m kerascheck check --output-format json --exit-zero --no-cache --quiet . --select
  ALL,KC304`` (``ALL`` plus the codes that are off by default, which ``ALL`` does not enable;
  taken from ``kerascheck rules --format json``) with this repository first on ``PYTHONPATH``
  (so the checked-out code is measured), target Keras 3 (the default), no configuration file;
* the working directory, and so the project root, is one *unit* per run: each top-level
  folder of ``real`` (each is one upstream repository; ``xreport`` is run from ``xreport/app``,
  its import root), each package folder of ``heldout``, and the whole of ``keras-io`` (its
  files never import each other).

Labels live in ``bench/real_labels/<corpus>.jsonl``, one JSON object per line::

    {"corpus": "real", "path": "dl-with-keras/Chapter03/x.py", "line": 12, "cell": null,
     "code": "KC101", "label": "tp", "snippet": "model.predict_classes(x_test)", "reason": "..."}

``label`` is ``tp`` or ``fp`` for a finding kerascheck reports, ``fn`` for a real bug it does
not report. ``snippet`` is the reported source line, whitespace-collapsed (``normalize``); a
finding matches a label of the same path, cell, code and snippet, the nearest line winning, so
labels survive line shifts. Scoring per rule:

* TP: findings matched to a ``tp`` label, or to an ``fn`` label (a miss now found);
* FP: findings matched to an ``fp`` label;
* FN: ``fn`` labels no finding matches, and ``tp`` labels no finding matches any more (lost);
* unlabelled: findings matching no label, listed one by one so they can be labelled:
  ``--write-unlabelled FILE`` writes them as label stubs (``"label": "?"``, the message as the
  reason); set each label to ``tp``/``fp`` with a one-line reason, then ``--add-labels FILE``
  merges them into the label files (validated, kept sorted).

A rule whose findings were too many to label all is sampled: ``bench/real_labels/sampling.json``
records the corpus, code, seed and sample size; its precision is then an estimate from the
sample (``n`` shown) and its unlabelled findings are expected, not listed.

Usage: ``python bench/real_corpus_score.py [--corpus real|keras-io|heldout|all] [--markdown]
[--details] [--corpus-dir DIR] [--write-unlabelled FILE] [--add-labels FILE]``. Needs no
TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS_DIR = ROOT / "bench" / "real_labels"
CORPORA = ("real", "keras-io", "heldout")
LABELS = ("tp", "fp", "fn")

#: Units whose project root is a subfolder of the upstream repository (its import root).
UNIT_ROOTS = {"xreport": "xreport/app"}

#: Engine-level codes (internal error, syntax error, not analysed, unused suppression) are
#: counted apart; codes of third-party plugins (other prefixes) are not measured.
_RULE_CODE = re.compile(r"KC[1-9]\d{2}")
_ENGINE_CODE = re.compile(r"KC0\d{2}")
SNIPPET_LENGTH = 120


def normalize(line: str) -> str:
    """A source line as stored in a label: whitespace collapsed, trimmed, at most 120 chars."""
    return " ".join(line.split())[:SNIPPET_LENGTH]


# -- corpus location and runs -------------------------------------------------------------------


def default_corpus_dir() -> Path:
    configured = os.environ.get("KERASCHECK_CORPUS")
    if configured:
        return Path(configured)
    candidates = [ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


@dataclass(frozen=True)
class Unit:
    """One kerascheck run: ``root`` is the working directory (the project root)."""

    corpus: str
    root: Path
    prefix: str  # the root's path relative to the corpus directory ("" for keras-io)


def units(corpus_dir: Path, corpus: str) -> list[Unit]:
    base = corpus_dir / corpus
    if corpus == "keras-io":
        return [Unit(corpus, base, "")]
    found = []
    for entry in sorted(base.iterdir()):
        if entry.is_dir() and not entry.name.startswith((".", "_")):
            relative_root = UNIT_ROOTS.get(entry.name, entry.name)
            found.append(Unit(corpus, base / relative_root, relative_root))
    return found


@dataclass(frozen=True)
class Finding:
    corpus: str
    path: str  # relative to the corpus directory
    line: int
    cell: int | None
    code: str
    message: str
    snippet: str


class CorpusError(Exception):
    """kerascheck could not be run on a unit (its message says why)."""


def _kerascheck_env() -> dict[str, str]:
    """This repository first on ``PYTHONPATH``: the checked-out kerascheck is the one measured."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


CHECK_ARGS = ("check", "--output-format", "json", "--exit-zero", "--no-cache", "--quiet", ".")


def opt_in_codes() -> frozenset[str]:
    """Codes that are off by default (``kerascheck rules --format json``): ``ALL`` does not
    select them, they need their exact code."""
    done = subprocess.run(
        [sys.executable, "-m", "kerascheck", "rules", "--format", "json"],
        env=_kerascheck_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CorpusError(f"kerascheck rules failed (exit {done.returncode}): {done.stderr.strip()}")
    return frozenset(item["code"] for item in json.loads(done.stdout) if not item["default_enabled"])


def run_unit(unit: Unit, corpus_dir: Path, opt_in: frozenset[str]) -> list[Finding]:
    select = ",".join(["ALL", *sorted(opt_in)])
    command = [sys.executable, "-m", "kerascheck", *CHECK_ARGS, "--select", select]
    done = subprocess.run(command, cwd=unit.root, env=_kerascheck_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CorpusError(f"kerascheck failed in {unit.root} (exit {done.returncode}): {done.stderr.strip()}")
    findings = []
    sources = SourceCache(corpus_dir / unit.corpus)
    for item in json.loads(done.stdout or "[]"):
        path = item["filename"]
        if unit.prefix:
            path = f"{unit.prefix}/{path}"
        path = Path(path).as_posix()
        line, cell = int(item["location"]["row"]), item.get("cell")
        snippet = sources.snippet(path, line, cell)
        findings.append(Finding(unit.corpus, path, line, cell, item["code"], item["message"], snippet))
    return findings


def run_corpus(corpus_dir: Path, corpus: str, opt_in: frozenset[str] | None = None) -> list[Finding]:
    """Every finding of every rule (default rules and the opt-in ones) on one corpus."""
    selected = opt_in_codes() if opt_in is None else opt_in
    return [f for unit in units(corpus_dir, corpus) for f in run_unit(unit, corpus_dir, selected)]


class SourceCache:
    """Source lines of the corpus files (notebooks: per cell, cells numbered 1-based over all cells)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._lines: dict[tuple[str, int | None], list[str]] = {}

    def lines(self, path: str, cell: int | None) -> list[str]:
        key = (path, cell)
        if key not in self._lines:
            self._lines[key] = self._read(path, cell)
        return self._lines[key]

    def _read(self, path: str, cell: int | None) -> list[str]:
        file = self.base / path
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        if cell is None:
            return text.splitlines()
        try:
            cells = json.loads(text)["cells"]
            source = cells[cell - 1].get("source", "")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return []
        return ("".join(source) if isinstance(source, list) else str(source)).splitlines()

    def snippet(self, path: str, line: int, cell: int | None) -> str:
        lines = self.lines(path, cell)
        return normalize(lines[line - 1]) if 0 < line <= len(lines) else ""


# -- labels -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    corpus: str
    path: str
    line: int
    cell: int | None
    code: str
    label: str
    snippet: str
    reason: str


class LabelError(ValueError):
    """A label file is malformed (the message names the file and line)."""


_FIELDS = {"corpus": str, "path": str, "line": int, "code": str, "label": str, "snippet": str, "reason": str}


def parse_label(data: object, where: str) -> Label:
    if not isinstance(data, dict):
        raise LabelError(f"{where}: not a JSON object")
    for name, kind in _FIELDS.items():
        if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
            raise LabelError(f"{where}: field {name!r} missing or not {kind.__name__}")
    cell = data.get("cell")
    if cell is not None and (not isinstance(cell, int) or isinstance(cell, bool) or cell < 1):
        raise LabelError(f"{where}: 'cell' must be null or a 1-based cell number")
    unknown = set(data) - set(_FIELDS) - {"cell"}
    if unknown:
        raise LabelError(f"{where}: unknown fields {sorted(unknown)}")
    if data["corpus"] not in CORPORA:
        raise LabelError(f"{where}: corpus must be one of {CORPORA}")
    if data["label"] not in LABELS:
        raise LabelError(f"{where}: label must be one of {LABELS} (got {data['label']!r})")
    if not (_RULE_CODE.fullmatch(data["code"]) or re.fullmatch(r"[A-Z]+\d+", data["code"])):
        raise LabelError(f"{where}: code {data['code']!r} is not a rule code")
    if data["line"] < 1 or not data["reason"].strip():
        raise LabelError(f"{where}: line must be >= 1 and reason non-empty")
    if data["snippet"] != normalize(data["snippet"]):
        raise LabelError(f"{where}: snippet is not normalized (whitespace-collapsed, <= {SNIPPET_LENGTH} chars)")
    return Label(
        data["corpus"], data["path"], data["line"], cell, data["code"], data["label"], data["snippet"], data["reason"]
    )


def read_labels(path: Path, corpus: str | None = None) -> list[Label]:
    """The labels of one JSONL file (none if it does not exist); ``corpus``: the one they must name."""
    labels = []
    if not path.exists():
        return labels
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            data = json.loads(text)
        except ValueError as error:
            raise LabelError(f"{where}: not JSON ({error})") from None
        label = parse_label(data, where)
        if corpus is not None and label.corpus != corpus:
            raise LabelError(f"{where}: corpus {label.corpus!r} in the label file of corpus {corpus!r}")
        labels.append(label)
    return labels


def label_line(label: Label) -> str:
    """One label as its JSONL line (fixed key order, so diffs stay small)."""
    data = {
        "corpus": label.corpus,
        "path": label.path,
        "line": label.line,
        "cell": label.cell,
        "code": label.code,
        "label": label.label,
        "snippet": label.snippet,
        "reason": label.reason,
    }
    return json.dumps(data, ensure_ascii=False)


def sort_key(label: Label) -> tuple:
    return (label.code, label.path, label.cell or 0, label.line, label.label)


@dataclass(frozen=True)
class Sample:
    corpus: str
    code: str
    seed: int
    size: int


def read_sampling(path: Path) -> dict[tuple[str, str], Sample]:
    if not path.exists():
        return {}
    samples = {}
    try:
        for item in json.loads(path.read_text(encoding="utf-8")):
            sample = Sample(str(item["corpus"]), str(item["code"]), int(item["seed"]), int(item["size"]))
            samples[(sample.corpus, sample.code)] = sample
    except (ValueError, KeyError, TypeError) as error:
        raise LabelError(f"{path.name}: expected a list of {{corpus, code, seed, size}} objects ({error})") from None
    return samples


# -- matching and scoring -----------------------------------------------------------------------


@dataclass
class RuleScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    unlabelled: int = 0
    findings: int = 0
    sample: Sample | None = None

    @property
    def precision(self) -> float | None:
        judged = self.tp + self.fp
        return self.tp / judged if judged else None

    @property
    def estimated_tp(self) -> float:
        """TP over all findings: counted, or, for a sampled rule, precision x findings."""
        if self.sample is None or self.precision is None:
            return float(self.tp)
        return self.precision * self.findings

    @property
    def recall(self) -> float | None:
        found = self.estimated_tp
        return found / (found + self.fn) if found + self.fn else None


@dataclass
class Result:
    scores: dict[str, RuleScore] = field(default_factory=lambda: defaultdict(RuleScore))
    matched: Pairs = field(default_factory=list)
    unlabelled: list[Finding] = field(default_factory=list)
    missed: list[Label] = field(default_factory=list)  # fn labels and lost tp labels
    resolved: list[Label] = field(default_factory=list)  # fp labels no finding matches any more
    engine: list[Finding] = field(default_factory=list)


def _group_key(item: Finding | Label) -> tuple:
    return (item.corpus, item.path, item.cell, item.code, item.snippet)


Pairs = list[tuple[Finding, Label]]


def match(findings: Iterable[Finding], labels: Iterable[Label]) -> tuple[Pairs, list[Finding], list[Label]]:
    """Pair findings with labels of the same path, cell, code and snippet, nearest lines first.

    Returns the pairs, the findings no label matches and the labels no finding matches.
    """
    by_key: dict[tuple, list[Label]] = defaultdict(list)
    for label in labels:
        by_key[_group_key(label)].append(label)
    findings_by_key: dict[tuple, list[Finding]] = defaultdict(list)
    for finding in findings:
        findings_by_key[_group_key(finding)].append(finding)
    pairs, lone_findings = [], []
    for key, group in findings_by_key.items():
        candidates = list(by_key.get(key, ()))
        options = sorted(
            ((abs(f.line - lab.line), i, j) for i, f in enumerate(group) for j, lab in enumerate(candidates)),
        )
        used_f: set[int] = set()
        used_l: set[int] = set()
        for _, i, j in options:
            if i not in used_f and j not in used_l:
                used_f.add(i)
                used_l.add(j)
                pairs.append((group[i], candidates[j]))
        lone_findings.extend(f for i, f in enumerate(group) if i not in used_f)
        by_key[key] = [lab for j, lab in enumerate(candidates) if j not in used_l]
    lone_labels = [lab for group in by_key.values() for lab in group]
    return pairs, lone_findings, lone_labels


def score(
    findings: Sequence[Finding], labels: Sequence[Label], sampling: Mapping[tuple[str, str], Sample]
) -> Result:
    result = Result()
    rule_findings = []
    for finding in findings:
        if _RULE_CODE.fullmatch(finding.code):
            rule_findings.append(finding)
        elif _ENGINE_CODE.fullmatch(finding.code):
            result.engine.append(finding)
    pairs, lone_findings, lone_labels = match(rule_findings, labels)
    for finding in rule_findings:
        entry = result.scores[finding.code]
        entry.findings += 1
        entry.sample = entry.sample or sampling.get((finding.corpus, finding.code))
    for finding, label in pairs:
        entry = result.scores[finding.code]
        if label.label == "fp":
            entry.fp += 1
        else:
            entry.tp += 1
        result.matched.append((finding, label))
    for finding in lone_findings:
        result.scores[finding.code].unlabelled += 1
        if (finding.corpus, finding.code) not in sampling:
            result.unlabelled.append(finding)
    for label in lone_labels:
        if label.label == "fp":
            result.resolved.append(label)
        else:  # a miss, or a true positive that is no longer reported (also in a sampled rule)
            result.scores[label.code].fn += 1
            result.missed.append(label)
    return result


# -- reporting ----------------------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(result: Result, markdown: bool = False, opt_in: frozenset[str] = frozenset()) -> str:
    header = ("rule", "findings", "TP", "FP", "FN", "unlabelled", "precision", "recall")
    rows = []
    total = RuleScore()
    for code in sorted(result.scores):
        s = result.scores[code]
        name = code + (" (opt-in)" if code in opt_in else "")
        precision = _ratio(s.precision)
        if s.sample is not None:
            precision += f" (sample n={s.tp + s.fp})"
        rows.append((name, s.findings, s.tp, s.fp, s.fn, s.unlabelled, precision, _ratio(s.recall)))
        total.findings += s.findings
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
        total.unlabelled += s.unlabelled
    overall_tp = sum(s.estimated_tp for s in result.scores.values())
    overall_recall = overall_tp / (overall_tp + total.fn) if overall_tp + total.fn else None
    overall = (_ratio(total.precision), _ratio(overall_recall))
    rows.append(("all", total.findings, total.tp, total.fp, total.fn, total.unlabelled, *overall))
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    else:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _where(item: Finding | Label) -> str:
    cell = f"[cell {item.cell}]" if item.cell is not None else ""
    return f"{item.corpus}/{item.path}{cell}:{item.line}"


def details(result: Result) -> Iterator[str]:
    for finding, label in sorted(result.matched, key=lambda p: (p[0].code, p[0].path, p[0].line)):
        if label.label == "fp":
            yield f"FP {finding.code} {_where(finding)}: {label.reason}"
    for label in sorted(result.missed, key=sort_key):
        kind = "FN" if label.label == "fn" else "FN (lost TP)"
        yield f"{kind} {label.code} {_where(label)}: {label.reason}"
    for label in sorted(result.resolved, key=sort_key):
        yield f"resolved FP {label.code} {_where(label)}: {label.reason}"


def add_labels(source: Path, labels_dir: Path) -> dict[str, int]:
    """Merge the labelled stubs of ``source`` into the label files, kept sorted; label counts added."""
    new = read_labels(source)
    added: dict[str, int] = {}
    for corpus in CORPORA:
        mine = [label for label in new if label.corpus == corpus]
        if not mine:
            continue
        path = labels_dir / f"{corpus}.jsonl"
        merged = sorted([*read_labels(path, corpus), *mine], key=sort_key)
        path.write_text("".join(label_line(label) + "\n" for label in merged), encoding="utf-8")
        added[corpus] = len(mine)
    return added


def stub(finding: Finding) -> str:
    return label_line(
        Label(finding.corpus, finding.path, finding.line, finding.cell, finding.code, "?", finding.snippet, finding.message)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=(*CORPORA, "all"), default="all")
    parser.add_argument(
        "--corpus-dir",
        type=Path,
        default=None,
        help="directory holding real/, keras-io/ and heldout/ (default: $KERASCHECK_CORPUS, else ../shared/corpus)",
    )
    parser.add_argument("--labels-dir", type=Path, default=LABELS_DIR, help="default: bench/real_labels")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--details", action="store_true", help="list every FP, FN, lost TP and resolved FP with its reason")
    parser.add_argument("--write-unlabelled", type=Path, metavar="FILE", help="write unlabelled findings as label stubs")
    parser.add_argument(
        "--add-labels",
        type=Path,
        metavar="FILE",
        help="merge labelled stubs (label set to tp/fp/fn, reason written) into the label files, then exit",
    )
    args = parser.parse_args(argv)
    if args.add_labels:
        try:
            added = add_labels(args.add_labels, args.labels_dir)
        except LabelError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(", ".join(f"{count} labels added to {corpus}.jsonl" for corpus, count in added.items()) or "no labels")
        return 0
    corpus_dir = args.corpus_dir or default_corpus_dir()
    chosen = CORPORA if args.corpus == "all" else (args.corpus,)
    missing = [c for c in chosen if not (corpus_dir / c).is_dir()]
    if missing:
        how = "bench/heldout_fetch.py DIR fetches heldout; " if "heldout" in missing else ""
        print(f"skipped: corpus {', '.join(missing)} not found under {corpus_dir} ({how}set KERASCHECK_CORPUS or --corpus-dir)")
        chosen = tuple(c for c in chosen if c not in missing)
        if not chosen:
            return 0
    try:
        sampling = read_sampling(args.labels_dir / "sampling.json")
        opt_in = opt_in_codes()
        stubs: list[str] = []
        for corpus in chosen:
            labels = read_labels(args.labels_dir / f"{corpus}.jsonl", corpus)
            result = score(run_corpus(corpus_dir, corpus, opt_in), labels, sampling)
            heading = f"corpus {corpus} ({len(labels)} labels)"
            print(f"## {heading}\n" if args.markdown else heading)
            print(table(result, markdown=args.markdown, opt_in=opt_in))
            if result.engine:
                print(f"\nengine findings (not scored): {len(result.engine)}")
                for finding in result.engine:
                    print(f"  {finding.code} {_where(finding)}: {finding.message}")
            if result.unlabelled:
                print(f"\nunlabelled findings ({len(result.unlabelled)}):")
                for finding in sorted(result.unlabelled, key=lambda f: (f.code, f.path, f.cell or 0, f.line)):
                    print(f"  {finding.code} {_where(finding)}: {finding.snippet}")
                stubs += [stub(f) for f in result.unlabelled]
            if args.details:
                print()
                print("\n".join(details(result)))
            print()
    except (LabelError, CorpusError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.write_unlabelled:
        args.write_unlabelled.write_text("".join(line + "\n" for line in stubs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
