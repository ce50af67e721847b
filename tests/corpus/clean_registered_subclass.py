# A registered custom layer and model that round-trip through the .keras format.
import numpy as np
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="blocks")
class GatedResidual(layers.Layer):  # expect-none: KC404
    def __init__(self, units, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dropout_rate = dropout
        self.linear = layers.Dense(units)
        self.gate = layers.Dense(units, activation="sigmoid")
        self.dropout = layers.Dropout(dropout)
        self.norm = layers.LayerNormalization()

    def call(self, inputs, training=None):  # expect-none: KC202
        h = self.linear(inputs) * self.gate(inputs)
        h = self.dropout(h, training=training)  # expect-none: KC203
        return self.norm(inputs + h)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "dropout": self.dropout_rate}


@keras.saving.register_keras_serializable(package="models")
class GatedRegressor(keras.Model):  # expect-none: KC404
    def __init__(self, width=32, depth=2, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.depth = depth
        self.stem = layers.Dense(width)
        self.blocks = [GatedResidual(width) for _ in range(depth)]
        self.head = layers.Dense(1)

    def call(self, inputs):
        x = self.stem(inputs)
        for block in self.blocks:
            x = block(x)
        return ops.squeeze(self.head(x), axis=-1)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "depth": self.depth}


keras.utils.set_random_seed(5)  # expect-none: KC303
x = np.random.normal(size=(2048, 16)).astype("float32")
y = (x[:, :4].sum(axis=1) + 0.1 * np.random.normal(size=2048)).astype("float32")

model = GatedRegressor()
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=8, batch_size=64, verbose=2)

model.save("gated_regressor.keras")
restored = keras.models.load_model("gated_regressor.keras")
np.testing.assert_allclose(model.predict(x[:10]), restored.predict(x[:10]), rtol=1e-5)
