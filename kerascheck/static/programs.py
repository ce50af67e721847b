"""The programs of a project: which checked files run together, found the way Python imports.

A *program* is what one ``python script.py`` (or one notebook kernel) runs: its entry point and
every project module it imports, transitively. Entry points are every script that no other
checked file (module or notebook) imports, every script with an ``if __name__ == "__main__":``
block (meant to be run, even if others import its functions), and every notebook (nothing can
import a notebook); never a package's ``__init__.py`` without such a block (it runs only when
its package is imported). A module imported
by two scripts belongs to both programs.

Imports are resolved to files exactly as Python's path finder does, over the checked files:

* the search path of a program is the entry point's own directory (``sys.path[0]``), then the
  project roots: the config root, its ``src/`` directory when there is one, and the directory
  holding each top-level package (a directory with ``__init__.py`` whose parent has none), or
  holding the namespace package above it when imports spell that path (``import
  server.services`` for ``app/server/services/__init__.py``: ``app``);
* in each directory, a package (``name/__init__.py``) wins over a module (``name.py``); a
  directory without ``__init__.py`` is a namespace package only when no directory of the search
  path has a package or module of that name;
* ``import a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``; ``from a import b`` also imports the
  submodule ``a.b`` when there is one; relative imports resolve from the importing file's
  directory;
* an import that resolves to no checked file is external (an installed library): a file that
  merely has the same name elsewhere in the tree is never used, and neither is a notebook.

Everything here is computed once per run, in the project phase, from the import statements
each file's check recorded (:func:`scan_imports`): which programs each file belongs to when the
model is built, a program's files in import order and its import chains when first asked for.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import Path

from kerascheck.findings import Location
from kerascheck.records import record
from kerascheck.static.python_ast import compile_tree, import_nodes

#: Suffixes of files a program can run (stubs and notebooks are never imported).
_IMPORTABLE = ".py"
_NOTEBOOK = ".ipynb"


@record
class ImportStatement:
    """One ``import`` as written: ``import a.b`` is ``("a.b", 0, ())``; ``from ..a import b, c``
    is ``("a", 2, ("b", "c"))``; ``from . import x`` is ``("", 1, ("x",))``."""

    module: str
    level: int
    names: tuple[str, ...]
    location: Location
    #: ``from`` imports (their ``names`` may be submodules); plain ``import a.b`` otherwise.
    is_from: bool = False

    def text(self) -> str:
        dots = "." * self.level
        if not self.is_from:
            return f"import {self.module}"
        return f"from {dots}{self.module} import {', '.join(self.names)}"


@record
class ModuleImports:
    """What the program model needs to know about one file."""

    statements: tuple[ImportStatement, ...] = ()
    #: The file has an ``if __name__ == "__main__":`` block: it is meant to be run, so it is an
    #: entry point even when another module imports it (for its functions).
    main_guard: bool = False


def _is_main_guard(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    test = statement.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = {side.id for side in sides if isinstance(side, ast.Name)}
    strings = {side.value for side in sides if isinstance(side, ast.Constant)}
    return names == {"__name__"} and strings == {"__main__"}


def scan_imports(text: str, path: str, locate: Callable[[int, int], Location]) -> ModuleImports:
    """Every import statement of ``text`` (also inside functions, ``try`` and ``if`` blocks:
    they run when reached), and whether it has a ``__main__`` guard. ``locate(line, column)``
    maps a position of ``text`` to a location (notebooks: the cell). A file that does not
    compile has none."""
    if "import" not in text and "__main__" not in text:
        return ModuleImports()
    tree = compile_tree(text, path)
    if not isinstance(tree, ast.Module):
        return ModuleImports()
    main_guard = any(_is_main_guard(statement) for statement in tree.body)
    found: list[ImportStatement] = []
    for node in import_nodes(tree):
        where = locate(node.lineno, node.col_offset + 1)
        if isinstance(node, ast.Import):
            found.extend(ImportStatement(alias.name, 0, (), where) for alias in node.names)
        else:
            found.append(ImportStatement(node.module or "", node.level or 0, tuple(alias.name for alias in node.names), where, is_from=True))
    found.sort(key=lambda statement: (statement.location.cell or 0, statement.location.line, statement.location.column))
    return ModuleImports(tuple(found), main_guard)


@record
class Program:
    """One entry point and the project files it runs.

    ``files`` starts with the entry point, then the modules in the order Python first imports
    them (breadth first). ``reached_by`` says, for each imported file, which file imported it
    and with which statement (the first time), so a finding can cite the import chain.
    """

    entry: str
    files: tuple[str, ...]
    #: path -> the dotted module name it is imported as in this program (the entry: ``__main__``).
    modules: Mapping[str, str] = field(default_factory=dict)
    reached_by: Mapping[str, tuple[str, ImportStatement]] = field(default_factory=dict)

    @property
    def is_notebook(self) -> bool:
        return self.entry.endswith(_NOTEBOOK)

    def __contains__(self, path: object) -> bool:
        return path in self.modules

    def chain(self, path: str) -> list[tuple[str, ImportStatement]]:
        """The imports from the entry point down to ``path`` (empty for the entry itself)."""
        steps: list[tuple[str, ImportStatement]] = []
        while path in self.reached_by:
            importer, statement = self.reached_by[path]
            steps.append((importer, statement))
            path = importer
        return list(reversed(steps))

    def entry_import(self, path: str) -> ImportStatement | None:
        """The import statement *in the entry point* through which ``path`` is run (None for
        the entry itself): where a program's finding about ``path`` is reported."""
        steps = self.chain(path)
        return steps[0][1] if steps else None


