"""Which files a project rule's text filter left out must be checked again with it.

A project rule's ``text_filter`` leaves out the files that cannot start one of its findings (no
``fit``, no Keras). Some of them still matter to a program that does train: a helper module that
seeds, a module that dumps the scaler another file fits. After the first pass, the facts each
program recorded say what such a file must hold (:meth:`Rule.recheck_pattern`, a text test,
then :meth:`Rule.recheck_confirm`, asked of the file's CPython AST and imports); the engine
checks those files again with the rule, as if they had never been left out.

Everything read here (texts, ASTs, which alternative of a pattern a file holds, decisions) is
read once per run: a module imported by hundreds of scripts is in hundreds of programs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kerascheck.static import files, python_ast
from kerascheck.static.files import UnreadableSource
from kerascheck.static.programs import ModuleImports, ProgramModel

if TYPE_CHECKING:
    from kerascheck.rule import Rule
    from kerascheck.static.engine import FileResult

T = TypeVar("T")


class LeftOutFile:
    """A file a rule's text filter left out, as :meth:`Rule.recheck_confirm` sees it: its text,
    its imports (from the first pass) and, on first use, CPython's AST of it."""

    def __init__(self, path: str, text: str, imports: ModuleImports, *, star_imports_project: bool = False) -> None:
        self.path = path
        self.text = text
        self.imports = imports
        #: Its ``from M import *`` read a project module (:mod:`star_imports`): names it uses may be
        #: bound there, to anything. (A star import of an installed library binds no name the
        #: rules resolve.)
        self.star_imports_project = star_imports_project
        self._derived: dict[Callable[[LeftOutFile], Any], Any] = {}

    @property
    def tree(self) -> ast.Module | None:
        """CPython's AST (None if it does not compile: such a file was never left out)."""
        return self.derived(_tree)

    def imports_any(self, roots: Iterable[str]) -> bool:
        """Whether the file imports a module under one of ``roots`` (``numpy`` for ``numpy.random``
        or ``from numpy import random``), or star-imports a project module (which may)."""
        wanted = frozenset(roots)
        return self.star_imports_project or any(s.level == 0 and s.module.split(".", 1)[0] in wanted for s in self.imports.statements)

    def derived(self, compute: Callable[[LeftOutFile], T]) -> T:
        """``compute(self)``, computed once per file and run (rules share what they derive)."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        found: T = self._derived[compute]
        return found


def _function(method: Any) -> Any:
    """The function behind a classmethod (shared by the classes that inherit it)."""
    return getattr(method, "__func__", method)


def _tree(file: LeftOutFile) -> ast.Module | None:
    tree = python_ast.compile_tree(file.text, file.path)
    return tree if isinstance(tree, ast.Module) else None


#: Text searches remembered by a decider kept between runs (:meth:`Recheck.new_run`).
_MAX_REMEMBERED = 200_000


class Recheck:
    """The decisions of one project phase (:meth:`wanted`, asked again after each recheck)."""

    def __init__(self, rules: Sequence[type[Rule]]) -> None:
        #: The enabled project rules that have a text filter (only they leave files out).
        self.rules = [rule for rule in rules if rule.is_project_rule() and rule.text_filter is not None]
        self._files: dict[str, LeftOutFile | None] = {}
        self._matched: dict[tuple[str, re.Pattern[str]], bool] = {}  # (path, alternative) -> it is in the text
        self._decided: dict[tuple[str, re.Pattern[str]], bool] = {}  # (path, whole pattern) -> the same
        self._confirmed: dict[tuple[str, Any, tuple[str, ...]], bool] = {}  # (path, confirm, files with facts)

    def new_run(self) -> None:
        """A new project phase with this decider: what was read of files is kept, the decisions
        that depended on the previous run's facts are not."""
        self._confirmed.clear()
        if len(self._matched) + len(self._decided) > _MAX_REMEMBERED:  # a long editor session: patterns come and go
            self._matched.clear()
            self._decided.clear()

    def forget(self, paths: Iterable[str]) -> None:
        """``paths`` changed: read again when next needed."""
        gone = set(paths)
        if not gone:
            return
        for path in gone:
            self._files.pop(path, None)
        for table in (self._matched, self._decided):
            for key in [key for key in table if key[0] in gone]:
                del table[key]

    def wanted(self, current: Mapping[str, FileResult], model: ProgramModel) -> dict[str, set[str]]:
        """Left-out file -> the codes it must now be checked with (empty: nothing more to do)."""
        include: dict[str, set[str]] = {}
        answers: dict[tuple[Any, ...], set[str]] = {}
        for rule in self.rules:
            code = rule.code
            left_out = frozenset(p for p, r in current.items() if code in r.left_out)
            if not left_out:
                continue
            facts_of = {p: r.facts[code] for p, r in current.items() if r.facts.get(code)}
            # Rules asking the same questions of the same facts (the project rules of one family
            # share one collector's list) get one answer.
            question = (_function(rule.recheck_pattern), _function(rule.recheck_confirm), left_out, tuple((p, id(f)) for p, f in facts_of.items()))
            if question not in answers:
                answers[question] = self._brought_back(rule, left_out, facts_of, current, model)
            for candidate in answers[question]:
                include.setdefault(candidate, set()).add(code)
        return include

    def _brought_back(
        self, rule: type[Rule], left_out: frozenset[str], facts_of: Mapping[str, list[Any]], current: Mapping[str, FileResult], model: ProgramModel
    ) -> set[str]:
        found: set[str] = set()
        # Programs holding the same files with facts get the same pattern: asked once.
        patterns: dict[tuple[str, ...], tuple[re.Pattern[str] | None, list[Any]]] = {}
        programs_seen: set[int] = set()
        for path in facts_of:
            for program in model.programs_of(path):
                if id(program) in programs_seen:
                    continue
                programs_seen.add(id(program))
                left = [p for p in program.files if p in left_out and p not in found]
                if not left:
                    continue
                with_facts = tuple(p for p in program.files if p in facts_of)
                if with_facts not in patterns:
                    facts = [f for p in with_facts for f in facts_of[p]]
                    patterns[with_facts] = (rule.recheck_pattern(facts), facts)
                pattern, facts = patterns[with_facts]
                if pattern is None:
                    continue
                for candidate in left:
                    file = self._file(candidate, current[candidate])
                    if file is not None and self._holds(file, pattern) and self._confirms(rule, file, facts, with_facts):
                        found.add(candidate)
        return found

    def _file(self, path: str, result: FileResult) -> LeftOutFile | None:
        if path not in self._files:
            try:
                text = files.read(path).text
            except UnreadableSource:
                self._files[path] = None
            else:
                self._files[path] = LeftOutFile(path, text, result.imports, star_imports_project=bool(result.dependencies))
        return self._files[path]

    def _holds(self, file: LeftOutFile, pattern: re.Pattern[str]) -> bool:
        """Whether the text of ``file`` holds ``pattern``: each alternative searched once."""
        decision = self._decided.get((file.path, pattern))
        if decision is None:
            decision = self._decided[(file.path, pattern)] = any(self._found(file, alternative) for alternative in alternatives(pattern))
        return decision

    def _found(self, file: LeftOutFile, alternative: re.Pattern[str]) -> bool:
        key = (file.path, alternative)
        found = self._matched.get(key)
        if found is None:
            found = self._matched[key] = alternative.search(file.text) is not None
        return found

    def _confirms(self, rule: type[Rule], file: LeftOutFile, facts: list[Any], with_facts: tuple[str, ...]) -> bool:
        # Rules that inherit one ``recheck_confirm`` (the project rules of one family, which
        # share their facts too) share its answers.
        key = (file.path, _function(rule.recheck_confirm), with_facts)
        decision = self._confirmed.get(key)
        if decision is None:
            decision = self._confirmed[key] = bool(rule.recheck_confirm(facts, file))
        return decision

