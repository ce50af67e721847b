"""Input synthesis and sample files on real Keras models (in-process, no child)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf
keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from kerascheck.probes import inputs  # noqa: E402


def multi_input_model() -> keras.Model:
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    extra = keras.Input((2,), name="extra")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(tokens))
    return keras.Model({"tokens": tokens, "extra": extra}, keras.layers.Concatenate()([pooled, extra]))


def test_dict_inputs_with_embedding_get_valid_token_ids() -> None:
    model = multi_input_model()
    sig = inputs.signature(model)
    assert sig.kind == "dict"
    by_name = {s.name: s for s in sig.specs}
    assert by_name["tokens"].int_high == 50 and by_name["tokens"].dtype == "int32"
    data, batch = inputs.synthesize(sig, np.random.default_rng(0))
    assert batch == inputs.DEFAULT_BATCH
    assert data["tokens"].shape == (batch, inputs.DEFAULT_STEPS)
    assert data["tokens"].min() >= 0 and data["tokens"].max() < 50 and data["tokens"].max() > 1
    assert data["extra"].dtype == np.float32
    assert model(data).shape == (batch, 6)
    again, _ = inputs.synthesize(sig, np.random.default_rng(0))
    assert all(np.array_equal(data[k], again[k]) for k in data)


def test_stateful_model_uses_its_fixed_batch_and_list_inputs() -> None:
    a = keras.Input(batch_shape=(3, 5, 2))
    b = keras.Input(batch_shape=(3, 4))
    lstm = keras.layers.LSTM(2, stateful=True)(a)
    model = keras.Model([a, b], keras.layers.Concatenate()([lstm, b]))
    sig = inputs.signature(model)
    assert (sig.kind, sig.fixed_batch) == ("list", 3)
    data, batch = inputs.synthesize(sig, np.random.default_rng(0))
    assert batch == 3 and [d.shape for d in data] == [(3, 5, 2), (3, 4)]


def test_sample_files(tmp_path: Path) -> None:
    sig = inputs.signature(multi_input_model())
    positional = tmp_path / "positional.npz"
    np.savez(positional, np.ones((2, 3), "int64"), np.zeros((2, 2)))
    data, batch = inputs.load_sample(positional, sig)
    assert batch == 2 and data["tokens"].dtype == np.int32  # arr_0 is the first input: tokens
    single = tmp_path / "x.npy"
    np.save(single, np.ones((5, 2)))
    with pytest.raises(inputs.InputError, match="2 inputs"):
        inputs.load_sample(single, sig)
    with pytest.raises(inputs.InputError, match="does not exist"):
        inputs.load_sample(tmp_path / "none.npy", sig)


def test_sample_rows_fit_a_fixed_batch(tmp_path: Path) -> None:
    x = keras.Input(batch_shape=(4, 3))
    sig = inputs.signature(keras.Model(x, keras.layers.Dense(1)(x)))
    path = tmp_path / "x.npy"
    np.save(path, np.arange(6, dtype="float32").reshape(2, 3))
    data, batch = inputs.load_sample(path, sig)
    assert batch == 4 and data.shape == (4, 3)
    np.testing.assert_array_equal(data[2], data[0])


def text_model() -> keras.Model:
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=5, name="vectorize")
    vectorize.adapt(["the cat sat on the mat", "a dog ran far away"])
    text = keras.Input((1,), dtype="string", name="text")
    tag = keras.Input((1,), dtype="string", name="tag")
    lookup = keras.layers.StringLookup(vocabulary=["red", "green", "blue"], name="lookup")
    tokens = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(vectorize(text)))
    colour = keras.layers.Flatten()(keras.layers.Embedding(5, 2)(lookup(tag)))
    return keras.Model([text, tag], keras.layers.Dense(2)(keras.layers.Concatenate()([tokens, colour])))


def test_string_inputs_come_from_the_vocabulary_they_feed() -> None:
    model = text_model()
    sig = inputs.signature(model)
    data, batch = inputs.synthesize(sig, np.random.default_rng(0))
    text, tag = data
    assert set(tag.ravel()) <= {"red", "green", "blue"}
    words = {word for sentence in text.ravel() for word in sentence.split()}
    assert words and words <= {"the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away"}
    # every token is known: no input maps to the out-of-vocabulary index
    assert not np.any(model.get_layer("lookup")(inputs.as_model_inputs(tag)).numpy() == 0)
    assert model.predict(inputs.as_model_inputs(data), verbose=0).shape == (batch, 2)


def test_none_spatial_dims_survive_the_models_downsampling() -> None:
    image = keras.Input((None, None, 3))
    x = image
    for _ in range(5):  # downsamples by 32, like MobileNet or ResNet
        x = keras.layers.Conv2D(4, 3, strides=2, padding="valid")(x)
    model = keras.Model(image, keras.layers.GlobalAveragePooling2D()(x))
    (spec,) = inputs.signature(model).specs
    data, _ = inputs.synthesize(inputs.signature(model), np.random.default_rng(0))
    assert data.shape[1] == data.shape[2] == spec.free_size >= 64
    assert model.predict(data, verbose=0).shape == (inputs.DEFAULT_BATCH, 4)


def test_ragged_inputs_get_rows_of_different_lengths() -> None:
    tokens = keras.Input((None,), ragged=True, dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(30, 3)(tokens))
    model = keras.Model(tokens, keras.layers.Dense(2)(pooled))
    (spec,) = inputs.signature(model).specs
    assert spec.ragged and spec.int_high == 30
    data, batch = inputs.synthesize(inputs.signature(model), np.random.default_rng(0))
    lengths = data.row_lengths().numpy()
    assert len(lengths) == batch and lengths.min() >= 1 and len(set(lengths)) > 1
    assert data.flat_values.numpy().max() < 30
    assert model.predict(data, verbose=0).shape == (batch, 2)
