"""KC3xx: global seeds and determinism of training programs.

KC301, KC302 and KC304 are decided over the whole project: every file records small facts
("trains at line 12", "seeds with `random.seed`", "imports `utils.seed`") in the shared
:class:`ProgramFacts` collector during the one walk, and ``finish`` combines them per program.
A *program* is a file that trains; a seed counts when it is set in that file, in a module the
file imports (directly or transitively), or in a module that imports the training file (its
entry point, or that entry point's imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from kerascheck.findings import Edit, Finding, Location, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.names import dotted

# -- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imports:
    """The modules a file imports (``from a import b`` gives ``a`` and ``a.b``; relative kept)."""

    modules: tuple[str, ...]


@dataclass(frozen=True)
class Trains:
    """The file's first ``fit``/``train_on_batch`` call (``loop=False``) and its first
    ``apply_gradients`` (``loop=True``, often inside a ``train_step`` that a later ``fit`` runs)."""

    location: Location
    loop: bool = False


@dataclass(frozen=True)
class Seeds:
    """A global seed call: ``kind`` is all | python | numpy | tf | torch."""

    kind: str
    call: str
    location: Location
    #: Replacement by ``keras.utils.set_random_seed(<same argument>)``, when Keras is importable.
    fix: Edit | None = None
    #: The plain function the call is in, when it only seeds if that function is called
    #: (None at module level, in methods, decorated functions, and functions that also train).
    helper: str | None = None


@dataclass(frozen=True)
class Referenced:
    """Names the file calls or passes as arguments (``seed_all(0)``, ``app.run(main)``): a
    seeding helper counts only when one of its program's files references it."""

    names: frozenset[str]


@dataclass(frozen=True)
class Deterministic:
    """``enable_op_determinism()`` / ``TF_DETERMINISTIC_OPS`` / ``use_deterministic_algorithms``."""


@dataclass(frozen=True)
class PreprocessorFitted:
    """A preprocessor fitted (``fit``/``fit_transform``/``fit_on_texts``/``adapt``); name None
    for an unnamed one (``StandardScaler().fit_transform(x)``)."""

    name: str | None
    cls: str
    location: Location


@dataclass(frozen=True)
class NamesSaved:
    """Names dumped (joblib/pickle/json/``to_json``...) or handed on (returned, stored, passed)."""

    names: frozenset[str]
    #: Only those passed to a dump/save call (the ones that count from another module).
    dumped: frozenset[str]


@dataclass(frozen=True)
class SavesModel:
    """The file saves a model: ``full`` for a whole model (custom objects must be loadable)."""

    full: bool


@dataclass(frozen=True)
class CustomClass:
    """A custom Layer/Model class and what makes it loadable."""

    name: str
    location: Location
    registered: bool
    has_get_config: bool
    #: ``__init__`` parameters besides ``self``/``*args``/``**kwargs``.
    init_params: bool
    #: A ``keras.Model`` subclass (saved only through its own instances, see :class:`SavedClass`).
    is_model: bool = False


@dataclass(frozen=True)
class SavedClass:
    """An instance of this file's ``keras.Model`` subclass ``name`` is saved whole."""

    name: str


@dataclass(frozen=True)
class CustomObjectsGiven:
    """``custom_objects=`` / ``custom_object_scope`` / ``get_custom_objects`` appear in the file."""


# -- what the collector recognises -----------------------------------------------------------

SEED_FUNCTIONS: Mapping[str, str] = {
    "keras.utils.set_random_seed": "all",
    "keras.src.utils.rng_utils.set_random_seed": "all",
    "keras.src.utils.set_random_seed": "all",
    "transformers.set_seed": "all",
    "random.seed": "python",
    "numpy.random.seed": "numpy",
    "tensorflow.random.set_seed": "tf",
    "tensorflow.set_random_seed": "tf",
    "tensorflow.random.set_random_seed": "tf",
    "tensorflow.compat.v1.set_random_seed": "tf",
    "tensorflow.compat.v1.random.set_random_seed": "tf",
    "tensorflow.compat.v2.random.set_seed": "tf",
    "torch.manual_seed": "torch",
    "pytorch_lightning.seed_everything": "torch",
    "lightning.seed_everything": "torch",
    "lightning.pytorch.seed_everything": "torch",
}
DETERMINISM_FUNCTIONS = frozenset(
    {
        "tensorflow.config.experimental.enable_op_determinism",
        "tensorflow.config.enable_op_determinism",
        "torch.use_deterministic_algorithms",
    }
)

