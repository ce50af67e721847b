"""KC2xx: layers and models running in the wrong mode (``training=``) at inference."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.keras_api import learning_phase_names, target_for
from kerascheck.rule import Invalid, Rule
from kerascheck.rules import matchers as m
from kerascheck.static import ast_helpers as ah
from kerascheck.static.context import FileContext
from kerascheck.static.semantic import Site

#: Layers whose only job at training time is noise: calling them with ``training=True`` is the
#: Monte-Carlo dropout idiom, with ``training=False`` it switches them off for good.
NOISE_LAYERS = frozenset(
    {
        "keras.layers.Dropout",
        "keras.layers.SpatialDropout1D",
        "keras.layers.SpatialDropout2D",
        "keras.layers.SpatialDropout3D",
        "keras.layers.GaussianDropout",
        "keras.layers.GaussianNoise",
        "keras.layers.AlphaDropout",
    }
)
#: Layers that ``training=False`` cripples when they are built fresh in the class (a frozen
#: *pre-trained* backbone in inference mode is the transfer-learning idiom and is not among them).
FROZEN_IS_A_BUG = NOISE_LAYERS | {"keras.layers.BatchNormalization"}
_AUGMENT = re.compile(r"augment", re.IGNORECASE)
_MODELISH = re.compile(
    r"(?:^|_)(?:model|net|network|encoder|decoder|generator|discriminator|backbone|student|teacher|classifier)s?(?:_|$|\d)", re.IGNORECASE
)


def _self_attribute(func: cst.BaseExpression) -> str | None:
    """``attr`` for ``self.attr``."""
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        return func.attr.value
    return None


def _class_methods(rule: Rule) -> frozenset[str]:
    context = rule.context
    if not context.classes:
        return frozenset()
    info = context.semantic.classes.get(context.classes[-1].name.value)
    return info.methods if info is not None else frozenset()


def _layer_constructor(rule: Rule, expr: cst.BaseExpression | None) -> str | None:
    """The canonical name of the Keras layer ``expr`` constructs (``keras.layers.Dropout``), or
    the local class name of a Layer subclass, else None."""
    if not isinstance(expr, cst.Call):
        return None
    qualified = rule.context.qualified(expr.func)
    if qualified is not None and qualified.startswith("keras.layers."):
        return qualified
    if isinstance(expr.func, cst.Name) and rule.context.semantic.is_layer_class(expr.func.value):
        return expr.func.value
    return None


class TrainingTrueAtInference(Rule):
    """
    ## What it does
    Finds ``model(x, training=True)`` / ``layer(x, training=True)`` outside training code.
    Training code is a ``tf.GradientTape`` block, a ``train_step``-like function or one named
    ``train*``, a loop or function that applies gradients (``optimizer.apply_gradients``,
    ``minimize``), and every function of the file called from those (the semantic model's call
    graph: a helper method called from ``train_step`` is training code wherever it is defined).
    Calls inside a custom layer's ``call`` are KC203's.

    ## Why is this bad?
    ``training=True`` makes Dropout drop units and BatchNormalization normalise with the
    statistics of the current batch, *and update its moving averages*: predictions become
    random, depend on what else is in the batch (with one sample BatchNormalization outputs its
    ``beta``), and every such call silently changes the model's weights. ``model(x)`` without
    the argument, ``model(x, training=False)`` and ``model.predict(x)`` all run in inference
    mode.

    Deliberate Monte-Carlo dropout is left alone, recognised by its shape: stochastic passes
    repeated in a comprehension or loop and reduced to a statistic
    (``np.mean([model(x, training=True) for _ in range(T)], 0)``, or appended to a list that is
    averaged / its standard deviation taken). Also left alone: a Dropout layer constructed and
    called in place (``layers.Dropout(0.5)(x, training=True)``), data-augmentation models
    (named ``*augment*`` or built only from ``Random*`` layers), and calls inside a function or
    class whose name says so (``mc_predict``, ``MCDropout``) or with a comment on the line (or
    the line above) mentioning Monte Carlo / MC dropout / uncertainty.

    ## Example
    ```python
    model = keras.models.load_model("model.keras")
    probabilities = model(images, training=True)
    ```

    ## Use instead
    ```python
    probabilities = model(images, training=False)  # or model.predict(images)
    ```
    """

    code = "KC201"
    name = "training-true-at-inference"
    summary = "`training=True` outside training code (BatchNorm statistics change, Dropout is on)"
    severity = Severity.ERROR
    VALID = (
        "import keras\nmodel = keras.models.load_model('m.keras')\ny = model(x)\nz = model(x, training=False)\n",
        "import tensorflow as tf\nmodel = tf.keras.Sequential()\nwith tf.GradientTape() as tape:\n    y = model(x, training=True)\n",
        (
            "import keras\n"
            "class GAN(keras.Model):\n"
            "    def train_step(self, data):\n"
            "        fake = self.generator(data, training=True)\n"
            "        return {}\n"
        ),
        "import keras\nmodel = keras.Sequential()\ndef train_one_epoch(batch):\n    return model(batch, training=True)\n",
        # Deliberate Monte-Carlo dropout.
        (
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "def mc_predict(x, n=20):\n"
            "    return [model(x, training=True) for _ in range(n)]\n"
        ),
        (
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "# Monte Carlo dropout: keep dropout on to estimate uncertainty\n"
            "samples = [model(x, training=True) for _ in range(50)]\n"
        ),
        "from keras import layers\nx = layers.Dropout(0.5)(x, training=True)\n",
        # Data augmentation in a tf.data pipeline.
        (
            "import keras\n"
            "data_augmentation = keras.Sequential([keras.layers.RandomFlip('horizontal')])\n"
            "ds = ds.map(lambda x, y: (data_augmentation(x, training=True), y))\n"
        ),
        # A user function with a ``training`` parameter is not a layer.
        "import keras\ndef make_dataset(files, training):\n    return files\nds = make_dataset(files, training=True)\n",
        "import keras\nclass Loader:\n    def __init__(self, training):\n        self.training = training\nds = Loader(training=True)\n",
        # A helper defined above ``train_step`` and called from its tape block is training code.
        (
            "import keras\n"
            "import tensorflow as tf\n"
            "class GAN(keras.Model):\n"
            "    def discriminate(self, images):\n"
            "        return self.discriminator(images, training=True)\n"
            "\n"
            "    def train_step(self, data):\n"
            "        with tf.GradientTape() as tape:\n"
            "            score = self.discriminate(data)\n"
            "        return {'score': score}\n"
        ),
        # A custom training loop: the loss helper runs under the tape of a loop applying gradients.
        (
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "optimizer = tf.keras.optimizers.Adam()\n"
            "\n"
            "def compute_loss(x, y):\n"
            "    return loss_object(y, model(x, training=True))\n"
            "\n"
            "for epoch in range(EPOCHS):\n"
            "    for x, y in train_ds:\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss = compute_loss(x, y)\n"
            "        grads = tape.gradient(loss, model.trainable_variables)\n"
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
        ),
        (
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
            "for step in range(100):\n"
            "    optimizer.minimize(lambda: loss_fn(model(x, training=True), y), model.trainable_variables)\n"
        ),
        # Monte-Carlo dropout, recognised by its shape: repeated stochastic passes reduced to a statistic.
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "samples = np.stack([model(x_test, training=True) for _ in range(30)])\n"
            "mean = samples.mean(axis=0)\n"
        ),
        (
            "import numpy as np\n"
            "import keras\n"
            "model = keras.models.load_model('m.keras')\n"
            "\n"
            "def sample(x, passes):\n"
            "    draws = []\n"
            "    for _ in range(passes):\n"
            "        draws.append(model(x, training=True).numpy())\n"
            "    return np.mean(draws, axis=0), np.std(draws, axis=0)\n"
        ),
    )
    INVALID = (
        # Batches gathered in training mode are not Monte-Carlo samples (no statistic over them).
        Invalid(
            (
                "import numpy as np\n"
                "import keras\n"
                "model = keras.models.load_model('m.keras')\n"
                "outputs = []\n"
                "for batch in dataset:\n"
                "    outputs.append(model(batch, training=True))\n"
                "result = np.concatenate(outputs)\n"
            ),
            line=6,
        ),
        # The helper is called from inference code only, not from the training step.
        Invalid(
            (
                "import keras\n"
                "class GAN(keras.Model):\n"
                "    def discriminate(self, images):\n"
                "        return self.discriminator(images, training=True)\n"
                "\n"
                "    def score(self, images):\n"
                "        return self.discriminate(images)\n"
            ),
            line=4,
        ),
        Invalid("import keras\nmodel = keras.models.load_model('m.keras')\ny = model(x, training=True)\n", line=3, message="BatchNormalization"),
        Invalid((
            "import tensorflow as tf\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(3)])\n"
            "for batch in ds:\n"
            "    print(model(batch, training=True))\n"
        ), line=4),
        Invalid((
            "from keras import layers\n"
            "bn = layers.BatchNormalization()\n"
            "h = layers.BatchNormalization()(x, training=True)\n"
            "h2 = bn(x, training=True)\n"
        ), count=2),
        Invalid(
            "import keras\nclass Sampler(keras.Model):\n    def generate(self, z):\n        return self.decoder(z, training=True)\n",
            line=4,
        ),
    )

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        #: Calls outside code known to be training code so far, decided in ``leave_Module``
        #: (a helper defined above ``train_step`` is training code only once the call is seen).
        self._pending: list[tuple[cst.Call, Site]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if m.literal_bool(ah.keyword_value(node, "training")) is not True:
            return
        context = self.context
        if m.in_layer_method(self.context, "call") or not self._is_layer_or_model(node.func):
            return
        if m.mc_dropout_named(context):
            return
        site = context.semantic.here()
        if not context.semantic.is_training_code(site):
            self._pending.append((node, site))

    def leave_Module(self, node: cst.Module) -> None:
        semantic = self.context.semantic
        for call, site in self._pending:
            if semantic.is_training_code(site) or semantic.is_monte_carlo(site) or m.mc_dropout_commented(self.context, call):
                continue
            self.report(
                call,
                f"`{self.context.code(call.func)}(..., training=True)` outside training code: Dropout stays on and "
                "BatchNormalization uses (and updates) batch statistics; use `training=False` or `predict`",
            )

    def _is_layer_or_model(self, func: cst.BaseExpression) -> bool:
        context = self.context
        layer = _layer_constructor(self, func)
        if layer is not None:
            return layer not in NOISE_LAYERS and not layer.startswith("keras.layers.Random")
        if isinstance(func, cst.Name):
            if func.value == "self":
                return bool(context.classes) and context.enclosing_class_is_layer()
            if _AUGMENT.search(func.value):
                return False
            bound = self._bound_layer(func)
            if bound is not None:
                return bound not in NOISE_LAYERS
            if context.semantic.is_model(func):
                return not self._augmentation_model(func)
            if func.value in context.semantic.classes or context.qualified(func) is not None:
                return False
            return context.uses_keras and bool(_MODELISH.search(func.value)) and not context.semantic.defines_method(func.value)
        attr = _self_attribute(func)
        if attr is not None:
            # ``self.encoder(...)`` in a Layer/Model class, unless it is one of the class's methods.
            return (
                bool(context.classes)
                and context.enclosing_class_is_layer()
                and attr not in _class_methods(self)
                and not _AUGMENT.search(attr)
            )
        return False

    def _bound_layer(self, func: cst.Name) -> str | None:
        """The layer a name is bound to (``bn = layers.BatchNormalization()``), when every
        binding the use sees constructs the same layer class."""
        kinds = {_layer_constructor(self, b.value) for b in self.context.semantic.lookup(func.value)}
        return kinds.pop() if len(kinds) == 1 else None

    def _augmentation_model(self, func: cst.BaseExpression) -> bool:
        layers = self.context.semantic.model_layers(func)
        if not layers:
            return False
        names = [self.context.qualified(layer.func) or "" for layer in layers]
        return all(n.startswith(("keras.layers.Random", "keras.layers.Rescaling", "keras.layers.Resizing")) for n in names)


_AUGMENTATION_CLASS = re.compile(r"^Random[A-Z]|Augment")


def _is_augmentation_class(rule: Rule, cls: cst.ClassDef) -> bool:
    """A data-augmentation layer: named ``Random*``/``*Augment*``, or derived from a Keras
    ``Random*`` layer. Keras's own augmentation layers default to ``training=True`` on purpose
    (they augment when called directly, e.g. in ``ds.map``), and custom ones follow suit."""
    if _AUGMENTATION_CLASS.search(cls.name.value):
        return True
    info = rule.context.semantic.classes.get(cls.name.value)
    return info is not None and any(base.startswith("keras.layers.Random") for base in info.bases)


class CallTrainingDefaultTrue(Rule):
    """
    ## What it does
    Finds a custom ``Layer``/``Model`` ``call`` whose ``training`` parameter defaults to ``True``.

    ## Why is this bad?
    Keras passes ``training`` explicitly only from ``fit``/``evaluate``/``predict`` (and
    propagates an explicit outer value to nested layers). Whenever the layer or model is called
    as ``model(x)``, which is the recommended way to run small inputs and what serving code
    does, the default applies: dropout, noise or augmentation stays on at inference and
    predictions are random. ``predict`` passes ``training=False`` and hides the bug, so the two
    paths disagree. ``None`` lets Keras decide (inference unless told otherwise).

    Data-augmentation layers (named ``Random*`` or ``*Augment*``, or subclassing a Keras
    ``Random*`` layer) are not reported: Keras's own augmentation layers default to
    ``training=True`` on purpose, so that they augment when applied directly in a ``tf.data``
    pipeline, and are inactive in ``predict``.

    ## Example
    ```python
    class StochasticDepth(keras.layers.Layer):
        def call(self, x, training=True):
            ...
    ```

    ## Use instead
    ```python
    class StochasticDepth(keras.layers.Layer):
        def call(self, x, training=None):
            ...
    ```

    ## Fix safety
    Safe: with ``None`` the layer runs in training mode whenever Keras trains it (``fit``, or an
    explicit ``training=True``), and in inference mode otherwise.
    """

    code = "KC202"
    name = "call-training-default-true"
    summary = "Custom `call` defaults to `training=True`"
    severity = Severity.ERROR
    VALID = (
        "import keras\nclass Block(keras.layers.Layer):\n    def call(self, x, training=None):\n        return x\n",
        "import keras\nclass Block(keras.layers.Layer):\n    def call(self, x, training=False):\n        return x\n",
        # Not a Keras layer.
        "import keras\nclass Augmenter:\n    def call(self, x, training=True):\n        return x\n",
        # Augmentation layers follow Keras's own convention (active unless told otherwise).
        "import keras\nclass RandomColorAffine(keras.layers.Layer):\n    def call(self, images, training=True):\n        return images\n",
        # A helper method, not ``call``.
        "import keras\nclass Block(keras.layers.Layer):\n    def forward(self, x, training=True):\n        return x\n",
    )
    INVALID = (
        Invalid(
            "import keras\nclass Block(keras.layers.Layer):\n    def call(self, x, training=True):\n        return x\n",
            line=3,
            fixed="import keras\nclass Block(keras.layers.Layer):\n    def call(self, x, training=None):\n        return x\n",
        ),
        Invalid(
            (
                "from tensorflow.keras import Model\n"
                "class Net(Model):\n"
                "    def call(self, inputs, *, training: bool = True, mask=None):\n"
                "        return inputs\n"
            ),
            line=3,
            fixed=(
                "from tensorflow.keras import Model\n"
                "class Net(Model):\n"
                "    def call(self, inputs, *, training: bool = None, mask=None):\n"
                "        return inputs\n"
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not m.in_layer_method(self.context, "call"):
            return
        param = ah.function_param(node, "training")
        if param is None or m.literal_bool(param.default) is not True:
            return
        if _is_augmentation_class(self, self.context.classes[-1]):
            return
        assert param.default is not None
        fix = m.fix(m.replace_in_source(self.context, param.default, "None"), safe=True, message="Default `training` to `None`")
        cls = self.context.classes[-1].name.value
        self.report(
            param,
            f"`{cls}.call` defaults to `training=True`: every `{cls}(...)(x)` / `model(x)` without the argument "
            "runs it in training mode (while `predict` forces `False`); default to `None`",
            fix=fix,
        )


class TrainingOverriddenInCall(Rule):
    """
    ## What it does
    Inside a custom layer's or model's ``call``, finds a sublayer called with a literal
    ``training=True``, or a dropout/noise/BatchNormalization sublayer built by the class itself
    called with a literal ``training=False``.

    ## Why is this bad?
    The literal overrides the mode Keras passes down: with ``training=True`` the sublayer is in
    training mode inside ``predict`` and ``evaluate`` too (random outputs, BatchNormalization
    statistics updated at inference); a Dropout called with ``training=False`` never drops, so
    the regularisation you think you train with is off, and a BatchNormalization built in the
    same class and called with ``training=False`` never learns its statistics. Keras 3 propagates the outer
    ``training`` to sublayers by itself, so the argument can simply be left out (or forwarded as
    ``training=training``).

    Not flagged: ``training=False`` on any other sublayer, such as a pre-trained backbone
    (keeping its BatchNormalization in inference mode is the documented transfer-learning idiom);
    ``super().call(x, training=True)`` (a layer choosing its own mode, as a Monte-Carlo
    ``MCDropout(Dropout)`` does); classes or comments that declare Monte-Carlo dropout.

    ## Example
    ```python
    class Head(keras.layers.Layer):
        def call(self, x, training=None):
            x = self.dropout(x, training=True)
            return self.dense(x)
    ```

    ## Use instead
    ```python
    class Head(keras.layers.Layer):
        def call(self, x, training=None):
            x = self.dropout(x, training=training)
            return self.dense(x)
    ```
    """

    code = "KC203"
    name = "training-overridden-in-call"
    summary = "A sublayer's mode is hard-coded inside `call`"
    VALID = (
        (
            "import keras\n"
            "class Head(keras.layers.Layer):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.dropout = keras.layers.Dropout(0.5)\n"
            "    def call(self, x, training=None):\n"
            "        return self.dropout(x, training=training)\n"
        ),
        # Keras 3 propagates ``training``: not forwarding it is fine.
        "import keras\nclass Head(keras.layers.Layer):\n    def call(self, x):\n        return self.dropout(x)\n",
        # Frozen backbone in inference mode: the transfer-learning idiom.
        (
            "import keras\n"
            "class Clf(keras.Model):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.backbone = keras.applications.ResNet50(include_top=False)\n"
            "    def call(self, x):\n"
            "        return self.backbone(x, training=False)\n"
        ),
        # Monte-Carlo dropout layer forcing its own mode.
        (
            "from keras.layers import Dropout\n"
            "class MCDropout(Dropout):\n"
            "    def call(self, inputs):\n"
            "        return super().call(inputs, training=True)\n"
        ),
        "import keras\nclass MCHead(keras.layers.Layer):\n    def call(self, x):\n        return self.dropout(x, training=True)\n",
        # Helper methods of the class are not sublayers.
        (
            "import keras\n"
            "class M(keras.Model):\n"
            "    def _loss(self, x, training):\n"
            "        return x\n"
            "    def call(self, x):\n"
            "        return self._loss(x, training=True)\n"
        ),
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "class Head(keras.layers.Layer):\n"
                "    def call(self, x, training=None):\n"
                "        x = self.dropout(x, training=True)\n"
                "        return x\n"
            ),
            line=4,
            message="training=True",
        ),
        Invalid(
            (
                "from keras import layers\n"
                "class Block(layers.Layer):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.drop = layers.Dropout(0.2)\n"
                "    def call(self, x, training=None):\n"
                "        return self.drop(x, training=False)\n"
            ),
            line=7,
            message="never",
        ),
        Invalid(
            (
                "import tensorflow as tf\n"
                "class Net(tf.keras.Model):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                "        self.bn = tf.keras.layers.BatchNormalization()\n"
                "    def call(self, x):\n"
                "        return self.bn(x, training=False)\n"
            ),
            line=7,
            message="moving statistics",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        value = m.literal_bool(ah.keyword_value(node, "training"))
        if value is None or not m.in_layer_method(self.context, "call"):
            return
        func = node.func
        context = self.context
        attr = _self_attribute(func)
        kind: str | None
        if attr is not None:
            if attr in _class_methods(self):
                return
            kind = _layer_constructor(self, context.semantic.initial_attributes(context.classes[-1]).get(attr))
        elif isinstance(func, cst.Call):
            kind = _layer_constructor(self, func)
            if kind is None:
                return
        else:
            return  # ``super().call(...)``, helper functions, unknown callees
        shown = context.code(func)
        if value:
            if m.declares_mc_dropout(context, node):
                return
            self.report(
                node,
                f"`{shown}(..., training=True)` inside `call` keeps it in training mode in `predict`/`evaluate` too; "
                "leave `training` out (Keras propagates it) or pass `training=training`",
            )
        elif kind in FROZEN_IS_A_BUG:
            effect = (
                "never updates its moving statistics, not even in `fit` (it normalises with its initial mean 0 / variance 1)"
                if kind == "keras.layers.BatchNormalization"
                else "never drops/adds noise, not even in `fit`"
            )
            self.report(
                node,
                f"`{shown}(..., training=False)` inside `call`: this freshly built {kind.rsplit('.', 1)[-1]} {effect}; "
                "leave `training` out or pass `training=training`",
            )


class LearningPhaseApi(Rule):
    """
    ## What it does
    Finds ``keras.backend.learning_phase()``, ``set_learning_phase(...)`` and
    ``learning_phase_scope(...)`` (under any Keras spelling, ``K.`` included): the
    ``keras.backend`` learning-phase functions of the generated API data
    (``kerascheck.keras_api.learning_phase_names``).

    ## Why is this bad?
    The global learning phase is a TF1-era mechanism. Keras 3 removed it: the import or call
    raises ``AttributeError``. In TF 2 Keras it was deprecated and did not reliably control
    layers called inside ``fit``/``predict``, so code relying on it ran in a different mode than
    intended. The mode is now an argument: ``model(x, training=...)``.

    ## Example
    ```python
    from keras import backend as K
    K.set_learning_phase(0)
    features = K.function([model.input, K.learning_phase()], [model.output])
    ```

    ## Use instead
    ```python
    features = model(x, training=False)
    ```
    """

    code = "KC204"
    name = "learning-phase-api"
    summary = "The global learning phase was removed; pass `training=`"
    severity = Severity.ERROR
    VALID = (
        "import keras\ny = model(x, training=False)\n",
        "import keras\nclass Tracker:\n    def learning_phase(self):\n        return 0\nt = Tracker()\nt.learning_phase()\n",
    )
    INVALID = (
        Invalid("from keras import backend as K\nK.set_learning_phase(0)\n", line=2, message="removed"),
        Invalid("import tensorflow as tf\nf = tf.keras.backend.function([m.input, tf.keras.backend.learning_phase()], [m.output])\n", line=2),
        Invalid("from tensorflow.keras.backend import set_learning_phase\nset_learning_phase(1)\n", count=2),
        Invalid("from keras import backend as K\nK.set_learning_phase(0)\n", target_keras="2.15", message="deprecated"),
        Invalid("from keras import backend as K\nwith K.learning_phase_scope(0):\n    y = f(x)\n", line=2, message="removed"),
    )

    def _message(self, name: str) -> str:
        short = name.rsplit(".", 1)[-1]
        target = target_for(self.context.target_keras, tf_keras=False)
        if target is not None and target.removed(name) is not None:
            return f"`{short}` was removed in Keras 3 (AttributeError); pass `training=` to the model call instead"
        return f"`{short}` is deprecated and does not control layers inside `fit`/`predict`; pass `training=` to the model call"

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified(node.func)
        if qualified in learning_phase_names():
            self.report(node, self._message(qualified))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            local = alias.asname.name if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else alias.name
            qualified = self.context.qualified(local)
            if qualified in learning_phase_names():
                self.report(node, self._message(qualified))
                return


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [TrainingTrueAtInference, CallTrainingDefaultTrue, TrainingOverriddenInCall, LearningPhaseApi]
