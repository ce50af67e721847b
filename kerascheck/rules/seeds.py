"""KC3xx: global seeds and determinism of training programs.

KC301, KC302 and KC304 are decided per *program* (an entry point and what it imports, see
:mod:`kerascheck.static.programs`): every file records small facts ("trains at line 12",
"seeds with `random.seed`") in the shared :class:`~kerascheck.rules.program_facts.ProgramFacts`
collector during the one walk, and ``finish`` combines them over each program's files. A
program trains where its files' training runs: on import, or in a function that code which
runs calls (:func:`~kerascheck.rules.program_facts.running_functions`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import libcst as cst

from kerascheck.findings import Finding, Location, Severity
from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Invalid, Rule, Valid
from kerascheck.rules import matchers as m
from kerascheck.rules.program_facts import (
    Deterministic,
    ProjectRule,
    Seeds,
    Trains,
    facts_in,
    has_fact,
    running_functions,
    runs_on_tensorflow,
    seed_kind,
)
from kerascheck.static.context import FileContext, ProjectContext
from kerascheck.static.programs import Program

# -- per program ------------------------------------------------------------------------------


def _training(project: ProjectContext, program: Program, running: Callable[[], set[tuple[str, str]]]) -> tuple[str, Trains] | None:
    """Where ``program`` trains: the first training of its files (entry point first; a file's
    ``fit`` before its custom step) that runs: at module level, or in a function that code which
    runs calls (:func:`running_functions`: module-level code, the entry point's ``__main__``
    block, pytest's tests). None for a program that does not train."""
    for path in program.files:
        facts = project.facts.get(path)
        if not facts:  # most files of a large tree's programs recorded nothing
            continue
        trains = sorted((f for f in facts if isinstance(f, Trains)), key=lambda f: f.loop)
        if trains and trains[0].callers:  # in functions: only if something that runs calls them
            if not any((path, name) in running() for name in trains[0].callers):
                continue  # a library module's methods, a helper nothing calls...
        if trains:
            return path, trains[0]
    return None


def _seeds_of(project: ProjectContext, program: Program, running: Callable[[], set[tuple[str, str]]]) -> list[Seeds]:
    """The program's seeds, the entry point's first; a seed inside a helper function counts
    only when the helper runs (:func:`running_functions`: code that runs calls or passes it)."""
    found = list(facts_in(project, program.files, Seeds))
    seeds = [fact for _, fact in found]
    if any(s.helper is not None for s in seeds):
        seeds = [s for path, s in found if s.helper is None or (path, s.helper) in running()]
    return seeds


def _training_programs(project: ProjectContext) -> Iterator[tuple[Program, str, Trains, list[Seeds]]]:
    """Each program that trains: where (its first training that runs) and its seeds."""
    training_files = [path for path, facts in project.facts.items() if any(isinstance(fact, Trains) for fact in facts)]
    for program in project.programs.programs_with_any(training_files):  # only these can train
        # what runs is asked of the training and of helper seeds alike: walked once, if at all
        running = functools.cache(functools.partial(running_functions, project, program))
        found = _training(project, program, running)
        if found is not None:
            yield program, *found, _seeds_of(project, program, running)


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
        what = (
            f"the program seeds only {', '.join(sorted(_KIND_TEXT[k] for k in kinds))} (`{call}`), "
            "leaving TensorFlow's global seed unset: weights, dropout and shuffles differ on every run"
        )
    return what + "; use `keras.utils.set_random_seed(seed)`, which seeds Python, NumPy and the backend"


_KIND_TEXT = {"python": "Python `random`", "numpy": "NumPy", "tf": "TensorFlow", "torch": "PyTorch", "all": "all"}


# -- rules -----------------------------------------------------------------------------------


class MissingGlobalSeed(ProjectRule):
    """
    ## What it does
    Finds programs that train a model (``fit``, Keras 2's ``fit_generator``, ``train_on_batch``,
    a custom loop with ``optimizer.apply_gradients``) without setting any global seed, neither in the training
    file nor in a module it imports (or that imports it). Reported once per program, at its
    first training call. Inference-only scripts need no seed. Training counts where it runs:
    at module level, or in a function that running code calls (module-level code, the entry
    point's ``__main__`` block, ``tf.app.run()``'s ``main``, pytest's tests and fixtures in a
    test file, and what those call); a library module whose methods nothing calls, or a
    package's ``__init__.py``, is no program that trains. A seed inside a helper function
    (``def seed_everything(s): ...``) counts only when the helper runs the same way (called,
    or passed on as in ``app.run(main)``); seeds at module level, in methods, in decorated
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
            (
                "import keras\n"
                "from utils.seed import seed_everything\n"
                "seed_everything(1)\n"
                "model = keras.Sequential([keras.layers.Dense(1)])\n"
                "model.fit(x, y)\n"
            ),
            project={"utils/__init__.py": "", "utils/seed.py": (
                "import random\n"
                "import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def seed_everything(s):\n"
                "    random.seed(s)\n"
                "    np.random.seed(s)\n"
                "    tf.random.set_seed(s)\n"
            )},
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
        (
            "import random\n"
            "import numpy as np\n"
            "import tensorflow as tf\n"
            "\n"
            "def seed_everything(s=0):\n"
            "    random.seed(s)\n"
            "    np.random.seed(s)\n"
            "    tf.random.set_seed(s)\n"
            "\n"
            "seed_everything()\n"
            "model = tf.keras.Sequential()\n"
            "model.fit(x, y)\n"
        ),
        (
            "import keras\n"
            "from absl import app\n"
            "\n"
            "def main(argv):\n"
            "    keras.utils.set_random_seed(0)\n"
            "    model = build()\n"
            "    model.fit(x, y)\n"
            "\n"
            "app.run(main)\n"
        ),
        # the function that seeds is the one that trains (an entry point run by a console script)
        "import keras\n\ndef main():\n    keras.utils.set_random_seed(0)\n    model = keras.Sequential()\n    model.fit(x, y)\n",
        # imported under another name and called
        Valid(
            "import keras\nfrom helpers import seed_everything as seed_all\nseed_all(1)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            project={"helpers.py": "import keras\n\ndef seed_everything(s):\n    keras.utils.set_random_seed(s)\n"},
        ),
        # a decision forest is not trained from Keras' random draws (corpus: tweet-classification-using-tfdf.py)
        (
            "import tensorflow as tf\n"
            "import tensorflow_decision_forests as tfdf\n"
            "model_1 = tfdf.keras.GradientBoostedTreesModel()\n"
            "model_1.fit(train_ds)\n"
        ),
        # a library module: its training runs only if a caller calls it, and no code here does
        "import keras\n\n\nclass Trainer:\n    def train(self, x, y):\n        self.model = keras.Sequential()\n        self.model.fit(x, y)\n",
        # the call that would run it is commented out
        "import keras\n\n\ndef example():\n    model = keras.Sequential()\n    model.fit(x, y)\n\n# example()\n",
    )
    INVALID = (
        Invalid(
            (
                "import keras\n"
                "model = keras.Sequential([keras.layers.Dense(1)])\n"
                "model.compile('adam', 'mse')\n"
                "model.fit(x, y, epochs=3)\n"
                "model.fit(x, y, epochs=3)\n"
            ),
            line=4, count=1, message="no global seed",
        ),
        # local generators are not global seeds
        Invalid(
            (
                "import numpy as np\n"
                "import tensorflow as tf\n"
                "rng = np.random.RandomState(0)\n"
                "ds = tf.data.Dataset.range(10).shuffle(10, seed=1)\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_initializer=tf.keras.initializers.GlorotUniform(seed=1))])\n"
                "model.fit(ds)\n"
            ),
            line=6,
        ),
        # custom training loop
        Invalid(
            (
                "import tensorflow as tf\n"
                "opt = tf.keras.optimizers.Adam()\n"
                "for x, y in ds:\n"
                "    with tf.GradientTape() as tape:\n"
                "        loss = loss_fn(y, model(x, training=True))\n"
                "    grads = tape.gradient(loss, model.trainable_variables)\n"
                "    opt.apply_gradients(zip(grads, model.trainable_variables))\n"
            ),
            line=7,
        ),
        # a custom train_step run by fit: reported at the fit
        Invalid(
            "import keras\nclass M(keras.Model):\n    def train_step(self, data):\n        self.optimizer.apply_gradients([])\nm = M()\nm.fit(x)\n",
            line=6, count=1,
        ),
        # Keras 2's ``fit_generator`` (KC103) and ``train_on_batch`` train too
        Invalid(
            (
                "import tensorflow as tf\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.fit_generator(gen, steps_per_epoch=100, epochs=30)\n"
            ),
            line=3,
        ),
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(1)])\nfor xb, yb in batches:\n    model.train_on_batch(xb, yb)\n",
            line=4,
        ),
        # a seeding helper that is defined but never called seeds nothing
        Invalid(
            (
                "import random\n"
                "import numpy as np\n"
                "import tensorflow as tf\n"
                "\n"
                "def seed_everything(s=0):\n"
                "    random.seed(s)\n"
                "    np.random.seed(s)\n"
                "    tf.random.set_seed(s)\n"
                "\n"
                "model = tf.keras.Sequential()\n"
                "model.fit(x, y)\n"
            ),
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
        # training in a function the __main__ block runs (through another function)
        Invalid(
            "import keras\n\n\ndef train():\n    model = keras.Sequential()\n    model.fit(x, y)\n\n\ndef main():\n    train()\n\n\n"
            "if __name__ == '__main__':\n    main()\n",
            line=6,
        ),
        # TF1's tf.app.run() runs the script's main()
        Invalid(
            "import tensorflow as tf\n\n\ndef main(_):\n    model = tf.keras.Sequential()\n    model.fit(x, y)\n\n\ntf.app.run()\n",
            line=6,
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        for program, path, trains, seeds in _training_programs(project):
            if seeds:
                continue
            advice = "weights, dropout and shuffling differ on every run; call `keras.utils.set_random_seed(seed)` first"
            statement = program.entry_import(path)
            if statement is None:
                yield cls.finding_at(trains.location, f"this program trains with no global seed set anywhere it imports: {advice}")
            else:  # the training is in an imported module: the program's entry point lacks the seed
                where = trains.location.cite(seen_from=path)
                yield cls.finding_at(
                    statement.location,
                    f"this program trains (in `{path}`, {where}) with no global seed set anywhere it imports: {advice}",
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
            fixed=(
                "import tensorflow as tf\n"
                "tf.keras.utils.set_random_seed(42)\n"
                "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n"
                "model.fit(x, y)\n"
            ),
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
        reported: set[Location] = set()
        for _, _, _, seeds in _training_programs(project):
            kinds = {s.kind for s in seeds}
            if not seeds or is_fully_seeded(kinds, project.keras_major):
                continue
            first = seeds[0]
            if first.location in reported:
                continue
            reported.add(first.location)
            fix = m.fix(list(first.fix), safe=False, message="Seed everything with `keras.utils.set_random_seed`") if first.fix else None
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
        (
            "import keras\n"
            "import tensorflow as tf\n"
            "keras.utils.set_random_seed(0)\n"
            "tf.config.experimental.enable_op_determinism()\n"
            "model = keras.Sequential()\n"
            "model.fit(x, y)\n"
        ),
        (
            "import os\n"
            "os.environ['TF_DETERMINISTIC_OPS'] = '1'\n"
            "import keras\n"
            "keras.utils.set_random_seed(0)\n"
            "model = keras.Sequential()\n"
            "model.fit(x, y)\n"
        ),
        # not seeded (KC301) or partially seeded (KC302): not this rule's business
        "import keras\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        "import tensorflow as tf\ntf.random.set_seed(0)\nmodel = tf.keras.Sequential()\nmodel.fit(x, y)\n",
        # Keras 3 on another backend: TensorFlow's op determinism does not apply
        "import os\nos.environ['KERAS_BACKEND'] = 'jax'\nimport keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
        "import torch\nimport keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
    )
    INVALID = (
        Invalid(
            "import keras\nkeras.utils.set_random_seed(0)\nmodel = keras.Sequential()\nmodel.fit(x, y)\n",
            line=2,
            message="enable_op_determinism",
        ),
        Invalid(
            (
                "import os\n"
                "os.environ['KERAS_BACKEND'] = 'tensorflow'\n"
                "import torch\n"
                "import keras\n"
                "keras.utils.set_random_seed(0)\n"
                "model = keras.Sequential()\n"
                "model.fit(x, y)\n"
            ),
            line=5,
        ),
    )

    @classmethod
    def finish(cls, project: ProjectContext) -> Iterable[Finding]:
        reported: set[Location] = set()
        for program, _, _, seeds in _training_programs(project):
            if not seeds or not is_fully_seeded({s.kind for s in seeds}, project.keras_major):
                continue
            if has_fact(project, program, Deterministic) or not runs_on_tensorflow(project, program):
                continue  # TF op determinism means nothing on the torch/jax backends
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
        # the same seed set twice replays one sequence to shuffle data and labels alike
        (
            "import random\n"
            "import keras\n"
            "model = keras.Sequential([keras.layers.Dense(1)])\n"
            "random.seed(101)\n"
            "random.shuffle(data)\n"
            "random.seed(101)\n"
            "random.shuffle(labels)\n"
        ),
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
        #: Per scope (module, then each function, innermost last): [first build, seeded before
        #: it, the late seed call to report (with its source) unless the same call comes again].
        self._scopes: list[list[Any]] = [[None, False, None]]
        self._seed_functions: set[str] = set()
        self._function_seeds: list[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append([None, False, None])
        self._function_seeds.append(False)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._close_scope()
        if self._function_seeds.pop():
            self._seed_functions.add(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append([None, True, None])  # class bodies: builds there run at instantiation

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._close_scope()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._scopes.append([None, True, None])

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._close_scope()

    def leave_Module(self, node: cst.Module) -> None:
        self._close_scope()

    def _close_scope(self) -> None:
        late = self._scopes.pop()[2]
        if late is not None:
            self.report(late[0], late[2])

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        scope = self._scopes[-1]
        is_seed = seed_kind(context, node) is not None or (
            isinstance(node.func, cst.Name) and node.func.value in self._seed_functions
        )
        if is_seed:
            if self._function_seeds:
                self._function_seeds[-1] = True
            source = " ".join(context.code(node).split())
            if scope[2] is not None and scope[2][1] == source:
                # The same seed set again: it replays one random sequence for two aligned
                # draws (``seed(1); shuffle(x); seed(1); shuffle(y)``), not the program's seed.
                scope[2] = None
            elif scope[0] is not None and not scope[1]:
                drawn = context.location(scope[0]).cite(seen_from=context.path)
                message = (
                    f"global seed set after random state was already drawn ({drawn}): what was "
                    "built or sampled before it is not reproducible; seed first"
                )
                scope[2] = (node, source, message)
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
        origin = self.context.semantic.model_origin(node)
        return origin in ("subclass", "factory")


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return [MissingGlobalSeed, PartialSeeding, SeedAfterModelBuilt, OpDeterminismOff]

