"""Facts about programs that several rule families need, recorded once per file.

The KC3xx (seeding) and KC4xx (persistence) project rules share one :class:`ProgramFacts`
collector per file: the first project rule created for a file drives it during the one walk, and
every project rule reads the same list of facts in ``finish``, combined per program
(:class:`~kerascheck.static.programs.Program`, from ``ProjectContext.programs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import libcst as cst

from kerascheck.findings import Edit, Location
from kerascheck.records import record
from kerascheck.rule import Rule
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static import python_ast
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.names import dotted
from kerascheck.static.programs import Program
from kerascheck.static.recheck import word_pattern
from kerascheck.static.semantic import Site
from kerascheck.static.semantic.escapes import ObjectPolicy

if TYPE_CHECKING:
    from kerascheck.static.recheck import LeftOutFile

# -- facts -----------------------------------------------------------------------------------


@record
class Trains:
    """The file's first ``fit``/``train_on_batch`` call (``loop=False``) and its first
    ``apply_gradients`` (``loop=True``, often inside a ``train_step`` that a later ``fit`` runs)."""

    location: Location
    loop: bool = False
    #: Names whose call runs the file's training: the functions that train and the functions of
    #: the same file that call them (``__main__`` for training under the ``__main__`` guard).
    #: Empty when the training runs at module level, on import. In an imported module, training
    #: counts only for programs whose other files call (or pass on) one of these names.
    callers: frozenset[str] = frozenset()


@record
class Seeds:
    """A global seed call: ``kind`` is all | python | numpy | tf | torch."""

    kind: str
    call: str
    location: Location
    #: The edits that seed everything with ``keras.utils.set_random_seed(<same argument>)``
    #: instead, with the name it uses bound before it runs (empty when no such fix exists).
    fix: tuple[Edit, ...] = ()
    #: The plain function the call is in, when it only seeds if that function is called
    #: (None at module level, in methods, decorated functions, and functions that also train).
    helper: str | None = None


@record
class Referenced:
    """Names the file calls or passes as arguments (``seed_all(0)``, ``app.run(main)``): a
    seeding helper counts only when one of its program's files references it."""

    names: frozenset[str]
    #: Those of ``names`` that are functions defined at the top of this same file (a call to
    #: the file's own ``main()`` is not a call to another module's ``main``).
    own: frozenset[str] = frozenset()
    #: The names the file's module-level code calls (or passes on): they run when it is imported.
    #: In these three fields a name called through an attribute or an import is written ".name".
    on_import: frozenset[str] = frozenset()
    #: The names that run only when the file is the program: calls under its ``__main__`` guard,
    #: ``main`` for ``tf.app.run()``, and in a test file what pytest runs (tests, setup, fixtures).
    as_entry: frozenset[str] = frozenset()
    #: function (or method) name -> the names it calls or passes on.
    calls: tuple[tuple[str, frozenset[str]], ...] = ()


@record
class Deterministic:
    """``enable_op_determinism()`` / ``TF_DETERMINISTIC_OPS`` / ``use_deterministic_algorithms``."""


@record
class KerasBackend:
    """The Keras backend the file points to: ``declared`` when it sets ``KERAS_BACKEND``,
    else inferred from the framework it imports (``tensorflow``, ``torch``, ``jax``)."""

    name: str
    declared: bool


@record
class PreprocessorFitted:
    """A preprocessor fitted (``fit``/``fit_transform``/``fit_on_texts``/``adapt``); name None
    for an unnamed one (``StandardScaler().fit_transform(x)``)."""

    name: str | None
    cls: str
    location: Location
    #: A one-hot encoding whose output only becomes the training targets (``fit``'s ``y``):
    #: the model's argmax is the class index, so inference needs no state from it.
    targets_only: bool = False
    #: The file keeps the fitted object (dumps it, stores it on another object, hands it to code
    #: it does not show, uses it inside the model...): see :mod:`kerascheck.static.semantic.escapes`.
    kept: bool = False
    #: Top-level functions of the file that return it: kept when another file of the program
    #: calls one of them.
    returned_by: frozenset[str] = frozenset()
    #: Module-level names bound to it: kept when another file of the program dumps or passes on
    #: one of them.
    module_names: frozenset[str] = frozenset()


@record
class NamesSaved:
    """Names passed to a dump/save call (joblib/pickle/json...): a preprocessor of that name
    fitted in another module of the program counts as saved."""

    dumped: frozenset[str]


@record
class SavesModel:
    """The file saves a model: ``full`` for a whole model (custom objects must be loadable)."""

    full: bool


@record
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