#: Preprocessors whose fitted state inference needs (class name -> the class's short name).
PREPROCESSORS: Mapping[str, str] = {
    **{
        f"sklearn.preprocessing.{n}": n
        for n in (
            "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "Normalizer",
            "QuantileTransformer", "PowerTransformer", "KBinsDiscretizer", "LabelEncoder",
            "OneHotEncoder", "OrdinalEncoder", "LabelBinarizer", "MultiLabelBinarizer",
            "PolynomialFeatures", "TargetEncoder",
        )
    },
    "sklearn.feature_extraction.text.CountVectorizer": "CountVectorizer",
    "sklearn.feature_extraction.text.TfidfVectorizer": "TfidfVectorizer",
    "sklearn.decomposition.PCA": "PCA",
    "sklearn.decomposition.TruncatedSVD": "TruncatedSVD",
    "sklearn.impute.SimpleImputer": "SimpleImputer",
    "keras.preprocessing.text.Tokenizer": "Tokenizer",
    "keras.layers.TextVectorization": "TextVectorization",
    "keras.layers.Normalization": "Normalization",
    "keras.layers.StringLookup": "StringLookup",
    "keras.layers.IntegerLookup": "IntegerLookup",
    "keras.layers.Discretization": "Discretization",
    "keras.layers.experimental.preprocessing.TextVectorization": "TextVectorization",
    "keras.layers.experimental.preprocessing.Normalization": "Normalization",
    "keras.layers.experimental.preprocessing.StringLookup": "StringLookup",
}
#: Preprocessors that are Keras layers: kept inside the saved model when the model uses them.
KERAS_PREPROCESSING_LAYERS = frozenset(
    {"TextVectorization", "Normalization", "StringLookup", "IntegerLookup", "Discretization"}
)
FIT_METHODS = frozenset({"fit", "fit_transform", "fit_on_texts", "fit_on_sequences", "adapt", "partial_fit"})
#: Fit methods that return the fitted preprocessor itself (sklearn's ``fit`` returns ``self``).
_FIT_RETURNS_SELF = frozenset({"fit", "partial_fit"})
#: Calls that write their arguments somewhere (matched by the called name's last component).
DUMP_NAMES = frozenset(
    {"dump", "dumps", "save", "savez", "savez_compressed", "to_json", "save_pretrained", "log_model",
     "log_artifact", "write", "write_text", "put", "save_model", "set_vocabulary"}
)
#: Methods that persist the preprocessor they are called on.
SELF_PERSISTING = frozenset({"to_json", "save", "get_config", "get_vocabulary", "get_weights", "save_pretrained"})
#: Calls that look at a value without keeping it.
INERT_CALLS = frozenset({"print", "len", "str", "repr", "type", "isinstance", "id", "hasattr", "getattr", "vars", "dir"})
LOADERS = frozenset({"joblib.load", "pickle.load", "pickle.loads", "dill.load", "cloudpickle.load",
                     "keras.preprocessing.text.tokenizer_from_json"})
FULL_MODEL_SAVERS = frozenset({"keras.models.save_model", "keras.saving.save_model"})
CHECKPOINT = "keras.callbacks.ModelCheckpoint"


#: Libraries whose ``fit`` is not gradient training of Keras weights (their own fixed seeds).
FOREIGN_ESTIMATORS = ("sklearn.", "xgboost.", "lightgbm.", "catboost.", "tensorflow_decision_forests.")


def is_training_call(context: FileContext, node: cst.Call, foreign: set[str] | frozenset[str] = frozenset()) -> bool:
    """``model.fit`` (or Keras 2's ``fit_generator``), ``model.train_on_batch`` or
    ``optimizer.apply_gradients`` (a custom loop).

    ``foreign`` names hold estimators of other libraries (``tfdf.keras.GradientBoostedTreesModel``).
    """
    method = ah.method_call(node)
    if method is None or context.qualified(node.func) is not None:
        return False
    receiver, name = method
    if name in m.MODEL_FIT_METHODS or name == "train_on_batch":
        if isinstance(receiver, cst.Name) and receiver.value in foreign:
            return False
        return m.receiver_is_model(context, receiver, name)
    return name == "apply_gradients" and context.uses_keras and not context.models.defines_method(name)


def chained_fit(context: FileContext, value: cst.BaseExpression) -> str | None:
    """The preprocessor class short name when ``value`` constructs and fits one in a chain that
    evaluates to the fitted preprocessor (``StandardScaler().fit(x)``), else None.
    ``StandardScaler().fit_transform(x)`` evaluates to the data, not the scaler."""
    if not isinstance(value, cst.Call):
        return None
    method = ah.method_call(value)
    if method is None or method[1] not in _FIT_RETURNS_SELF or not isinstance(method[0], cst.Call):
        return None
    return PREPROCESSORS.get(context.qualified(method[0].func) or "")


def seed_kind(context: FileContext, node: cst.Call) -> str | None:
    return SEED_FUNCTIONS.get(context.qualified(node.func) or "")


def set_random_seed_name(context: FileContext) -> str | None:
    """How this file can spell ``keras.utils.set_random_seed`` (``tf.keras.utils...``), if it can."""
    aliases = context.imports.aliases
    for local, target in aliases.items():
        if context.qualified(cst.Name(local)) == "keras" and target in ("keras", "tensorflow.keras", "tf_keras"):
            return f"{local}.utils.set_random_seed"
    for local, target in aliases.items():
        if target == "tensorflow":
            return f"{local}.keras.utils.set_random_seed"
    return None


