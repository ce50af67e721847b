"""The base class of static rules.

A rule is one class that holds its code, documentation, examples and libcst handlers, like
Fixit's ``LintRule``. Handlers are ordinary ``visit_<Node>`` / ``leave_<Node>`` methods; the
engine collects the handlers of every enabled rule and runs them all in one traversal of the
file, so a rule never walks the tree itself.

Project rules (whole-program facts) additionally call :meth:`Rule.record` during the walk and
implement the classmethod :meth:`Rule.finish`, which runs once in the parent process over the
facts of every checked file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, ClassVar

import libcst as cst

from kerascheck.checkdoc import Documented
from kerascheck.findings import Finding, Fix, Severity
from kerascheck.records import record

if TYPE_CHECKING:
    from kerascheck.static.context import FileContext, ProjectContext
    from kerascheck.static.recheck import LeftOutFile


@record
class Valid:
    """Code the rule must accept."""

    code: str
    options: Mapping[str, Any] = field(default_factory=dict)
    target_keras: str = "3"
    #: Other files of the same project (``{relative path: source}``), for project rules.
    project: Mapping[str, str] = field(default_factory=dict)
    #: Other rules to enable alongside (only the rule under test's findings are compared).
    also_select: tuple[str, ...] = ()


@record
class Invalid:
    """Code the rule must flag.

    ``line`` (1-based) pins where the first finding is; ``findings`` pins every finding as
    ``[(line, column), ...]`` (1-based, in order); ``message`` is a substring the message must
    contain; ``fixed`` is the source after applying the rule's fixes (safe and unsafe), required
    when the rule offers a fix for the example.
    """

    code: str
    line: int | None = None
    message: str | None = None
    fixed: str | None = None
    count: int | None = None
    findings: Sequence[tuple[int, int]] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    target_keras: str = "3"
    project: Mapping[str, str] = field(default_factory=dict)
    also_select: tuple[str, ...] = ()


Example = str | Valid | Invalid
Handler = Callable[[cst.CSTNode], Any]


class Rule(Documented):
    """Base class of static rules. Subclass it and set the class attributes.

    Handlers (``visit_Call``, ``leave_FunctionDef``, ...) read the shared :class:`FileContext`
    (``self.context``: resolved names, what is a Keras model, enclosing function/class/with) and
    call :meth:`report`.
    """

    VALID: ClassVar[Sequence[str | Valid]] = ()
    INVALID: ClassVar[Sequence[str | Invalid]] = ()
    #: PEP 440-style range of Keras versions the rule applies to, e.g. ``">=3"``; None = all.
    keras_versions: ClassVar[str | None] = None
    #: False for rules that make sense in files that never mention Keras/TensorFlow (KC001).
    requires_keras: ClassVar[bool] = True
    #: For a rule with ``requires_keras = False``: which of the files that do not mention Keras
    #: it needs (``pattern.search(text)``); the others are never parsed for it. A file that
    #: mentions Keras always reaches the rule. ``None``: every file. See docs/plugins.md.
    text_filter: ClassVar[re.Pattern[str] | None] = None

    _handler_names: ClassVar[dict[str, tuple[str, ...]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.text_filter is not None and not isinstance(cls.text_filter, re.Pattern):
            raise TypeError(f"{cls.__name__}.text_filter must be a compiled pattern (re.compile(...)) or None")

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        self.context = context
        self.settings: dict[str, Any] = {**self.options, **options}
        self.findings: list[Finding] = []
        self.facts: list[Any] = []

    # -- reporting -------------------------------------------------------------------------

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: Fix | None = None,
        severity: Severity | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        """Report a finding at ``node`` (``extra``: structured data, e.g. ``causes.tagged(...)``)."""
        self.findings.append(self.finding_at(self.context.location(node), message, fix, severity, extra))

    def record(self, fact: Any) -> None:
        """Keep a small fact about this file for :meth:`finish`: picklable (it crosses worker
        processes) and made of strings, numbers, tuples, lists, sets, dicts, enums or dataclasses
        so the result cache can store it as JSON (anything else: the file is not cached)."""
        self.facts.append(fact)

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        """Whole-project phase: runs once after every file, over their recorded facts."""
        return ()

    @classmethod
    def is_project_rule(cls) -> bool:
        return cls.finish.__func__ is not Rule.finish.__func__  # type: ignore[attr-defined]

    @classmethod
    def recheck_pattern(cls, program_facts: Sequence[Any]) -> re.Pattern[str] | None:
        """For a project rule with a ``text_filter``: given the facts the files of one program
        recorded, the text that makes a file of that program relevant although the filter left
        it out (it seeds the training another file does, calls a helper another file
        defines...). Such a file is checked again with the rule before ``finish`` runs, until no
        file is added. ``None``: no left-out file of the program can matter."""
        return None

    @classmethod
    def recheck_confirm(cls, program_facts: Sequence[Any], file: LeftOutFile) -> bool:
        """For a left-out file whose text holds :meth:`recheck_pattern`: whether it can record a
        fact that matters to the program, told from CPython's AST and imports of the file
        (``file.tree``, ``file.imports``; libcst is far slower). It must answer True for any file
        the rule's walk could record such a fact in: a False skips the file. Default: True."""
        return True

    # -- handler discovery -----------------------------------------------------------------

    @classmethod
    def handler_names(cls) -> tuple[str, ...]:
        """Names of this class's ``visit_*``/``leave_*`` methods (cached per class)."""
        cache = cls.__dict__.get("_handler_names_cache")
        if cache is None:
            # The namespaces of the class and its bases, not dir(): dir() also lists (and sorts)
            # every other attribute, and this runs for every rule at the start of each run.
            names = {name for klass in cls.__mro__ for name in vars(klass) if name.startswith(("visit_", "leave_"))}
            cache = tuple(sorted(name for name in names if callable(getattr(cls, name))))
            cls._handler_names_cache = cache  # type: ignore[attr-defined]
        return cache
