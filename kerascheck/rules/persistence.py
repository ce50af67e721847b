"""KC4xx: what a saved model needs at inference time, and how it is loaded.

KC401 and KC404 are project rules: they read the facts the shared
:class:`~kerascheck.rules.program_facts.ProgramFacts` collector records (preprocessors fitted,
names dumped, models saved, custom classes) over each program that runs the file, so a scaler
dumped in another module of the same program counts as saved, and a file of another program
does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Finding, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.rules import matchers as m
from kerascheck.rules.program_facts import (
    FIT_METHODS,
    KERAS_PREPROCESSING_LAYERS,
    LOADERS,
    ONE_HOT,
    PREPROCESSORS,
    CustomClass,
    CustomObjectsGiven,
    NamesSaved,
    PreprocessorFitted,
    ProjectRule,
    SavedClass,
    SavesModel,
    chained_fit,
    facts_in,
    is_training_call,
    preprocessor_class,
    programs_with,
    referenced_names,
    targets_only,
)
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.names import dotted
from kerascheck.static.programs import Program
from kerascheck.static.semantic import Site


class UnsavedPreprocessor(ProjectRule):
    """
    ## What it does
    Finds preprocessors (``StandardScaler``, ``MinMaxScaler``, ``LabelEncoder``,
    ``OneHotEncoder``, ``Tokenizer``, an adapted ``TextVectorization``/``Normalization`` used
    outside the model, ...) fitted in a program that saves its model but never saves the
    preprocessor: the fitted object (followed through names, the items of dicts and tuples,
    helpers' returns and the file's own functions) never reaches a ``joblib``/``pickle`` dump,
    a ``to_json``, an attribute of another object or code the file does not show, in that
    file or in any module of the same program. A scaler kept only in an in-memory dict, or
    returned by a helper whose caller drops it, is lost when the program ends.

    ## Why is this bad?
    The saved model only works on inputs transformed exactly as in training. Without the
    fitted scaler, vocabulary or label mapping, the inference script refits a new one (on
    different data) or skips the step, and predictions are silently wrong. A Keras
    preprocessing layer used inside the saved model is saved with it and is not reported.

    ## Example
    ```python
    scaler = StandardScaler()
    x_train = scaler.fit_transform(x_train)
    model.fit(x_train, y_train)
    model.save("model.keras")
    ```

    ## Use instead
    ```python
    scaler = StandardScaler()
    x_train = scaler.fit_transform(x_train)
    model.fit(x_train, y_train)
    model.save("model.keras")
    joblib.dump(scaler, "scaler.joblib")
    ```
    """

    code = "KC401"
    name = "unsaved-preprocessor"
    summary = "A fitted preprocessor is not saved with the model"
    VALID = (
        (
            "import joblib\n"
            "import keras\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "scaler = StandardScaler()\n"
            "x = scaler.fit_transform(x)\n"
            "model = keras.Sequential()\n"
            "model.save('m.keras')\n"
            "joblib.dump(scaler, 'scaler.joblib')\n"
        ),
        # the model is never saved: nothing to pair the scaler with
        (
            "import keras\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "scaler = StandardScaler()\n"
            "x = scaler.fit_transform(x)\n"
            "model = keras.Sequential()\n"
            "model.fit(x, y)\n"
        ),
        # a Keras preprocessing layer inside the saved model is saved with it
        (
            "import keras\n"
            "norm = keras.layers.Normalization()\n"
            "norm.adapt(x)\n"
            "model = keras.Sequential([norm, keras.layers.Dense(1)])\n"
            "model.save('m.keras')\n"
        ),
        (
            "import keras\n"
            "vec = keras.layers.TextVectorization()\n"
            "vec.adapt(texts)\n"
            "inputs = keras.Input((1,), dtype='string')\n"
            "model = keras.Model(inputs, keras.layers.Dense(1)(vec(inputs)))\n"
            "model.save('m.keras')\n"
        ),
        (
            "import json\n"
            "import keras\n"
            "from tensorflow.keras.preprocessing.text import Tokenizer\n"
            "tok = Tokenizer()\n"
            "tok.fit_on_texts(texts)\n"
            "with open('tok.json', 'w') as f:\n"
            "    f.write(tok.to_json())\n"
            "model = keras.Sequential()\n"
            "model.save('m.keras')\n"
        ),
        # a one-hot encoding that only becomes the training targets: the argmax decodes it
        (
            "import numpy as np\n"
            "import keras\n"
            "from sklearn.preprocessing import OneHotEncoder\n"
            "\n"
            "def onehot(x):\n"
            "    return np.array(OneHotEncoder().fit_transform(x.reshape(-1, 1)).todense())\n"
            "\n"
            "trn_labels = onehot(trn_classes)\n"
            "val_labels = onehot(val_classes)\n"
            "model = keras.Sequential()\n"
            "model.fit(x, trn_labels, validation_data=(xv, val_labels))\n"
            "model.save('m.keras')\n"
        ),
        # handed back to the caller
        (
            "import keras\n"
            "from sklearn.preprocessing import MinMaxScaler\n"
            "\n"
            "def prepare(x):\n"
            "    scaler = MinMaxScaler()\n"
            "    return scaler.fit_transform(x), scaler\n"
            "\n"
            "model = keras.Sequential()\n"
            "model.save('m.keras')\n"
        ),
        # constructed and fitted in one chain, bound to a name that is dumped
        (
            "import joblib\n"
            "import keras\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "scaler = StandardScaler().fit(x_train)\n"
            "model = keras.Sequential()\n"
            "model.save('m.keras')\n"
            "joblib.dump(scaler, 'scaler.joblib')\n"
        ),
        # the helper's dict (holding the scaler) is pickled by its caller
        (
            "import pickle\n"
            "import keras\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "\n"
            "def load_data(raw):\n"
            "    scaler = StandardScaler()\n"
            "    data = {'x': scaler.fit_transform(raw)}\n"
            "    data['scaler'] = scaler\n"
            "    return data\n"
            "\n"
            "data = load_data(raw)\n"
            "model = keras.Sequential()\n"
            "model.fit(data['x'], y)\n"
            "model.save('m.keras')\n"
            "with open('data.pkl', 'wb') as f:\n"
            "    pickle.dump(data, f)\n"
        ),
        # the vocabulary (a view of the tokenizer's state) is written
        (
            "import json\n"
            "import keras\n"
            "from keras.preprocessing.text import Tokenizer\n"
            "tok = Tokenizer()\n"
            "tok.fit_on_texts(texts)\n"
            "vocab = tok.word_index\n"
            "model = keras.Sequential()\n"
            "model.save_weights('w.weights.h5')\n"
            "json.dump(vocab, open('vocab.json', 'w'))\n"
        ),
        # stored on an object that outlives the function
        (
            "import keras\n"
            "from sklearn.preprocessing import MinMaxScaler\n"
            "\n"
            "class Trainer:\n"
            "    def prepare(self, x):\n"
            "        scaler = MinMaxScaler()\n"
            "        self.x = scaler.fit_transform(x)\n"
            "        self.scaler = scaler\n"
            "\n"
            "model = keras.Sequential()\n"
            "model.save('m.keras')\n"
        ),
        Valid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "from artifacts import save_all\n"
                "scaler = StandardScaler()\n"
                "scaler.fit(x)\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            project={"artifacts.py": "import joblib\n\ndef save_all():\n    joblib.dump(scaler, 'scaler.pkl')\n"},
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "scaler = StandardScaler()\n"
                "x_train = scaler.fit_transform(x_train)\n"
                "model = keras.Sequential()\n"
                "model.fit(x_train, y)\n"
                "model.save('model.keras')\n"
            ),
            line=4, message="`scaler`",
        ),
        # a one-hot encoding of the inputs (not the targets) is needed at inference
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import OneHotEncoder\n"
                "\n"
                "def encode(x):\n"
                "    return OneHotEncoder().fit_transform(x)\n"
                "\n"
                "model = keras.Sequential()\n"
                "model.fit(encode(x), y)\n"
                "model.save('m.keras')\n"
            ),
            line=5,
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "from tensorflow.keras.preprocessing.text import Tokenizer\n"
                "tokenizer = Tokenizer(num_words=1000)\n"
                "tokenizer.fit_on_texts(texts)\n"
                "model = tf.keras.Sequential()\n"
                "model.save_weights('w.weights.h5')\n"
            ),
            line=4,
        ),
        # adapted layer used only in a tf.data map: the saved model lacks it
        Invalid(
            (
                "import keras\n"
                "vec = keras.layers.TextVectorization()\n"
                "vec.adapt(texts)\n"
                "ds = ds.map(lambda x, y: (vec(x), y))\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            line=3,
        ),
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "x = StandardScaler().fit_transform(x)\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            line=3,
        ),
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "scaler = StandardScaler().fit(x_train)\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            line=3, message="`scaler`",
        ),
        # kept in an in-memory dict the callers only read other items of
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "\n"
                "def load_data(raw):\n"
                "    scaler = StandardScaler()\n"
                "    data = {'x': scaler.fit_transform(raw)}\n"
                "    data['scaler'] = scaler\n"
                "    return data\n"
                "\n"
                "def main():\n"
                "    data = load_data(raw)\n"
                "    model = keras.Sequential()\n"
                "    model.fit(data['x'], y)\n"
                "    model.save('m.keras')\n"
            ),
            line=6, message="`scaler`",
        ),
        # returned by a helper, then dropped by its caller
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import MinMaxScaler\n"
                "\n"
                "def scale(df, scaler=None):\n"
                "    if scaler is None:\n"
                "        scaler = MinMaxScaler()\n"
                "    return scaler, scaler.fit_transform(df)\n"
                "\n"
                "def prep(train, test):\n"
                "    scaler, train = scale(train)\n"
                "    _, test = scale(test, scaler)\n"
                "    return train, test\n"
                "\n"
                "x, x_test = prep(a, b)\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            line=7,
        ),
        # only applied in an input pipeline (a function handed to ``map``), not in the saved model
        Invalid(
            (
                "import keras\n"
                "vec = keras.layers.TextVectorization()\n"
                "vec.adapt(texts)\n"
                "\n"
                "def vectorize(text, label):\n"
                "    return vec(text), label\n"
                "\n"
                "ds = ds.map(vectorize)\n"
                "model = keras.Sequential()\n"
                "model.save('m.keras')\n"
            ),
            line=3,
        ),
        # the weights are saved through a tf.train.Checkpoint tracking the model
        Invalid(
            (
                "import tensorflow as tf\n"
                "tok = tf.keras.preprocessing.text.Tokenizer()\n"
                "tok.fit_on_texts(texts)\n"
                "word2idx = tok.word_index\n"
                "model = tf.keras.Sequential()\n"
                "checkpoint = tf.train.Checkpoint(optimizer=optimizer, model=model)\n"
                "checkpoint.save(file_prefix='ckpt')\n"
            ),
            line=3,
        ),
        # the model is saved by another module of the program
        Invalid(
            "import keras\nfrom sklearn.preprocessing import LabelEncoder\nimport saving\nenc = LabelEncoder()\ny = enc.fit_transform(labels)\n",
            project={"saving.py": "import keras\nimport example\nmodel = keras.Sequential()\nmodel.save('m.keras')\n"},
            line=5,
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        reported: set[tuple[str, str | None]] = set()
        for path, fit in facts_in(project, sorted(project.facts), PreprocessorFitted):
            if fit.targets_only or fit.kept:
                continue
            key = (path, fit.name)
            if key in reported and fit.name is not None:
                continue

            def loses_it(program: Program, fit: PreprocessorFitted = fit, path: str = path) -> bool:
                if not any(True for _ in facts_in(project, program.files, SavesModel)):
                    return False
                dumped = {n for _, f in facts_in(project, program.files, NamesSaved) for n in f.dumped}
                if fit.name is not None and fit.name in dumped:
                    return False  # a module of the program dumps a preprocessor of that name
                taken = referenced_names(project, program, outside=path)  # what other modules call or pass on
                return not (fit.returned_by & taken or fit.module_names & (taken | dumped))

            if not any(loses_it(program) for program in programs_with(project, path)):
                continue
            reported.add(key)
            what = f"`{fit.name}` ({fit.cls})" if fit.name else f"this {fit.cls}"
            where = "is used outside the saved model and " if fit.cls in KERAS_PREPROCESSING_LAYERS else ""
            yield cls.finding_at(
                fit.location,
                f"{what} is fitted here and {where}never saved, but the program saves the model: "
                "inference cannot reproduce this transformation; save it (e.g. `joblib.dump`) next to the model",
            )


#: Names of loaded objects that hold a preprocessor (a loaded ``clf`` may rightly be refitted).
_PREPROCESSOR_NAME = re.compile(r"scaler|encoder|tokeni[sz]er|vectori[sz]er|normali[sz]er|pca|imputer|transformer|binarizer|lookup", re.IGNORECASE)
_EVAL_DATA = re.compile(r"(?:^|_|\.)(?:test|tst|val|valid|validation|holdout|dev|eval)(?:_|$|\d|s\b)", re.IGNORECASE)


class RefitPreprocessorAtInference(Rule):
    """
    ## What it does
    Finds ``fit``/``fit_transform``/``fit_on_texts``/``adapt`` on a preprocessor given test or
    validation data (``x_test``, ``val_df``), on a preprocessor loaded from disk, or in an
    inference script (one that loads a model and does not train).

    ## Why is this bad?
    A preprocessor must be fitted once, on the training data, and then only ``transform``
    data. Refitting it on test data leaks test statistics into the evaluation; refitting at
    inference computes different statistics (or a different vocabulary / label order) from
    those the model was trained with, so predictions are silently wrong.

    ## Example
    ```python
    x_train = scaler.fit_transform(x_train)
    x_test = scaler.fit_transform(x_test)
    ```

    ## Use instead
    ```python
    x_train = scaler.fit_transform(x_train)
    x_test = scaler.transform(x_test)
    ```
    """

    code = "KC402"
    name = "refit-preprocessor-at-inference"
    summary = "Preprocessor refitted on test data or at inference"
    VALID = (
        (
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "scaler = StandardScaler()\n"
            "x_train = scaler.fit_transform(x_train)\n"
            "x_test = scaler.transform(x_test)\n"
        ),
        (
            "import joblib\n"
            "import keras\n"
            "scaler = joblib.load('scaler.joblib')\n"
            "model = keras.models.load_model('m.keras')\n"
            "model.predict(scaler.transform(x))\n"
        ),
        # fine-tuning script: loads a model and trains it
        (
            "import keras\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "model = keras.models.load_model('m.keras')\n"
            "scaler = StandardScaler()\n"
            "x = scaler.fit_transform(x)\n"
            "model.fit(x, y)\n"
        ),
        # ``model.fit(x_test)`` is not a preprocessor
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x_val, y_val)\n",
        (
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "scaler = StandardScaler()\n"
            "x_testing_free = scaler.fit_transform(latest_x)\n"
        ),
        # fitted at inference only to plot the model's outputs (corpus: probing_vits.py)
        (
            "import keras\n"
            "from sklearn.preprocessing import MinMaxScaler\n"
            "model = keras.models.load_model('m.keras')\n"
            "projections = model.predict(images)\n"
            "scaled = MinMaxScaler().fit_transform(projections)\n"
            "plot(scaled)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaler = StandardScaler()\n"
                "x_train = scaler.fit_transform(x_train)\n"
                "x_test = scaler.fit_transform(x_test)\n"
            ),
            line=5, message="`x_test`",
        ),
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import MinMaxScaler\n"
                "model = keras.models.load_model('m.keras')\n"
                "scaler = MinMaxScaler()\n"
                "x = scaler.fit_transform(new_data)\n"
                "print(model.predict(x))\n"
            ),
            line=5, message="inference",
        ),
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "model = keras.models.load_model('m.keras')\n"
                "scaler = StandardScaler()\n"
                "scaler.fit(rows)\n"
                "print(model(scaler.transform(rows)))\n"
            ),
            line=5,
        ),
        Invalid(
            "import joblib\nimport keras\nscaler = joblib.load('scaler.joblib')\nscaler.fit(x)\n",
            line=4, message="loaded",
        ),
        # fitted in a chain at inference, then used to transform the model's input
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "model = keras.models.load_model('m.keras')\n"
                "scaler = StandardScaler().fit(rows)\n"
                "print(model.predict(scaler.transform(rows)))\n"
            ),
            line=4, message="inference",
        ),
        Invalid(
            (
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaler = StandardScaler().fit(x_train)\n"
                "x_test = scaler.fit_transform(x_test)\n"
            ),
            line=4, message="`x_test`",
        ),
        Invalid(
            "import tensorflow as tf\nvec = tf.keras.layers.TextVectorization()\nvec.adapt(val_ds.map(lambda x, y: x))\n",
            line=3,
        ),
        # a helper that fits whatever it is given, called with the test data
        Invalid(
            (
                "import keras\n"
                "from sklearn.preprocessing import MinMaxScaler\n"
                "\n"
                "def scale(df, scaler=None):\n"
                "    if not scaler:\n"
                "        scaler = MinMaxScaler()\n"
                "    return scaler, scaler.fit_transform(df.values)\n"
                "\n"
                "scaler, train = scale(df_train)\n"
                "scaler, test = scale(df_test, scaler)\n"
            ),
            line=10, message="`df_test`",
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Preprocessor fits that may be at inference, with the receiver's bindings at the fit.
        self._fits: list[tuple[cst.Call, frozenset[int]]] = []
        #: id(a fit, or a ``transform`` by a preprocessor fitted here) -> the fit call.
        self._sources: dict[int, cst.Call] = {}
        self._feeds: list[tuple[cst.Call, Site]] = []  # calls of the model (decided at the end)
        #: Fits on data a parameter holds: (fit call, the parameter's name, where).
        self._parameter_fits: list[tuple[cst.Call, str, Site]] = []
        self._one_hot: list[tuple[cst.Call, str, Site]] = []  # ... of those, one-hot encoders
        self._trains = False
        self._loads_model = False

    def _kind(self, receiver: cst.BaseExpression) -> str | None:
        """``"new"`` for a preprocessor constructed here (``StandardScaler()``, also fitted in a
        chain), ``"loaded"`` for one loaded fitted (``joblib.load`` into a preprocessor-named
        name), through the bindings the use sees; else None."""
        if isinstance(receiver, cst.Call):
            return "new" if (self.context.qualified(receiver.func) or "") in PREPROCESSORS else None
        if not isinstance(receiver, cst.Name):
            return None
        kinds = set()
        for binding in self.context.semantic.lookup(receiver.value):
            value = binding.value
            if not isinstance(value, cst.Call):
                continue
            qualified = self.context.qualified(value.func) or ""
            if qualified in PREPROCESSORS or chained_fit(self.context, value) is not None:
                kinds.add("new")
            elif qualified in LOADERS and _PREPROCESSOR_NAME.search(receiver.value):
                kinds.add("loaded")
        return "loaded" if kinds == {"loaded"} else "new" if "new" in kinds else None

    def _bindings(self, receiver: cst.BaseExpression) -> frozenset[int]:
        if not isinstance(receiver, cst.Name):
            return frozenset()
        return frozenset(id(b) for b in self.context.semantic.lookup(receiver.value))

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if context.qualified(node.func) in ("keras.models.load_model", "keras.saving.load_model"):
            self._loads_model = True
            return
        if is_training_call(context, node):
            self._trains = True
            return
        method = ah.method_call(node)
        if self._feeds_model(node, method):
            self._feeds.append((node, context.semantic.here()))
            return
        if method is None:
            return
        receiver, verb = method
        if verb in ("transform", "texts_to_sequences"):
            bindings = self._bindings(receiver)
            fit = next((f for f, fitted in reversed(self._fits) if bindings & fitted), None)
            if fit is not None:
                self._sources[id(node)] = fit
            return
        if verb not in FIT_METHODS:
            return
        kind = self._kind(receiver)
        if kind is None:
            return
        if kind == "loaded":
            self.report(
                node, f"`{context.code(receiver)}` was loaded fitted and is refitted here: its training statistics are replaced; use `transform`"
            )
            return
        data = ah.argument(node, 0, "X") or ah.argument(node, 0, "data") or ah.argument(node, 0, "texts")
        name = _data_name(data)
        if name is not None and _EVAL_DATA.search(name):
            self.report(node, f"preprocessor fitted on `{name}` (test/validation data): fit on the training data only and `transform` the rest")
            return
        self._sources[id(node)] = node  # ``x = scaler.fit_transform(x)``, ``StandardScaler().fit(x)``
        self._fits.append((node, self._bindings(receiver)))
        if name is not None:  # fitted on a parameter: what the file's calls pass is decided at the end
            root = name.split(".", 1)[0]
            if any(b.kind == "param" for b in context.semantic.lookup(root)):
                if preprocessor_class(context, receiver) not in ONE_HOT:
                    self._parameter_fits.append((node, root, context.semantic.here()))
                else:  # a one-hot encoding of labels refitted per data set: only when it feeds inputs
                    self._one_hot.append((node, root, context.semantic.here()))

    def _feeds_model(self, node: cst.Call, method: tuple[cst.BaseExpression, str] | None) -> bool:
        """``model.predict(...)``, ``model.predict_on_batch(...)`` or ``model(...)``."""
        if method is not None:
            return method[1] in ("predict", "predict_on_batch") and m.receiver_is_model(self.context, method[0], method[1])
        return isinstance(node.func, cst.Name) and self.context.semantic.is_model(node.func)

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        if self._one_hot:  # one-hot labels (targets only) decode by argmax: refitting them is harmless
            targets = targets_only(self.context, [call for call, _, _ in self._one_hot])
            self._parameter_fits.extend(fit for fit in self._one_hot if id(fit[0]) not in targets)
        for call, parameter, site in self._parameter_fits:
            # ``def scale(df, scaler): scaler.fit_transform(df)`` called with ``scale(df_test, scaler)``
            function = site.function
            for binding in semantic.lookup(parameter, site):
                if binding.kind != "param" or function is None:
                    continue
                for value, _ in semantic.arguments_for(binding) or ():
                    name = _data_name(value)
                    if name is not None and _EVAL_DATA.search(name):
                        fitted_at = self.context.location(call).cite(seen_from=self.context.path)
                        self.report(
                            value,
                            f"`{name}` (test/validation data) is passed to `{function.name.value}`, which fits a preprocessor on it "
                            f"({fitted_at}): fit on the training data only and `transform` the rest",
                        )
        if self._loads_model and not self._trains and self._fits:
            sources, fed = set(self._sources), set()
            for call, site in self._feeds:
                for arg in call.args:
                    found = self.context.semantic.flows_from(arg.value, sources, site)
                    if found is not None:
                        fed.add(id(self._sources[found]))
            for call, _ in self._fits:
                if id(call) in fed:
                    self.report(call, (
                        "preprocessor fitted in inference code (a model is loaded, nothing trains) and its output is fed to the model: load the"
                        " preprocessor fitted at training time and only `transform`"
                    ))


def _data_name(expr: cst.BaseExpression | None) -> str | None:
    """The dotted name of the data a fit call gets (``x_test``, ``df.text``, ``val_ds.map(...)``)."""
    while expr is not None:
        if isinstance(expr, cst.Subscript):
            expr = expr.value
        elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        else:
            break
    return dotted(expr) if expr is not None else None


class UnsafeModelLoad(Rule):
    """
    ## What it does
    Finds ``load_model(..., safe_mode=False)`` and
    ``keras.config.enable_unsafe_deserialization()``, loading an HDF5 model downloaded with
    ``keras.utils.get_file``, and ``Lambda`` layers holding Python code in a file that saves
    the whole model.

    ## Why is this bad?
    A ``Lambda`` layer stores Python bytecode in the saved file; loading it runs that code.
    Keras refuses such files by default (``safe_mode=True``); turning that off on a file you did
    not produce runs arbitrary code. Legacy ``.h5`` files bypass the ``.keras`` format's checks.
    Saving a model with a ``Lambda`` forces every consumer to load it unsafely.

    ## Example
    ```python
    model = keras.models.load_model(path, safe_mode=False)
    ```

    ## Use instead
    ```python
    model = keras.models.load_model(path)  # replace Lambda layers with registered custom layers
    ```
    """

    code = "KC403"
    name = "unsafe-model-load"
    summary = "Model loaded (or saved) in a way that runs arbitrary Python code"
    severity = Severity.WARNING
    VALID = (
        "import keras\nmodel = keras.models.load_model('m.keras')\n",
        "import keras\nmodel = keras.models.load_model('m.keras', safe_mode=True)\n",
        # a Lambda in a model that is not saved whole
        "import keras\nmodel = keras.Sequential([keras.layers.Lambda(lambda x: x * 2)])\nmodel.save_weights('w.weights.h5')\n",
        "import keras\nmodel = keras.models.load_model('local_model.h5')\n",
    )
    INVALID = (
        Invalid("import keras\nmodel = keras.models.load_model('m.keras', safe_mode=False)\n", line=2, message="safe_mode=False"),
        Invalid("import keras\nkeras.config.enable_unsafe_deserialization()\n", line=2),
        Invalid(
            (
                "import tensorflow as tf\n"
                "path = tf.keras.utils.get_file('model.h5', 'https://example.com/model.h5')\n"
                "model = tf.keras.models.load_model(path)\n"
            ),
            line=3, message="downloaded",
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Lambda(lambda x: x * 2)])\nmodel.save('m.keras')\n",
            line=2, message="Lambda",
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        self._lambdas: list[cst.Call] = []
        self._saves_full = False

    def _download_ending(self, path: cst.BaseExpression | None) -> str | None:
        """The file-name ending of a ``keras.utils.get_file`` download ``path`` holds (directly
        or through the bindings of a name), else None."""
        context = self.context
        candidates = [path]
        if isinstance(path, cst.Name):
            candidates = [b.value for b in context.semantic.lookup(path.value)]
        for value in candidates:
            if isinstance(value, cst.Call) and context.qualified(value.func) == "keras.utils.get_file":
                return m.path_literal(ah.argument(value, 0, "fname"), context) or m.path_literal(ah.argument(value, 1, "origin"), context) or ""
        return None

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        qualified = context.qualified(node.func)
        if qualified in ("keras.models.load_model", "keras.saving.load_model"):
            if ah.is_false(ah.keyword_value(node, "safe_mode")):
                self.report(node, "`safe_mode=False` lets the file run arbitrary Python code when loaded; only use it on files you produced")
                return
            ending = self._download_ending(ah.argument(node, 0, "filepath"))
            if ending is not None and ending.lower().endswith((".h5", ".hdf5")):
                self.report(node, (
                    "legacy `.h5` model downloaded and loaded: the HDF5 format is not covered by the `.keras` format's safe-mode checks; prefer a"
                    " trusted `.keras` file"
                ))
        elif qualified == "keras.config.enable_unsafe_deserialization":
            self.report(node, "unsafe deserialization lets loaded files run arbitrary Python code (Lambda layers)")
        elif qualified == "keras.layers.Lambda":
            function = ah.argument(node, 0, "function")
            if function is not None:
                self._lambdas.append(node)
        elif qualified in ("keras.models.save_model", "keras.saving.save_model"):
            self._saves_full = True
        else:
            method = ah.method_call(node)
            if method is not None and method[1] == "save" and qualified is None and m.receiver_is_model(context, method[0], "save"):
                self._saves_full = True

    def leave_Module(self, node: cst.Module) -> None:
        if self._saves_full:
            for call in self._lambdas:
                self.report(call, (
                    "`Lambda` layer in a model saved whole: loading it needs `safe_mode=False` (it runs stored Python code); use a registered"
                    " custom layer"
                ))


class UnregisteredCustomObject(ProjectRule):
    """
    ## What it does
    Finds custom ``Layer``/``Model`` subclasses without
    ``@keras.saving.register_keras_serializable()`` in a program that saves the whole model
    (``model.save``, ``save_model``, a full-model ``ModelCheckpoint``), when no
    ``custom_objects`` are given to ``load_model`` anywhere in the program. Weights-only
    saving needs neither.

    ## Why is this bad?
    The saved file names the class, but ``load_model`` can only find registered classes (or
    those passed in ``custom_objects``): loading fails with "could not be deserialized" (measured
    on Keras 3.15, even in the process that saved it). Under Keras 2, a class whose ``__init__``
    takes arguments also needs ``get_config``, or saving raises ``NotImplementedError``.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * 2

    model.save("model.keras")
    ```

    ## Use instead
    ```python
    @keras.saving.register_keras_serializable(package="my_project")
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * 2

    model.save("model.keras")
    ```
    """

    code = "KC404"
    name = "unregistered-custom-object"
    summary = "Custom layer/model saved whole but not registered for loading"
    VALID = (
        (
            "import keras\n"
            "@keras.saving.register_keras_serializable()\n"
            "class Scale(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        return x\n"
            "model = keras.Sequential([Scale()])\n"
            "model.save('m.keras')\n"
        ),
        (
            "import keras\n"
            "class Scale(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        return x\n"
            "model = keras.Sequential([Scale()])\n"
            "model.save_weights('m.weights.h5')\n"
        ),
        (
            "import keras\n"
            "class Scale(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        return x\n"
            "model = keras.Sequential([Scale()])\n"
            "model.save('m.keras')\n"
            "m2 = keras.models.load_model('m.keras', custom_objects={'Scale': Scale})\n"
        ),
        (
            "import keras\n"
            "class Scale(keras.layers.Layer):\n"
            "    def call(self, x):\n"
            "        return x\n"
            "model = keras.Sequential([Scale()])\n"
            "model.fit(x, y)\n"
        ),
        # the saved models are functional encoders, not the subclass (corpus: nl_image_search.py)
        (
            "import keras\n"
            "class DualEncoder(keras.Model):\n"
            "    def call(self, x):\n"
            "        return x\n"
            "encoder = keras.Sequential([keras.layers.Dense(2)])\n"
            "dual = DualEncoder()\n"
            "dual.fit(x)\n"
            "encoder.save('enc.keras')\n"
        ),
        (
            "import tensorflow as tf\n"
            "from tensorflow.keras.utils import register_keras_serializable\n"
            "@register_keras_serializable(package='p')\n"
            "class Scale(tf.keras.layers.Layer):\n"
            "    pass\n"
            "model = tf.keras.Sequential([Scale()])\n"
            "tf.keras.models.save_model(model, 'm.keras')\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "class Scale(keras.layers.Layer):\n"
                "    def call(self, x):\n"
                "        return x * 2\n"
                "model = keras.Sequential([Scale()])\n"
                "model.save('m.keras')\n"
            ),
            line=2, message="register_keras_serializable",
        ),
        Invalid(
            "import keras\nimport train\n\nclass Block(keras.Model):\n    def call(self, x):\n        return x\n",
            project={"train.py": "import keras\nfrom example import Block\nmodel = Block()\nmodel.save('m.keras')\n"},
            line=4,
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "class Scale(tf.keras.layers.Layer):\n"
                "    def __init__(self, factor, **kwargs):\n"
                "        super().__init__(**kwargs)\n"
                "        self.factor = factor\n"
                "model = tf.keras.Sequential([Scale(2)])\n"
                "model.save('m.h5')\n"
            ),
            target_keras="2.15", message="get_config",
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        for path, custom in facts_in(project, sorted(project.facts), CustomClass):
            if custom.registered:
                continue

            def saves_it(program: Program, custom: CustomClass = custom) -> bool:
                files = program.files
                if not any(f.full for _, f in facts_in(project, files, SavesModel)):
                    return False
                # a Model subclass is only in the saved file when one of its instances is saved
                return not custom.is_model or any(f.name == custom.name for _, f in facts_in(project, files, SavedClass))

            programs = programs_with(project, path)
            if not any(saves_it(program) for program in programs):
                continue
            # The model is loaded by another program (``predict.py``) that runs this file too.
            if any(True for program in programs for _ in facts_in(project, program.files, CustomObjectsGiven)):
                continue
            message = (
                f"custom class `{custom.name}` is saved as part of a whole model but is not registered: "
                "`load_model` cannot find it; decorate it with `@keras.saving.register_keras_serializable()` "
                "or pass `custom_objects=` when loading"
            )
            if project.keras_major < 3 and custom.init_params and not custom.has_get_config:
                message += "; its `__init__` takes arguments, so it also needs `get_config` (Keras 2 raises NotImplementedError when saving)"
            yield cls.finding_at(custom.location, message)


_SPLITS = frozenset({"sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"})
#: ``np.split(x, [n])``: split points given explicitly, along the rows.
_ARRAY_SPLITS = frozenset({"numpy.split", "numpy.array_split"})
#: Cross-validation splitters whose ``split`` yields row indices.
_CV_SPLITTERS = frozenset(
    f"sklearn.model_selection.{n}"
    for n in ("KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "RepeatedKFold",
              "RepeatedStratifiedKFold", "ShuffleSplit", "StratifiedShuffleSplit", "TimeSeriesSplit")
)
#: Preprocessors whose fitted statistics leak from the test rows (labels encoders do not).
_FEATURE_PREPROCESSORS = frozenset(
    {"StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "QuantileTransformer",
     "PowerTransformer", "KBinsDiscretizer", "PCA", "TruncatedSVD", "SimpleImputer", "TfidfVectorizer",
     "Normalization", "TargetEncoder"}
)


class FitBeforeSplit(Rule):
    """
    ## What it does
    Finds a feature preprocessor (scaler, PCA, imputer, TF-IDF, ``Normalization.adapt``)
    fitted on a data set that is split into train and test afterwards, in the same scope:
    by ``train_test_split``, by complementary row slices (``x[:n]`` and ``x[n:]``, also
    ``x[:-n]``/``x[-n:]`` and ``x[n:len(x)]``), by ``np.split(x, [n, ...])``, or by indexing it
    with the fold indices of a ``KFold``/``StratifiedKFold``/... ``split`` loop. A single slice
    (a subset) is not a split.

    ## Why is this bad?
    The scaler's mean and variance (or the PCA axes, the imputed values) are computed with the
    test rows: information from the test set leaks into training and the evaluation is
    optimistic. Label encoders are not reported (fitting them on every label is harmless).

    ## Example
    ```python
    x = StandardScaler().fit_transform(x)
    x_train, x_test, y_train, y_test = train_test_split(x, y)
    ```

    ## Use instead
    ```python
    x_train, x_test, y_train, y_test = train_test_split(x, y)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    ```
    """

    code = "KC405"
    name = "fit-before-split"
    summary = "Preprocessor fitted on the whole data set before the train/test split"
    VALID = (
        (
            "from sklearn.model_selection import train_test_split\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "x_tr, x_te, y_tr, y_te = train_test_split(x, y)\n"
            "scaler = StandardScaler()\n"
            "x_tr = scaler.fit_transform(x_tr)\n"
        ),
        # labels encoded before the split: harmless
        (
            "from sklearn.model_selection import train_test_split\n"
            "from sklearn.preprocessing import LabelEncoder\n"
            "import keras\n"
            "y = LabelEncoder().fit_transform(y)\n"
            "x_tr, x_te, y_tr, y_te = train_test_split(x, y)\n"
        ),
        # fitted on another array than the one split
        (
            "from sklearn.model_selection import train_test_split\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "scaler = StandardScaler()\n"
            "other = scaler.fit_transform(reference)\n"
            "x_tr, x_te = train_test_split(x)\n"
        ),
        # one slice is a subset, not a split; windows are not a split either
        (
            "from sklearn.preprocessing import MinMaxScaler\n"
            "import keras\n"
            "data = MinMaxScaler().fit_transform(data)\n"
            "sample = data[:100]\n"
            "windows = [data[i:i + 10] for i in range(90)]\n"
        ),
        # split first by slicing, then fit on the training rows
        (
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "train, test = data[:800], data[800:]\n"
            "scaler = StandardScaler().fit(train)\n"
            "train, test = scaler.transform(train), scaler.transform(test)\n"
        ),
        # fitted on the head rows only: the split came first
        (
            "from sklearn.preprocessing import MinMaxScaler\n"
            "import keras\n"
            "n = 800\n"
            "scaler = MinMaxScaler().fit(data[:n])\n"
            "train, test = scaler.transform(data[:n]), scaler.transform(data[n:])\n"
        ),
        # the scaled name was rebound to other data before being sliced
        (
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "x = StandardScaler().fit_transform(x)\n"
            "x = load_raw()\n"
            "train, test = x[:800], x[800:]\n"
        ),
        # np.split across the feature axis
        (
            "import numpy as np\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "x = StandardScaler().fit_transform(x)\n"
            "left, right = np.split(x, [3], axis=1)\n"
        ),
        # only the shape of the scaled data is used by what is split
        (
            "import numpy as np\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "data = StandardScaler().fit_transform(data)\n"
            "mask = np.zeros(len(data))\n"
            "first, second = mask[:100], mask[100:]\n"
        ),
        # the fold loop indexes the raw data; the scaler is refitted in each fold
        (
            "from sklearn.model_selection import KFold\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "import keras\n"
            "for tr, te in KFold(5).split(raw):\n"
            "    scaler = StandardScaler()\n"
            "    x_tr = scaler.fit_transform(raw[tr])\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "from sklearn.model_selection import train_test_split\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaler = StandardScaler()\n"
                "x = scaler.fit_transform(x)\n"
                "x_tr, x_te, y_tr, y_te = train_test_split(x, y)\n"
            ),
            line=5, message="train_test_split",
        ),
        Invalid(
            (
                "from sklearn.model_selection import train_test_split\n"
                "from sklearn.preprocessing import MinMaxScaler\n"
                "import keras\n"
                "\n"
                "def load():\n"
                "    scaled = MinMaxScaler().fit_transform(data)\n"
                "    return train_test_split(scaled, labels, test_size=0.2)\n"
            ),
            line=6,
        ),
        Invalid(
            (
                "from sklearn.model_selection import train_test_split\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaler = StandardScaler()\n"
                "scaler.fit(features)\n"
                "x = scaler.transform(features)\n"
                "x_tr, x_te = train_test_split(x)\n"
            ),
            line=5,
        ),
        # split by slicing (one statement, or two)
        Invalid(
            (
                "from sklearn.preprocessing import MinMaxScaler\n"
                "import keras\n"
                "scaler = MinMaxScaler()\n"
                "data = scaler.fit_transform(data)\n"
                "train, test = data[:100], data[100:]\n"
            ),
            line=4, message="`data[:100]`",
        ),
        Invalid(
            (
                "from sklearn.preprocessing import MinMaxScaler\n"
                "import keras\n"
                "data = MinMaxScaler().fit_transform(series)\n"
                "n = int(len(data) * 0.67)\n"
                "train = data[0:n, :]\n"
                "test = data[n:len(data), :]\n"
            ),
            line=3,
        ),
        Invalid(
            (
                "import numpy as np\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "x = StandardScaler().fit_transform(x)\n"
                "train, val, test = np.split(x, [600, 800])\n"
            ),
            line=4, message="split",
        ),
        # every row, some columns
        Invalid(
            (
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaler = StandardScaler()\n"
                "features = scaler.fit_transform(df.iloc[:, 1:])\n"
                "train, test = features[:-200], features[-200:]\n"
            ),
            line=4,
        ),
        # arrays computed from the scaled data are split (a column dropped; windows stored item by item)
        Invalid(
            (
                "import numpy as np\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "scaled = StandardScaler().fit_transform(raw)\n"
                "X = np.delete(scaled, 3, axis=1)\n"
                "train, test = X[:500], X[500:]\n"
            ),
            line=4, message="computed from",
        ),
        Invalid(
            (
                "import numpy as np\n"
                "from sklearn.preprocessing import MinMaxScaler\n"
                "import keras\n"
                "data = MinMaxScaler().fit_transform(series)\n"
                "X = np.zeros((len(data), 5))\n"
                "for i in range(len(data) - 5):\n"
                "    X[i] = data[i:i + 5]\n"
                "sp = 100\n"
                "train, test = X[0:sp], X[sp:]\n"
            ),
            line=4,
        ),
        # fold indices of a cross-validation loop used on the scaled data
        Invalid(
            (
                "from sklearn.model_selection import StratifiedKFold\n"
                "from sklearn.preprocessing import StandardScaler\n"
                "import keras\n"
                "x = StandardScaler().fit_transform(x)\n"
                "for tr, te in StratifiedKFold(5).split(x, y):\n"
                "    model.fit(x[tr], y[tr])\n"
            ),
            line=4, message="StratifiedKFold",
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Fits of a feature preprocessor on a whole data set, each with the receiver's bindings.
        self._fits: list[tuple[cst.Call, frozenset[int]]] = []
        #: id(what holds fitted-on data: the fit, a ``transform`` by the fitted preprocessor, the
        #: bindings of the data it was fitted on) -> that fit call.
        self._sources: dict[int, cst.Call] = {}
        self._reported: set[int] = set()
        #: Per function (None: module level): (data name, "head" | "tail", boundary source) of row slices.
        self._slices: dict[int | None, set[tuple[str, str, str]]] = {}

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._fits or not node.slice:
            return
        data = node.value
        if isinstance(data, cst.Attribute) and data.attr.value == "iloc":
            data = data.value
        if not isinstance(data, cst.Name):
            return
        name = data.value
        first = node.slice[0].slice
        if isinstance(first, cst.Index):
            splitter = self._fold_of(first.value)
            if splitter is not None:
                self._report_split(data, f"the `{splitter}` folds")
            return
        if not isinstance(first, cst.Slice) or first.step is not None:
            return
        code = self.context.code
        lower, upper = first.lower, first.upper
        if upper is not None and (lower is None or ah.int_value(lower) == 0):
            part, other, boundary = "head", "tail", code(upper).strip()
        elif lower is not None and (upper is None or _is_length_of(upper, name)):
            part, other, boundary = "tail", "head", code(lower).strip()
        else:
            return
        function = self.context.semantic.here().function
        slices = self._slices.setdefault(id(function) if function is not None else None, set())
        if (name, other, boundary) in slices:
            self._report_split(data, f"`{name}[:{boundary}]` / `{name}[{boundary}:]`")
        else:
            slices.add((name, part, boundary))

    def visit_Call(self, node: cst.Call) -> None:
        fit = self._fit_call(node)
        semantic = self.context.semantic
        if fit is not None:
            data = ah.argument(node, 0, "X")
            if self._fit_source(data) is not None:
                self._fits.append((node, self._bindings(ah.method_call(node)[0])))  # type: ignore[index]
                self._sources[id(node)] = node
                root = _root_name(data)
                for binding in semantic.lookup(root) if root is not None else ():
                    self._sources.setdefault(id(binding.value if binding.value is not None else binding.node), node)
            return
        method = ah.method_call(node)
        if method is not None and method[1] == "transform" and self._fits:
            # ``x = scaler.transform(features)`` after ``scaler.fit(features)``: x holds fitted-on data
            bindings = self._bindings(method[0])
            fitted = next((f for f, receiver in reversed(self._fits) if bindings & receiver), None)
            if fitted is not None:
                self._sources[id(node)] = fitted
            return
        if not self._fits:
            return
        qualified = self.context.qualified(node.func)
        if qualified in _ARRAY_SPLITS:
            data = ah.argument(node, 0, "ary")
            points = ah.argument(node, 1, "indices_or_sections")
            axis = ah.argument(node, 2, "axis")
            if data is not None and isinstance(points, (cst.List, cst.Tuple)) and (axis is None or ah.int_value(axis) == 0):
                self._report_split(data, f"`{(qualified or '').replace('numpy.', 'np.')}`")
            return
        if qualified not in _SPLITS:
            return
        for arg in ah.positional(node):
            if isinstance(arg.value, cst.Name) and self._report_split(arg.value, "`train_test_split`"):
                return

    def _bindings(self, receiver: cst.BaseExpression) -> frozenset[int]:
        if not isinstance(receiver, cst.Name):
            return frozenset()
        return frozenset(id(b) for b in self.context.semantic.lookup(receiver.value))

    def _report_split(self, data: cst.BaseExpression, how: str) -> bool:
        """Report the fit whose data ``data`` (split here) holds, once; True if there is one."""
        found = self.context.semantic.flows_from(data, set(self._sources))
        if found is None:
            return False
        fit_call = self._sources[found]
        if id(fit_call) not in self._reported:
            self._reported.add(id(fit_call))
            name = self.context.code(data)
            fitted = _data_name(ah.argument(fit_call, 0, "X"))
            what = f"`{name}`" if fitted == name else f"data that `{name}` is computed from"
            self.report(
                fit_call,
                f"preprocessor fitted on {what} before {how} divides it: test-set statistics leak into training; "
                "split first, then fit on the training part",
            )
        return True

    def _fit_source(self, expr: cst.BaseExpression | None) -> str | None:
        """The data set a fit sees whole: ``x``, ``df[cols]``, ``df.values``; None for a row subset
        (``x[:n]``, ``x[train_idx]`` in a fold loop), which is fitting after a split."""
        if isinstance(expr, cst.Subscript) and expr.slice:
            first = expr.slice[0].slice
            if isinstance(first, cst.Slice) and (first.lower is not None or first.upper is not None):
                return None  # ``x[:n]``; ``x[:, cols]`` keeps every row
            if isinstance(first, cst.Index) and self._fold_of(first.value) is not None:
                return None
        return _data_name(expr)

    def _fold_of(self, index: cst.BaseExpression) -> str | None:
        """The splitter class whose fold indices ``index`` holds (``tr`` of ``for tr, te in
        KFold(5).split(x)``), through the binding the use sees; else None."""
        if not isinstance(index, cst.Name):
            return None
        for binding in self.context.semantic.lookup(index.value):
            if binding.kind in ("loop", "unpack") and isinstance(binding.node, cst.For):
                splitter = self._splitter_split(binding.node.iter)
                if splitter is not None:
                    return splitter
        return None

    def _splitter_split(self, expr: cst.BaseExpression) -> str | None:
        """The splitter class of ``KFold(5).split(x)`` / ``kf.split(x)``, else None."""
        if not isinstance(expr, cst.Call):
            return None
        method = ah.method_call(expr)
        if method is None or method[1] != "split":
            return None
        receiver = method[0]
        if isinstance(receiver, cst.Name):
            bindings = self.context.semantic.lookup(receiver.value)
            receiver = bindings[-1].value if bindings and bindings[-1].value is not None else receiver
        if isinstance(receiver, cst.Call):
            qualified = self.context.qualified(receiver.func) or ""
            return qualified.rsplit(".", 1)[-1] if qualified in _CV_SPLITTERS else None
        return None

    def _fit_call(self, node: cst.Call) -> cst.Call | None:
        """``node`` itself when it fits a feature preprocessor (through the bindings of its
        receiver: ``scaler = StandardScaler()``), else None."""
        method = ah.method_call(node)
        if method is None or method[1] not in ("fit", "fit_transform", "adapt"):
            return None
        receiver = method[0]
        return node if preprocessor_class(self.context, receiver) in _FEATURE_PREPROCESSORS else None


def _root_name(expr: cst.BaseExpression | None) -> str | None:
    """The name a data expression starts from (``df`` of ``df.iloc[:, 1:].values``)."""
    while isinstance(expr, (cst.Subscript, cst.Attribute, cst.Call)):
        expr = expr.value if not isinstance(expr, cst.Call) else expr.func
    return expr.value if isinstance(expr, cst.Name) else None


def _is_length_of(expr: cst.BaseExpression, name: str) -> bool:
    """``len(name)`` or ``name.shape[0]``: the slice runs to the end."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "len" and expr.args:
        return isinstance(expr.args[0].value, cst.Name) and expr.args[0].value.value == name
    return (
        isinstance(expr, cst.Subscript)
        and dotted(expr.value) == f"{name}.shape"
        and len(expr.slice) == 1
        and isinstance(expr.slice[0].slice, cst.Index)
        and ah.int_value(expr.slice[0].slice.value) == 0
    )


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [UnsavedPreprocessor, RefitPreprocessorAtInference, UnsafeModelLoad, UnregisteredCustomObject, FitBeforeSplit]