class ProgramFacts:
    """Records the project facts of one file, once, for every project rule of this module and
    of the persistence family (they share the list: each rule's ``finish`` reads what it needs)."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.facts: list[Any] = []
        self.owner: object | None = None
        self._trains: set[bool] = set()
        self._preprocessors: dict[str, str] = {}
        self._saved: set[str] = set()
        self._dumped: set[str] = set()
        self._saves: set[bool] = set()
        self._lambda_depth = 0
        self._foreign: set[str] = set()
        self._saved_classes: set[str] = set()
        self._constructed: dict[str, str] = {}  # name -> the class it was built from (``Block()``)
        self._bound_fits: dict[int, str] = {}  # id(``Scaler().fit(x)``) -> the name it is bound to
        #: Seed calls in order, each with the ids of its enclosing functions (decided at the end).
        self._seeds: list[tuple[Seeds, tuple[int, ...]]] = []
        self._seeding_functions: set[int] = set()  # ids of functions holding a helper seed
        self._training_functions: set[int] = set()  # ... of those that also train
        self._referenced: set[str] = set()
        #: Positions without libcst's whole-file codegen (most files end up reporting nothing).
        self.locator = m.FastLocator(context)

    @staticmethod
    def of(rule: Rule) -> ProgramFacts:
        context = rule.context
        collector = context.__dict__.get("_program_facts")
        if collector is None:
            collector = ProgramFacts(context)
            collector.owner = rule
            context.__dict__["_program_facts"] = collector
        return collector

    # -- events ------------------------------------------------------------------------------

    def on_call(self, node: cst.Call) -> None:
        context = self.context
        self.locator.count(node)
        qualified = context.qualified(node.func)
        self._reference(node, qualified)
        if qualified is not None:
            kind = SEED_FUNCTIONS.get(qualified)
            if kind is not None:
                self._seed(node, kind)
            elif qualified in DETERMINISM_FUNCTIONS:
                self.facts.append(Deterministic())
            elif qualified in FULL_MODEL_SAVERS:
                self._saves.add(True)
                saved = ah.argument(node, 0, "model")
                if saved is not None:
                    self._saved_instance(saved)
            elif qualified == CHECKPOINT:
                self._saves.add(not ah.is_true(ah.keyword_value(node, "save_weights_only")))
            if qualified.rsplit(".", 1)[-1] in DUMP_NAMES:
                self._record_dump(node)
            elif qualified not in INERT_CALLS:
                self._escape(node)  # ``Sequential([norm, ...])``, ``Pipeline([("s", scaler)])``
            return
        method = ah.method_call(node)
        if method is None:
            if isinstance(node.func, cst.Name):
                name = node.func.value
                if name in self._preprocessors and self._lambda_depth == 0:
                    self._saved.add(name)  # a preprocessing layer called on a tensor: in the model
                elif name not in INERT_CALLS:
                    self._escape(node)
            return
        receiver, name = method
        loop = name == "apply_gradients"
        if loop not in self._trains and is_training_call(context, node, self._foreign):
            self._trains.add(loop)
            self.facts.append(Trains(self.locator.location(node), loop))
            self._training_functions.update(id(f) for f in context.functions)
        elif self._seeding_functions and any(id(f) in self._seeding_functions for f in context.functions):
            if is_training_call(context, node, self._foreign):
                self._training_functions.update(id(f) for f in context.functions)
        if name in FIT_METHODS:
            self._fitted(node, receiver)
        if isinstance(receiver, cst.Name) and receiver.value in self._preprocessors and name in SELF_PERSISTING:
            self._saved.add(receiver.value)
        if name in ("save", "save_weights") and m.receiver_is_model(context, receiver, name):
            self._saves.add(name == "save")
            if name == "save":
                self._saved_instance(receiver)
        elif name in ("export",) and m.receiver_is_model(context, receiver, name):
            self._saves.add(False)
        if name in DUMP_NAMES:
            self._record_dump(node)
        elif name not in FIT_METHODS:
            self._escape(node)

    def on_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        value = node.value
        if value is None:
            return
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        name = ah.assigned_name(node)
        if isinstance(value, cst.Call) and name is not None:
            qualified = self.context.qualified(value.func) or ""
            cls = PREPROCESSORS.get(qualified) or chained_fit(self.context, value)
            if cls is not None:
                self._preprocessors[name] = cls
                if not qualified:
                    self._bound_fits[id(value)] = name  # ``scaler = StandardScaler().fit(x)``
                return
            if isinstance(value.func, (cst.Name, cst.Attribute)):
                self._constructed[name] = (dotted(value.func) or "").rsplit(".", 1)[-1]
            if qualified.startswith(FOREIGN_ESTIMATORS):
                self._foreign.add(name)
            else:
                self._foreign.discard(name)
        if isinstance(value, cst.Name) and any(not isinstance(t, cst.Name) for t in targets):
            self._saved.add(value.value)  # ``self.scaler = scaler``, ``artifacts["s"] = scaler``

    def on_return(self, node: cst.Return) -> None:
        value = node.value
        if isinstance(value, cst.Name):
            self._saved.add(value.value)
        elif isinstance(value, (cst.Tuple, cst.List, cst.Dict)):
            self._saved.update(_element_names(value))

    def on_lambda(self, entering: bool) -> None:
        self._lambda_depth += 1 if entering else -1

    def on_module_end(self, node: cst.Module) -> None:
        context = self.context
        source = context.source
        if "TF_DETERMINISTIC_OPS" in source:
            self.facts.append(Deterministic())
        if "custom_object" in source:
            self.facts.append(CustomObjectsGiven())
        for saves_full in sorted(self._saves):
            self.facts.append(SavesModel(saves_full))
        if self._saved or self._dumped:
            self.facts.append(NamesSaved(frozenset(self._saved | self._dumped), frozenset(self._dumped)))
        for info in context.models.classes.values():
            if context.models.is_layer_class(info.name):
                self.facts.append(_custom_class(context, info.node, self.locator))
        for saved in sorted(self._saved_classes):
            self.facts.append(SavedClass(saved))
        for seed, functions in self._seeds:
            if seed.helper is not None and any(f in self._training_functions for f in functions):
                seed = replace(seed, helper=None)  # seeds the training that follows it in the function
            self.facts.append(seed)
        if any(seed.helper is not None for seed, _ in self._seeds) or self._referenced:
            self.facts.append(Referenced(frozenset(self._referenced)))
        self.facts.append(Imports(tuple(sorted(context.imports.modules))))

    # -- helpers -----------------------------------------------------------------------------

    def _seed(self, node: cst.Call, kind: str) -> None:
        edit = None
        spelling = set_random_seed_name(self.context)
        argument = ah.positional(node)[0].value if ah.positional(node) else ah.keyword_value(node, "seed")
        if kind != "all" and spelling is not None and argument is not None and len(node.args) == 1:
            edit = self.locator.edit(node, f"{spelling}({self.context.code(argument)})")
        functions = self.context.functions
        helper = None
        if functions and not self.context.classes and not functions[-1].decorators:
            helper = functions[-1].name.value
            self._seeding_functions.update(id(f) for f in functions)
        seed = Seeds(kind, self.context.code(node.func), self.locator.location(node), edit, helper)
        self._seeds.append((seed, tuple(id(f) for f in functions)))

    def _reference(self, node: cst.Call, qualified: str | None) -> None:
        """Record the called name (as written and as imported) and names passed as arguments."""
        func = node.func
        if qualified is not None:
            if qualified not in SEED_FUNCTIONS:  # ``random.seed`` does not call a helper ``seed``
                self._referenced.add(qualified.rsplit(".", 1)[-1])
        elif isinstance(func, cst.Name):
            self._referenced.add(func.value)
        elif isinstance(func, cst.Attribute):
            self._referenced.add(func.attr.value)
        for arg in node.args:
            if isinstance(arg.value, cst.Name):
                self._referenced.add(arg.value.value)

    def _saved_instance(self, expr: cst.BaseExpression) -> None:
        if isinstance(expr, cst.Name) and expr.value in self._constructed:
            self._saved_classes.add(self._constructed[expr.value])  # may be imported from a module
        info = self.context.models.model(expr)
        if info is not None and info.origin == "subclass" and isinstance(info.node, cst.Call):
            if isinstance(info.node.func, cst.Name):
                self._saved_classes.add(info.node.func.value)

    def _fitted(self, node: cst.Call, receiver: cst.BaseExpression) -> None:
        if isinstance(receiver, cst.Name) and receiver.value in self._preprocessors:
            name: str | None = receiver.value
            cls = self._preprocessors[receiver.value]
        elif isinstance(receiver, cst.Call) and (self.context.qualified(receiver.func) or "") in PREPROCESSORS:
            name, cls = self._bound_fits.get(id(node)), PREPROCESSORS[self.context.qualified(receiver.func) or ""]
        else:
            return
        self.facts.append(PreprocessorFitted(name, cls, self.locator.location(node)))

    def _record_dump(self, node: cst.Call) -> None:
        names = set()
        for arg in node.args:
            names.update(m.names_in(arg.value))
        self._dumped.update(names)

    def _escape(self, node: cst.Call) -> None:
        if not self._preprocessors:
            return
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Name):
                self._saved.add(value.value)
            elif isinstance(value, (cst.Tuple, cst.List, cst.Dict)):
                self._saved.update(_element_names(value))


def _element_names(value: cst.BaseExpression) -> set[str]:
    """Bare names held by a tuple/list/dict display (one level, and pairs inside it)."""
    names: set[str] = set()
    if isinstance(value, cst.Dict):
        elements = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
    elif isinstance(value, (cst.Tuple, cst.List)):
        elements = [e.value for e in value.elements]
    else:
        return names
    for element in elements:
        if isinstance(element, cst.Name):
            names.add(element.value)
        elif isinstance(element, (cst.Tuple, cst.List)):
            names.update(_element_names(element))
    return names


def _custom_class(context: FileContext, node: cst.ClassDef, locator: m.FastLocator) -> CustomClass:
    registered = any(
        (dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or "").endswith(
            "register_keras_serializable"
        )
        for d in node.decorators
    )
    has_get_config, init_params = False, False
    for stmt in node.body.body:
        if isinstance(stmt, cst.FunctionDef):
            if stmt.name.value in ("get_config", "from_config"):
                has_get_config = True
            elif stmt.name.value == "__init__":
                params = [p for p in (*stmt.params.posonly_params, *stmt.params.params, *stmt.params.kwonly_params)]
                init_params = len(params) > 1
    is_model = context.models.is_model_class(node.name.value)
    location = locator.class_name_location(node)
    return CustomClass(node.name.value, location, registered, has_get_config, init_params, is_model)


class ProjectRule(Rule):
    """A rule that reads the shared :class:`ProgramFacts` of every file.

    The first project rule created for a file drives the collector; the others only share its
    list of facts, so enabling more of them costs nothing more in the walk.
    """

    requires_keras = False  # a helper module that only calls ``random.seed`` still counts

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        self._collector = ProgramFacts.of(self)
        self._drives = self._collector.owner is self
        self.facts = self._collector.facts

    def visit_Call(self, node: cst.Call) -> None:
        if self._drives:
            self._collector.on_call(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._drives:
            self._collector.on_assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._drives:
            self._collector.on_assign(node)

    def visit_Return(self, node: cst.Return) -> None:
        if self._drives:
            self._collector.on_return(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        if self._drives:
            self._collector.on_lambda(True)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        if self._drives:
            self._collector.on_lambda(False)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if self._drives:
            self._collector.locator.fstring_depth += 1

    def leave_FormattedString(self, node: cst.FormattedString) -> None:
        if self._drives:
            self._collector.locator.fstring_depth -= 1

    def leave_Module(self, node: cst.Module) -> None:
        if self._drives:
            self._collector.on_module_end(node)


# -- the project graph -----------------------------------------------------------------------


class ProjectGraph:
    """Which checked files import which (module names matched by suffix, generously)."""

    def __init__(self, project: ProjectContext) -> None:
        self.project = project
        modules = project.modules
        by_last: dict[str, list[str]] = {}
        for path, module in modules.items():
            if module:
                by_last.setdefault(module.rsplit(".", 1)[-1], []).append(path)
        self.imports: dict[str, set[str]] = {path: set() for path in project.facts}
        self.importers: dict[str, set[str]] = {}
        for path, facts in project.facts.items():
            own = modules.get(path, "")
            for fact in facts:
                if not isinstance(fact, Imports):
                    continue
                for imported in fact.modules:
                    for name in _absolute(own, imported):
                        for target in by_last.get(name.rsplit(".", 1)[-1], ()):
                            if target != path and _same_module(modules[target], name):
                                self.imports[path].add(target)
                                self.importers.setdefault(target, set()).add(path)

    def _closure(self, start: str, edges: Mapping[str, set[str]]) -> set[str]:
        seen = {start}
        pending = [start]
        while pending:
            for nxt in edges.get(pending.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    pending.append(nxt)
        return seen

    def scope(self, path: str) -> set[str]:
        """``path``, what it imports (transitively), what imports it, and their imports."""
        files: set[str] = set()
        for root in self._closure(path, self.importers):
            files |= self._closure(root, self.imports)
        return files

    def facts(self, files: Iterable[str], kind: type) -> Iterator[tuple[str, Any]]:
        for path in sorted(files):
            for fact in self.project.facts.get(path, ()):
                if isinstance(fact, kind):
                    yield path, fact


def _absolute(importer: str, imported: str) -> list[str]:
    """Absolute candidates for ``imported`` as written in module ``importer``."""
    if not imported.startswith("."):
        return [imported]
    level = len(imported) - len(imported.lstrip("."))
    rest = imported[level:]
    parts = importer.split(".") if importer else []
    candidates = []
    # ``importer`` may be a module (its package is parts[:-1]) or a package ``__init__``.
    for package in (parts[: len(parts) - level], parts[: len(parts) - level + 1]):
        name = ".".join([*package, rest] if rest else package)
        if name:
            candidates.append(name)
    return candidates


def _same_module(file_module: str, imported: str) -> bool:
    return (
        file_module == imported
        or file_module.endswith("." + imported)
        or imported.endswith("." + file_module)
    )


def _first_training(graph: ProjectGraph) -> Iterator[tuple[str, Trains]]:
    """Each training file with where it trains: its first ``fit``, else its first custom step."""
    for path, facts in sorted(graph.project.facts.items()):
        trains = sorted((f for f in facts if isinstance(f, Trains)), key=lambda f: f.loop)
        if trains:
            yield path, trains[0]


def _seeds_of(graph: ProjectGraph, path: str) -> list[Seeds]:
    """The program's seeds, its own file's first; a seed inside a helper function counts only
    when a file of the program calls (or passes) the helper."""
    scope = graph.scope(path)
    own = [fact for _, fact in graph.facts([path], Seeds)]
    others = [fact for p, fact in graph.facts(scope - {path}, Seeds)]
    seeds = own + others
    if any(s.helper is not None for s in seeds):
        referenced = {n for _, fact in graph.facts(scope, Referenced) for n in fact.names}
        seeds = [s for s in seeds if s.helper is None or s.helper in referenced]
    return seeds


def is_fully_seeded(kinds: set[str], keras_major: int) -> bool:
    if "all" in kinds:
        return True
    if keras_major >= 3:
        # Keras 3 draws default initializer/dropout seeds from Python ``random``.
        return "python" in kinds and bool(kinds & {"tf", "torch"})
    return "tf" in kinds


def _partial_message(kinds: set[str], keras_major: int, call: str) -> str:
    if keras_major >= 3:
        if "python" not in kinds:
            what = (
                f"the program seeds only {', '.join(sorted(_KIND_TEXT[k] for k in kinds))} (`{call}`): Keras 3 draws the "
                "default seeds of weight initializers and Dropout from Python's `random`, so weights "
                "and dropout masks still differ on every run"
            )
        else:
            what = f"the program seeds Python's `random` (`{call}`) but not the backend (TensorFlow ops, `tf.data` shuffles stay unseeded)"
    else:
        what = f"the program seeds only {', '.join(sorted(_KIND_TEXT[k] for k in kinds))} (`{call}`), leaving TensorFlow's global seed unset: weights, dropout and shuffles differ on every run"
    return what + "; use `keras.utils.set_random_seed(seed)`, which seeds Python, NumPy and the backend"


_KIND_TEXT = {"python": "Python `random`", "numpy": "NumPy", "tf": "TensorFlow", "torch": "PyTorch", "all": "all"}


# -- rules -----------------------------------------------------------------------------------


class MissingGlobalSeed(ProjectRule):
    """
    ## What it does
    Finds programs that train a model (``fit``, Keras 2's ``fit_generator``, ``train_on_batch``,
    a custom loop with ``optimizer.apply_gradients``) without setting any global seed, neither in the training
    file nor in a module it imports (or that imports it). Reported once per program, at its
    first training call. Inference-only scripts need no seed. A seed inside a helper function
    (``def seed_everything(s): ...``) counts only when a file of the program calls the helper
    (or passes it on, as in ``app.run(main)``); seeds at module level, in methods, in decorated
    functions and in the function that trains always count.

    ## Why is this bad?
    Weight initialisation, dropout masks and shuffling are random: two runs of the same script
    give different models and different metrics, so a change cannot be told apart from noise
    and a result cannot be reproduced. Local generators (``np.random.RandomState``,
    ``env.seed()``, ``shuffle(seed=...)``, ``seed=`` on one initializer) do not seed what Keras
    draws from.

    ## Example
    ```python
    model = keras.Sequential([keras.layers.Dense(10)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=5)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)  # Python, NumPy and backend seeds
    model = keras.Sequential([keras.layers.Dense(10)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=5)
    ```
    """

    code = "KC301"
    name = "missing-global-seed"
    summary = "The program trains without setting a global seed"
    VALID = (
        "import keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(x, y)\n",
        # inference only
        "import keras\nmodel = keras.models.load_model('m.keras')\nprint(model.predict(x))\n",
        # sklearn fit on a scaler is not training a Keras model
        "import keras\nfrom sklearn.preprocessing import StandardScaler\nscaler = StandardScaler()\nscaler.fit(x)\n",
        Valid(
            "import keras\nfrom utils.seed import seed_everything\nseed_everything(1)\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(x, y)\n",
            project={"utils/__init__.py": "", "utils/seed.py": "import random\nimport numpy as np\nimport tensorflow as tf\n\ndef seed_everything(s):\n    random.seed(s)\n    np.random.seed(s)\n    tf.random.set_seed(s)\n"},
        ),
        Valid(
            "import keras\nimport common\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(x, y)\n",
            project={"common.py": "import helpers\n", "helpers.py": "import random\nrandom.seed(3)\n"},
        ),
        # a training library module whose entry point seeds
        Valid(
            "import keras\n\ndef train(model, x, y):\n    model.fit(x, y, epochs=3)\n",
            project={"main.py": "import keras\nimport example\nkeras.utils.set_random_seed(0)\nexample.train(m, x, y)\n"},
        ),
        "import tensorflow as tf\ntf.random.set_seed(1)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        # the seeding helper is called in the file, or passed on
        "import random\nimport numpy as np\nimport tensorflow as tf\n\ndef seed_everything(s=0):\n    random.seed(s)\n    np.random.seed(s)\n    tf.random.set_seed(s)\n\nseed_everything()\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        "import keras\nfrom absl import app\n\ndef main(argv):\n    keras.utils.set_random_seed(0)\n    model = build()\n    model.fit(x, y)\n\napp.run(main)\n",
        # the function that seeds is the one that trains (an entry point run by a console script)
        "import keras\n\ndef main():\n    keras.utils.set_random_seed(0)\n    model = keras.Sequential()\n    model.fit(x, y)\n",
        # imported under another name and called
        Valid(
            "import keras\nfrom helpers import seed_everything as seed_all\nseed_all(1)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            project={"helpers.py": "import keras\n\ndef seed_everything(s):\n    keras.utils.set_random_seed(s)\n"},
        ),
        # a decision forest is not trained from Keras' random draws (corpus: tweet-classification-using-tfdf.py)
        "import tensorflow as tf\nimport tensorflow_decision_forests as tfdf\nmodel_1 = tfdf.keras.GradientBoostedTreesModel()\nmodel_1.fit(train_ds)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile('adam', 'mse')\nmodel.fit(x, y, epochs=3)\nmodel.fit(x, y, epochs=3)\n",
            line=4, count=1, message="no global seed",
        ),
        # local generators are not global seeds
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nrng = np.random.RandomState(0)\nds = tf.data.Dataset.range(10).shuffle(10, seed=1)\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_initializer=tf.keras.initializers.GlorotUniform(seed=1))])\nmodel.fit(ds)\n",
            line=6,
        ),
        # custom training loop
        Invalid(
            "import tensorflow as tf\nopt = tf.keras.optimizers.Adam()\nfor x, y in ds:\n    with tf.GradientTape() as tape:\n        loss = loss_fn(y, model(x, training=True))\n    grads = tape.gradient(loss, model.trainable_variables)\n    opt.apply_gradients(zip(grads, model.trainable_variables))\n",
            line=7,
        ),
        # a custom train_step run by fit: reported at the fit
        Invalid(
            "import keras\nclass M(keras.Model):\n    def train_step(self, data):\n        self.optimizer.apply_gradients([])\nm = M()\nm.fit(x)\n",
            line=6, count=1,
        ),
        # Keras 2's ``fit_generator`` (KC103) and ``train_on_batch`` train too
        Invalid(
            "import tensorflow as tf\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.fit_generator(gen, steps_per_epoch=100, epochs=30)\n",
            line=3,
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nfor xb, yb in batches:\n    model.train_on_batch(xb, yb)\n",
            line=4,
        ),
        # a seeding helper that is defined but never called seeds nothing
        Invalid(
            "import random\nimport numpy as np\nimport tensorflow as tf\n\ndef seed_everything(s=0):\n    random.seed(s)\n    np.random.seed(s)\n    tf.random.set_seed(s)\n\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
            line=11,
        ),
        Invalid(
            "import keras\nimport helpers\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            project={"helpers.py": "import keras\n\ndef seed_everything(s):\n    keras.utils.set_random_seed(s)\n"},
            line=4,
        ),
        # a helper that is not imported does not seed this program
        Invalid(
            "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            project={"other.py": "import keras\nkeras.utils.set_random_seed(0)\n"},
            line=3,
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        graph = ProjectGraph(project)
        for path, trains in _first_training(graph):
            if not _seeds_of(graph, path):
                yield cls.finding_at(
                    trains.location,
                    "this program trains with no global seed set anywhere it imports: weights, dropout "
                    "and shuffling differ on every run; call `keras.utils.set_random_seed(seed)` first",
                )


class PartialSeeding(ProjectRule):
    """
    ## What it does
    Finds training programs that seed some random generators but not all of those the target
    Keras draws from. Under Keras 3 only ``keras.utils.set_random_seed`` (or ``random.seed``
    together with the backend's seed) is complete; under Keras 2 ``tf.random.set_seed`` was
    enough for TensorFlow ops.

    ## Why is this bad?
    Keras 3 draws the default seeds of weight initializers and Dropout from Python's ``random``:
    with ``tf.random.set_seed(0)`` alone, two runs build different weights (measured on
    TF 2.21 / Keras 3.15). ``np.random.seed`` alone seeds NumPy only. The run looks seeded but is
    not reproducible.

    ## Example
    ```python
    tf.random.set_seed(42)
    model = keras.Sequential([keras.layers.Dense(10), keras.layers.Dropout(0.5)])
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.layers.Dense(10), keras.layers.Dropout(0.5)])
    model.fit(x, y)
    ```

    ## Fix safety
    Unsafe: replaces the partial seed call with ``keras.utils.set_random_seed`` (same seed),
    which also reseeds Python's ``random`` and NumPy: other random draws of the program change.
    """

    code = "KC302"
    name = "partial-seeding"
    summary = "Only some random generators are seeded"
    VALID = (
        "import keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        "import random\nimport tensorflow as tf\nrandom.seed(0)\ntf.random.set_seed(0)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        "import tensorflow as tf\ntf.keras.utils.set_random_seed(1)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        Valid("import tensorflow as tf\ntf.random.set_seed(0)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n", target_keras="2.15"),
        # inference only: nothing to reproduce in training
        "import numpy as np\nimport keras\nnp.random.seed(0)\nmodel = keras.models.load_model('m.keras')\nmodel.predict(x)\n",
        Valid(
            "import keras\nimport seeding\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            project={"seeding.py": "import random\nimport tensorflow as tf\nrandom.seed(0)\ntf.random.set_seed(0)\n"},
        ),
    )
    INVALID = (
        Invalid(
            "import tensorflow as tf\ntf.random.set_seed(42)\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.fit(x, y)\n",
            line=2,
            message="Python's `random`",
            fixed="import tensorflow as tf\ntf.keras.utils.set_random_seed(42)\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.fit(x, y)\n",
        ),
        Invalid(
            "import numpy as np\nimport keras\nnp.random.seed(7)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            line=3,
            fixed="import numpy as np\nimport keras\nkeras.utils.set_random_seed(7)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        ),
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nnp.random.seed(7)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
            target_keras="2.15",
            message="TensorFlow's global seed",
            fixed="import numpy as np\nimport tensorflow as tf\ntf.keras.utils.set_random_seed(7)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        ),
        Invalid(
            "import random\nimport keras\nrandom.seed(1)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            message="not the backend",
            fixed="import random\nimport keras\nkeras.utils.set_random_seed(1)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        graph = ProjectGraph(project)
        reported: set[Location] = set()
        for path, _ in _first_training(graph):
            seeds = _seeds_of(graph, path)
            kinds = {s.kind for s in seeds}
            if not seeds or is_fully_seeded(kinds, project.keras_major):
                continue
            first = seeds[0]
            if first.location in reported:
                continue
            reported.add(first.location)
            fix = m.fix(first.fix, safe=False, message="Seed everything with `keras.utils.set_random_seed`") if first.fix else None
            yield cls.finding_at(first.location, _partial_message(kinds, project.keras_major, first.call), fix)


class OpDeterminismOff(ProjectRule):
    """
    ## What it does
    Off by default (select ``KC304`` or ``op-determinism-off``). Finds training programs that
    are fully seeded, so reproducibility is intended, but never call
    ``tf.config.experimental.enable_op_determinism()`` nor set ``TF_DETERMINISTIC_OPS=1``.

    ## Why is this bad?
    Seeds fix the random draws, but several TensorFlow kernels (GPU reductions, scatter ops,
    some cuDNN convolutions) are nondeterministic: two seeded runs can still diverge. Op
    determinism costs speed, so most programs rightly skip it; this rule is for projects that
    need bit-for-bit reproducible training.

    ## Example
    ```python
    keras.utils.set_random_seed(42)
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)
    tf.config.experimental.enable_op_determinism()
    model.fit(x, y)
    ```
    """

    code = "KC304"
    name = "op-determinism-off"
    summary = "Seeded training without TensorFlow op determinism"
    severity = Severity.INFO
    default_enabled = False
    VALID = (
        "import keras\nimport tensorflow as tf\nkeras.utils.set_random_seed(0)\ntf.config.experimental.enable_op_determinism()\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        "import os\nos.environ['TF_DETERMINISTIC_OPS'] = '1'\nimport keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        # not seeded (KC301) or partially seeded (KC302): not this rule's business
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        "import tensorflow as tf\ntf.random.set_seed(0)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            line=2,
            message="enable_op_determinism",
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        graph = ProjectGraph(project)
        reported: set[Location] = set()
        for path, _ in _first_training(graph):
            seeds = _seeds_of(graph, path)
            if not seeds or not is_fully_seeded({s.kind for s in seeds}, project.keras_major):
                continue
            if any(True for _ in graph.facts(graph.scope(path), Deterministic)):
                continue
            full = next((s for s in seeds if s.kind == "all"), seeds[0])
            if full.location in reported:
                continue
            reported.add(full.location)
            yield cls.finding_at(
                full.location,
                "training is seeded but TensorFlow ops may still be nondeterministic; for bit-for-bit "
                "reproducible runs call `tf.config.experimental.enable_op_determinism()` (slower)",
            )


# -- KC303: a file rule ----------------------------------------------------------------------

_RANDOM_TENSORS = ("tensorflow.random.", "keras.random.", "numpy.random.")
_NOT_RANDOM = frozenset({"numpy.random.seed", "numpy.random.RandomState", "numpy.random.default_rng",
                         "numpy.random.Generator", "keras.random.SeedGenerator", "tensorflow.random.set_seed",
                         "tensorflow.random.Generator", "tensorflow.random.experimental.Generator",
                         "tensorflow.random.get_global_generator", "tensorflow.random.set_global_generator"})


class SeedAfterModelBuilt(Rule):
    """
    ## What it does
    Finds a global seed set *after* layers, models or random tensors were created in the same
    scope (module level, or one function body), with no seed before them.

    ## Why is this bad?
    Seeding only affects what is drawn after it: the weights of layers built before the seed
    call (and random data drawn before it) still change on every run, while the code looks
    seeded. Reseeding before a *second* experiment is fine and not reported.

    ## Example
    ```python
    model = keras.Sequential([keras.layers.Dense(10)])
    keras.utils.set_random_seed(42)
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.layers.Dense(10)])
    model.fit(x, y)
    ```
    """

    code = "KC303"
    name = "seed-after-model-built"
    summary = "Global seed set after the model or random tensors were created"
    VALID = (
        "import keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential([keras.layers.Dense(1)])\nkeras.utils.set_random_seed(1)\n",
        # the build happens in a function called after the seed
        "import keras\ndef build():\n    return keras.Sequential([keras.layers.Dense(1)])\nkeras.utils.set_random_seed(0)\nmodel = build()\n",
        # loading a model draws nothing
        "import keras\nmodel = keras.models.load_model('m.keras')\nkeras.utils.set_random_seed(0)\n",
        "import keras\ninputs = keras.Input((3,))\nkeras.utils.set_random_seed(0)\n",
        # a local generator is not a random draw of the global state
        "import numpy as np\nimport keras\nrng = np.random.default_rng(0)\nkeras.utils.set_random_seed(0)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(10)])\nkeras.utils.set_random_seed(42)\nmodel.fit(x, y)\n",
            line=3, message="line 2",
        ),
        Invalid(
            "import numpy as np\nimport tensorflow as tf\nx = np.random.rand(100, 3)\ntf.keras.utils.set_random_seed(0)\n",
            line=4,
        ),
        Invalid(
            "import keras\n\ndef main():\n    dense = keras.layers.Dense(3)\n    keras.utils.set_random_seed(0)\n",
            line=5,
        ),
        # a seeding helper of the same file, called late
        Invalid(
            "import random\nimport keras\n\ndef set_seeds():\n    keras.utils.set_random_seed(0)\n\nmodel = keras.Sequential()\nset_seeds()\n",
            line=8,
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Per scope (module, then each function, innermost last): (first build, seeded before it).
        self._scopes: list[list[Any]] = [[None, False]]
        self._seed_functions: set[str] = set()
        self._function_seeds: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append([None, False])
        self._function_seeds.append(False)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()
        if self._function_seeds.pop():
            self._seed_functions.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append([None, True])  # class bodies: builds there run at instantiation

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append([None, True])

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        scope = self._scopes[-1]
        is_seed = seed_kind(context, node) is not None or (
            isinstance(node.func, cst.Name) and node.func.value in self._seed_functions
        )
        if is_seed:
            if self._function_seeds:
                self._function_seeds[-1] = True
            if scope[0] is not None and not scope[1]:
                line = context.location(scope[0]).line
                self.report(
                    node,
                    f"global seed set after random state was already drawn (line {line}): what was "
                    "built or sampled before it is not reproducible; seed first",
                )
            scope[1] = True
            return
        if scope[0] is None and not scope[1] and self._draws(node):
            scope[0] = node

    def _draws(self, node: cst.Call) -> bool:
        """Builds a layer or model, or samples a random tensor."""
        qualified = self.context.qualified(node.func)
        if qualified is not None:
            if qualified in _NOT_RANDOM:
                return False
            if qualified.startswith(_RANDOM_TENSORS):
                return True
            if qualified.startswith("keras.layers.") and qualified[len("keras.layers."):][:1].isupper():
                return qualified not in ("keras.layers.Input", "keras.layers.InputLayer")
            return qualified in ("keras.Sequential", "keras.models.Sequential", "keras.Model", "keras.models.Model")
        origin = self.context.models.model_origin(node)
        return origin in ("subclass", "factory")


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [MissingGlobalSeed, PartialSeeding, SeedAfterModelBuilt, OpDeterminismOff]

