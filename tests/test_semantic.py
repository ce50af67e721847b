"""The semantic model (``context.semantic``) on realistic multi-statement code: values through
names, helpers, parameters and path joins; rebinding and branches; per-model facts with two
models in one file; call-graph training context; wrapper classes; Monte-Carlo dropout; and the
KC104 fix renaming every use of a saved file."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from kerascheck.rules.inference import TrainingTrueAtInference
from kerascheck.rules.legacy_api import LegacySaveFormat
from kerascheck.rules.state import StatefulFitShuffle
from kerascheck.rules.training import BestCheckpointNeverLoaded, LastEpochWeights
from kerascheck.static.context import FileContext, analyse
from kerascheck.testing import check_source, fix_source


def _calls(context: FileContext, text: str) -> list[cst.Call]:
    """Calls of the file whose source starts with ``text``, in order."""
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if context.code(node).startswith(text):
                found.append(node)

    context.module.visit(Finder())
    return found


def _argument_value(context: FileContext, call_text: str, index: int = 0):  # type: ignore[no-untyped-def]
    """value_of the ``index``-th argument of the first call starting with ``call_text``,
    asked from where that call is (the site recorded for it during the walk)."""
    call = _calls(context, call_text)[0]
    site = next(s for c, s in context.semantic.keras_models.loads + _event_sites(context) if c is call)
    return context.semantic.value_of(call.args[index].value, site)


def _event_sites(context: FileContext) -> list[tuple[cst.Call, object]]:
    return [(e.call, e.site) for e in context.semantic.keras_models.events if isinstance(e.call, cst.Call)]


PATHS = textwrap.dedent(
    """
    import os
    from pathlib import Path

    import keras

    OUT_DIR = "runs/exp1"
    EPOCHS = 10 * 3

    def weights_file(tag="best"):
        return os.path.join(OUT_DIR, tag + "-weights.h5")

    def export(model, name="final", ext=".keras"):
        model.save(f"{OUT_DIR}/{name}{ext}")

    model = keras.Sequential([keras.layers.Dense(1)])
    checkpoint_path = OUT_DIR + "/weights.{epoch:02d}.hdf5"
    archive = Path(OUT_DIR) / "archive" / "model.h5"
    legacy = "%s/legacy_%d.h5" % (OUT_DIR, EPOCHS)
    templated = "{}/run_{}.keras".format(OUT_DIR, EPOCHS)
    model.save(checkpoint_path)
    model.save(weights_file())
    model.save(archive)
    model.save(legacy)
    model.save(templated)
    model.save(os.path.join(prefix_from_cli, "m.h5"))
    export(model, name="v2")
    """
)


def test_values_through_names_helpers_parameters_and_joins() -> None:
    context = analyse(PATHS)
    saves = [e for e in context.semantic.keras_models.events if e.method == "save"]
    inside, *values = [context.semantic.value_of(e.call.args[0].value, e.site) for e in saves]  # type: ignore[union-attr]
    assert values[0].text == "runs/exp1/weights.{epoch:02d}.hdf5"
    assert values[1].text == "runs/exp1/best-weights.h5"  # helper return, default parameter, os.path.join
    assert values[2].text == "runs/exp1/archive/model.h5"  # pathlib ``/``
    assert values[3].text == "runs/exp1/legacy_30.h5"  # ``%`` with a computed constant
    assert values[4].text == "runs/exp1/run_30.keras"  # ``.format``
    assert not values[5].is_known and values[5].endswith("/m.h5")  # partially known: the ending
    # in ``export``, ``name`` holds its default or what the file's calls pass: the common part
    assert inside.head == "runs/exp1/" and inside.endswith(".keras") and not inside.is_known


def test_rebinding_and_branches() -> None:
    source = textwrap.dedent(
        """
        import keras
        epochs = 5
        model = keras.Sequential()
        model.fit(x, y, epochs=epochs)
        epochs = 50
        if fine_tune:
            epochs = 80
        model.fit(x, y, epochs=epochs)
        path = "a.h5"
        path = "b.keras"
        model.save(path)
        """
    )
    context = analyse(source)
    semantic = context.semantic
    fits = [e for e in semantic.keras_models.events if e.method == "fit"]
    assert semantic.int_value(fits[0].call.keywords_value if False else fits[0].call.args[2].value, fits[0].site) == 5  # type: ignore[union-attr]
    merged = semantic.value_of(fits[1].call.args[2].value, fits[1].site)  # type: ignore[union-attr]
    assert not merged.is_known and merged.int is None and merged.is_int  # 50 or 80: "one of these", some integer, not one number
    assert {b.value.value for b in semantic.lookup("epochs", fits[1].site)} == {"50", "80"}  # type: ignore[union-attr]
    save = next(e for e in semantic.keras_models.events if e.method == "save")
    assert semantic.value_of(save.call.args[0].value, save.site).text == "b.keras"  # type: ignore[union-attr]


TWO_MODELS = textwrap.dedent(
    """
    import keras
    from keras import layers

    def build_stateful(batch):
        net = keras.Sequential([keras.Input(batch_shape=(batch, 20, 4)), layers.LSTM(16, stateful=True), layers.Dense(1)])
        net.compile("adam", "mse")
        return net

    encoder_inputs = keras.Input(shape=(None, 8))
    encoded = layers.LSTM(32)(encoder_inputs)
    decoded = layers.Dense(8)(encoded)
    autoencoder = keras.Model(encoder_inputs, decoded)

    forecaster = build_stateful(1)
    stop = keras.callbacks.EarlyStopping(patience=4, restore_best_weights=True)
    autoencoder.fit(x, x, validation_split=0.1, epochs=40, callbacks=[stop])
    autoencoder.save("autoencoder.keras")
    forecaster.fit(series, target, batch_size=1, validation_split=0.1, epochs=40)
    forecaster.predict(series[-1:], batch_size=1)
    """
)


def test_two_models_have_their_own_facts() -> None:
    context = analyse(TWO_MODELS)
    semantic = context.semantic
    fits = semantic.fits()
    (auto_fit, auto_models), (fore_fit, fore_models) = fits
    assert [m.origin for m in auto_models] == ["functional"] and [m.origin for m in fore_models] == ["factory"]
    assert not semantic.is_stateful(auto_fit.receiver, auto_fit.site)
    assert semantic.is_stateful(fore_fit.receiver, fore_fit.site)
    assert [context.qualified(c.func) for c, _ in semantic.callbacks_of(auto_fit).calls] == ["keras.callbacks.EarlyStopping"]
    assert semantic.callbacks_of(fore_fit) == type(semantic.callbacks_of(fore_fit))((), True)
    # rules: the EarlyStopping protects only the autoencoder; only the forecaster is stateful
    kc601 = check_source(LastEpochWeights, TWO_MODELS)
    assert [f.location.line for f in kc601] == [19]
    kc703 = check_source(StatefulFitShuffle, TWO_MODELS)
    assert [f.location.line for f in kc703] == [19]


def test_rebinding_starts_a_new_model() -> None:
    source = textwrap.dedent(
        """
        import keras
        model = keras.Sequential([keras.layers.Dense(1)])
        model.fit(x, y, validation_split=0.2, epochs=30)
        model = keras.models.load_model("pretrained.keras")
        model.evaluate(x_test, y_test)
        """
    )
    context = analyse(source)
    semantic = context.semantic
    fit, evaluate = semantic.keras_models.events
    assert semantic.models_of(fit.receiver, fit.site) != semantic.models_of(evaluate.receiver, evaluate.site)
    assert check_source(LastEpochWeights, source) == []


CALL_GRAPH = textwrap.dedent(
    """
    import keras
    import tensorflow as tf

    class GAN(keras.Model):
        def discriminate(self, images):
            return self.discriminator(images, training=True)

        def generate(self, noise):
            return self.generator(noise, training=True)

        def sample(self, noise):
            return self.generate(noise)

        def train_step(self, data):
            noise = tf.random.normal((32, 64))
            with tf.GradientTape() as tape:
                fake = self.generate(noise)
                loss = self.discriminate(fake)
            return {"loss": loss}

    def preview(generator, noise):
        return generator(noise, training=True)
    """
)


def test_training_context_through_the_call_graph() -> None:
    context = analyse(CALL_GRAPH)
    semantic = context.semantic
    sites = {context.code(call.func): site for call, site in ((r.call, r.site) for r in semantic.calls.calls)}
    assert semantic.is_training_code(sites["self.discriminator"])  # called from the tape block
    assert semantic.is_training_code(sites["self.generator"])  # generate() is called from train_step
    assert not semantic.is_training_code(sites["generator"])  # preview() is inference
    findings = check_source(TrainingTrueAtInference, CALL_GRAPH)
    assert [f.location.line for f in findings] == [23]


WRAPPER = textwrap.dedent(
    """
    import keras

    class Classifier:
        def __init__(self, n_classes):
            self.model = keras.Sequential([keras.layers.Dense(n_classes, activation="softmax")])
            self.model.compile("adam", "categorical_crossentropy")

        def fit(self, x, y):
            best = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
            self.model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[best])
            return self

        def predict(self, x):
            return self.model.predict(x)
    """
)


def test_wrapper_class_keeps_its_models_story() -> None:
    context = analyse(WRAPPER)
    ((_, models),) = context.semantic.fits()
    assert [m.origin for m in models] == ["sequential"]
    findings = check_source(BestCheckpointNeverLoaded, WRAPPER)
    assert [f.location.line for f in findings] == [10]


def test_monte_carlo_dropout_by_shape() -> None:
    mc = textwrap.dedent(
        """
        import numpy as np
        import keras

        model = keras.models.load_model("classifier.keras")

        def predictive_distribution(images, passes=50):
            draws = []
            for _ in range(passes):
                draws.append(model(images, training=True).numpy())
            draws = np.stack(draws)
            return draws.mean(axis=0), draws.std(axis=0)

        scores = np.mean([model(images, training=True) for _ in range(20)], axis=0)
        """
    )
    assert check_source(TrainingTrueAtInference, mc) == []
    not_mc = mc.replace("draws.mean(axis=0), draws.std(axis=0)", "draws").replace("np.mean(", "np.concatenate(")
    assert [f.location.line for f in check_source(TrainingTrueAtInference, not_mc)] == [10, 14]


SAVE_AND_LOAD = textwrap.dedent(
    """
    import keras

    MODEL_FILE = "artifacts/classifier.h5"

    def train(x, y):
        model = keras.Sequential([keras.layers.Dense(1)])
        model.compile("adam", "mse")
        model.fit(x, y, epochs=2)
        model.save(MODEL_FILE, save_format="h5")

    def serve():
        return keras.models.load_model("artifacts/classifier.h5")
    """
)


def test_kc104_fix_renames_every_use_of_the_file() -> None:
    fixed = fix_source(LegacySaveFormat, SAVE_AND_LOAD)
    assert 'MODEL_FILE = "artifacts/classifier.keras"' in fixed
    assert 'keras.models.load_model("artifacts/classifier.keras")' in fixed
    assert "save_format" not in fixed
    # the fixed program saves and loads the same path
    context = analyse(fixed)
    semantic = context.semantic
    save = next(e for e in semantic.keras_models.events if e.method == "save")
    (load, load_site), = semantic.keras_models.loads
    saved = semantic.value_of(save.call.args[0].value, save.site)  # type: ignore[union-attr]
    loaded = semantic.value_of(load.args[0].value, load_site)
    assert saved.text == loaded.text == "artifacts/classifier.keras"


def test_kc104_offers_no_fix_when_a_load_cannot_be_renamed() -> None:
    # the load builds the same path from pieces the fix would not rename
    source = SAVE_AND_LOAD.replace('keras.models.load_model("artifacts/classifier.h5")', 'keras.models.load_model(f"artifacts/{STEM}.h5")')
    source = source.replace('MODEL_FILE = ', 'STEM = "classifier"\nMODEL_FILE = ')
    findings = check_source(LegacySaveFormat, source)
    assert len(findings) == 1 and findings[0].fix is None


@pytest.mark.tf
def test_kc104_fixed_program_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The fixed program really saves and reloads its model (TensorFlow/Keras 3)."""
    pytest.importorskip("keras")
    program = SAVE_AND_LOAD.replace("artifacts/", str(tmp_path).replace("\\", "/") + "/") + textwrap.dedent(
        """
        import numpy as np
        train(np.zeros((4, 3)), np.zeros((4, 1)))
        restored = serve()
        """
    )
    fixed = fix_source(LegacySaveFormat, program)
    namespace: dict[str, object] = {}
    exec(compile(fixed, "fixed.py", "exec"), namespace)
    assert namespace["restored"].count_params() == 4  # type: ignore[attr-defined]


