# Custom attention layer; "attention_history is empty / has only one element after fit"
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(99)

CALL_COUNT = 0


class BahdanauAttention(layers.Layer):  # expect-none: KC404
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.W = layers.Dense(units)
        self.V = layers.Dense(1)
        self.attention_history = []
        self.last_scores = None

    def call(self, values):
        global CALL_COUNT
        CALL_COUNT += 1  # expect: KC701
        score = self.V(tf.nn.tanh(self.W(values)))
        weights = tf.nn.softmax(score, axis=1)
        self.attention_history.append(weights)  # expect: KC701
        self.last_scores = weights  # expect: KC701
        context = tf.reduce_sum(weights * values, axis=1)
        return context


inputs = keras.Input(shape=(50,))
x = layers.Embedding(5000, 64)(inputs)
x = layers.GRU(64, return_sequences=True)(x)
attention = BahdanauAttention(32)
x = attention(x)
outputs = layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

x_train = np.random.randint(0, 5000, size=(2000, 50))
y_train = np.random.randint(0, 5, size=(2000,))
model.fit(x_train, y_train, epochs=4, batch_size=64)

print("calls:", CALL_COUNT, "history:", len(attention.attention_history))
model.save_weights("attention_classifier.weights.h5")