class ProgramModel:
    """The programs of the checked files (see the module docstring).

    Which programs each file belongs to is known once the model is built (one reachability pass
    per entry-point directory, every program's membership a bit of an integer); a program's
    files in import order and its import chains are walked the first time the program is asked
    for. A tree where few files touch Keras has thousands of programs, and the project rules ask
    for the few that hold a fact (issue 16: on the stdlib plus keras-io, 96 of 1,335).
    """

    def __init__(
        self,
        programs: Sequence[Program] = (),
        roots: tuple[str, ...] = (),
        external: Mapping[str, tuple[ImportStatement, ...]] | None = None,
    ) -> None:
        """A model of ``programs`` as given (:meth:`build` makes the model of a tree)."""
        #: The project roots on every program's search path (absolute), after ``sys.path[0]``.
        self.roots = roots
        #: path -> its import statements that resolve to no checked file (external libraries).
        self.external: Mapping[str, tuple[ImportStatement, ...]] = dict(external or {})
        self._entries: list[str] = [program.entry for program in programs]
        self._made: dict[int, Program] = dict(enumerate(programs))
        self._walk: Callable[[str], Program] | None = None
        #: path -> the programs it belongs to, as the bits of their indexes.
        self._membership: dict[str, int] = {}
        for index, program in enumerate(programs):
            for path in program.files:
                self._membership[path] = self._membership.get(path, 0) | 1 << index
        self._of: dict[str, tuple[Program, ...]] = {}

    @property
    def programs(self) -> tuple[Program, ...]:
        """Every program, entry points in the order found (this walks every one of them)."""
        return tuple(self._program_at(index) for index in range(len(self._entries)))

    @property
    def by_file(self) -> Mapping[str, tuple[Program, ...]]:
        """path -> the programs it belongs to, entry points first (walks every program)."""
        return {path: self.programs_of(path) for path in self._membership}

    def programs_of(self, path: str) -> tuple[Program, ...]:
        """The programs ``path`` belongs to, the one it is the entry point of first (empty for
        a file that is not Python, e.g. a stub)."""
        found = self._of.get(path)
        if found is None:
            programs = [self._program_at(index) for index in _bit_indexes(self._membership.get(path, 0))]
            found = self._of[path] = tuple(sorted(programs, key=lambda p: p.entry != path))
        return found

    def programs_with_any(self, paths: Iterable[str]) -> tuple[Program, ...]:
        """The programs holding at least one of ``paths``, in the order of :attr:`programs`."""
        bits = 0
        for path in paths:
            bits |= self._membership.get(path, 0)
        return tuple(self._program_at(index) for index in _bit_indexes(bits))

    def program(self, entry: str) -> Program | None:
        """The program whose entry point is ``entry``, if ``entry`` is one."""
        for program in self.programs_of(entry):
            if program.entry == entry:
                return program
        return None

    def module_name(self, path: str) -> str:
        """The dotted name ``path`` is imported as (its file stem when nothing imports it)."""
        for program in self.programs_of(path):
            name = program.modules.get(path, "__main__")
            if name != "__main__":
                return name
        stem = Path(path).stem
        return Path(path).parent.name if stem == "__init__" else stem

    @classmethod
    def build(cls, imports: Mapping[str, ModuleImports], root: Path | str) -> ProgramModel:
        """The programs of the files ``imports`` names (path -> what :func:`scan_imports` found)."""
        return _Builder(imports, Path(root)).build()

    @classmethod
    def _walked_on_demand(
        cls,
        roots: tuple[str, ...],
        external: Mapping[str, tuple[ImportStatement, ...]],
        entries: list[str],
        membership: dict[str, int],
        made: dict[int, Program],
        walk: Callable[[str], Program],
    ) -> ProgramModel:
        model = cls((), roots, external)
        model._entries, model._membership, model._made, model._walk = entries, membership, made, walk
        return model

    def _program_at(self, index: int) -> Program:
        program = self._made.get(index)
        if program is None:
            assert self._walk is not None  # only a built model has programs not made yet
            program = self._made[index] = self._walk(self._entries[index])
        return program