def word_pattern(word: str) -> str:
    """A regex finding ``word`` (an identifier) as a whole word, like ``\\bword\\b``, spelt to
    start with its literal: the regex engine then scans for it as fast as ``str.find`` instead
    of trying the pattern at every position (30x faster on the stdlib)."""
    literal = re.escape(word)
    return rf"{literal}(?<!\w{literal})\b"


_alternatives_of: dict[re.Pattern[str], tuple[re.Pattern[str], ...]] = {}
#: What ties a pattern's alternatives together: inline flags (``(?i)``, for all of them) and
#: back-references (``\\1``, ``(?P=name)``). Look-arounds and ``(?:...)`` groups do not.
_GLOBAL_FLAGS_OR_BACKREFERENCE = re.compile(r"\(\?[aiLmsux]+\)|\(\?P=|\\[1-9]")


def alternatives(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], ...]:
    """``pattern`` split at its top-level ``|``: ``A|B`` is in a text when ``A`` or ``B`` is.
    The recheck patterns of a project's programs share most of their alternatives (only the
    helper names differ), and a literal alternative alone is found by a fast literal scan:
    each alternative is searched in a file once instead of every pattern in full. Patterns
    whose alternatives cannot stand alone (global inline or verbose flags, back-references)
    are kept whole."""
    found = _alternatives_of.get(pattern)
    if found is not None:
        return found
    source = pattern.pattern
    parts: list[str] = []
    depth, start, index, in_class = 0, 0, 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if source.startswith("]", index + 1) or source.startswith("^]", index + 1):
                index += 2 if source[index + 1] == "]" else 3  # a leading "]" is a member
                continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:index])
            start = index + 1
        index += 1
    parts.append(source[start:])
    whole = pattern.flags & re.VERBOSE or _GLOBAL_FLAGS_OR_BACKREFERENCE.search(source)
    found = (pattern,) if whole or len(parts) < 2 or depth != 0 or in_class else tuple(re.compile(part, pattern.flags) for part in parts)
    if len(_alternatives_of) > 1024:  # a long editor session: patterns come and go
        _alternatives_of.clear()
    _alternatives_of[pattern] = found
    return found