@record
class SavedClass:
    """An instance of this file's ``keras.Model`` subclass ``name`` is saved whole."""

    name: str


@record
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
#: A fitted preprocessor's methods whose result is new data computed from their arguments.
_DATA_METHODS = frozenset(
    {"transform", "inverse_transform", "fit_transform", "texts_to_sequences", "texts_to_matrix", "sequences_to_texts",
     "sequences_to_matrix", "texts_to_sequences_generator", "sequences_to_texts_generator", "fit_on_texts",
     "fit_on_sequences", "adapt", "predict", "score"}
)
#: Where a fitted preprocessor goes: everything not named here keeps it (``getattr``/``vars``
#: read its state, so they are not inert for it).
PREPROCESSOR_USES = ObjectPolicy(
    inert_calls=INERT_CALLS - {"getattr", "vars"},
    data_methods=_DATA_METHODS,
    self_methods=_FIT_RETURNS_SELF | {"set_params"},
    keeping_methods=SELF_PERSISTING,
)
LOADERS = frozenset({"joblib.load", "pickle.load", "pickle.loads", "dill.load", "cloudpickle.load",
                     "keras.preprocessing.text.tokenizer_from_json"})
FULL_MODEL_SAVERS = frozenset({"keras.models.save_model", "keras.saving.save_model"})
#: Object-based checkpoints: saving one saves the weights of the models it tracks.
TF_CHECKPOINTS = frozenset({"tensorflow.train.Checkpoint", "tensorflow.compat.v2.train.Checkpoint"})
TF_CHECKPOINT_MANAGERS = frozenset({"tensorflow.train.CheckpointManager", "tensorflow.compat.v2.train.CheckpointManager"})
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
    return name == "apply_gradients" and context.uses_keras and not context.semantic.defines_method(name)


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
        self._dumped: set[str] = set()
        self._saves: set[bool] = set()
        self._foreign: set[str] = set()
        self._saved_classes: set[str] = set()
        self._constructed: dict[str, str] = {}  # name -> the class it was built from (``Block()``)
        self._bound_fits: dict[int, str] = {}  # id(``Scaler().fit(x)``) -> the name it is bound to
        self._one_hot_fits: list[tuple[int, cst.Call]] = []  # (index in ``facts``, the fit call)
        #: Preprocessor fits whose object is followed at the end: (index in ``facts``, receiver, where).
        self._fits: list[tuple[int, cst.BaseExpression, Site]] = []
        #: Seed calls in order, each with the ids of its enclosing functions (decided at the end).
        self._seeds: list[tuple[Seeds, tuple[int, ...]]] = []
        #: Seed calls whose fix must move them below a later import: id -> (call, new text, name).
        self._moves: dict[int, tuple[cst.Call, str, str]] = {}
        self._moved_seeds: dict[int, int] = {}  # index in ``_seeds`` -> id of its call
        self._bound_so_far: set[str] = set()  # local names bound by the imports walked so far
        self._last_binding: dict[str, cst.Import | cst.ImportFrom] = {}  # ... at module level
        self._seeding_functions: set[int] = set()  # ids of functions holding a helper seed
        self._training_functions: set[int] = set()  # ... of those that also train
        self._referenced: set[str] = set()
        self._first_trains: list[tuple[Location, bool]] = []  # the first fit, the first custom step
        self._training_names: set[str] = set()  # functions holding a training call ("" at module level)
        self._calls_in: dict[str, set[str]] = {}  # function name -> the names it calls
        self._on_import: set[str] = set()  # names module-level code calls
        self._as_entry: set[str] = set()  # names that run only when the file is the program
        self._test_file = _is_test_file(context.path)
        self._defined: set[str] = set()  # functions defined at the top of the file
        self._main_guard = 0  # inside ``if __name__ == "__main__":`` at module level
        #: Positions without libcst's whole-file codegen (most files end up reporting nothing).
        self.locator = m.FastLocator(context)

    @staticmethod
    def of(rule: Rule) -> ProgramFacts:
        """The file's one collector; the first rule that asks drives it."""
        collector = rule.context.shared(ProgramFacts)
        if collector.owner is None:
            collector.owner = rule
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
            return
        method = ah.method_call(node)
        if method is None:
            return
        receiver, name = method
        loop = name == "apply_gradients"
        if is_training_call(context, node, self._foreign):
            self._training_functions.update(id(f) for f in context.functions)
            self._training_names.add(self._current_function())
            if loop not in self._trains:
                self._trains.add(loop)
                self._first_trains.append((self.locator.location(node), loop))
        if name in FIT_METHODS:
            self._fitted(node, receiver)
        if name in ("save", "save_weights") and m.receiver_is_model(context, receiver, name):
            self._saves.add(name == "save")
            if name == "save":
                self._saved_instance(receiver)
        elif name in ("export",) and m.receiver_is_model(context, receiver, name):
            self._saves.add(False)
        elif name in ("save", "write") and context.imports.imports_any("tensorflow") and self._checkpoints_model(receiver):
            self._saves.add(False)  # ``tf.train.Checkpoint(model=model).save(prefix)``: the weights
        if name in DUMP_NAMES:
            self._record_dump(node)

    def on_assign(self, node: cst.Assign | cst.AnnAssign) -> None:
        value = node.value
        if value is None:
            return
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

    def on_module_end(self, node: cst.Module) -> None:
        context = self.context
        source = context.source
        if "TF_DETERMINISTIC_OPS" in source:
            self.facts.append(Deterministic())
        if "custom_object" in source:
            self.facts.append(CustomObjectsGiven())
        self.facts.extend(_backends(context))
        if self._one_hot_fits:
            self._mark_target_encoders()
        for index, receiver, site in self._fits:
            self.facts[index] = self._with_fate(self.facts[index], receiver, site)
        for saves_full in sorted(self._saves):
            self.facts.append(SavesModel(saves_full))
        if self._dumped:
            self.facts.append(NamesSaved(frozenset(self._dumped)))
        for info in context.semantic.classes.classes.values():
            if context.semantic.is_layer_class(info.name):
                self.facts.append(_custom_class(context, info.node, self.locator))
        for saved in sorted(self._saved_classes):
            self.facts.append(SavedClass(saved))
        for index, (seed, functions) in enumerate(self._seeds):
            if index in self._moved_seeds:
                seed = replace(seed, fix=self._moved_seed_fix(*self._moves[self._moved_seeds[index]]))
            if seed.helper is not None and any(f in self._training_functions for f in functions):
                seed = replace(seed, helper=None)  # seeds the training that follows it in the function
            self.facts.append(seed)
        if any(seed.helper is not None for seed, _ in self._seeds) or self._referenced or self._as_entry:
            own = self._defined & (self._referenced | self._as_entry)  # a "."-marked name is never one
            calls = tuple(sorted((name, frozenset(called)) for name, called in self._calls_in.items()))
            self.facts.append(
                Referenced(
                    frozenset(self._referenced),
                    frozenset(own - set(context.imports.aliases)),
                    frozenset(self._on_import),
                    frozenset(self._as_entry),
                    calls,
                )
            )
        callers = self._training_callers()
        for location, loop in self._first_trains:
            self.facts.append(Trains(location, loop, callers))

    # -- helpers -----------------------------------------------------------------------------

    def _seed(self, node: cst.Call, kind: str) -> None:
        functions = self.context.functions
        helper = None
        if functions and not self.context.classes and not functions[-1].decorators:
            helper = functions[-1].name.value
            self._seeding_functions.update(id(f) for f in functions)
        edits = self._seed_fix(node) if kind != "all" else ()
        seed = Seeds(kind, self.context.code(node.func), self.locator.location(node), edits, helper)
        self._seeds.append((seed, tuple(id(f) for f in functions)))

    def on_import(self, node: cst.Import | cst.ImportFrom) -> None:
        """Names bound by imports so far, and the last top-level import binding each one (a
        seed fix must not use a name before the import that binds it)."""
        names = _bound_names(node)
        self._bound_so_far.update(names)
        if not self.context.functions:
            for name in names:
                self._last_binding[name] = node

    def _seed_fix(self, node: cst.Call) -> tuple[Edit, ...]:
        """Edits replacing a partial seed call by ``keras.utils.set_random_seed(<argument>)``.

        The name used must be bound when the new call runs: in a function (run after the
        module's imports) or after the import at module level, the call is replaced in place;
        a module-level call above the import that binds the name moves below the last
        top-level import binding it; with no import of Keras at all, ``import keras`` is added
        on the line before. Only a call that is a whole statement on its own line is moved.
        """
        context = self.context
        argument = ah.positional(node)[0].value if ah.positional(node) else ah.keyword_value(node, "seed")
        if argument is None or len(node.args) != 1:
            return ()
        spelling = set_random_seed_name(context)
        call = context.code(argument)
        if spelling is not None:
            root = spelling.split(".", 1)[0]
            if context.functions or root in self._bound_so_far:
                return (self.locator.edit(node, f"{spelling}({call})"),)
            self._moves[id(node)] = (node, f"{spelling}({call})", root)
            self._moved_seeds[len(self._seeds)] = id(node)
            return ()  # decided at the end of the module, when the last binding import is known
        statement_start = self._whole_statement(node)
        if statement_start is None:
            return ()
        indent = " " * (statement_start - 1)
        return (self.locator.edit(node, f"import keras\n{indent}keras.utils.set_random_seed({call})"),)

    def _whole_statement(self, node: cst.Call) -> int | None:
        """The column ``node`` starts at when it is the whole statement on its own line(s)."""
        line, column, end_line, end_column = self.context.source_range(node)
        lines = self.context.source.split("\n")
        if line > len(lines) or end_line > len(lines):
            return None
        before, after = lines[line - 1][: column - 1], lines[end_line - 1][end_column - 1 :]
        if before.strip() or (after.strip() and not after.strip().startswith("#")):
            return None
        return column

    def _moved_seed_fix(self, node: cst.Call, text: str, root: str) -> tuple[Edit, ...]:
        binding = self._last_binding.get(root)
        column = self._whole_statement(node)
        if binding is None or column is None:
            return ()
        context = self.context
        line, _, end_line, end_column = context.source_range(node)
        _, import_column, import_end, import_end_column = context.source_range(binding)
        last = context.source.split("\n")[end_line - 1].rstrip("\r")
        comment = last[end_column - 1 :]  # a trailing comment moves with the call
        indent = " " * (import_column - 1)
        remove = _edit(context, line, 1, end_line, len(last) + 1, "")
        insert = _edit(context, import_end, import_end_column, import_end, import_end_column, f"\n{indent}{text}{comment}")
        return (remove, insert)

    def _reference(self, node: cst.Call, qualified: str | None) -> None:
        """Record the called name (as written and as imported) and names passed as arguments."""
        func = node.func
        names = []
        # For what runs (:func:`running_functions`), a name reached through an attribute or an
        # import (``cli.main()``, ``self.fit()``) is marked ".": it is never this file's own
        # top-level function of that name.
        scoped = []
        if qualified is not None:
            if qualified not in SEED_FUNCTIONS:  # ``random.seed`` does not call a helper ``seed``
                names.append(qualified.rsplit(".", 1)[-1])
                scoped.append(("." if "." in qualified else "") + names[-1])
        elif isinstance(func, cst.Name):
            names.append(func.value)
            scoped.append(func.value)
        elif isinstance(func, cst.Attribute):
            names.append(func.attr.value)
            scoped.append("." + func.attr.value)
        passed = [arg.value.value for arg in node.args if isinstance(arg.value, cst.Name)]
        names.extend(passed)
        scoped.extend(passed)
        self._referenced.update(names)
        if self.context.functions:
            self._calls_in.setdefault(self.context.functions[-1].name.value, set()).update(scoped)
        elif self._main_guard:
            self._as_entry.update(scoped)
        else:  # module level, class bodies included: runs whenever the file is imported
            self._on_import.update(scoped)
        if qualified is not None and qualified.endswith(APP_RUN) and not node.args and not self.context.functions:
            self._as_entry.add("main")  # ``tf.app.run()`` calls the ``__main__`` module's ``main``

    def on_function(self, node: cst.FunctionDef) -> None:
        if len(self.context.functions) == 1 and not self.context.classes:
            self._defined.add(node.name.value)
        if self._test_file and _run_by_pytest(node):
            self._as_entry.add(node.name.value)

    def on_if(self, node: cst.If, entering: bool) -> None:
        if not self.context.functions and not self.context.classes and _is_main_guard(node.test):
            self._main_guard += 1 if entering else -1

    def _current_function(self) -> str:
        if self.context.functions:
            return self.context.functions[-1].name.value
        return "__main__" if self._main_guard else ""

    def _training_callers(self) -> frozenset[str]:
        """The names whose call runs this file's training (empty: it runs on import)."""
        if "" in self._training_names:
            return frozenset()
        callers = set(self._training_names)
        grew = True
        while grew:  # functions of this file that call a function that trains
            grew = False
            for function, called in self._calls_in.items():
                if function not in callers and called & callers:
                    callers.add(function)
                    grew = True
        return frozenset(callers)

    def _checkpoints_model(self, receiver: cst.BaseExpression, depth: int = 0) -> bool:
        """``receiver`` holds a ``tf.train.Checkpoint`` tracking a Keras model
        (``Checkpoint(optimizer=opt, encoder=encoder)``), or a ``CheckpointManager`` of one."""
        if not isinstance(receiver, cst.Name) or depth > 1:
            return False
        semantic = self.context.semantic
        for binding in semantic.lookup(receiver.value):
            value = binding.value
            if not isinstance(value, cst.Call):
                continue
            qualified = self.context.qualified(value.func)
            if qualified in TF_CHECKPOINTS and any(semantic.is_model(a.value, binding.site) for a in value.args):
                return True
            managed = ah.argument(value, 0, "checkpoint")
            if qualified in TF_CHECKPOINT_MANAGERS and managed is not None and self._checkpoints_model(managed, depth + 1):
                return True
        return False

    def _saved_instance(self, expr: cst.BaseExpression) -> None:
        if isinstance(expr, cst.Name) and expr.value in self._constructed:
            self._saved_classes.add(self._constructed[expr.value])  # may be imported from a module
        if isinstance(expr, cst.Name):
            for model in self.context.semantic.models_of(expr):
                if model.origin == "subclass" and isinstance(model.definition, cst.ClassDef):
                    self._saved_classes.add(model.definition.name.value)

    def _fitted(self, node: cst.Call, receiver: cst.BaseExpression) -> None:
        if isinstance(receiver, cst.Name) and receiver.value in self._preprocessors:
            name: str | None = receiver.value
            cls = self._preprocessors[receiver.value]
        elif isinstance(receiver, cst.Call) and (self.context.qualified(receiver.func) or "") in PREPROCESSORS:
            name, cls = self._bound_fits.get(id(node)), PREPROCESSORS[self.context.qualified(receiver.func) or ""]
        else:
            return
        if cls in ONE_HOT:
            self._one_hot_fits.append((len(self.facts), node))
        self._fits.append((len(self.facts), receiver, self.context.semantic.here()))
        self.facts.append(PreprocessorFitted(name, cls, self.locator.location(node)))

    def _with_fate(self, fit: PreprocessorFitted, receiver: cst.BaseExpression, site: Site) -> PreprocessorFitted:
        """``fit`` with where its fitted object goes: followed from every call that may have
        made it (``scaler = StandardScaler()``, a helper's return, an argument of a caller)."""
        semantic = self.context.semantic
        made = semantic.object_origins(receiver, self._makes_preprocessor, PREPROCESSOR_USES.self_methods, site)
        if not made:
            return replace(fit, kept=True)  # made somewhere the file does not show
        fate = semantic.object_fate(made, PREPROCESSOR_USES)
        return replace(fit, kept=fate.kept, returned_by=fate.returned_by, module_names=fate.module_names)

    def _makes_preprocessor(self, call: cst.Call) -> bool:
        return (self.context.qualified(call.func) or "") in PREPROCESSORS

    def _mark_target_encoders(self) -> None:
        found = targets_only(self.context, [node for _, node in self._one_hot_fits])
        for index, node in self._one_hot_fits:
            if id(node) in found:
                self.facts[index] = replace(self.facts[index], targets_only=True)

    def _record_dump(self, node: cst.Call) -> None:
        names = set()
        for arg in node.args:
            names.update(m.names_in(arg.value))
        self._dumped.update(names)


