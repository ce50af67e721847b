"""Semantic facts that follow values across a file: method calls on instances and overrides
(call graph), what a list or ``self.memory`` holds and what a ``for`` target takes from it
(containers), and integers and strings ending with one (values)."""

from __future__ import annotations

import textwrap

import libcst as cst

from kerascheck.static.context import FileContext, analyse

AGENT = textwrap.dedent(
    """
    import random
    import numpy as np
    from collections import deque
    import keras

    class Agent:
        def __init__(self):
            self.memory = deque(maxlen=100)
            self.model = keras.Sequential()

        def remember(self, state, action):
            item = (state, action)
            self.memory.append(item)

        def target(self, state):
            return state

        def replay(self):
            for state, action in random.sample(self.memory, 8):
                self.target(state)

    class Double(Agent):
        def target(self, next_state):
            return next_state

    if flag:
        agent = Double()
    else:
        agent = Agent()
    for episode in range(3):
        obs = np.reshape(env.reset(), [1, 4])
        agent.remember(obs, 0)
    """
)


def _function(context: FileContext, name: str, owner: str) -> cst.FunctionDef:
    for scope in context.semantic.scopes.iter_scopes():
        node = scope.node
        if isinstance(node, cst.ClassDef) and node.name.value == owner:
            for statement in node.body.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                    return statement
    raise AssertionError(f"{owner}.{name} not found")


def _parameter(context: FileContext, function: cst.FunctionDef, name: str):  # type: ignore[no-untyped-def]
    scope = context.semantic.scopes.scopes[id(function)]
    return next(b for b in scope.bindings[name] if b.kind == "param")


def test_instance_calls_and_overrides_reach_methods() -> None:
    context = analyse(AGENT)
    semantic = context.semantic
    remember = _function(context, "remember", "Agent")
    # ``agent`` is an Agent or a Double (which inherits ``remember``): both resolve to one method.
    passed = semantic.arguments_for(_parameter(context, remember, "state"))
    assert passed is not None and [context.code(value) for value, _ in passed] == ["obs"]
    # ``self.target(state)`` in Agent.replay also runs Double.target on Double instances.
    override = _function(context, "target", "Double")
    passed = semantic.arguments_for(_parameter(context, override, "next_state"))
    assert passed is not None and [context.code(value) for value, _ in passed] == ["state"]
    loops = semantic.calls_in_loops(_parameter(context, override, "next_state"))
    assert [context.code(value) for value, _ in loops] == ["state"]


def test_loop_items_follow_appends_into_self_attributes() -> None:
    context = analyse(AGENT)
    semantic = context.semantic
    replay = _function(context, "replay", "Agent")
    scope = semantic.scopes.scopes[id(replay)]
    state = scope.bindings["state"][0]
    items = semantic.loop_items(state)
    assert items is not None and [context.code(value) for value, _ in items] == ["state"]  # remember's parameter
    action = semantic.loop_items(scope.bindings["action"][0])
    assert action is not None and [context.code(value) for value, _ in action] == ["action"]


def test_unknown_sources_make_elements_unknown() -> None:
    source = textwrap.dedent(
        """
        import keras
        xs = [a, b]
        xs.extend(load())
        ys = list(xs)
        zs = [c]
        zs.append(d)
        for z in zs[1:]:
            pass
        def f(items):
            for item in items:
                pass
        """
    )
    context = analyse(source)
    semantic = context.semantic
    end = semantic.end
    assert semantic.elements_of(cst.parse_expression("ys"), end) is None  # extended with an unknown call
    found = semantic.elements_of(cst.parse_expression("zs"), end)
    assert found is not None and [context.code(value) for value, _ in found] == ["c", "d"]
    function = next(s.node for s in semantic.scopes.iter_scopes() if isinstance(s.node, cst.FunctionDef))
    item = semantic.scopes.scopes[id(function)].bindings["item"][0]
    assert semantic.loop_items(item) is None  # a parameter: anything


def _value(source: str, expression: str):  # type: ignore[no-untyped-def]
    context = analyse(textwrap.dedent(source))
    return context.semantic.value_of(cst.parse_expression(expression), context.semantic.end)


