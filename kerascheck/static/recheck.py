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

    def __init__(self, path: str, text: str, imports: ModuleImports) -> None:
        self.path = path
        self.text = text
        self.imports = imports
        self._derived: dict[Callable[[LeftOutFile], Any], Any] = {}

    @property
    def tree(self) -> ast.Module | None:
        """CPython's AST (None if it does not compile: such a file was never left out)."""
        return self.derived(_tree)

    @property
    def has_star_import(self) -> bool:
        """``from m import *`` somewhere: it may bind any name (from a project module too)."""
        return any(statement.is_from and "*" in statement.names for statement in self.imports.statements)

    def imports_any(self, roots: Iterable[str]) -> bool:
        """Whether the file imports a module under one of ``roots`` (``numpy`` for ``numpy.random``
        or ``from numpy import random``), or has a star import (which may bind anything)."""
        wanted = frozenset(roots)
        return self.has_star_import or any(s.level == 0 and s.module.split(".", 1)[0] in wanted for s in self.imports.statements)

    def derived(self, compute: Callable[[LeftOutFile], T]) -> T:
        """``compute(self)``, computed once per file and run (rules share what they derive)."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        found: T = self._derived[compute]
        return found


def _tree(file: LeftOutFile) -> ast.Module | None:
    tree = python_ast.compile_tree(file.text, file.path)
    return tree if isinstance(tree, ast.Module) else None


class Recheck:
    """The decisions of one project phase (:meth:`wanted`, asked again after each recheck)."""

    def __init__(self, rules: Sequence[type[Rule]]) -> None:
        #: The enabled project rules that have a text filter (only they leave files out).
        self.rules = [rule for rule in rules if rule.is_project_rule() and rule.text_filter is not None]
        self._files: dict[str, LeftOutFile | None] = {}
        self._matched: dict[tuple[str, re.Pattern[str]], bool] = {}  # (path, alternative) -> it is in the text
        self._decided: dict[tuple[str, re.Pattern[str]], bool] = {}  # (path, whole pattern) -> the same
        self._confirmed: dict[tuple[str, Any, tuple[str, ...]], bool] = {}  # (path, confirm, files with facts)

    def wanted(self, current: Mapping[str, FileResult], model: ProgramModel) -> dict[str, set[str]]:
        """Left-out file -> the codes it must now be checked with (empty: nothing more to do)."""
        include: dict[str, set[str]] = {}
        for rule in self.rules:
            code = rule.code
            left_out = {p for p, r in current.items() if code in r.left_out}
            if not left_out:
                continue
            facts_of = {p: r.facts[code] for p, r in current.items() if r.facts.get(code)}
            # Programs holding the same files with facts get the same pattern: asked once.
            patterns: dict[tuple[str, ...], tuple[re.Pattern[str] | None, list[Any]]] = {}
            programs_seen: set[int] = set()
            for path in facts_of:
                for program in model.programs_of(path):
                    if id(program) in programs_seen:
                        continue
                    programs_seen.add(id(program))
                    left = [p for p in program.files if p in left_out and code not in include.get(p, ())]
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
                            include.setdefault(candidate, set()).add(code)
        return include

    def _file(self, path: str, result: FileResult) -> LeftOutFile | None:
        if path not in self._files:
            try:
                text = files.read(path).text
            except UnreadableSource:
                self._files[path] = None
            else:
                self._files[path] = LeftOutFile(path, text, result.imports)
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
        key = (file.path, getattr(rule.recheck_confirm, "__func__", rule.recheck_confirm), with_facts)
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
