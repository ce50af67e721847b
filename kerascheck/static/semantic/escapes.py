"""Where an object goes once made: is it kept, or dropped when the code holding it ends?

``follow_object(semantic, made, policy)`` follows an object (a fitted scaler, a tokenizer)
forward from the calls that make it (``StandardScaler()``), through the whole file:

* the names bound to it (``s = scaler``; ``a, b = f()`` position by position) and every use of
  those names in their scope (a module-level name also in the file's functions);
* the containers holding it (``data["scaler"] = scaler``, ``return scaler, x``,
  ``items.append(scaler)``): reading an item with the same key (or an unknown one) gives the
  object again, other items do not;
* what is read from it (``tok.word_index``): a view of its state, followed like the object;
  methods the policy names as returning new data (``transform``) end the trail there, methods
  returning the object itself (``fit``) continue it; an entry read from a view
  (``word_index[w]``, ``for w, i in word_index.items()``) is data;
* the returns of the file's functions to their call sites, and the arguments of its calls of
  the file's own functions to their parameters.

The object is *kept* when it reaches a place the follow cannot see the end of, or one that
outlives the code: a call of code not in this file (``joblib.dump``, ``Pipeline([...])``,
``logger.info``), an attribute of another object (``self.scaler = scaler``), a class attribute,
a ``yield``, a function of the file whose callers are not all visible, a call of the object
itself (a Keras layer applied to a tensor becomes part of the model) except in a lambda or in a
function only handed to ``.map(...)`` (an input pipeline's step)... What
is not recognised counts as kept: "dropped" means every use was followed to its end.
``returned_by`` and ``module_names`` say where code of another module could still take it
(the file's top-level functions returning it, the module-level names bound to it).

``origins_of(semantic, expr, site, makes)`` goes the other way: the calls that made the object
an expression holds (through names, parameters and the returns of the file's functions), so
that the follow starts from every place the object can be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from kerascheck.records import record
from kerascheck.static import ast_helpers as ah
from kerascheck.static.cst_children import children
from kerascheck.static.semantic.containers import ADDING_METHODS

if TYPE_CHECKING:
    from kerascheck.static.semantic.callgraph import CallSite
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding, Site

#: A key of a container: an index, a string key, or None (unknown: any item).
Key = int | str | None
#: Where the object sits in what an expression holds: () the object (or a view of it) itself,
#: ``("scaler",)`` the item ``"scaler"`` of a dict holding it, ``(0, None)`` ...
Path = tuple[Key, ...]

_MAX_STEPS = 2000
_MAX_PATH = 4
_MAX_ORIGIN_DEPTH = 8
#: Nodes that open a scope for the names bound in them.
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


@record
class ObjectPolicy:
    """What the calls around the followed object mean."""

    #: Calls that only look at their arguments (``print``, ``len``): qualified or builtin names.
    inert_calls: frozenset[str]
    #: The object's methods whose result is new data, not its state (``transform``).
    data_methods: frozenset[str]
    #: The object's methods returning the object itself (scikit-learn's ``fit``).
    self_methods: frozenset[str]
    #: The object's methods that persist it (``to_json``, ``save``).
    keeping_methods: frozenset[str]


@record
class ObjectFate:
    """Where a followed object ends up."""

    #: It reaches a place that keeps it (or that the follow cannot see the end of).
    kept: bool
    #: Top-level functions of the file returning it (a caller in another module may keep it).
    returned_by: frozenset[str] = frozenset()
    #: Module-level names bound to it (another module may import and keep it).
    module_names: frozenset[str] = frozenset()


KEPT = ObjectFate(True)


class UseIndex:
    """Parents of every node of a file and the uses of each name, built on first demand (only
    files that follow an object pay for it)."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._parents: dict[int, cst.CSTNode] = {}
        self._names: dict[str, list[cst.Name]] = {}
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            for child in children(node):
                self._parents[id(child)] = node
                if type(child) is cst.Name:
                    self._names.setdefault(child.value, []).append(child)
                stack.append(child)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(id(node))

    def within(self, node: cst.CSTNode, root: cst.CSTNode) -> bool:
        """``node`` is ``root`` or inside it."""
        current: cst.CSTNode | None = node
        while current is not None:
            if current is root:
                return True
            current = self._parents.get(id(current))
        return False

    def enclosing(self, node: cst.CSTNode, kinds: tuple[type, ...] = _SCOPES) -> cst.CSTNode | None:
        """The nearest ancestor of ``node`` of one of ``kinds``."""
        current = self._parents.get(id(node))
        while current is not None and not isinstance(current, kinds):
            current = self._parents.get(id(current))
        return current

    def named(self, name: str) -> list[cst.Name]:
        """Every ``Name`` node spelling ``name`` (uses, targets, attribute names...)."""
        return self._names.get(name, [])

    def uses(self, name: str, scope: cst.CSTNode) -> list[cst.Name]:
        """Reads of ``name`` inside ``scope`` (nested functions included): not the names an
        assignment, loop, import, parameter or definition binds, nor attribute or keyword names."""
        return [n for n in self.named(name) if self._is_read(n) and self.within(n, scope)]

    def _is_read(self, name: cst.Name) -> bool:
        parent = self.parent(name)
        if isinstance(parent, cst.Attribute):
            return parent.value is name
        if isinstance(parent, cst.Arg):
            return parent.value is name
        if isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.ImportFrom, cst.NameItem, cst.AsName)):
            return False
        return not in_target(self, name)


