"""Each Keras model object of a file, what it is made of and what happens to it.

A :class:`ModelObject` is one value: a model built (``Sequential``/``Model``/a subclass), loaded
(``load_model``), returned by a factory of the file (one object per call of the factory), or
an unknown value the file handles like a model (a parameter, ``self.model`` set elsewhere, a
name bound to a call the file cannot see into; each binding is its own object, so rebinding
starts a new one). Expressions are mapped to objects through the scope bindings, so
``model = build(); model.fit(...); model = load_model(p); model.predict(...)`` are two objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import libcst as cst

from kerascheck.records import record
from kerascheck.static import ast_helpers as ah
from kerascheck.static.semantic.layers import (
    DATASET_FACTORIES,
    DATASET_METHODS,
    FUNCTIONAL,
    INPUT_CONSTRUCTORS,
    MODEL_LOADERS,
    SEQUENTIAL,
    fixed_batch_size,
    is_stateful_rnn,
)

if TYPE_CHECKING:
    from kerascheck.static.semantic.model import SemanticModel
    from kerascheck.static.semantic.scopes import Binding, Scope, Site

Origin = Literal["sequential", "functional", "subclass", "loaded", "factory", "parameter", "unknown"]
#: Methods whose calls are recorded as events of the model they are called on.
MODEL_METHODS = frozenset(
    {"fit", "fit_generator", "compile", "predict", "predict_on_batch", "predict_generator", "predict_classes",
     "evaluate", "evaluate_generator", "test_on_batch", "train_on_batch", "save", "save_weights", "export",
     "load_weights", "add", "reset_states", "reset_state", "summary", "to_json", "get_weights", "set_weights", "search"}
)
#: Calls that load saved weights or models (their path is the first argument).
LOAD_FUNCTIONS = MODEL_LOADERS | {"tensorflow.train.latest_checkpoint"}
LOAD_METHODS = frozenset({"load_weights", "restore", "expect_partial"})
FIT_METHODS = frozenset({"fit", "fit_generator"})
#: Events that use the weights a model holds.
USE_METHODS = frozenset({"predict", "evaluate", "save", "save_weights", "export", "predict_on_batch", "test_on_batch",
                         "predict_generator", "evaluate_generator", "predict_classes", "return"})
#: Calls that only gather their arguments into one tensor (traced through for layers).
_KNOWN_BUILT = frozenset({"sequential", "functional", "subclass", "factory"})


@record(eq=False)
class ModelObject:
    """One model value. ``node`` is the expression that makes it (a call), or the binding /
    parameter it came from when its origin cannot be seen."""

    origin: Origin
    node: cst.CSTNode
    site: Site
    #: The local class (subclassed models) or factory function that makes it.
    definition: cst.ClassDef | cst.FunctionDef | None = None

    @property
    def is_keras(self) -> bool:
        """Visibly a Keras model (not merely used like one)."""
        return self.origin not in ("parameter", "unknown")


@record(eq=False)
class ModelEvent:
    """``receiver.method(...)`` on a model (``method == "return"`` for ``return model``)."""

    method: str
    call: cst.CSTNode
    receiver: cst.BaseExpression
    site: Site


@record
class CallbackList:
    """The callbacks one ``fit`` receives: constructor calls (with their sites), and whether
    every element could be followed (``complete``)."""

    calls: tuple[tuple[cst.Call, Site], ...]
    complete: bool


class ModelIndex:
    """Model objects, their layers and events, for one file (answers computed on demand)."""

    def __init__(self, semantic: SemanticModel) -> None:
        self.semantic = semantic
        self._objects: dict[object, ModelObject] = {}
        self.events: list[ModelEvent] = []
        #: ``name.append(x)`` / ``name.extend(xs)`` / ``name.insert(i, x)`` on plain names.
        self.mutations: list[tuple[str, cst.Call, Site]] = []
        #: Loads of saved models/weights: ``load_model(p)``, ``x.load_weights(p)``, ``ckpt.restore(p)``.
        self.loads: list[tuple[cst.Call, Site]] = []
        #: id(ClassDef) -> Keras layer constructor calls made in that class's body.
        self.class_layers: dict[int, list[cst.Call]] = {}
        #: id(layer constructor call) -> what it is applied to (``y`` of ``Dense(3)(y)``) and where.
        self.applied: dict[int, tuple[cst.BaseExpression, Site]] = {}
        #: Literal fixed batch sizes of the file's layers (``Input(batch_shape=(8, ...))``).
        self.batch_sizes: set[int] = set()
        self._factories_asked: set[int] = set()  # functions whose returns are being followed

    # -- recording ----------------------------------------------------------------------------

    def record_call(self, call: cst.Call, site: Site, qualified: str | None) -> None:
        method = ah.method_call(call)
        if qualified in LOAD_FUNCTIONS or (method is not None and qualified is None and method[1] in LOAD_METHODS):
            self.loads.append((call, site))
        if method is not None and qualified is None:
            receiver, name = method
            if name in MODEL_METHODS:
                self.events.append(ModelEvent(name, call, receiver, site))
            elif name in ("append", "extend", "insert") and isinstance(receiver, cst.Name):
                self.mutations.append((receiver.value, call, site))
        if isinstance(call.func, cst.Call) and call.args:
            self.applied[id(call.func)] = (call.args[0].value, site)
        if qualified is not None and (qualified.startswith("keras.layers.") or qualified in INPUT_CONSTRUCTORS):
            size = fixed_batch_size(call)
            if size is not None:
                self.batch_sizes.add(size)
        if qualified is not None and qualified.startswith("keras.layers."):
            scope: Scope | None = site.scope
            while scope is not None and scope.kind != "class":
                scope = scope.parent
            if scope is not None:
                self.class_layers.setdefault(id(scope.node), []).append(call)

    def record_return(self, value: cst.BaseExpression, node: cst.Return, site: Site) -> None:
        self.events.append(ModelEvent("return", node, value, site))

    # -- which object ----------------------------------------------------------------------

    def _object(
        self, key: object, origin: Origin, node: cst.CSTNode, site: Site, definition: cst.ClassDef | cst.FunctionDef | None = None
    ) -> ModelObject:
        found = self._objects.get(key)
        if found is None:
            found = ModelObject(origin, node, site, definition)
            self._objects[key] = found
        return found

    def created_by(self, call: cst.Call, site: Site) -> ModelObject | None:
        """The model object a call makes, if it visibly makes one."""
        semantic = self.semantic
        qualified = semantic.qualified(call.func)
        if qualified in SEQUENTIAL:
            return self._object(id(call), "sequential", call, site)
        if qualified in FUNCTIONAL:
            return self._object(id(call), "functional", call, site)
        if qualified in MODEL_LOADERS:
            return self._object(id(call), "loaded", call, site)
        if isinstance(call.func, cst.Name):
            bindings = semantic.scopes.lookup(call.func.value, site)
            if len(bindings) == 1 and bindings[0].kind == "class":
                node = bindings[0].node
                if isinstance(node, cst.ClassDef) and semantic.is_model_class(node.name.value):
                    return self._object(id(call), "subclass", call, site, node)
            function = semantic.function_called(call, site)
            if function is not None and id(function) not in self._factories_asked:
                self._factories_asked.add(id(function))  # a recursive function returns what it returns
                try:
                    makes = any(self.models_of(value, where, keras_only=True) for value, where in semantic.returns_of(function))
                finally:
                    self._factories_asked.discard(id(function))
                if makes:
                    return self._object(id(call), "factory", call, site, function)
        return None

    def models_of(self, expr: cst.BaseExpression | None, site: Site, *, keras_only: bool = False, depth: int = 0) -> list[ModelObject]:
        """The model objects ``expr`` may hold at ``site`` ("one of these"). With
        ``keras_only``, only objects visibly made as Keras models."""
        if expr is None or depth > 12:
            return []
        found: list[ModelObject] = []
        if isinstance(expr, cst.Call):
            made = self.created_by(expr, site)
            if made is not None:
                found.append(made)
        elif isinstance(expr, cst.Name):
            bindings = self.semantic.scopes.lookup(expr.value, site)
            if not bindings and not keras_only:
                found.append(self._object(("global", expr.value), "unknown", expr, site))
            for binding in bindings:
                found.extend(self._from_binding(binding, keras_only, depth))
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
            bindings = self.semantic.scopes.lookup_attribute(expr.attr.value, site)
            if not bindings and not keras_only:
                owner: Scope | None = site.scope
                while owner is not None and owner.kind != "class":
                    owner = owner.parent
                found.append(self._object(("self", id(owner), expr.attr.value), "unknown", expr, site))
            for binding in bindings:
                found.extend(self._from_binding(binding, keras_only, depth))
        return _unique(found)

    def objects_of(self, binding: Binding) -> list[ModelObject]:
        """The model objects one binding holds (a parameter: the object standing for it)."""
        return self._from_binding(binding, False, 0)

    def _from_binding(self, binding: Binding, keras_only: bool, depth: int) -> list[ModelObject]:
        if binding.kind in ("assign", "annotation", "walrus", "attribute") and binding.value is not None:
            inner = self.models_of(binding.value, binding.site, keras_only=keras_only, depth=depth + 1)
            if inner:
                return inner
            if isinstance(binding.value, (cst.Name, cst.Attribute)):
                return []
        if keras_only:
            return []
        origin: Origin = "parameter" if binding.kind == "param" else "unknown"
        return [self._object(id(binding.node), origin, binding.node, binding.site)]

    # -- facts per object ------------------------------------------------------------------

    def events_of(self, model: ModelObject) -> list[ModelEvent]:
        """Events on ``model``, in walk order."""
        return [e for e in self.events if model in self.models_of(e.receiver, e.site)]

    def fits(self) -> list[tuple[ModelEvent, list[ModelObject]]]:
        """Every ``fit``/``fit_generator`` call with the objects it may train."""
        return [(e, self.models_of(e.receiver, e.site)) for e in self.events if e.method in FIT_METHODS]

    def layers_of(self, model: ModelObject, depth: int = 0) -> list[cst.Call] | None:
        """The layer constructor calls of ``model``, or None when they cannot be seen."""
        if depth > 6:
            return None
        node = model.node
        if model.origin == "sequential" and isinstance(node, cst.Call):
            layers: list[cst.Call] = []
            listed = ah.argument(node, 0, "layers")
            if isinstance(listed, (cst.List, cst.Tuple)):
                for element in listed.elements:
                    layers.extend(self._layer_calls(element.value, model.site))
            for event in self.events_of(model):
                if event.method == "add" and isinstance(event.call, cst.Call):
                    layers.extend(self._layer_calls(ah.argument(event.call, 0, "layer"), event.site))
            return layers
        if model.origin == "functional" and isinstance(node, cst.Call):
            collected: list[cst.Call] = []
            self._trace(ah.argument(node, 1, "outputs"), model.site, collected, set(), 0)
            self._trace(ah.argument(node, 0, "inputs"), model.site, collected, set(), 0)
            return collected
        if model.origin == "subclass" and isinstance(model.definition, cst.ClassDef):
            return list(self.class_layers.get(id(model.definition), ()))
        if model.origin == "factory" and isinstance(model.definition, cst.FunctionDef):
            gathered: list[cst.Call] = []
            for value, where in self.semantic.returns_of(model.definition):
                for inner in self.models_of(value, where, keras_only=True):
                    more = self.layers_of(inner, depth + 1)
                    if more:
                        gathered.extend(more)
            return gathered
        return None

    def _layer_calls(self, expr: cst.BaseExpression | None, site: Site) -> list[cst.Call]:
        if isinstance(expr, cst.Call):
            return [expr]
        if isinstance(expr, cst.Name):
            return [b.value for b in self.semantic.scopes.lookup(expr.value, site) if isinstance(b.value, cst.Call)]
        return []

    def _trace(self, expr: cst.BaseExpression | None, site: Site, out: list[cst.Call], seen: set[int], depth: int) -> None:
        """Layers on the way from a functional model's outputs back to its inputs."""
        if expr is None or depth > 200 or id(expr) in seen:
            return
        seen.add(id(expr))
        if isinstance(expr, (cst.List, cst.Tuple)):
            for element in expr.elements:
                self._trace(element.value, site, out, seen, depth + 1)
        elif isinstance(expr, cst.Name):
            for binding in self.semantic.scopes.lookup(expr.value, site):
                if binding.kind == "param":  # what the file's calls pass (``get_end_to_end(model)``)
                    for value, where in self.semantic.arguments_for(binding) or ():
                        self._trace(value, where, out, seen, depth + 1)
                        out.extend(m.node for m in self.models_of(value, where, keras_only=True) if isinstance(m.node, cst.Call))
                elif binding.value is not None:
                    self._trace(binding.value, binding.site, out, seen, depth + 1)
        elif isinstance(expr, cst.Attribute):  # ``base.output``, ``model.get_layer("x").output``
            self._trace(expr.value, site, out, seen, depth + 1)
        elif isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and self.semantic.qualified(func) is None:
                # ``model.get_layer(...)``: a model whose layers are reused (a derived model)
                out.extend(m.node for m in self.models_of(func.value, site, keras_only=True) if isinstance(m.node, cst.Call))
            if isinstance(func, cst.Call):  # ``Dense(3)(x)``
                out.append(func)
            elif isinstance(func, cst.Name):  # ``lstm(x)`` with ``lstm = LSTM(...)``
                qualified = self.semantic.qualified(func)
                if qualified is not None and (qualified.startswith("keras.layers.") or qualified in INPUT_CONSTRUCTORS):
                    out.append(expr)
                else:
                    for binding in self.semantic.scopes.lookup(func.value, site):
                        if isinstance(binding.value, cst.Call):
                            out.append(binding.value)
                        elif binding.kind == "param":  # ``model(x)`` on a model handed in
                            for value, where in self.semantic.arguments_for(binding) or ():
                                out.extend(m.node for m in self.models_of(value, where, keras_only=True) if isinstance(m.node, cst.Call))
            elif self.semantic.qualified(func) in INPUT_CONSTRUCTORS:
                out.append(expr)
            for arg in expr.args:
                self._trace(arg.value, site, out, seen, depth + 1)
        elif isinstance(expr, cst.BinaryOperation):
            self._trace(expr.left, site, out, seen, depth + 1)
            self._trace(expr.right, site, out, seen, depth + 1)
        elif isinstance(expr, cst.Subscript):
            self._trace(expr.value, site, out, seen, depth + 1)

    def layer_of(self, expr: cst.BaseExpression | None, site: Site) -> cst.Call | None:
        """The layer constructor call whose output ``expr`` holds: ``Dense(3)(x)``, or a name
        whose every binding the use sees is one such output (``h = Dense(3)(x)``)."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Call):
            return expr.func
        if isinstance(expr, cst.Name):
            bindings = self.semantic.scopes.lookup(expr.value, site)
            layers = {id(found): found for b in bindings if (found := self._applied_layer(b)) is not None}
            if len(layers) == 1 and len(bindings) == 1:
                return next(iter(layers.values()))
        return None

    @staticmethod
    def _applied_layer(binding: Binding) -> cst.Call | None:
        value = binding.value
        if binding.kind in ("assign", "annotation", "walrus") and isinstance(value, cst.Call) and isinstance(value.func, cst.Call):
            return value.func
        return None

    def layer_input(self, layer: cst.Call) -> tuple[cst.BaseExpression, Site] | None:
        """What the layer constructor ``layer`` is applied to (``y`` of ``Dense(3)(y)``), and where."""
        return self.applied.get(id(layer))

    def output_layer(self, model: ModelObject, depth: int = 0) -> cst.Call | None:
        """The constructor call of ``model``'s output layer, when it can be seen: a Sequential's
        last layer, the layer a functional model's ``outputs`` come from, what a factory builds."""
        node = model.node
        if model.origin == "sequential":
            layers = self.layers_of(model) or []
            return layers[-1] if layers else None
        if model.origin == "functional" and isinstance(node, cst.Call):
            return self.layer_of(ah.argument(node, 1, "outputs"), model.site)
        if model.origin == "factory" and isinstance(model.definition, cst.FunctionDef) and depth < 6:
            found = {
                id(layer): layer
                for value, where in self.semantic.returns_of(model.definition)
                for inner in self.models_of(value, where, keras_only=True)
                if (layer := self.output_layer(inner, depth + 1)) is not None
            }
            return next(iter(found.values())) if len(found) == 1 else None
        return None

    def fixed_batch_size(self, model: ModelObject) -> int | None:
        """The literal batch size ``model`` was built for, when visible."""
        node = model.node
        if model.origin == "sequential":
            layers = self.layers_of(model) or []
            return fixed_batch_size(layers[0]) if layers else None
        if model.origin == "functional" and isinstance(node, cst.Call):
            inputs = ah.argument(node, 0, "inputs")
            if isinstance(inputs, (cst.List, cst.Tuple)) and inputs.elements:
                inputs = inputs.elements[0].value
            if isinstance(inputs, cst.Name):
                bound = [b.value for b in self.semantic.scopes.lookup(inputs.value, model.site) if isinstance(b.value, cst.Call)]
                inputs = bound[0] if len(bound) == 1 else None
            return fixed_batch_size(inputs) if isinstance(inputs, cst.Call) else None
        # Subclassed / factory models: trust a single batch size used throughout the file.
        return next(iter(self.batch_sizes)) if len(self.batch_sizes) == 1 else None

    def is_dataset(self, expr: cst.BaseExpression | None, site: Site, depth: int = 0) -> bool:
        """``expr`` visibly is a dataset or generator (``tf.data`` chain, ``*_dataset_from_*``,
        ``datagen.flow(...)``, a generator expression, a name every binding of which is one):
        ``fit``/``predict`` ignore ``shuffle`` and ``batch_size`` for those."""
        if expr is None or depth > 8:
            return False
        if isinstance(expr, cst.GeneratorExp):
            return True
        if isinstance(expr, cst.Name):
            bindings = self.semantic.scopes.lookup(expr.value, site)
            return bool(bindings) and all(
                b.kind in ("assign", "annotation", "walrus") and self.is_dataset(b.value, b.site, depth + 1) for b in bindings
            )
        if not isinstance(expr, cst.Call):
            return False
        qualified = self.semantic.qualified(expr.func) or ""
        if qualified.startswith(DATASET_FACTORIES):
            return True
        method = ah.method_call(expr)
        return method is not None and method[1] in DATASET_METHODS and qualified == ""

    def derived_from(self, model: ModelObject) -> list[ModelObject]:
        """Functional models built on ``model`` (``keras.Model(x, model(x))``, or from its
        ``get_layer(...)`` outputs): they run its weights."""
        node = model.node
        found = []
        for other in list(self._objects.values()):
            if other is model or other.origin not in ("functional", "factory"):
                continue
            layers = self.layers_of(other) or []
            if any(layer is node for layer in layers):
                found.append(other)
        return found

    def is_stateful(self, model: ModelObject) -> bool:
        """``model`` has a stateful RNN layer among its own layers."""
        layers = self.layers_of(model) or []
        return any(is_stateful_rnn(layer, self.semantic.imports) for layer in layers)

    # -- callbacks -------------------------------------------------------------------------

    def callbacks_of(self, fit: ModelEvent) -> CallbackList:
        """The callbacks a ``fit`` call really receives (a list built in a variable, appended
        to, or returned by a helper of the file included)."""
        assert isinstance(fit.call, cst.Call)
        value = ah.keyword_value(fit.call, "callbacks")
        if value is None:
            if fit.method == "fit" and len(ah.positional(fit.call)) > 5:
                return CallbackList((), False)  # given positionally (Keras 2 order): not followed
            return CallbackList((), True)
        calls: list[tuple[cst.Call, Site]] = []
        complete = self._collect(value, fit.site, fit.site.order, calls, 0)
        return CallbackList(tuple(calls), complete)

    def _collect(self, expr: cst.BaseExpression, site: Site, before: int, out: list[tuple[cst.Call, Site]], depth: int) -> bool:
        if depth > 12:
            return False
        if isinstance(expr, (cst.List, cst.Tuple)):
            ok = True
            for element in expr.elements:
                ok &= self._collect(element.value, site, before, out, depth + 1)
            return ok
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._collect(expr.left, site, before, out, depth + 1) & self._collect(expr.right, site, before, out, depth + 1)
        if isinstance(expr, cst.Name):
            if expr.value == "None":
                return True
            bindings = self.semantic.scopes.lookup(expr.value, site)
            if not bindings:
                return False
            ok = True
            for binding in bindings:
                if binding.kind not in ("assign", "annotation", "walrus") or binding.value is None:
                    ok = False
                    continue
                ok &= self._collect(binding.value, binding.site, before, out, depth + 1)
                for name, call, where in self.mutations:
                    if name == expr.value and where.scope is binding.scope and binding.site.order < where.order < before:
                        values = [a.value for a in call.args if a.keyword is None]
                        if call.func.attr.value == "insert":  # type: ignore[attr-defined]
                            values = values[1:]
                        for added in values:
                            if call.func.attr.value == "extend":  # type: ignore[attr-defined]
                                ok &= self._collect(added, where, before, out, depth + 1)
                            else:
                                ok &= self._collect(added, where, before, out, depth + 1) if not isinstance(added, (cst.List, cst.Tuple)) else False
            return ok
        if isinstance(expr, cst.Call):
            function = self.semantic.function_called(expr, site)
            returns = self.semantic.returns_of(function) if function is not None else []
            if returns:  # ``callbacks=make_callbacks()``: what the helper returns
                ok = True
                for value, where in returns:
                    ok &= self._collect(value, where, where.order + 1, out, depth + 1)
                return ok
            out.append((expr, site))
            return True
        return False


def _unique(objects: list[ModelObject]) -> list[ModelObject]:
    seen: set[int] = set()
    result = []
    for item in objects:
        if id(item) not in seen:
            seen.add(id(item))
            result.append(item)
    return result
