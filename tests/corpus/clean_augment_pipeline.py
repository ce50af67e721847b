# Audio-spectrogram classifier: augmentation in the tf.data pipeline, attention pooling.
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras.utils import set_random_seed

set_random_seed(314)  # expect-none: KC302
AUTOTUNE = tf.data.AUTOTUNE

spec = np.load("spectrograms.npz")
x_train, y_train, x_val, y_val = spec["x_train"], spec["y_train"], spec["x_val"], spec["y_val"]
num_classes = int(y_train.max()) + 1

augment = keras.Sequential([layers.GaussianNoise(0.05), layers.RandomTranslation(0.0, 0.1)], name="augment")
train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(2048, seed=314)
    .batch(64)
    .map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=AUTOTUNE)  # expect-none: KC201
    .prefetch(AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256)

inputs = keras.Input(shape=x_train.shape[1:])  # (time, mel bins)
h = layers.Conv1D(64, 5, padding="same", activation="relu")(inputs)
h = layers.Conv1D(64, 5, padding="same", activation="relu")(h)
scores = layers.Dense(1)(h)  # one score per time step
weights = layers.Softmax(axis=1)(scores)  # expect-none: KC604
pooled = layers.Dot(axes=1)([weights, h])
pooled = layers.Flatten()(pooled)
outputs = layers.Dense(num_classes, activation="softmax")(pooled)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=6, restore_best_weights=True)
model.fit(train_ds, validation_data=val_ds, epochs=80, callbacks=[stop])  # expect-none: KC601
model.save("spectrogram_attention.keras")

all_preds = []
for xb, _ in val_ds:
    all_preds.append(model.predict_on_batch(xb))  # expect-none: KC501, KC503
labels = np.argmax(np.concatenate(all_preds), 1)  # expect-none: KC502
print("val accuracy:", float(np.mean(labels == y_val)))
