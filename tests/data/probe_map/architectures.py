"""Tiny versions of common architectures, written the way tutorials write them (layer mapping
accuracy: bench/layer_mapping_accuracy.py and tests/test_layer_sites.py)."""

import keras
from keras import layers

NUM_CLASSES = 3
IMAGE = (16, 16, 3)
PATCH = 4
PROJECTION = 8
HEADS = 2
BLOCKS = 2


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


class Patches(layers.Layer):
    def __init__(self, patch_size):
        super().__init__()
        self.patch_size = patch_size

    def call(self, images):
        patches = keras.ops.image.extract_patches(images, size=self.patch_size)
        batch = keras.ops.shape(patches)[0]
        return keras.ops.reshape(patches, (batch, -1, self.patch_size * self.patch_size * 3))


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim):
        super().__init__()
        self.num_patches = num_patches
        self.projection = layers.Dense(units=projection_dim)
        self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

    def call(self, patch):
        positions = keras.ops.expand_dims(keras.ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
        return self.projection(patch) + self.position_embedding(positions)


def vision_transformer():
    inputs = keras.Input(shape=IMAGE)
    patches = Patches(PATCH)(inputs)
    encoded = PatchEncoder((IMAGE[0] // PATCH) ** 2, PROJECTION)(patches)
    for _ in range(BLOCKS):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
        attention = layers.MultiHeadAttention(num_heads=HEADS, key_dim=PROJECTION, dropout=0.1)(x1, x1)
        x2 = layers.Add()([attention, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=[PROJECTION * 2, PROJECTION], dropout_rate=0.1)
        encoded = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded)
    representation = layers.Flatten()(representation)
    features = mlp(representation, hidden_units=[16, 8], dropout_rate=0.5)
    return keras.Model(inputs=inputs, outputs=layers.Dense(NUM_CLASSES)(features))


def residual_block(x, filters, stride=1):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    x = layers.Add()([x, shortcut])
    return layers.Activation("relu")(x)


def small_resnet():
    inputs = keras.Input(shape=IMAGE)
    x = layers.Conv2D(8, 3, padding="same", name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for filters, stride in [(8, 1), (16, 2)]:
        x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="small_resnet")


def unet():
    inputs = keras.Input(shape=IMAGE)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous = x
    for filters in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = layers.add([x, residual])
        previous = x
    for filters in [32, 16]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous = x
    outputs = layers.Conv2D(NUM_CLASSES, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs)


class TextClassifier(keras.Model):
    def __init__(self, vocab=50, units=8, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab, units)
        self.encoder = layers.Bidirectional(layers.LSTM(units, return_sequences=True))
        self.pool = layers.GlobalMaxPooling1D()
        self.head = keras.Sequential([layers.Dense(units, activation="relu"), layers.Dropout(0.2), layers.Dense(1, activation="sigmoid")])

    def call(self, tokens, training=None):
        return self.head(self.pool(self.encoder(self.embedding(tokens))), training=training)


def text_classifier():
    model = TextClassifier()
    model.build((None, 12))
    return model


def stacked_lstm(layers_count=3):
    model = keras.Sequential()
    model.add(keras.Input(shape=(10, 4)))
    for index in range(layers_count):
        model.add(layers.LSTM(8, return_sequences=index < layers_count - 1))
        model.add(layers.Dropout(0.1))
    model.add(layers.Dense(1))
    return model


def transfer():
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
    base.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = base(inputs, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(4, 1)(layers.Reshape((1, 1, -1))(x))
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs)