def in_target(index: UseIndex, node: cst.CSTNode) -> bool:
    """``node`` is (part of) what an assignment, loop, ``with``/``except``, walrus or ``del``
    binds or deletes (``x`` and ``y`` in ``x, y = ...``, ``d[k]`` in ``d[k] = v``)."""
    child, parent = node, index.parent(node)
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        child, parent = parent, index.parent(parent)
    if isinstance(parent, (cst.AssignTarget, cst.For, cst.CompFor, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.Del)):
        return parent.target is child
    return isinstance(parent, cst.AsName)


def follow_object(semantic: SemanticModel, made: list[cst.CSTNode], policy: ObjectPolicy) -> ObjectFate:
    """Where the object made by the expressions ``made`` (constructor calls) goes."""
    follower = _Follower(semantic, policy)
    for node in made:
        follower.push(node, ())
    return follower.run()


def origins_of(
    semantic: SemanticModel, expr: cst.BaseExpression, site: Site, makes: Callable[[cst.Call], bool], self_methods: frozenset[str]
) -> list[cst.CSTNode] | None:
    """The calls (those ``makes`` recognises) that made the object ``expr`` holds at ``site``:
    through the bindings of names, the arguments the file passes for parameters (and their
    defaults), unpacked and plain returns of the file's functions, and methods returning the
    object itself. None when the object may come from somewhere else."""
    search = _OriginSearch(semantic, makes, self_methods)
    return search.found if search.expression(expr, site, 0) else None


class _OriginSearch:
    """One :func:`origins_of` question: the making calls found so far and the bindings seen."""

    def __init__(self, semantic: SemanticModel, makes: Callable[[cst.Call], bool], self_methods: frozenset[str]) -> None:
        self.semantic = semantic
        self.makes = makes
        self.self_methods = self_methods
        self.found: list[cst.CSTNode] = []
        self.seen: set[int] = set()

    def expression(self, expr: cst.BaseExpression, site: Site, depth: int) -> bool:
        """Every origin of ``expr`` at ``site`` is a making call (added to :attr:`found`)."""
        if depth > _MAX_ORIGIN_DEPTH:
            return False
        semantic = self.semantic
        if isinstance(expr, cst.Call):
            if self.makes(expr):
                if expr not in self.found:
                    self.found.append(expr)
                return True
            method = ah.method_call(expr)
            if method is not None and method[1] in self.self_methods:
                return self.expression(method[0], site, depth + 1)
            function = semantic.function_called(expr, site)
            if function is None:
                return False
            returns = semantic.returns_of(function)
            return bool(returns) and all(self.expression(v, w, depth + 1) for v, w in returns)
        if not isinstance(expr, cst.Name):
            return False
        bindings = semantic.lookup(expr.value, site)
        if not bindings:
            return False
        for binding in bindings:
            if id(binding) in self.seen:
                continue
            self.seen.add(id(binding))
            if not self.binding(binding, depth + 1):
                return False
        return True

    def binding(self, binding: Binding, depth: int) -> bool:
        """Every value ``binding`` can give its name comes from a making call."""
        semantic = self.semantic

        def origins(value: cst.BaseExpression, where: Site) -> bool:
            return self.expression(value, where, depth)

        if binding.kind == "param":
            function = binding.scope.node
            given = semantic.arguments_for(binding)
            if given is None or not isinstance(function, cst.FunctionDef) or not semantic.calls.callers(function):
                return False  # called from code the file does not show
            default = binding.value
            if isinstance(default, cst.Call) and not origins(default, semantic.definition_site(binding.site) or binding.site):
                return False
            return all(origins(value, where) for value, where in given)
        if binding.kind == "unpack":
            values = semantic.unpacked_values(binding)
            return values is not None and all(origins(value, where) for value, where in values)
        if binding.kind in ("assign", "annotation", "walrus") and binding.value is not None:
            return origins(binding.value, binding.site)
        return False