def test_strings_ending_with_an_integer() -> None:
    assert _value("for i in range(3):\n    p = 'm_{:d}'.format(i)\n", "p").ends_in_number
    assert _value("for i in range(3):\n    p = 'ckpt.' + str(i + 1)\n", "p").ends_in_number
    assert _value("for i in range(3):\n    p = f'ckpt_{i}'\n", "p").ends_in_number
    assert _value("p = 'ckpt_%03d' % n\n", "p").ends_in_number
    # A literal ending with a digit is not a number's text; nor is str() of anything.
    assert not _value("p = 'model.h5'\n", "p").ends_in_number
    assert not _value("p = 'ckpt.' + str(tag)\n", "p").ends_in_number
    assert not _value("for i in range(3):\n    p = 'm_{}.weights.h5'.format(i)\n", "p").ends_in_number


def test_keras_callback_epoch_is_an_integer() -> None:
    source = textwrap.dedent(
        """
        import keras
        class Save(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                self.model.save_weights("w." + str(epoch))
        class Other:
            def on_epoch_end(self, epoch, logs=None):
                pass
        """
    )
    context = analyse(source)
    semantic = context.semantic
    events = [e for e in semantic.keras_models.events if e.method == "save_weights"]
    assert semantic.value_of(events[0].call.args[0].value, events[0].site).ends_in_number  # type: ignore[union-attr]
    other = _function(context, "on_epoch_end", "Other")
    binding = _parameter(context, other, "epoch")
    assert not semantic.value_of(cst.Name("epoch"), binding.site).is_int


def test_absl_flag_values_are_their_defaults_unless_assigned() -> None:
    source = textwrap.dedent(
        """
        from absl import flags
        from absl.flags import FLAGS
        flags.DEFINE_string("weights", "./checkpoints/yolov3.tf", "path")
        flags.DEFINE_string("output", "out.tf", "path")
        flags.DEFINE_integer("size", 416, "pixels")
        FLAGS.output = choose()
        """
    )
    assert _value(source, "FLAGS.weights").text == "./checkpoints/yolov3.tf"
    assert _value(source, "FLAGS.size").int == 416
    assert not _value(source, "FLAGS.output").is_known  # set by the file itself
    assert not _value(source, "FLAGS.missing").is_known
    assert not _value("FLAGS = object()\nflags_defined = 1\n", "FLAGS.weights").is_known


def test_unpacking_a_helpers_tuple() -> None:
    source = textwrap.dedent(
        """
        import tensorflow as tf
        def prepare(image):
            if small(image):
                return image[None], 0.5
            return tf.expand_dims(image, axis=0), 1.0
        batch, ratio = prepare(img)
        a, b = unknown(img)
        """
    )
    context = analyse(source)
    semantic = context.semantic
    module = semantic.scopes.module_scope
    parts = semantic.unpacked_values(module.bindings["batch"][0])
    assert parts is not None and [context.code(value) for value, _ in parts] == ["image[None]", "tf.expand_dims(image, axis=0)"]
    ratios = semantic.unpacked_values(module.bindings["ratio"][0])
    assert ratios is not None and [context.code(value) for value, _ in ratios] == ["0.5", "1.0"]
    assert semantic.unpacked_values(module.bindings["a"][0]) is None  # not a function of this file


def test_items_of_displays_and_parts_of_split_strings() -> None:
    source = """
    MODELS = {"base": "models/vit_base.zip", "large": "models/vit_large.zip"}
    SIZES = [224, 384]
    CHANGED = {"a": "x.keras"}
    CHANGED["a"] = "y.h5"
    UPDATED = {"a": "x.keras"}
    UPDATED.update(other)
    def load(path):
        name = path.split(".")[0]
        return name
    load(MODELS["base"])
    load(MODELS["large"])
    """
    assert _value(source, 'MODELS["large"]').text == "models/vit_large.zip"
    assert _value(source, "SIZES[1]").int == 384
    assert _value(source, "SIZES[-1]").int == 384
    assert not _value(source, 'CHANGED["a"]').is_known  # stored into after its display
    assert not _value(source, 'UPDATED["a"]').is_known
    assert _value(source, 'UPDATED.get("a")').kind == "unknown"
    assert _value(source, 'MODELS["large"].split("/")[1]').text == "vit_large.zip"
    context = analyse(textwrap.dedent(source))
    semantic = context.semantic
    function = next(s.node for s in semantic.scopes.iter_scopes() if isinstance(s.node, cst.FunctionDef))
    binding = semantic.scopes.scopes[id(function)].bindings["name"][0]
    # two zip names merged: the known start, then no dot up to the end (the first part of the split)
    name = semantic.value_of(binding.value, binding.site)
    assert (name.prefix, name.suffix, name.lacks) == ("models/vit_", "", ".")
    whole = semantic.value_of(cst.Name("name"), semantic.end)
    assert not whole.is_known