def _components(starts: Iterable[str], successors_of: Callable[[str], list[str]]) -> tuple[list[list[str]], dict[str, list[str]]]:
    """The strongly connected components of the graph reached from ``starts`` (Tarjan's
    algorithm, iterative: import chains can be deeper than Python's recursion limit), each
    component listed after every component it reaches; and each reached node's successors
    (``successors_of`` is asked once per node)."""
    components: list[list[str]] = []
    done: set[str] = set()  # nodes whose component is known
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    successors: dict[str, list[str]] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        successors[node] = successors_of(node)

    for start in starts:
        if start in order:
            continue
        visit(start)
        walk = [(start, 0)]
        while walk:
            node, next_edge = walk[-1]
            edges = successors[node]
            if next_edge < len(edges):
                walk[-1] = (node, next_edge + 1)
                target = edges[next_edge]
                if target not in order:
                    visit(target)
                    walk.append((target, 0))
                elif target not in done:
                    low[node] = min(low[node], order[target])
                continue
            walk.pop()
            if walk:
                parent = walk[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                component: list[str] = []
                while not component or component[-1] != node:
                    component.append(stack.pop())
                done.update(component)
                components.append(component)
    return components, successors


def _bit_indexes(bits: int) -> Iterator[int]:
    """The indexes of the set bits of ``bits``, lowest first."""
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest


# -- Python's path finder ----------------------------------------------------------------------


def find_module(
    name: str,
    directories: Sequence[str],
    is_file: Callable[[str], bool] = os.path.isfile,
    is_dir: Callable[[str], bool] = os.path.isdir,
) -> tuple[str | None, list[str]]:
    """One step of Python's path finder: ``(file, package directories)`` of the top-level name
    ``name`` in ``directories``. A package (``name/__init__.py``) wins over a module
    (``name.py``) in each directory; a directory without ``__init__.py`` is a namespace package
    only when no directory has a package or module of that name. A package gives its
    ``__init__.py`` and directory, a module its file and no directory, a namespace package no
    file and its directories, nothing found ``(None, [])``. ``is_file``/``is_dir`` say what
    exists (the disk by default; the program model passes the checked files)."""
    namespace: list[str] = []
    for directory in directories:
        package = _join(directory, name)
        init = package + _INIT
        if is_file(init):
            return init, [package]
        module = package + ".py"
        if is_file(module):
            return module, []
        if is_dir(package):
            namespace.append(package)
    return None, namespace


def find_dotted(
    module: str,
    directories: Sequence[str],
    is_file: Callable[[str], bool] = os.path.isfile,
    is_dir: Callable[[str], bool] = os.path.isdir,
) -> str | None:
    """The file the dotted ``module`` (``a.b.c``) is in when imported with ``directories`` as
    the search path (never a notebook), or None when it is not found there."""
    file: str | None = None
    for part in module.split("."):
        if not directories:
            return None
        file, directories = find_module(part, directories, is_file, is_dir)
        if file is None and not directories:
            return None
    return file


def relative_base(importer: str, level: int) -> str:
    """The directory a relative import with ``level`` dots in the file ``importer`` starts
    from, as Python finds it: ``from .x import y`` the file's own package directory, each
    further dot the one above."""
    directory = os.path.dirname(importer)
    for _ in range(level - 1):
        directory = os.path.dirname(directory)
    return directory


_INIT = os.sep + "__init__.py"


def _join(directory: str, name: str) -> str:
    """``os.path.join`` for a normalised directory and a plain name (the path finder does this
    hundreds of thousands of times on a large tree: a string concatenation, not a call)."""
    return directory + name if directory.endswith(os.sep) else directory + os.sep + name


# -- building ----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


class _Builder:
    def __init__(self, imports: Mapping[str, ModuleImports], root: Path) -> None:
        self.imports = imports
        #: absolute path -> the path as given, for every checked importable file.
        self.files: dict[str, str] = {}
        self.notebooks: list[str] = []
        self.scripts: list[str] = []
        for path in sorted(imports):
            if path.endswith(_IMPORTABLE):
                self.files[_absolute(path)] = path
                self.scripts.append(path)
            elif path.endswith(_NOTEBOOK):
                self.notebooks.append(path)
        #: Directories holding checked modules (namespace-package candidates), with ancestors.
        self.directories: set[str] = set()
        for absolute in self.files:
            parent = os.path.dirname(absolute)
            while parent not in self.directories:
                self.directories.add(parent)
                up = os.path.dirname(parent)
                if up == parent:
                    break
                parent = up
        self.roots = self._roots(_absolute(str(root)))
        #: ``(sys.path[0], path)`` -> the edges of ``path`` in a program started there; ``(None,
        #: path)`` when no import of ``path`` can resolve differently from one to another.
        self._resolved: dict[tuple[str | None, str], list[tuple[str, ImportStatement, str]]] = {}
        #: One resolution per import statement and search path that can change its answer, for
        #: the whole model (a module imported by hundreds of programs is resolved once).
        #: (keyed by the statement's identity: each belongs to one file, held by ``imports``).
        self._statement_targets: dict[tuple[int, str | None], list[tuple[str, str]]] = {}
        self._external: dict[str, list[ImportStatement]] = {}
        self._external_seen: set[int] = set()
        self._tops: dict[str, frozenset[str]] = {}  # path -> top-level names of its absolute imports
        self._held: dict[str, frozenset[str]] = {}  # directory -> what :meth:`_names_in` found
        self._children: dict[str, set[str]] = {}

    def _has_init(self, directory: str) -> bool:
        return directory + _INIT in self.files

    def _roots(self, config_root: str) -> tuple[str, ...]:
        roots = [config_root]
        src = os.path.join(config_root, "src")
        if src in self.directories:
            roots.append(src)
        imported = {
            statement.module
            for found in self.imports.values()
            for statement in found.statements
            if not statement.level
        }
        tops = set()
        for absolute in self.files:
            if os.path.basename(absolute) == "__init__.py":
                package = os.path.dirname(absolute)
                while self._has_init(os.path.dirname(package)):
                    package = os.path.dirname(package)
                tops.add(os.path.dirname(package))
                tops.update(self._namespace_roots(package, imported))
        roots.extend(sorted(tops - set(roots)))
        return tuple(roots)

    @staticmethod
    def _namespace_roots(package: str, imported: set[str]) -> list[str]:
        """Directories above namespace packages (no ``__init__.py``) holding ``package``, when
        an import spells that path: ``import server.services`` for ``app/server/services/`` can
        only work with ``app`` on ``sys.path``."""
        found = []
        name, directory = os.path.basename(package), os.path.dirname(package)
        for _ in range(3):
            name = f"{os.path.basename(directory)}.{name}"
            directory = os.path.dirname(directory)
            if any(module == name or module.startswith(name + ".") for module in imported):
                found.append(directory)
        return found

    # -- Python's path finder, over the checked files --

    def _find(self, name: str, directories: Sequence[str]) -> tuple[str | None, list[str]]:
        """:func:`find_module` over the checked files."""
        return find_module(name, directories, self.files.__contains__, self.directories.__contains__)

    def _resolve(self, statement: ImportStatement, importer: str, search: Sequence[str]) -> list[tuple[str, str]]:
        """The checked files ``statement`` in ``importer`` runs, each with its module name."""
        if statement.level:
            base = relative_base(importer, statement.level)
            package_name = self._package_name(importer, statement.level)
            prefix = package_name.split(".") if package_name else []
            init = os.path.join(base, "__init__.py")
            found: list[tuple[str, str]] = [(init, package_name)] if init in self.files else []
            directories = [base]
            parts = statement.module.split(".") if statement.module else []
        else:
            directories, prefix, found = list(search), [], []
            parts = statement.module.split(".")
        for part in parts:
            file, packages = self._find(part, directories)
            prefix.append(part)
            if file is not None:
                found.append((file, ".".join(prefix)))
            if not packages:
                if file is None:
                    return found  # not a project module: external from here on
                directories = []
                break
            directories = packages
        if statement.is_from and directories:
            for name in statement.names:
                if name != "*":
                    file, _ = self._find(name, directories)
                    if file is not None:
                        found.append((file, ".".join([*prefix, name])))
        return found

    def _package_name(self, importer: str, level: int) -> str:
        """The dotted package a relative import of ``level`` starts from (for display)."""
        directory = relative_base(importer, level)
        parts = []
        while self._has_init(directory):
            parts.append(os.path.basename(directory))
            directory = os.path.dirname(directory)
        return ".".join(reversed(parts))

    def _edges(self, path: str, sys_path0: str) -> list[tuple[str, ImportStatement, str]]:
        """The files ``path``'s imports run when the program starts in ``sys_path0``."""
        tops = self._tops.get(path)
        if tops is None:
            statements = self.imports[path].statements if path in self.imports else ()
            tops = self._tops[path] = frozenset(s.module.partition(".")[0] for s in statements if not s.level)
        # ``sys.path[0]`` changes what an absolute import finds only when it holds its top-level
        # name (a package, a module or a namespace directory): otherwise the roots alone decide,
        # and the edges are the same in every program.
        depends = not tops.isdisjoint(self._names_in(sys_path0))
        key = (sys_path0 if depends else None, path)
        cached = self._resolved.get(key)
        if cached is not None:
            return cached
        importer = _absolute(path)
        held = self._names_in(sys_path0)
        edges: list[tuple[str, ImportStatement, str]] = []
        for statement in self.imports[path].statements if path in self.imports else ():
            start = sys_path0 if not statement.level and statement.module.partition(".")[0] in held else None
            targets = self._statement_targets.get((id(statement), start))
            if targets is None:
                search = self.roots if start is None else [start, *(root for root in self.roots if root != start)]
                targets = self._statement_targets[(id(statement), start)] = self._resolve(statement, importer, search)
            if not targets and id(statement) not in self._external_seen:
                self._external_seen.add(id(statement))
                self._external.setdefault(path, []).append(statement)
            for target, module in targets:
                if target != importer:
                    edges.append((self.files[target], statement, module))
        self._resolved[key] = edges
        return edges

    def _names_in(self, directory: str) -> frozenset[str]:
        """The top-level names ``directory`` can give an import: its packages, modules and
        namespace directories among the checked files."""
        names = self._held.get(directory)
        if names is None:
            if not self._children:
                for child in (*self.directories, *(f for f in self.files if f.endswith(_IMPORTABLE))):
                    parent, _, name = child.rpartition(os.sep)
                    self._children.setdefault(parent or os.sep, set()).add(name[: -len(_IMPORTABLE)] if name.endswith(_IMPORTABLE) else name)
            names = self._held[directory] = frozenset(self._children.get(directory, ()))
        return names

    def _program(self, entry: str) -> Program:
        sys_path0 = os.path.dirname(_absolute(entry))
        order = [entry]
        modules = {entry: "__main__"}
        reached_by: dict[str, tuple[str, ImportStatement]] = {}
        index = 0
        while index < len(order):
            current = order[index]
            index += 1
            for target, statement, module in self._edges(current, sys_path0):
                if target not in modules:
                    modules[target] = module
                    reached_by[target] = (current, statement)
                    order.append(target)
        return Program(entry, tuple(order), modules, reached_by)

    def _reach(self, entries: list[tuple[int, str]], membership: dict[str, int]) -> None:
        """Add to ``membership`` the files each of ``entries`` (index, path; one directory, so
        one ``sys.path[0]``) runs: each program's bit, pushed along the import edges once per
        strongly connected component, in topological order (an import cycle shares its bits)."""
        sys_path0 = os.path.dirname(_absolute(entries[0][1]))
        own: dict[str, int] = {}
        for index, entry in entries:
            own[entry] = own.get(entry, 0) | 1 << index
        components, successors = _components(own, lambda path: [target for target, _, _ in self._edges(path, sys_path0)])
        component_of = {member: number for number, component in enumerate(components) for member in component}
        bits = [0] * len(components)
        for number in range(len(components) - 1, -1, -1):  # importers before what they import
            flowing = bits[number]
            for member in components[number]:
                flowing |= own.get(member, 0)
            for member in components[number]:
                membership[member] = membership.get(member, 0) | flowing
                for target in successors[member]:
                    if component_of[target] != number:
                        bits[component_of[target]] |= flowing

    def _can_be_entry(self, path: str) -> bool:
        """A package's __init__.py runs only when the package is imported: never a program of
        its own (``python -m pkg`` runs ``pkg/__main__.py``), unless it has a __main__ block."""
        return os.path.basename(path) != "__init__.py" or self.imports[path].main_guard

    def build(self) -> ProgramModel:
        imported: set[str] = set()
        for path in (*self.scripts, *self.notebooks):  # a helper only a notebook imports is no entry point
            imported.update(target for target, _, _ in self._edges(path, os.path.dirname(_absolute(path))) if target != path)
        runnable = [p for p in self.scripts if self._can_be_entry(p) and (p not in imported or self.imports[p].main_guard)]
        entries = runnable + self.notebooks
        by_directory: dict[str, list[tuple[int, str]]] = {}
        for index, entry in enumerate(entries):
            by_directory.setdefault(os.path.dirname(_absolute(entry)), []).append((index, entry))
        membership: dict[str, int] = {}
        for grouped in by_directory.values():
            self._reach(grouped, membership)
        # Modules only ever imported from a search path no program has (or import cycles that
        # nothing outside imports) would belong to no program: each becomes its own.
        made: dict[int, Program] = {}
        for path in self.scripts:
            if path not in membership and self._can_be_entry(path):
                program = made[len(entries)] = self._program(path)
                for member in program.files:
                    membership[member] = membership.get(member, 0) | 1 << len(entries)
                entries.append(path)
        external = {path: tuple(statements) for path, statements in self._external.items()}
        return ProgramModel._walked_on_demand(self.roots, external, entries, membership, made, self._program)


# -- showing -----------------------------------------------------------------------------------


def describe(model: ProgramModel, *, relative_to: Path | None = None) -> Iterator[str]:
    """Lines showing how the tree is grouped (``kerascheck check --show-programs``)."""

    def shown(path: str) -> str:
        if relative_to is None:
            return path
        try:
            return Path(_absolute(path)).relative_to(relative_to.resolve()).as_posix()
        except ValueError:
            return path

    roots = ", ".join(shown(root) or "." for root in model.roots)
    yield f"{len(model.programs)} program{'s' if len(model.programs) != 1 else ''} (search path after each entry point's directory: {roots})"
    for program in sorted(model.programs, key=lambda p: p.entry):
        kind = "notebook" if program.is_notebook else "script"
        yield ""
        yield f"{shown(program.entry)}  ({kind}, {len(program.files)} file{'s' if len(program.files) != 1 else ''})"
        children: dict[str, list[str]] = {}
        for path in program.files[1:]:
            children.setdefault(program.reached_by[path][0], []).append(path)
        pending = [(path, 1) for path in reversed(children.get(program.entry, []))]
        while pending:  # depth first: each module under the file that first imported it
            path, depth = pending.pop()
            statement = program.reached_by[path][1]
            count = len(model.programs_of(path))
            note = f"  [in {count} programs]" if count > 1 else ""
            yield f"{'   ' * (depth - 1)}└─ {shown(path)}  ({program.modules[path]}: {statement.text()}){note}"
            pending.extend((child, depth + 1) for child in reversed(children.get(path, [])))
