"""The semantic model of one file: the one place rules and plugins ask what code means.

``context.semantic`` (a :class:`SemanticModel`) is built during the engine's single walk: the
:class:`~kerascheck.static.context.FileContext` forwards its visit/leave events here. It answers:

* which binding a use of a name sees (:meth:`lookup`), through scopes and rebinding;
* the value an expression holds (:meth:`value_of`, :meth:`int_value`, :meth:`string_value`);
* the qualified name of an expression (:meth:`qualified`);
* which Keras model object an expression holds (:meth:`model_of`), its layers, its ``fit``
  calls with the callbacks they really receive, and what happens to it afterwards;
* whether code is training code (:meth:`is_training_code`), through the call graph;
* Monte-Carlo dropout by its shape (:meth:`is_monte_carlo`).

During the walk the answers cover the code seen so far (and the whole file's imports and
classes); in ``leave_Module`` they cover the whole file, so a rule whose answer depends on code
further down (a helper defined below, a caller of this function) decides there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from kerascheck.findings import Edit
from kerascheck.static import ast_helpers as ah
from kerascheck.static.semantic.callgraph import CallGraph, CallSite
from kerascheck.static.semantic.classes import ClassTable
from kerascheck.static.semantic.containers import ADDING_METHODS, elements_of, loop_items, unpacked_values
from kerascheck.static.semantic.escapes import ObjectFate, ObjectPolicy, UseIndex, follow_object, origins_of
from kerascheck.static.semantic.flows import flows_from
from kerascheck.static.semantic.keras_models import (
    CallbackList,
    ModelEvent,
    ModelIndex,
    ModelObject,
)
from kerascheck.static.semantic.module_aliases import bind_aliases
from kerascheck.static.semantic.project_modules import ProjectModules
from kerascheck.static.semantic.scopes import Binding, Scope, ScopeTracker, Site
from kerascheck.static.semantic.values import Evaluator, Value

if TYPE_CHECKING:
    from kerascheck.static.names import ImportTable

#: Calls defining a command-line flag (``flags.DEFINE_string("weights", "./yolo.tf", "help")``).
FLAG_DEFINERS = ("absl.flags.DEFINE_", "tensorflow.compat.v1.flags.DEFINE_", "tensorflow.app.flags.DEFINE_")
#: The object holding the flags' values.
FLAGS_OBJECTS = frozenset({"absl.flags.FLAGS", "tensorflow.compat.v1.flags.FLAGS", "tensorflow.app.flags.FLAGS"})
#: Reductions over repeated samples: Monte-Carlo estimates are their inputs.
_STATISTICS = frozenset({"mean", "std", "var", "median", "average", "percentile", "quantile", "nanmean", "nanstd",
                         "reduce_mean", "reduce_std", "reduce_variance", "moments", "entropy"})
#: Calls that only gather samples into one array (followed to the statistic).
_COLLECTORS = frozenset({"array", "asarray", "stack", "concatenate", "concat", "convert_to_tensor", "vstack", "hstack", "dstack"})
_ARRAY_MODULES = ("numpy.", "tensorflow.", "keras.ops.", "scipy.stats.", "tensorflow.math.", "torch.", "jax.numpy.")


class SemanticModel:
    """Scopes, bindings, values, call graph and model objects of one file."""

    def __init__(
        self,
        module: cst.Module,
        imports: ImportTable,
        classes: ClassTable,
        qualified: Callable[[cst.BaseExpression], str | None],
        code: Callable[[cst.CSTNode], str],
        edit: Callable[[cst.CSTNode, str], Edit],
        path: str | None = None,
    ) -> None:
        self.imports = imports
        #: The file's path as given to the engine.
        self.path = path
        #: The classes of the file and which are Keras layers/models.
        self.classes = classes
        if bind_aliases(module, imports):  # ``K = keras.backend``: ``K`` names a module, as an import would
            classes.resolve_again()
        self._qualified = qualified
        self._code = code
        self._edit = edit
        self.scopes = ScopeTracker(module)
        self.calls = CallGraph(self.scopes)
        #: The project modules this file imports values from (None: the file is not on disk).
        self.project_modules = ProjectModules(path) if path is not None and path.endswith((".py", ".ipynb")) else None
        #: The end of the module (set by :meth:`finish`): module-level names' final values.
        self.end: Site | None = None
        self.keras_models = ModelIndex(self)
        self._values = Evaluator(self)
        #: True once the walk has finished (``leave_Module``): answers cover the whole file.
        self.complete = False
        self._returns: dict[int, list[tuple[cst.BaseExpression, Site]]] = {}
        self._def_sites: dict[int, Site] = {}
        self._statistics: list[tuple[cst.Call, Site]] = []
        #: ``name[...] = value`` stores into plain names, with where they happen.
        self.item_stores: list[tuple[str, cst.BaseExpression, Site]] = []
        #: ``self.attr.append(x)`` (and the other adding methods) calls: attribute name, call, where.
        self.attribute_mutations: list[tuple[str, cst.Call, Site]] = []
        #: Command-line flags defined with ``absl.flags.DEFINE_*``: name -> (default, where); None
        #: when the name is defined more than once.
        self.flag_defaults: dict[str, tuple[cst.BaseExpression, Site] | None] = {}
        #: ``obj.attr = ...`` assignments on plain names in the whole file (``FLAGS.weights = "..."``
        #: overrides a default), collected when first asked.
        self._attribute_assignments: set[tuple[str, str]] | None = None
        self._module = module
        self._use_index: UseIndex | None = None
        self._keras_called = False
        self._import_depth = 0

    # == public API ==========================================================================

    def here(self) -> Site:
        """The current position of the walk (capture it to ask later, e.g. in ``leave_Module``)."""
        return self.scopes.here()

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        """Canonical qualified name (``keras.layers.Dense`` for ``tf.keras.layers.Dense``, ``L.Dense``...)."""
        return self._qualified(expr)

    def raw_qualified(self, expr: cst.BaseExpression) -> str | None:
        """Qualified name as imported (keeps ``tensorflow.keras`` vs ``keras``)."""
        return self.imports.raw(expr)

    @property
    def uses_keras(self) -> bool:
        """The file imports Keras (any spelling) or has called a Keras API so far."""
        return self._keras_called or self.imports.imports_any("keras")

    @property
    def in_import(self) -> bool:
        """The walk is inside an ``import`` statement (its dotted names are module paths)."""
        return self._import_depth > 0

    def lookup(self, name: str, site: Site | None = None) -> list[Binding]:
        """The bindings a use of ``name`` may see ("one of these"; empty if bound nowhere)."""
        return self.scopes.lookup(name, site or self.here())

    def value_of(self, expr: cst.BaseExpression | None, site: Site | None = None) -> Value:
        """What ``expr`` evaluates to: known, a partially known string, or unknown."""
        return self._values.value_of(expr, site or self.here())

    def int_values(self, expr: cst.BaseExpression | None, site: Site | None = None) -> list[int] | None:
        """Every integer ``expr`` may hold ("one of these": ``epochs`` is 10 by default and 20
        where the file passes it), or None when any of them is unknown."""
        values = [v.int for v in self._values.candidates(expr, site or self.here())]
        return None if not values or any(v is None for v in values) else values  # type: ignore[return-value]

    def number_value(self, expr: cst.BaseExpression | None, site: Site | None = None) -> float | None:
        """The number (int or float) ``expr`` certainly holds, else None."""
        return self.value_of(expr, site).number

    def int_value(self, expr: cst.BaseExpression | None, site: Site | None = None) -> int | None:
        """The integer ``expr`` certainly holds (``EPOCHS = 30`` ... ``epochs=EPOCHS``), else None."""
        return self.value_of(expr, site).int

    def string_value(self, expr: cst.BaseExpression | None, site: Site | None = None) -> str | None:
        """The whole string ``expr`` certainly holds, else None."""
        return self.value_of(expr, site).text

    @staticmethod
    def keyword(call: cst.Call, name: str) -> cst.Arg | None:
        """The ``name=`` keyword argument of ``call``."""
        return ah.keyword(call, name)

    @staticmethod
    def argument(call: cst.Call, index: int, name: str) -> cst.BaseExpression | None:
        """An argument given positionally at ``index`` or as ``name=``."""
        return ah.argument(call, index, name)

    def keras_name(self) -> str:
        """How this file spells the ``keras`` module in new code (``keras``, ``tf.keras``...)."""
        aliases = self.imports.aliases
        for local, target in aliases.items():
            if target in ("keras", "tensorflow.keras", "tf_keras"):
                return local
        for local, target in aliases.items():
            if target == "tensorflow":
                return f"{local}.keras"
        return "keras"

    def add_keyword_edit(self, call: cst.Call, keyword: str, value: str) -> Edit | None:
        """An edit appending ``keyword=value`` to ``call`` (layout kept), or replacing the
        value when the keyword is there; None when ``call`` has ``*``/``**`` arguments."""
        existing = ah.keyword(call, keyword)
        if existing is not None:
            return self._edit(existing.value, value)
        changed = ah.with_keyword(call, keyword, value)
        return None if changed is None else self._edit(call, self._code(changed))

    # -- functions and calls ---------------------------------------------------------------

    def function_called(self, call: cst.Call, site: Site | None = None) -> cst.FunctionDef | None:
        """The function (or same-class method) of this file that ``call`` calls."""
        func = call.func
        where = site or self.here()
        if isinstance(func, cst.Name):
            return self.calls.resolve(("name", func.value), where)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            return self.calls.resolve(("self", func.attr.value), where)
        return None

    def returns_of(self, function: cst.FunctionDef) -> list[tuple[cst.BaseExpression, Site]]:
        """``return`` values of ``function`` with where they are."""
        return self._returns.get(id(function), [])

    def definition_site(self, site: Site) -> Site | None:
        """Where the function whose scope ``site`` is in was defined (defaults are evaluated there)."""
        return self._def_sites.get(id(site.scope.node))

    def arguments_for(self, parameter: Binding) -> list[tuple[cst.BaseExpression, Site]] | None:
        """The arguments this file's calls pass for a parameter; None when some call cannot be
        read (``*args``) or the function is passed around as a value."""
        function = parameter.scope.node
        if not isinstance(function, cst.FunctionDef) or self.calls.passed_as_value(function):
            return None
        params = function.params
        positional = [p.name.value for p in (*params.posonly_params, *params.params)]
        index = positional.index(parameter.name) if parameter.name in positional else None
        found: list[tuple[cst.BaseExpression, Site]] = []
        for record in self.calls.callers(function):
            if ah.has_star_args(record.call):
                return None
            given = self._argument_given(record, parameter.name, index)
            if given is not None:
                found.append((given, record.site))
        return found

    @staticmethod
    def _argument_given(record: CallSite, name: str, index: int | None) -> cst.BaseExpression | None:
        """What the call of ``record`` passes for parameter ``name`` (at ``index`` among the
        positional parameters), else None."""
        given = ah.keyword_value(record.call, name)
        offset = 1 if record.binds_self else 0
        if given is None and index is not None and index - offset >= 0:
            args = ah.positional(record.call)
            if index - offset < len(args):
                given = args[index - offset].value
        return given

    def calls_in_loops(self, parameter: Binding) -> list[tuple[cst.BaseExpression, Site]]:
        """The calls of this file made inside a loop that pass an argument for ``parameter``
        (of the function it belongs to): that argument and where it is passed."""
        function = parameter.scope.node
        if not isinstance(function, cst.FunctionDef):
            return []
        params = function.params
        positional = [p.name.value for p in (*params.posonly_params, *params.params)]
        index = positional.index(parameter.name) if parameter.name in positional else None
        found: list[tuple[cst.BaseExpression, Site]] = []
        for record in self.calls.callers(function):
            if record.site.loops and not ah.has_star_args(record.call):
                given = self._argument_given(record, parameter.name, index)
                if given is not None:
                    found.append((given, record.site))
        return found

    def elements_of(self, expr: cst.BaseExpression | None, site: Site | None = None) -> list[tuple[cst.BaseExpression, Site]] | None:
        """The expressions stored as elements of the container ``expr`` holds (literal items,
        appends, ``self.x`` appends in any method), None when some source is unknown."""
        return elements_of(self, expr, site or self.here())

    def loop_items(self, binding: Binding) -> list[tuple[cst.BaseExpression, Site]] | None:
        """What a ``for`` variable takes on each iteration (its part of each element of the
        iterable), None when unknown."""
        return loop_items(self, binding)

    def unpacked_values(self, binding: Binding) -> list[tuple[cst.BaseExpression, Site]] | None:
        """What ``a, b = f(x)`` binds to one of its names: that part of each tuple ``f`` returns
        (a function of this file), None when unknown."""
        return unpacked_values(self, binding)

    def parameters_read(self, expr: cst.BaseExpression, site: Site) -> list[Binding]:
        """The parameters of the function ``site`` is in whose value ``expr`` is computed from,
        through that function's own assignments (``x = prep(img)`` then ``x[None]`` reads
        ``img``)."""
        function = site.function
        found: list[Binding] = []
        pending: list[tuple[cst.BaseExpression, Site]] = [(expr, site)]
        seen: set[int] = set()
        while pending:
            value, where = pending.pop()
            for name in _names_in(value):
                for binding in self.scopes.lookup(name, where):
                    if id(binding.node) in seen or binding.site.function is not function:
                        continue
                    seen.add(id(binding.node))
                    if binding.kind == "param":
                        found.append(binding)
                    elif binding.value is not None:
                        pending.append((binding.value, binding.site))
        return found

    def initial_attributes(self, cls: cst.ClassDef, methods: tuple[str, ...] = ("__init__", "build")) -> dict[str, cst.BaseExpression]:
        """``self.attr = value`` bindings of a class's ``__init__``/``build`` (the first one of
        each attribute): which sublayer or Python value each attribute starts as."""
        scope = self.scopes.scopes.get(id(cls))
        found: dict[str, cst.BaseExpression] = {}
        if scope is None:
            return found
        for name, bindings in scope.bindings.items():
            if not name.startswith("self."):
                continue
            for binding in bindings:
                function = binding.site.function
                if binding.value is not None and function is not None and function.name.value in methods:
                    found[name[5:]] = binding.value
                    break
        return found

    def does_in_loop(self, loop: cst.CSTNode, methods: frozenset[str]) -> bool:
        """Inside a ``for``/``while`` loop, a model method of ``methods`` is called
        (``layer.reset_states()``), directly or through a function of the file called there."""
        key = id(loop)
        events = self.keras_models.events
        if any(e.method in methods and key in e.site.loops for e in events):
            return True
        doers = self.calls.reaching({id(e.site.function) for e in events if e.method in methods and e.site.function is not None})
        return any(
            key in record.site.loops and (target := self.calls.call_targets(record)) is not None and id(target) in doers
            for record in self.calls.calls
        )

    def function_does(self, call: cst.Call, methods: frozenset[str], site: Site | None = None) -> bool:
        """``call`` calls a function of the file that calls a model method of ``methods``."""
        target = self.function_called(call, site)
        if target is None:
            return False
        events = self.keras_models.events
        doers = self.calls.reaching({id(e.site.function) for e in events if e.method in methods and e.site.function is not None})
        return id(target) in doers

    def names_bound_in(self, loop: cst.CSTNode | int) -> set[str]:
        """Names bound inside a ``for``/``while`` loop (its target included) or a comprehension
        (the node, or its id as in :attr:`Site.loops`)."""
        key = loop if isinstance(loop, int) else id(loop)
        scope = self.scopes.scopes.get(key)
        if scope is not None:  # a comprehension
            return set(scope.bindings)
        return {
            name
            for each in self.scopes.iter_scopes()
            for name, bindings in each.bindings.items()
            if any(key in b.site.loops for b in bindings)
        }

    def parameter_for(self, function: cst.FunctionDef, call: cst.Call, argument: cst.Arg, method_call: bool = False) -> Binding | None:
        """The parameter binding of ``function`` that ``argument`` of ``call`` is passed to."""
        scope = self.scopes.scopes.get(id(function))
        if scope is None:
            return None
        params = function.params
        if argument.keyword is not None:
            name = argument.keyword.value
        else:
            positional = [p.name.value for p in (*params.posonly_params, *params.params)]
            index = [a for a in call.args if a.keyword is None].index(argument) + (1 if method_call else 0)
            if argument.star or index >= len(positional):
                return None
            name = positional[index]
        return next((b for b in scope.bindings.get(name, ()) if b.kind == "param"), None)

    def passed_models(self, models: list[ModelObject], after: Site, before: int | None = None) -> list[tuple[ModelObject, Binding]]:
        """Calls after ``after`` (and before rank ``before``) in the same function that hand one
        of ``models`` to a function of this file: the parameter object it becomes there (its
        events are this model's)."""
        found: list[tuple[ModelObject, Binding]] = []
        for record in self.calls.calls:
            site = record.site
            if site.order <= after.order or site.function is not after.function or record.callee is None:
                continue
            if before is not None and site.order > before:
                continue
            target = self.calls.call_targets(record)
            if target is None:
                continue
            for argument in record.call.args:
                if not isinstance(argument.value, (cst.Name, cst.Attribute)):
                    continue
                if not any(m in models for m in self.keras_models.models_of(argument.value, site)):
                    continue
                parameter = self.parameter_for(target, record.call, argument, record.callee[0] == "self")
                if parameter is not None:
                    found.extend((obj, parameter) for obj in self.keras_models.objects_of(parameter))
        return found

    def flows_from(self, expr: cst.BaseExpression | None, sources: set[int], site: Site | None = None) -> int | None:
        """The id of the first of ``sources`` (CST node ids: calls whose result counts, binding
        nodes or values standing for data) whose result ``expr`` may hold or be computed from:
        through names, their bindings, items stored and appended into them, and the returns of
        the file's functions (shape reads such as ``len(x)`` excluded). None when none."""
        return flows_from(self, expr, site or self.here(), sources)

    def stores_into(self, binding: Binding, before: Site) -> list[tuple[cst.BaseExpression, Site]]:
        """What is stored into the object a binding holds, after it and before ``before``, in
        its scope: ``x[i] = value`` and ``x.append(value)``/``extend``/``insert``."""
        name, scope, start = binding.name, binding.scope, binding.site.order
        found = [(value, where) for stored, value, where in self.item_stores
                 if stored == name and where.scope is scope and start < where.order < before.order]
        for mutated, call, where in self.keras_models.mutations:
            if mutated == name and where.scope is scope and start < where.order < before.order:
                found.extend((a.value, where) for a in call.args)
        return found

    def object_origins(
        self, expr: cst.BaseExpression, makes: Callable[[cst.Call], bool], self_methods: frozenset[str] = frozenset(), site: Site | None = None
    ) -> list[cst.CSTNode] | None:
        """The calls recognised by ``makes`` (``StandardScaler()``) that made the object ``expr``
        holds: through names, parameters (what the file's calls pass), the returns of the file's
        functions and ``self_methods`` (``scaler.fit(x)`` is ``scaler``). None when it may come
        from elsewhere. Complete in ``leave_Module``."""
        return origins_of(self, expr, site or self.here(), makes, self_methods)

    def object_fate(self, made: list[cst.CSTNode], policy: ObjectPolicy) -> ObjectFate:
        """Where the object made by ``made`` goes in this file (:mod:`.escapes`): kept (dumped,
        stored on another object, handed to code the file does not show...) or dropped, and
        the module-level names and top-level functions through which another module could
        take it. Ask in ``leave_Module``."""
        return follow_object(self, made, policy)

    def use_index(self) -> UseIndex:
        """Parents of the file's nodes and the reads of each name (built on first demand)."""
        if self._use_index is None:
            self._use_index = UseIndex(self._module)
        return self._use_index

    def is_training_code(self, site: Site | None = None) -> bool:
        """Inside a ``GradientTape`` block, a loop that applies gradients, a training-step
        function, or a function called (directly or not) from any of those."""
        return self.calls.is_training(site or self.here())

    # -- Keras models ------------------------------------------------------------------------

    def is_model_class(self, name: str) -> bool:
        """``name`` is a ``keras.Model`` subclass defined in this file."""
        return self.classes.is_model_class(name)

    def is_layer_class(self, name: str) -> bool:
        """``name`` is a Keras Layer (or Model) subclass defined in this file."""
        return self.classes.is_layer_class(name)

    def defines_method(self, method: str) -> bool:
        """Some class of this file defines ``method`` (a call to it may be the user's own)."""
        return self.classes.defines_method(method)

    def is_model(self, expr: cst.BaseExpression | None, site: Site | None = None) -> bool:
        """``expr`` visibly holds (or makes) a Keras model, through the bindings the use sees."""
        return bool(self.keras_models.models_of(expr, site or self.here(), keras_only=True))

    def model_origin(self, expr: cst.BaseExpression | None, site: Site | None = None) -> str | None:
        """How the Keras model ``expr`` holds was made (``sequential``, ``functional``,
        ``subclass``, ``loaded``, ``factory``), when all it may hold agree; else None."""
        origins = {m.origin for m in self.keras_models.models_of(expr, site or self.here(), keras_only=True)}
        return origins.pop() if len(origins) == 1 else None

    def model_layers(self, expr: cst.BaseExpression | None, site: Site | None = None) -> list[cst.Call] | None:
        """The layer constructor calls of the one Keras model ``expr`` holds, in order, when
        they can be seen (``None`` otherwise)."""
        model = self.model_of(expr, site)
        return self.keras_models.layers_of(model) if model is not None else None

    def output_layer(self, expr: cst.BaseExpression | None, site: Site | None = None) -> cst.Call | None:
        """The output layer's constructor call of the model ``expr`` holds (the same one for
        every model it may hold), when it can be seen."""
        found = {
            id(layer): layer
            for model in self.keras_models.models_of(expr, site or self.here(), keras_only=True)
            if (layer := self.keras_models.output_layer(model)) is not None
        }
        return next(iter(found.values())) if len(found) == 1 else None

    def layer_of(self, expr: cst.BaseExpression | None, site: Site | None = None) -> cst.Call | None:
        """The layer constructor call whose output ``expr`` holds (``h`` of ``h = Dense(1)(x)``)."""
        return self.keras_models.layer_of(expr, site or self.here())

    def layer_input(self, layer: cst.Call) -> cst.Call | None:
        """The layer whose output ``layer`` is applied to (``Dense(1)`` in ``Softmax()(Dense(1)(x))``)."""
        applied = self.keras_models.layer_input(layer)
        return self.keras_models.layer_of(applied[0], applied[1]) if applied is not None else None

    def layer_before(self, layer: cst.Call, model: cst.BaseExpression | None = None, site: Site | None = None) -> cst.Call | None:
        """The layer whose output ``layer`` receives: the one it is applied to in functional
        code, or the one before it in the Sequential ``model`` holds."""
        before = self.layer_input(layer)
        if before is not None or model is None:
            return before
        layers = self.model_layers(model, site)
        return layers[-2] if layers is not None and len(layers) >= 2 and layers[-1] is layer else None

    def is_dataset(self, expr: cst.BaseExpression | None, site: Site | None = None) -> bool:
        """``expr`` visibly holds a ``tf.data`` pipeline, a Keras dataset or a batch generator."""
        return self.keras_models.is_dataset(expr, site or self.here())

    def fixed_batch_size(self, expr: cst.BaseExpression | None, site: Site | None = None) -> int | None:
        """The literal batch size the one Keras model ``expr`` holds was built for."""
        model = self.model_of(expr, site)
        return self.keras_models.fixed_batch_size(model) if model is not None else None

    def models_of(self, expr: cst.BaseExpression | None, site: Site | None = None) -> list[ModelObject]:
        """Every model object ``expr`` may hold (including values only used like a model)."""
        return self.keras_models.models_of(expr, site or self.here())

    def model_of(self, expr: cst.BaseExpression | None, site: Site | None = None) -> ModelObject | None:
        """The Keras model object ``expr`` holds, when it is one visibly made model."""
        found = self.keras_models.models_of(expr, site or self.here(), keras_only=True)
        return found[0] if len(found) == 1 else None

    def events_of(self, model: ModelObject) -> list[ModelEvent]:
        """``fit``/``predict``/``save``/``load_weights``/``return`` ... of ``model``, in order."""
        return self.keras_models.events_of(model)

    def fits(self) -> list[tuple[ModelEvent, list[ModelObject]]]:
        """Every ``fit`` of the file with the model objects it may train."""
        return self.keras_models.fits()

    def callbacks_of(self, fit: ModelEvent) -> CallbackList:
        """The callback constructor calls a ``fit`` receives, and whether all were followed."""
        return self.keras_models.callbacks_of(fit)

    def is_stateful(self, expr: cst.BaseExpression, site: Site | None = None) -> bool:
        """``expr`` holds a model built with a stateful RNN layer of its own."""
        return any(self.keras_models.is_stateful(m) for m in self.keras_models.models_of(expr, site or self.here(), keras_only=True))

    def is_monte_carlo(self, site: Site) -> bool:
        """A call at ``site`` is one of many stochastic samples reduced to a statistic:
        ``np.mean([model(x, training=True) for _ in range(T)], 0)``, or appended to a list in a
        loop and the list averaged (``np.std(samples)``, ``np.stack(samples).mean(0)``)."""
        scope = site.scope
        if scope.kind == "comprehension":
            return self._reduced(scope.node, scope.parent, site)
        if site.loops:
            loop = site.loops[-1]
            for name, call, where in self.keras_models.mutations:
                attr = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
                if attr == "append" and loop in where.loops and where.function is site.function and self._name_reduced(name, where, 0):
                    return True
            for bindings in scope.bindings.values():  # ``total += model(x, training=True)`` in the loop
                for binding in bindings:
                    if binding.kind == "augassign" and loop in binding.site.loops and self._name_reduced(binding.name, binding.site, 0, sums=True):
                        return True
        return False

    def _reduced(self, node: cst.CSTNode, scope: Scope | None, site: Site) -> bool:
        for call, _ in self._statistics:
            if any(a.value is node for a in call.args) or (isinstance(call.func, cst.Attribute) and call.func.value is node):
                return True
        while scope is not None and scope.kind == "comprehension":
            scope = scope.parent
        if scope is None:
            return False
        for bindings in scope.bindings.values():
            for binding in bindings:
                value = binding.value
                holds = value is node or (isinstance(value, cst.Call) and self._collects(value) and value.args and value.args[0].value is node)
                if holds and self._name_reduced(binding.name, binding.site, 0):
                    return True
        return any(
            isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Call) and self._collects(call.func.value)
            and any(a.value is node for a in call.func.value.args)
            for call, _ in self._statistics
        )

    def _name_reduced(self, name: str, site: Site, depth: int, *, sums: bool = False) -> bool:
        if depth > 3:
            return False
        for call, where in self._statistics:
            if where.function is not site.function:
                continue
            receiver = call.func.value if isinstance(call.func, cst.Attribute) and self.qualified(call.func) is None else None
            mentioned = [a.value for a in call.args] + ([receiver] if receiver is not None else [])
            for expr in mentioned:
                if isinstance(expr, cst.Call) and self._collects(expr) and expr.args:
                    expr = expr.args[0].value
                if isinstance(expr, cst.Name) and expr.value == name:
                    return True
        if sums:  # ``total += sample`` then ``total / T``
            return True
        scope = site.scope
        for bindings in scope.bindings.values():
            for binding in bindings:
                value = binding.value
                if isinstance(value, cst.Call) and self._collects(value) and value.args:
                    first = value.args[0].value
                    if isinstance(first, cst.Name) and first.value == name and self._name_reduced(binding.name, binding.site, depth + 1):
                        return True
        return False

    def _collects(self, call: cst.Call) -> bool:
        qualified = self.qualified(call.func) or ""
        return qualified.startswith(_ARRAY_MODULES) and qualified.rsplit(".", 1)[-1] in _COLLECTORS

    # == events from the context (the engine's walk) =========================================

    def on_function(self, node: cst.FunctionDef) -> None:
        binding = self.scopes.bind(node.name.value, "def", node, None)
        self._def_sites[id(node)] = binding.site
        self.scopes.push("function", node)
        self._bind_params(node.params)

    def on_lambda(self, node: cst.Lambda) -> None:
        self.scopes.push("lambda", node)
        self._bind_params(node.params)

    def _bind_params(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            self.scopes.bind(param.name.value, "param", param, param.default)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.scopes.bind(star.name.value, "unpack", star, None)

    def on_class(self, node: cst.ClassDef) -> None:
        if any((self.qualified(base.value) or "").startswith("keras.") for base in node.bases):
            self._keras_called = True
        self.scopes.bind(node.name.value, "class", node, None)
        self.scopes.push("class", node)

    def on_comprehension(self, node: cst.CSTNode) -> None:
        self.scopes.push("comprehension", node)

    def on_comp_for(self, node: cst.CompFor) -> None:
        self.scopes.bind_target(node.target, "loop", node, None)

    def leave_scope(self) -> None:
        self.scopes.pop()

    def on_assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.scopes.bind_target(target.target, "assign", node, node.value)
            stored = target.target
            if isinstance(stored, cst.Subscript) and isinstance(stored.value, cst.Name):
                self.item_stores.append((stored.value.value, node.value, self.scopes.here()))

    def on_ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.scopes.bind_target(node.target, "annotation", node, node.value)

    def on_aug_assign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.scopes.bind(node.target.value, "augassign", node, None)

    def on_walrus(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.scopes.bind(node.target.value, "walrus", node, node.value)

    def on_for(self, node: cst.For) -> None:
        self.scopes.mark_arms(node.body, node.orelse.body if node.orelse is not None else None)
        self.scopes.loops.append(id(node))
        self.scopes.bind_target(node.target, "loop", node, None)

    def on_while(self, node: cst.While) -> None:
        self.scopes.mark_arms(node.body, node.orelse.body if node.orelse is not None else None)
        self.scopes.loops.append(id(node))

    def leave_loop(self) -> None:
        self.scopes.loops.pop()

    def on_if(self, node: cst.If) -> None:
        orelse = node.orelse
        self.scopes.mark_arms(node.body, orelse.body if isinstance(orelse, cst.Else) else orelse)

    def on_try(self, node: cst.Try | cst.TryStar) -> None:
        self.scopes.mark_arms(*(h.body for h in node.handlers), node.orelse.body if node.orelse is not None else None)

    def on_except(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.scopes.bind(node.name.name.value, "except", node, None)

    def on_match(self, node: cst.Match) -> None:
        self.scopes.mark_arms(*(case.body for case in node.cases))

    def on_with(self, node: cst.With, tape: bool) -> None:
        for item in node.items:
            if item.asname is not None:
                self.scopes.bind_target(item.asname.name, "with", item, item.item)
        self.scopes.tape_depth += tape

    def leave_with(self, tape: bool) -> None:
        self.scopes.tape_depth -= tape

    def leave_import(self) -> None:
        self._import_depth -= 1

    def on_import(self, node: cst.Import | cst.ImportFrom) -> None:
        self._import_depth += 1
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:  # type: ignore[union-attr]
            local: str | None
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            else:
                dotted: cst.BaseExpression = alias.name
                while isinstance(dotted, cst.Attribute):
                    dotted = dotted.value
                local = dotted.value if isinstance(dotted, cst.Name) else None
            if local is not None:
                self.scopes.bind(local, "import", node, None)

    def on_global(self, node: cst.Global) -> None:
        self.scopes.scope.globals.update(item.name.value for item in node.names)

    def on_nonlocal(self, node: cst.Nonlocal) -> None:
        self.scopes.scope.nonlocals.update(item.name.value for item in node.names)

    def enter_block(self, node: cst.CSTNode) -> None:
        self.scopes.enter_block(node)

    def leave_block(self, node: cst.CSTNode) -> None:
        self.scopes.leave_block(node)

    def on_call(self, node: cst.Call, qualified: str | None) -> None:
        func = node.func
        if qualified is not None and not self._keras_called and (qualified == "keras" or qualified.startswith("keras.")):
            self._keras_called = True
        site = self.scopes.here()
        self.calls.record(node, site)
        self.keras_models.record_call(node, site, qualified)
        if qualified is not None and qualified.startswith(FLAG_DEFINERS):
            self._record_flag(node, site)
        if isinstance(func, cst.Attribute) and func.attr.value in ADDING_METHODS:
            owner = func.value
            if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
                self.attribute_mutations.append((owner.attr.value, node, site))
        tail = (qualified or (func.attr.value if isinstance(func, cst.Attribute) else "")).rsplit(".", 1)[-1]
        if tail in _STATISTICS and (qualified is None or qualified.startswith(_ARRAY_MODULES)):
            self._statistics.append((node, site))

    def _record_flag(self, call: cst.Call, site: Site) -> None:
        name = ah.string_value(ah.argument(call, 0, "name"))
        default = ah.argument(call, 1, "default")
        if name is None or default is None:
            return
        self.flag_defaults[name] = None if name in self.flag_defaults else (default, site)

    def flag_default(self, flags: cst.BaseExpression, name: str, site: Site) -> tuple[cst.BaseExpression, Site] | None:
        """``FLAGS.name`` with ``flags`` the absl ``FLAGS`` object: the default its
        ``DEFINE_*`` call in this file gives (what runs without that command-line option);
        None when the file also assigns ``FLAGS.name``."""
        if not isinstance(flags, cst.Name) or name not in self.flag_defaults or (flags.value, name) in self._assigned_attributes():
            return None
        if self.qualified(flags) not in FLAGS_OBJECTS:
            bindings = self.lookup(flags.value, site)
            if not bindings or not all(b.kind == "assign" and b.value is not None and self.qualified(b.value) in FLAGS_OBJECTS for b in bindings):
                return None
        return self.flag_defaults.get(name)

    def _assigned_attributes(self) -> set[tuple[str, str]]:
        """``(name, attr)`` of every ``name.attr = ...`` / ``name.attr += ...`` of the file."""
        if self._attribute_assignments is None:
            found: set[tuple[str, str]] = set()

            class Assignments(cst.CSTVisitor):
                def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
                    self._add(node.target)

                def visit_AugAssign(self, node: cst.AugAssign) -> None:
                    self._add(node.target)

                def _add(self, target: cst.BaseExpression) -> None:
                    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                        found.add((target.value.value, target.attr.value))

            self._module.visit(Assignments())
            self._attribute_assignments = found
        return self._attribute_assignments

    def on_return(self, node: cst.Return) -> None:
        function = self.scopes.functions[-1] if self.scopes.functions else None
        if function is None or node.value is None:
            return
        site = self.scopes.here()
        self._returns.setdefault(id(function), []).append((node.value, site))
        self.keras_models.record_return(node.value, node, site)

    def finish(self) -> None:
        self.end = self.scopes.here()
        self.complete = True

    def modules_read(self) -> tuple[tuple[str, str], ...]:
        """``(path, content digest hex)`` of the project modules read to evaluate this file's
        values: its result holds only while they are unchanged."""
        return tuple(sorted(self.project_modules.read.items())) if self.project_modules is not None else ()


def _names_in(expr: cst.CSTNode) -> set[str]:
    """The plain names an expression reads (not attribute names, not inside lambdas)."""
    names: set[str] = set()
    pending: list[cst.CSTNode] = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        elif isinstance(node, cst.Attribute):
            pending.append(node.value)
        elif isinstance(node, cst.Arg):
            pending.append(node.value)
        elif not isinstance(node, cst.Lambda):
            pending.extend(node.children)
    return names