#: ``tf.app.run()`` / ``absl.app.run()``: with no argument, it runs the ``__main__`` module's ``main``.
APP_RUN = "app.run"
#: pytest runs these in a test file besides its ``test*`` functions and methods.
_PYTEST_RUNS = frozenset({"setUp", "setUpClass", "setup_method", "setup_class", "setup_module", "setup_function"})


def _is_test_file(path: str) -> bool:
    """A file pytest collects by default (``test_*.py``, ``*_test.py``)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _run_by_pytest(node: cst.FunctionDef) -> bool:
    """A test, a setup hook or a fixture: pytest calls it, nothing in the file does."""
    name = node.name.value
    if name.startswith("test") or name in _PYTEST_RUNS:
        return True
    return any((dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or "").endswith("fixture") for d in node.decorators)


def _is_main_guard(test: cst.BaseExpression) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    if not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    right = test.comparisons[0].comparator
    sides = {ah.string_value(test.left) or dotted(test.left), ah.string_value(right) or dotted(right)}
    return sides == {"__name__", "__main__"}


def _bound_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    """The local names an import statement binds (``import a.b`` binds ``a``)."""
    if isinstance(node.names, cst.ImportStar):
        return []
    names = []
    for alias in node.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            names.append(alias.asname.name.value)
        else:
            written = dotted(alias.name) or ""
            names.append(written.split(".", 1)[0] if isinstance(node, cst.Import) else written)
    return names


def _edit(context: FileContext, line: int, column: int, end_line: int, end_column: int, text: str) -> Edit:
    """An edit of a span of the checked text (cell-relative in notebooks)."""
    if context.cell_map is None:
        return Edit(line, column, end_line, end_column, text)
    cell, cell_line = context.cell_map.locate(line)
    _, cell_end = context.cell_map.locate(end_line)
    return Edit(cell_line, column, cell_end, end_column, text, cell=cell)


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
    is_model = context.semantic.is_model_class(node.name.value)
    location = locator.class_name_location(node)
    return CustomClass(node.name.value, location, registered, has_get_config, init_params, is_model)


#: Encoders that only one-hot encode labels (their inverse is the argmax).
ONE_HOT = frozenset({"OneHotEncoder", "LabelBinarizer"})


def targets_only(context: FileContext, fits: list[cst.Call]) -> set[int]:
    """Ids of the preprocessor ``fits`` whose output reaches training only as its targets
    (``fit``'s ``y``, the second item of ``validation_data``), never as its inputs: through
    names and the returns of the file's helpers (``def onehot(x): return OneHotEncoder().fit_transform(x)``).
    Decided in ``leave_Module`` (the whole file's ``fit`` calls)."""
    semantic = context.semantic
    targets: list[tuple[cst.BaseExpression, Site]] = []
    inputs: list[tuple[cst.BaseExpression, Site]] = []
    for fit, _ in semantic.fits():
        call = fit.call
        if not isinstance(call, cst.Call):
            continue
        for index, keyword, into in ((0, "x", inputs), (1, "y", targets)):
            given = ah.argument(call, index, keyword)
            if given is not None:
                into.append((given, fit.site))
        validation = ah.keyword_value(call, "validation_data")
        if isinstance(validation, (cst.Tuple, cst.List)) and len(validation.elements) >= 2:
            inputs.append((validation.elements[0].value, fit.site))
            targets.append((validation.elements[1].value, fit.site))
    found = set()
    for node in fits:
        source = {id(node)}
        reaches = [any(semantic.flows_from(e, source, w) is not None for e, w in given) for given in (targets, inputs)]
        if reaches == [True, False]:
            found.add(id(node))
    return found


def preprocessor_class(context: FileContext, receiver: cst.BaseExpression) -> str | None:
    """The preprocessor class (short name) ``receiver`` is: constructed there
    (``StandardScaler().fit``) or bound to one (every binding the use sees agrees)."""
    if isinstance(receiver, cst.Call):
        return PREPROCESSORS.get(context.qualified(receiver.func) or "")
    if not isinstance(receiver, cst.Name):
        return None
    values = [b.value for b in context.semantic.lookup(receiver.value) if isinstance(b.value, cst.Call)]
    classes = {PREPROCESSORS.get(context.qualified(v.func) or "") or chained_fit(context, v) for v in values}
    return classes.pop() if len(classes) == 1 else None


_DECLARED_BACKEND = re.compile(r"KERAS_BACKEND['\"]?\s*\]?\s*[=,]\s*['\"]?(tensorflow|jax|torch|numpy|openvino)\b")
#: Frameworks whose import points to the Keras backend of the same name.
_BACKEND_MODULES = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}


def _backends(context: FileContext) -> list[KerasBackend]:
    """The Keras backends the file declares (``os.environ["KERAS_BACKEND"] = "jax"``,
    ``%env KERAS_BACKEND=torch``) or whose framework it imports."""
    found = [KerasBackend(name, True) for name in sorted(set(_DECLARED_BACKEND.findall(context.source)))]
    found.extend(KerasBackend(name, False) for module, name in _BACKEND_MODULES.items() if context.imports.imports_any(module))
    return found


def runs_on_tensorflow(project: ProjectContext, program: Program) -> bool:
    """The program's Keras may run on TensorFlow: it declares no other backend, and it imports
    TensorFlow or no other backend's framework (Keras 3 defaults to TensorFlow)."""
    backends = [fact for _, fact in facts_in(project, program.files, KerasBackend)]
    declared = {b.name for b in backends if b.declared}
    if declared:
        return "tensorflow" in declared
    imported = {b.name for b in backends}
    return "tensorflow" in imported or not imported


#: What a file without Keras names must mention to record a seed (qualified names hold the
#: word), a determinism setting, a model save, custom objects or a Keras backend (declared, or
#: the import of torch or jax).
_MODEL_SAVE = r"\.[\s\\]*(?:save|save_weights|export)\b"
_SECONDARY_TEXT = "|".join(
    ("seed", "determinis", "DETERMINISTIC", "custom_object", "KERAS_BACKEND", word_pattern("torch"), word_pattern("jax"), _MODEL_SAVE)
)


#: Facts a file's text alone records (``on_module_end``, ``_DECLARED_BACKEND``).
_TEXT_ONLY_FACTS = ("TF_DETERMINISTIC_OPS", "custom_object", "KERAS_BACKEND")
#: The libraries a seed or determinism call is imported from.
_SEED_ROOTS = frozenset(name.split(".", 1)[0] for name in (*SEED_FUNCTIONS, *DETERMINISM_FUNCTIONS))


@record
class _RecheckNames:
    """The names that make a left-out file matter to a program that starts a finding."""

    #: Seeding helpers, the functions that run training, the functions returning a fitted
    #: preprocessor and the module-level names bound to one: a file matters if it calls them
    #: (or passes them on), recorded as :class:`Referenced`.
    called: frozenset[str]
    #: Fitted preprocessors (and module-level names bound to them): a file matters if it dumps
    #: them (:class:`NamesSaved`'s ``dumped``).
    dumped: frozenset[str]

    @staticmethod
    def of(program_facts: Sequence[Any]) -> _RecheckNames | None:
        """None when the program starts no finding (no training, fit or custom class)."""
        called: set[str] = set()
        dumped: set[str] = set()
        calls: list[tuple[str, frozenset[str]]] = []
        starts = False
        for fact in program_facts:
            if isinstance(fact, Seeds) and fact.helper is not None:
                called.add(fact.helper)
            elif isinstance(fact, Trains):
                called.update(fact.callers)
                starts = True
            elif isinstance(fact, Referenced):
                calls.extend(fact.calls)
            elif isinstance(fact, PreprocessorFitted) and not (fact.kept or fact.targets_only):
                if fact.name is not None:
                    dumped.add(fact.name)
                # another module may call a helper returning it, or import a module-level name bound to it
                dumped.update(fact.module_names)
                called.update(fact.returned_by | fact.module_names)
                starts = True
            elif isinstance(fact, CustomClass):
                starts = True
        if not starts:
            return None
        # and the functions that call those, known from the files checked so far: a left-out file
        # calling one of them may be what runs the training (the engine repeats the recheck)
        grew = True
        while grew:
            grew = False
            for function, names in calls:
                if function not in called and any(name.lstrip(".") in called for name in names):
                    called.add(function)
                    grew = True
        return _RecheckNames(frozenset(called), frozenset(dumped))


def _call_names(file: LeftOutFile) -> python_ast.CallNames:
    tree = file.tree
    return python_ast.call_names(tree, DUMP_NAMES) if tree is not None else python_ast.CallNames(frozenset(), frozenset())


class ProjectRule(Rule):
    """A rule that reads the shared :class:`ProgramFacts` of every file.

    The first project rule created for a file drives the collector; the others only share its
    list of facts, so enabling more of them costs nothing more in the walk.
    """

    requires_keras = False  # a helper module that only calls ``random.seed`` still counts
    #: What a file without Keras names must mention to record a fact every finding of these
    #: rules starts from: training and custom Layer/Model classes need Keras names (a model or
    #: a Keras base class is only recognised through them), a fitted preprocessor (scikit-learn)
    #: needs a fit/adapt call. The other facts (seeds, determinism, saves, custom objects, names
    #: referenced or dumped) matter only in a program holding one of those: :meth:`recheck_pattern`
    #: brings such files of that program back, as parsing every file would have seen them.
    text_filter = re.compile(r"\.[\s\\]*(?:fit\w*|partial_fit|adapt)\b")

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        self._collector = ProgramFacts.of(self)
        self._drives = self._collector.owner is self
        self.facts = self._collector.facts

    @classmethod
    def recheck_pattern(cls, program_facts: Sequence[Any]) -> re.Pattern[str] | None:
        """In a program that trains, fits a preprocessor or defines a custom class (where every
        finding of these rules starts): any seed, determinism setting, save or custom-objects
        mention, a call of a seeding helper or training function, a dump of a fitted
        preprocessor."""
        wanted = _RecheckNames.of(program_facts)
        if wanted is None:
            return None
        # One alternative per name: the engine searches each once per file, whatever program asks.
        return re.compile("|".join([_SECONDARY_TEXT, *(word_pattern(n) for n in sorted(wanted.called | wanted.dumped))]))

    @classmethod
    def recheck_confirm(cls, program_facts: Sequence[Any], file: LeftOutFile) -> bool:
        """A left-out file names no Keras (and no ``fit``): training, fitted preprocessors, model
        saves and custom classes are only recognised through those, so of the facts the walk
        records it can only hold seeds, determinism settings, a Keras backend, custom objects,
        and the names it calls, passes on or dumps. Seeds and determinism calls are qualified
        names, so they need the import of their library; names need a call using them."""
        text = file.text
        if cls.text_filter is not None and cls.text_filter is not ProjectRule.text_filter:
            return True  # a subclass that leaves out other files: nothing is known of them
        if any(word in text for word in _TEXT_ONLY_FACTS) or ProjectRule.text_filter.search(text) is not None:
            return True
        if ("seed" in text or "determinis" in text) and file.imports_any(_SEED_ROOTS):
            return True
        if file.imports_any(_BACKEND_MODULES):
            return True
        wanted = _RecheckNames.of(program_facts)
        if wanted is None or not (wanted.called or wanted.dumped):
            return False
        if file.star_imports_project:
            return True  # names bound in another module (``from helpers import *``) are not in this AST
        tree = file.tree
        if tree is None:
            return True
        names = file.derived(_call_names)
        called = {python_ast.identifier(n) for n in wanted.called}
        dumped = {python_ast.identifier(n) for n in wanted.dumped}
        return not names.referenced.isdisjoint(called) or not names.in_arguments.isdisjoint(dumped)

    def visit_Call(self, node: cst.Call) -> None:
        if self._drives:
            self._collector.on_call(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._drives:
            self._collector.on_assign(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._drives:
            self._collector.on_function(node)

    def visit_If(self, node: cst.If) -> None:
        if self._drives:
            self._collector.on_if(node, True)

    def leave_If(self, node: cst.If) -> None:
        if self._drives:
            self._collector.on_if(node, False)

    def visit_Import(self, node: cst.Import) -> None:
        if self._drives:
            self._collector.on_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self._drives:
            self._collector.on_import(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._drives:
            self._collector.on_assign(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if self._drives:
            self._collector.locator.fstring_depth += 1

    def leave_FormattedString(self, node: cst.FormattedString) -> None:
        if self._drives:
            self._collector.locator.fstring_depth -= 1

    def leave_Module(self, node: cst.Module) -> None:
        if self._drives:
            self._collector.on_module_end(node)


# -- reading facts per program ---------------------------------------------------------------

FactT = TypeVar("FactT")


def facts_in(project: ProjectContext, files: Iterable[str], kind: type[FactT]) -> Iterator[tuple[str, FactT]]:
    """``(path, fact)`` for every fact of ``kind`` recorded in ``files``, in the given order."""
    for path in files:
        for fact in project.facts.get(path, ()):
            if isinstance(fact, kind):
                yield path, fact


def has_fact(project: ProjectContext, program: Program, kind: type[FactT], test: Callable[[FactT], bool] | None = None) -> bool:
    """True if a file of ``program`` recorded a fact of ``kind`` (passing ``test``, if given)."""
    return any(test is None or test(fact) for _, fact in facts_in(project, program.files, kind))


def referenced_names(project: ProjectContext, program: Program, *, outside: str) -> set[str]:
    """The names the program's files other than ``outside`` call or pass on, leaving out those
    they define themselves: what they can reach of module ``outside``."""
    return {
        name
        for path, fact in facts_in(project, program.files, Referenced)
        if path != outside
        for name in fact.names - fact.own
    }


def running_functions(project: ProjectContext, program: Program) -> set[tuple[str, str]]:
    """``(path, function name)`` of the functions that run when ``program`` runs: called (or
    passed on) by module-level code of its files, by the entry point's ``__main__`` guard or, in
    a test file, by pytest, then by those functions, transitively; ``(entry, "__main__")`` too.
    Calls are matched by name, as :class:`Referenced` records them: a name a file defines at its
    top is that file's function, any other name any file's function (or method) of that name."""
    facts = dict(facts_in(project, program.files, Referenced))
    defined: dict[str, list[str]] = {}
    for path, fact in facts.items():
        for name, _ in fact.calls:
            defined.setdefault(name, []).append(path)
    calls_of = {(path, name): called for path, fact in facts.items() for name, called in fact.calls}
    running = {(program.entry, "__main__")}
    pending: list[tuple[str, str]] = []

    def reach(path: str, names: Iterable[str]) -> None:
        own = facts[path].own if path in facts else frozenset()
        for spelt in names:
            name = spelt.lstrip(".")
            for target in (path,) if spelt in own else defined.get(name, ()):
                if (target, name) not in running:
                    running.add((target, name))
                    pending.append((target, name))

    for path, fact in facts.items():
        reach(path, fact.on_import)
        if path == program.entry:
            reach(path, fact.as_entry)
    while pending:
        reach(pending[-1][0], calls_of.get(pending.pop(), ()))
    return running


def programs_with(project: ProjectContext, path: str) -> tuple[Program, ...]:
    """The programs ``path`` runs in (a file the model does not know forms its own)."""
    found = project.programs.programs_of(path)
    return found or (Program(path, (path,), {path: "__main__"}),)
