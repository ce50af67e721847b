"""Layer → source mapping (kerascheck.static.layer_sites): which line built each named layer.

The expected names are the ones Keras 3.15 gives (checked by building the factories: see the
``tf``-marked tests in test_agreement.py, which run the real probe on the same file).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kerascheck.findings import Finding, Location, Severity
from kerascheck.static.layer_order import to_snake_case
from kerascheck.static.layer_sites import factory_sites, factory_source, map_probe_findings

DATA = Path(__file__).parent / "data" / "probe_map" / "factories.py"


def lines_of(source: str, factory: str, names: list[str]) -> dict[str, int | None]:
    sites = factory_sites("model.py", factory, textwrap.dedent(source))
    assert sites is not None
    return {name: (site.location.line if (site := sites.site_of(name)) is not None else None) for name in names}


@pytest.mark.parametrize(
    ("class_name", "snake"),
    [("LSTM", "lstm"), ("Conv2D", "conv2d"), ("BatchNormalization", "batch_normalization"), ("MyDropout", "my_dropout"),
     ("Conv1DTranspose", "conv1d_transpose"), ("GRU", "gru"), ("NoisyBlock", "noisy_block")],
)
def test_snake_case_follows_keras(class_name: str, snake: str) -> None:
    assert to_snake_case(class_name) == snake


def test_explicit_and_automatic_names_in_construction_order() -> None:
    source = """
        import keras
        from keras import layers

        def build():
            inputs = keras.Input((5, 3))
            x = layers.LSTM(8, return_sequences=True)(inputs)
            x = layers.LSTM(8, name="encoder")(x)
            x = layers.Dense(4)(x)
            return keras.Model(inputs, layers.Dense(1)(x))
    """
    assert lines_of(source, "build", ["lstm", "encoder", "dense", "dense_1", "lstm_1"]) == {
        "lstm": 7, "encoder": 8, "dense": 9, "dense_1": 10, "lstm_1": None,
    }


def test_a_constructor_runs_after_its_arguments() -> None:
    source = """
        import keras
        from keras import layers

        def build():
            inputs = keras.Input((5, 3))
            wrapped = layers.Bidirectional(
                layers.LSTM(4)
            )(inputs)
            return keras.Model(inputs, layers.Dense(1)(layers.Dense(3)(wrapped)))
    """
    # Dense(1) is evaluated (constructed) before Dense(3), which is inside its call's arguments.
    assert lines_of(source, "build", ["lstm", "bidirectional", "bidirectional/forward_lstm", "dense", "dense_1"]) == {
        "lstm": 8, "bidirectional": 7, "bidirectional/forward_lstm": 8, "dense": 10, "dense_1": 10,
    }
    sites = factory_sites("model.py", "build", textwrap.dedent(source))
    assert sites is not None
    first, second = sites.site_of("dense"), sites.site_of("dense_1")
    assert first is not None and second is not None and first.location.column < second.location.column


def test_sequential_list_and_add() -> None:
    source = """
        import keras
        from keras import layers

        def listed():
            return keras.Sequential([
                keras.Input((3,)),
                layers.Dense(8),
                layers.Dense(1, activation="softmax"),
            ])

        def added():
            model = keras.Sequential()
            model.add(layers.Dense(8))
            model.add(layers.Dropout(0.2))
            model.add(layers.Dense(1))
            return model
    """
    assert lines_of(source, "listed", ["dense", "dense_1", "sequential"]) == {"dense": 8, "dense_1": 9, "sequential": 6}
    assert lines_of(source, "added", ["dense", "dropout", "dense_1"]) == {"dense": 14, "dropout": 15, "dense_1": 16}


def test_loop_maps_every_layer_it_builds_to_one_site_and_later_counters_follow() -> None:
    source = """
        import keras
        from keras import layers

        def build(depth=3):
            inputs = keras.Input((3,))
            x = inputs
            for _ in range(3):
                x = layers.Dense(8)(x)
            return keras.Model(inputs, layers.Dense(1)(x))
    """
    assert lines_of(source, "build", ["dense", "dense_1", "dense_2", "dense_3", "dense_4"]) == {
        "dense": 9, "dense_1": 9, "dense_2": 9, "dense_3": 10, "dense_4": None,
    }


def test_unknown_trip_count_makes_later_names_of_that_class_ambiguous() -> None:
    source = """
        import keras
        from keras import layers

        def build(depth=3):
            inputs = keras.Input((3,))
            x = layers.Dense(8, name="first")(inputs)
            for _ in range(depth * 2 + len(str(inputs))):
                x = layers.Dense(8)(x)
            x = layers.Dropout(0.1)(x)
            return keras.Model(inputs, layers.Dense(1)(x))
    """
    # The loop may run any number of times (even none): dense and dense_5 may come from the
    # loop or from the last Dense, so neither is guessed; other classes still map.
    assert lines_of(source, "build", ["first", "dense", "dense_5", "dropout"]) == {
        "first": 7, "dense": None, "dense_5": None, "dropout": 10,
    }


def test_helper_functions_are_followed_to_the_line_inside_them() -> None:
    source = """
        import keras
        from keras import layers

        def conv_block(x, filters):
            x = layers.Conv2D(filters, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            return layers.ReLU()(x)

        def build():
            inputs = keras.Input((8, 8, 1))
            x = conv_block(inputs, 4)
            x = conv_block(x, 8)
            x = layers.GlobalAveragePooling2D()(x)
            return keras.Model(inputs, layers.Dense(2)(x))
    """
    assert lines_of(source, "build", ["conv2d", "conv2d_1", "batch_normalization_1", "re_lu", "dense"]) == {
        "conv2d": 6, "conv2d_1": 6, "batch_normalization_1": 7, "re_lu": 8, "dense": 15,
    }


def test_custom_layer_classes_and_their_sublayers() -> None:
    source = """
        import keras
        from keras import layers

        class Residual(layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.inner = layers.Dense(units)

            def call(self, x):
                return x + self.inner(x)

        class Head(keras.layers.Layer):
            def __init__(self):
                super().__init__(name="head")

            def call(self, x, training=True):
                return x

        def build():
            inputs = keras.Input((4,))
            x = Residual(4)(inputs)
            x = Head()(x)
            return keras.Model(inputs, layers.Dense(1)(x))
    """
    sites = factory_sites("model.py", "build", textwrap.dedent(source))
    assert sites is not None
    residual, inner, head, dense = (sites.site_of(n) for n in ("residual", "residual/dense", "head", "dense_1"))
    assert residual is not None and residual.location.line == 22 and residual.class_location is not None
    assert residual.class_location.line == 5
    assert inner is not None and inner.location.line == 8
    assert head is not None and head.call_location is not None and head.call_location.line == 17
    assert head.location_for("KP103").line == 17  # behaviour of the class: its call def
    assert head.location_for("KP108").line == 23  # structure: where it was constructed
    assert dense is not None and dense.location.line == 24


def test_module_level_layers_count_before_the_factory_runs() -> None:
    source = """
        import keras
        from keras import layers

        shared = layers.Dense(4)

        def build():
            inputs = keras.Input((4,))
            return keras.Model(inputs, layers.Dense(1)(shared(inputs)))

        if __name__ == "__main__":
            build().summary()
    """
    assert lines_of(source, "build", ["dense", "dense_1", "dense_2"]) == {"dense": 5, "dense_1": 9, "dense_2": None}


def test_calls_into_other_modules_never_lead_to_a_wrong_line() -> None:
    source = """
        import keras
        from keras import layers
        from mylib.blocks import residual_stack

        def build():
            inputs = keras.Input((4,))
            x = layers.Dense(8, name="stem")(inputs)
            x = layers.Dense(8)(x)
            x = residual_stack(x)
            return keras.Model(inputs, layers.Dense(1)(x))
    """
    # residual_stack may build Dense layers: dense_1 is the last Dense or one of its own.
    assert lines_of(source, "build", ["stem", "dense", "dense_1"]) == {"stem": 8, "dense": 9, "dense_1": None}


def test_static_and_class_method_factories() -> None:
    source = """
        import keras
        from keras import layers

        class Models:
            @staticmethod
            def small():
                return keras.Sequential([keras.Input((3,)), layers.Dense(2)])

            @classmethod
            def wide(cls):
                return cls._stack(layers.Dense(16))

            @classmethod
            def _stack(cls, top):
                return keras.Sequential([keras.Input((3,)), layers.Dense(8), top])
    """
    assert lines_of(source, "Models.small", ["dense"]) == {"dense": 8}
    # ``top`` (line 12) is constructed before _stack runs and builds its own Dense (line 16).
    assert lines_of(source, "Models.wide", ["dense", "dense_1"]) == {"dense": 12, "dense_1": 16}
    assert factory_sites("model.py", "Models.missing", textwrap.dedent(source)) is None


def test_unparseable_or_missing_files_give_no_sites(tmp_path: Path) -> None:
    assert factory_sites(tmp_path / "absent.py", "build") is None
    assert factory_sites("bad.py", "build", "def build(:\n") is None


def probe_finding(code: str, message: str, target: str, layer: str | None = None, layers: tuple[str, ...] = ()) -> Finding:
    extra = (("layers", layers),) if layers else ()
    return Finding(code, "x", message, Severity.WARNING, Location(target, logical=layer), extra=extra)


def test_map_probe_findings_moves_findings_to_constructing_lines() -> None:
    target = f"{DATA}:noisy_default"
    findings = [
        probe_finding("KP103", "custom layer 'noisy_block': call() defaults training=True", target, "noisy_block", ("noisy_block",)),
        probe_finding("KP106", "BatchNormalization layer never trained", target, "embed"),
        probe_finding("KP102", "the same input predicted twice differs", target),
        probe_finding("KP101", "2 layers ('dense_1', 'mystery'): change", target, None, ("dense_1", "mystery")),
    ]
    mapped = map_probe_findings(findings, DATA, "noisy_default")
    where = [(f.code, f.location.line, f.location.logical, dict(f.extra)["layers"] if "layers" in dict(f.extra) else ()) for f in mapped]
    assert where == [
        ("KP103", 16, None, ("noisy_block",)),  # behaviour of a custom layer: its call def
        ("KP106", 43, None, ("embed",)),  # explicit name
        ("KP102", 41, None, ()),  # about the whole model: the factory's def line
        ("KP101", 45, None, ("dense_1",)),  # a grouped finding: one per site ...
        ("KP101", 41, None, ("mystery",)),  # ... and unknown layers on the def line
    ]
    assert all(f.location.path == str(DATA) for f in mapped)
    assert all(dict(f.extra)["factory"] == target for f in mapped)
    assert mapped[1].message.endswith("(layer 'embed', model built by noisy_default())")  # the layer name stays
    assert mapped[0].message == findings[0].message + " (model built by noisy_default())"  # already named there
    assert (mapped[2].location.line, mapped[2].location.column, mapped[2].location.end_column) == (41, 1, 18)  # ``def noisy_default``


def test_map_probe_findings_leaves_findings_alone_without_the_source(tmp_path: Path) -> None:
    findings = [probe_finding("KP101", "m", "gone.py:build", "lstm")]
    assert map_probe_findings(findings, tmp_path / "gone.py", "build") == findings


def test_factory_source_resolves_labels_without_importing(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise SystemExit('imported!')\n")
    (package / "models.py").write_text("def build():\n    pass\n")
    assert factory_source("pkg.models:build", tmp_path) == (package / "models.py", "build")
    assert factory_source(f"{package / 'models.py'}:Models.small", tmp_path) == (package / "models.py", "Models.small")
    assert factory_source("pkg.absent:build", tmp_path) is None
    assert factory_source("no-colon", tmp_path) is None


def test_known_loops_are_replayed_iteration_by_iteration() -> None:
    source = """
        import keras
        from keras import layers

        def block(x, filters, stride):
            x = layers.Conv2D(filters, 3, strides=stride)(x)
            x = layers.BatchNormalization()(x)
            if stride != 1:
                x = layers.Conv2D(filters, 1)(x)
            return layers.Activation("relu")(x)

        def build():
            inputs = keras.Input((16, 16, 3))
            x = inputs
            for filters, stride in [(8, 1), (16, 2)]:
                x = block(x, filters, stride)
            return keras.Model(inputs, x)
    """
    # iteration 1: conv2d (line 6), no shortcut (stride 1); iteration 2: conv2d_1 (6), conv2d_2 (9)
    assert lines_of(source, "build", ["conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "batch_normalization_1", "activation_1"]) == {
        "conv2d": 6, "conv2d_1": 6, "conv2d_2": 9, "conv2d_3": None, "batch_normalization_1": 7, "activation_1": 10,
    }


def test_loop_over_a_helper_parameter_and_functional_merge_calls() -> None:
    source = """
        import keras
        from keras import layers

        def mlp(x, hidden_units):
            for units in hidden_units:
                x = layers.Dense(units)(x)
                x = layers.Dropout(0.1)(x)
            return x

        def build():
            inputs = keras.Input((4,))
            x = mlp(inputs, hidden_units=[8, 4])
            x = layers.add([x, layers.Dense(4)(inputs)])
            y = layers.concatenate([x, inputs])
            return keras.Model(inputs, layers.Dense(1)(y))
    """
    assert lines_of(source, "build", ["dense_1", "dropout_1", "dense_2", "add", "concatenate", "dense_3"]) == {
        "dense_1": 7, "dropout_1": 8, "dense_2": 14, "add": 14, "concatenate": 15, "dense_3": 16,
    }


def test_sublayers_keras_makes_itself_never_take_a_visible_sites_name() -> None:
    source = """
        import keras
        from keras import layers

        def build():
            inputs = keras.Input((6, 4))
            x = layers.Dropout(0.1)(inputs)
            x = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
            x = layers.Dropout(0.1)(x)
            return keras.Model(inputs, x)
    """
    # MultiHeadAttention's build makes its own Softmax and Dropout ("dropout_1")
    assert lines_of(source, "build", ["dropout", "multi_head_attention/dropout_1", "dropout_2", "dropout_1"]) == {
        "dropout": 7, "multi_head_attention/dropout_1": 8, "dropout_2": 9, "dropout_1": None,
    }


def test_a_break_or_early_return_makes_what_follows_uncertain() -> None:
    source = """
        import keras
        from keras import layers

        def build(limit=2):
            inputs = keras.Input((4,))
            x = inputs
            for index in range(4):
                if index == limit + len(str(x)):
                    break
                x = layers.Dense(4)(x)
            return keras.Model(inputs, layers.Dense(1, name="head")(x))
    """
    assert lines_of(source, "build", ["dense", "dense_3", "head"]) == {"dense": 11, "dense_3": 11, "head": 12}


@pytest.mark.tf
def test_mapping_is_never_wrong_on_real_architectures(tmp_path: Path) -> None:
    """The bench builds the models for real and compares with the true constructing lines."""
    pytest.importorskip("keras")
    import subprocess
    import sys

    architectures = Path(__file__).parent / "data" / "probe_map" / "architectures.py"
    bench = Path(__file__).parent.parent / "bench" / "layer_mapping_accuracy.py"
    targets = [f"{architectures}:{name}" for name in ("vision_transformer", "small_resnet")]
    done = subprocess.run([sys.executable, str(bench), *targets], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("6 unmapped (9.7%), 0 wrong (0.0%)"), done.stdout
    assert "vision_transformer: 41 layers: 41 right" in done.stdout


def test_while_loops_and_comprehensions() -> None:
    source = """
        import keras
        from keras import layers

        def build():
            inputs = keras.Input((4,))
            x = layers.Dense(4)(inputs)
            while x.shape[-1] < 16:
                x = layers.Dense(x.shape[-1] * 2)(x)
            heads = [layers.Dense(1, name=f"head_{i}")(x) for i in range(3)]
            towers = [layers.Dropout(0.1)(x) for _ in range(2)]
            return keras.Model(inputs, heads + towers)
    """
    # The while loop runs an unknown number of times: every later Dense is its (line 9).
    assert lines_of(source, "build", ["dense", "dense_1", "dense_7", "head_2", "dropout_1"]) == {
        "dense": 7, "dense_1": 9, "dense_7": 9, "head_2": 10, "dropout_1": 11,
    }


def test_callables_the_file_does_not_show_make_names_ambiguous() -> None:
    source = """
        import functools
        import keras
        from keras import layers

        def conv_block(x, filters):
            return layers.Conv2D(filters, 3)(x)

        def stack(x, block_fn, filters):
            return block_fn(x, filters)

        def passed_helper():
            inputs = keras.Input((8, 8, 1))
            dense = layers.Dense(2)
            x = stack(inputs, conv_block, 4)
            return keras.Model(inputs, dense(layers.Flatten()(layers.Conv2D(2, 1)(x))))

        def partial_helper():
            inputs = keras.Input((8, 8, 1))
            block = functools.partial(conv_block, filters=4)
            x = layers.Conv2D(2, 1)(inputs)
            x = block(x)
            return keras.Model(inputs, layers.Conv2D(2, 1)(x))
    """
    # a helper handed over as an argument is replayed; calling a layer instance builds nothing
    assert lines_of(source, "passed_helper", ["conv2d", "conv2d_1", "flatten", "dense"]) == {
        "conv2d": 7, "conv2d_1": 16, "flatten": 16, "dense": 14,
    }
    # what functools.partial(...) builds is not followed: later Conv2D names are not guessed
    assert lines_of(source, "partial_helper", ["conv2d", "conv2d_1", "conv2d_2"]) == {"conv2d": 21, "conv2d_1": None, "conv2d_2": None}


def test_a_pretrained_backbone_may_take_any_automatic_name() -> None:
    source = """
        import keras
        from keras import layers

        def transfer():
            base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
            inputs = keras.Input((32, 32, 3))
            x = layers.GlobalAveragePooling2D()(base(inputs, training=False))
            return keras.Model(inputs, layers.Dense(2, name="head")(x))
    """
    # keras.applications builds some layers without names: the Dense and pooling numbers after
    # it are not known (bench/layer_mapping_accuracy.py: 160 layers, 0 wrong); explicit names are.
    assert lines_of(source, "transfer", ["global_average_pooling2d", "head"]) == {"global_average_pooling2d": None, "head": 9}