class _Follower:
    def __init__(self, semantic: SemanticModel, policy: ObjectPolicy) -> None:
        self.semantic = semantic
        self.policy = policy
        self.index = semantic.use_index()
        self.work: list[tuple[cst.CSTNode, Path]] = []
        self.seen: set[tuple[int, Path]] = set()
        self.holders: set[str] = set()
        self.returned_by: set[str] = set()
        self.module_names: set[str] = set()
        self._call_sites: dict[int, CallSite] | None = None

    def push(self, node: cst.CSTNode, path: Path) -> None:
        self.work.append((node, path))

    def run(self) -> ObjectFate:
        steps = 0
        while self.work:
            node, path = self.work.pop()
            key = (id(node), path)
            if key in self.seen:
                continue
            self.seen.add(key)
            steps += 1
            if steps > _MAX_STEPS or len(path) > _MAX_PATH or self._kept(node, path):
                return KEPT
        return ObjectFate(False, frozenset(self.returned_by), frozenset(self.module_names))

    # -- one expression holding the object: what its context does with it ------------------

    def _kept(self, node: cst.CSTNode, path: Path) -> bool:
        parent = self.index.parent(node)
        if parent is None:
            return True
        if isinstance(parent, cst.Attribute):
            return parent.value is node and self._attribute(parent, path)
        if isinstance(parent, cst.Call):
            return parent.func is node and self._called(parent, path)
        if isinstance(parent, cst.Arg):
            return parent.value is node and self._argument(parent, path)
        if isinstance(parent, (cst.Element, cst.StarredElement)):
            return self._element(parent, path)
        if isinstance(parent, cst.DictElement):
            if parent.value is node:
                self.push(self.index.parent(parent) or parent, (_literal_key(parent.key), *path))
            return False
        if isinstance(parent, cst.StarredDictElement):
            self.push(self.index.parent(parent) or parent, path)
            return False
        if isinstance(parent, cst.Assign):
            return any(self._bind(target.target, path, parent) for target in parent.targets)
        if isinstance(parent, (cst.AnnAssign, cst.NamedExpr)):
            if parent.value is not node:
                return False
            if isinstance(parent, cst.NamedExpr):
                self.push(parent, path)
            return self._bind(parent.target, path, parent)
        if isinstance(parent, cst.Return):
            return self._returned(parent, path)
        if isinstance(parent, cst.Subscript):
            return self._subscript(parent, node, path)
        if isinstance(parent, cst.For):
            return parent.iter is node and self._iterated(parent.target, path, parent)
        if isinstance(parent, cst.CompFor):
            return parent.iter is node and self._comprehended(parent, path)
        if isinstance(parent, _COMPREHENSIONS):
            if parent.value is node if isinstance(parent, cst.DictComp) else parent.elt is node:
                self.push(parent, (None, *path))
            return False
        if isinstance(parent, (cst.BooleanOperation, cst.IfExp)):
            if not (isinstance(parent, cst.IfExp) and parent.test is node):
                self.push(parent, path)
            return False
        if isinstance(parent, cst.BinaryOperation):
            if path:  # ``[scaler] + others``: a container again; arithmetic on data ends here
                self.push(parent, (None, *path[1:]))
            return False
        return not isinstance(parent, _ENDS)

    def _attribute(self, attribute: cst.Attribute, path: Path) -> bool:
        """``obj.m(...)`` or ``obj.attr`` with ``obj`` holding the object (or a container of it)."""
        called = self.index.parent(attribute)
        method = attribute.attr.value
        if isinstance(called, cst.Call) and called.func is attribute:
            if path:
                return self._container_method(called, method, path)
            if method in self.policy.keeping_methods:
                return True
            if method not in self.policy.data_methods:
                self.push(called, ())  # the object itself (``fit``) or a view of its state (``items()``)
            return False
        if in_target(self.index, attribute):
            return False  # ``tok.word_index = {...}``: a store into the object itself
        if path:
            return True
        self.push(attribute, ())  # ``scaler.mean_``, ``tok.word_index``: a view of its state
        return False

    def _container_method(self, call: cst.Call, method: str, path: Path) -> bool:
        """``data.get("scaler")``/``data.pop(...)`` on a container holding the object (adding
        to it changes nothing; other methods may hand its items anywhere)."""
        if method in ADDING_METHODS:
            return False
        if method not in ("get", "pop") or not call.args:
            return True
        key = _literal_key(call.args[0].value)
        if key is None or path[0] is None or key == path[0]:
            self.push(call, path[1:])
        return False

    def _called(self, call: cst.Call, path: Path) -> bool:
        """The object called: a Keras layer applied to a tensor joins the model (kept), except in
        a lambda (``ds.map(lambda x: vec(x))``: the model never holds it)."""
        if path:
            return True
        scope = self.index.enclosing(call, (cst.Lambda, cst.FunctionDef, cst.Module))
        if isinstance(scope, cst.FunctionDef):
            return not self._only_mapped(scope)
        return not isinstance(scope, cst.Lambda)

    def _only_mapped(self, function: cst.FunctionDef) -> bool:
        """Every use of ``function`` hands it to a ``.map(...)`` (``ds.map(vectorize_text)``):
        it transforms data in an input pipeline, never inside a model."""
        uses = self.index.uses(function.name.value, self.index.module)
        return bool(uses) and all(_mapped(self.index, use) for use in uses)

    def _argument(self, argument: cst.Arg, path: Path) -> bool:
        call = self.index.parent(argument)
        if not isinstance(call, cst.Call):
            return True
        func = call.func
        name = self.semantic.qualified(func) or (func.value if isinstance(func, cst.Name) else None)
        if name in self.policy.inert_calls:
            return False
        if isinstance(func, cst.Attribute) and func.attr.value in ADDING_METHODS and isinstance(func.value, cst.Name):
            if func.attr.value == "insert" and argument is call.args[0]:
                return False  # the index
            return self._bind_name(func.value.value, (None, *path), call, stored=True)  # ``items.append(scaler)``
        record = self._call_site(call)
        if record is None:
            return True
        calls = self.semantic.calls
        target = calls.call_targets(record)
        if record.callee is None and record.instance is not None:
            methods = calls.resolve_method(record.instance, record.site)
            target = methods[0] if len(methods) == 1 else None
        if target is None:
            return True  # code of another module, a constructor, a method of an unknown object
        parameter = self.semantic.parameter_for(target, call, argument, record.binds_self)
        if parameter is None:
            return True
        self._holder(parameter.name, target, path)
        return False

    def _call_site(self, call: cst.Call) -> CallSite | None:
        if self._call_sites is None:
            self._call_sites = {id(r.call): r for r in self.semantic.calls.calls}
        return self._call_sites.get(id(call))

    def _element(self, element: cst.Element | cst.StarredElement, path: Path) -> bool:
        display = self.index.parent(element)
        if not isinstance(display, (cst.Tuple, cst.List, cst.Set)):
            return True
        if isinstance(element, cst.StarredElement):
            if not path:
                return True  # ``[*view]``: a copy of the object's state
            self.push(display, (None, *path[1:]))
            return False
        key: Key = None
        if not isinstance(display, cst.Set):
            elements = list(display.elements)
            position = next((i for i, e in enumerate(elements) if e is element), None)
            if position is not None and not any(isinstance(e, cst.StarredElement) for e in elements[:position]):
                key = position
        self.push(display, (key, *path))
        return False

    def _subscript(self, subscript: cst.Subscript, node: cst.CSTNode, path: Path) -> bool:
        if subscript.value is not node or in_target(self.index, subscript):
            return False  # used as a key, or ``data["x"] = ...``: a store of something else
        if not path:
            return False  # one entry of a view (``word_index[w]``) is data
        if len(subscript.slice) != 1:
            return True
        index = subscript.slice[0].slice
        if isinstance(index, cst.Slice):
            self.push(subscript, (None, *path[1:]))
            return False
        key = _literal_key(index.value) if isinstance(index, cst.Index) else None
        if key is None or path[0] is None or key == path[0]:
            self.push(subscript, path[1:])
        return False

    def _iterated(self, target: cst.BaseExpression, path: Path, statement: cst.CSTNode) -> bool:
        """``for target in holder``: a view's entries are data; a container's elements may be
        the object (a dict yields its keys)."""
        if not path or isinstance(path[0], str):
            return False
        return self._bind(target, path[1:], statement)

    def _comprehended(self, comp_for: cst.CompFor, path: Path) -> bool:
        comprehension: cst.CSTNode | None = comp_for
        while isinstance(comprehension, (cst.CompFor, cst.CompIf)):
            comprehension = self.index.parent(comprehension)
        if comprehension is None:
            return True
        if not path:
            self.push(comprehension, ())  # ``{v: k for k, v in vocab.items()}``: derived from the state
            return False
        self.push(comprehension, (None, *path[1:]))
        return self._iterated(comp_for.target, path, comp_for)

    # -- names --------------------------------------------------------------------------------

    def _bind(self, target: cst.BaseExpression, path: Path, statement: cst.CSTNode) -> bool:
        """The object (at ``path``) assigned to ``target``."""
        if isinstance(target, cst.Name):
            return self._bind_name(target.value, path, statement)
        if isinstance(target, (cst.Tuple, cst.List)):
            if not path or isinstance(path[0], str):
                return True  # unpacking the object itself, or a dict's keys
            elements = list(target.elements)
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            for position, element in enumerate(elements):
                if path[0] is None or starred or position == path[0]:
                    inner = (None, *path[1:]) if isinstance(element, cst.StarredElement) else path[1:]
                    if self._bind(element.value, inner, statement):
                        return True
            return False
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = _literal_key(index.value) if isinstance(index, cst.Index) else None
            return self._bind_name(target.value.value, (key, *path), statement, stored=True)
        if isinstance(target, cst.Attribute):
            root: cst.BaseExpression = target
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            return not (isinstance(root, cst.Name) and root.value in self.holders and root.value != "self")
        return True

    def _bind_name(self, name: str, path: Path, statement: cst.CSTNode, *, stored: bool = False) -> bool:
        """``name`` holds the object after ``statement``: it binds ``name`` in its own scope, or
        (``stored``: ``d[k] = obj``, ``items.append(obj)``) stores into the object ``name`` already
        holds, in the nearest enclosing scope binding it (a module-level dict filled in a function)."""
        scope = self.index.enclosing(statement)
        while isinstance(scope, (cst.FunctionDef, cst.Lambda)):
            declared = self.semantic.scopes.scopes.get(id(scope))
            if declared is None or name in declared.globals or name in declared.nonlocals:
                scope = self.index.module
            elif stored and name not in declared.bindings:
                scope = self.index.enclosing(scope, (cst.FunctionDef, cst.Lambda, cst.Module))
            else:
                break
        if scope is None:
            return True
        return self._holder(name, scope, path)

    def _holder(self, name: str, scope: cst.CSTNode, path: Path) -> bool:
        """``name`` holds the object (at ``path``) in ``scope``: follow each of its uses there."""
        if isinstance(scope, cst.ClassDef):
            return True  # a class attribute lives on
        key = (id(scope), (name, *path))
        if key in self.seen:
            return False
        self.seen.add(key)
        if not path:
            self.holders.add(name)  # holds the object itself: ``name.attr = ...`` stores into it
        if isinstance(scope, cst.Module):
            self.module_names.add(name)
        for use in self.index.uses(name, scope):
            self.push(use, path)
        return False

    def _returned(self, statement: cst.Return, path: Path) -> bool:
        """Returned to the callers of the function: followed at each call in this file, kept
        when a caller may be out of sight (a method, a decorated function, one handed over)."""
        function = self.index.enclosing(statement, (cst.FunctionDef,))
        if not isinstance(function, cst.FunctionDef) or function.decorators:
            return True
        declared = self.semantic.scopes.scopes.get(id(function))
        if declared is None or declared.parent is None or declared.parent.kind == "class":
            return True
        key = (id(function), ("<return>", *path))
        if key in self.seen:
            return False
        self.seen.add(key)
        name = function.name.value
        records = self.semantic.calls.callers(function)
        spelled = self.index.uses(name, self.index.module)
        if not records or any(not _calls(self.index, n) for n in spelled) or len(spelled) != len(records):
            return True  # passed around, or called somewhere it does not resolve to this function
        if declared.parent.kind == "module":
            self.returned_by.add(name)
        for caller in records:
            self.push(caller.call, path)
        return False


def _mapped(index: UseIndex, name: cst.Name) -> bool:
    """``name`` is an argument of a ``.map(...)`` method call."""
    argument = index.parent(name)
    call = index.parent(argument) if isinstance(argument, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "map"


def _calls(index: UseIndex, name: cst.Name) -> bool:
    """``name`` is the called function of a call (``f(...)``)."""
    parent = index.parent(name)
    return isinstance(parent, cst.Call) and parent.func is name


def _literal_key(expr: cst.BaseExpression | None) -> Key:
    if expr is None:
        return None
    text = ah.string_value(expr)
    return text if text is not None else ah.int_value(expr)


#: Contexts where the object's trail ends without it being kept: a statement of its own, a
#: test, a comparison, an f-string, a ``del``, a ``global`` declaration.
_ENDS = (
    cst.Expr, cst.If, cst.While, cst.Assert, cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation,
    cst.FormattedStringExpression, cst.Del, cst.Index, cst.SubscriptElement, cst.Slice, cst.CompIf,
)
