# "My subclassed model gives different predictions every call even after model.predict"
import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.utils.set_random_seed(0)


class ResidualBlock(layers.Layer):  # expect: KC404
    def __init__(self, units, rate=0.3, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, activation="relu")
        self.norm = layers.BatchNormalization()
        self.dropout = layers.Dropout(rate)
        self.units = units
        self.rate = rate

    def call(self, inputs, training=None):  # expect-none: KC202
        h = self.dense(inputs)
        h = self.norm(h, training=training)
        h = self.dropout(h, training=training)
        return inputs + h

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "rate": self.rate})
        return config


class TabularNet(keras.Model):  # expect: KC404
    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(64)
        self.block1 = ResidualBlock(64)
        self.block2 = ResidualBlock(64)
        self.drop = layers.Dropout(0.5)
        self.bn = layers.BatchNormalization()
        self.head = layers.Dense(num_classes, activation="softmax")
        self.forward_calls = 0

    def call(self, inputs, training=True):  # expect: KC202
        self.forward_calls += 1  # expect: KC701
        x = self.proj(inputs)
        x = self.block1(x, training=training)
        x = self.block2(x)
        x = self.bn(x, training=False)  # expect: KC203
        x = self.drop(x, training=True)  # expect: KC203
        return self.head(x)


x = np.random.rand(1000, 20).astype("float32")
y = np.random.randint(0, 3, size=(1000,))

model = TabularNet()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2)  # expect: KC601

print(model(x[:3]))
print(model(x[:3]))  # different every time
print(model.predict(x[:3]))
model.save("tabular_net.keras")