def test_parameters_hold_what_the_calls_pass() -> None:
    """``state`` is a parameter; every call passes ``preprocess(...)``, which returns one sample,
    so the argmax over its prediction is over one row (no KC502)."""
    from kerascheck.rules.prediction import ArgmaxWithoutAxis

    source = textwrap.dedent(
        """
        import numpy as np
        import keras

        class Agent:
            def __init__(self):
                self.model = keras.Sequential([keras.layers.Dense(2)])

            def act(self, state):
                return np.argmax(self.model.predict(state))

            def preprocess(self, observation):
                return np.reshape(observation, [1, 4])

            def run(self, env):
                state = self.preprocess(env.reset())
                while True:
                    action = self.act(state)
                    state = self.preprocess(env.step(action))
        """
    )
    assert check_source(ArgmaxWithoutAxis, source) == []
    batch = source.replace("action = self.act(state)", "action = self.act(np.stack(history))")
    assert [f.location.line for f in check_source(ArgmaxWithoutAxis, batch)] == [10]


def test_a_model_used_through_a_helper_counts_as_used() -> None:
    source = textwrap.dedent(
        """
        import keras

        def report(model, data):
            loss, accuracy = model.evaluate(data["x_test"], data["y_test"])
            print(loss, accuracy)

        def main(data):
            model = keras.Sequential([keras.layers.Dense(10, activation="softmax")])
            best = keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)
            model.fit(data["x"], data["y"], validation_split=0.1, epochs=50, callbacks=[best])
            report(model, data)
        """
    )
    assert [f.location.line for f in check_source(BestCheckpointNeverLoaded, source)] == [10]
    reloaded = source.replace("    report(model, data)", '    report(keras.models.load_model("best.keras"), data)')
    assert check_source(BestCheckpointNeverLoaded, reloaded) == []


def test_exclusive_branches_do_not_end_a_fit_story() -> None:
    source = textwrap.dedent(
        """
        import keras
        model = keras.Sequential([keras.layers.LSTM(4), keras.layers.Dense(1)])
        if STATELESS:
            model.fit(x, y, epochs=20, validation_data=(xv, yv))
        else:
            for epoch in range(20):
                model.fit(x, y, epochs=1, validation_data=(xv, yv))
        score = model.evaluate(xv, yv)
        """
    )
    assert [f.location.line for f in check_source(LastEpochWeights, source)] == [5]


def test_a_model_used_through_a_derived_model() -> None:
    """The fitted model runs inside a model built on it (in a helper): a use of its weights."""
    source = textwrap.dedent(
        """
        import keras

        def end_to_end(model):
            inputs = keras.Input(shape=(1,), dtype="string")
            features = vectorizer(inputs)
            return keras.Model(inputs, model(features))

        classifier = keras.Sequential([keras.layers.Dense(2, activation="softmax")])
        classifier.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=20)
        exported = end_to_end(classifier)
        exported.evaluate(raw_test)
        """
    )
    assert [f.location.line for f in check_source(LastEpochWeights, source)] == [10]
