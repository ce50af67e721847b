# Keep the best epoch by reloading the best checkpoint after training.
import numpy as np
import tensorflow as tf

tf.keras.utils.set_random_seed(77)

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.imdb.load_data(num_words=10000)


def multi_hot(sequences, dim=10000):
    out = np.zeros((len(sequences), dim), dtype="float32")
    for i, seq in enumerate(sequences):
        out[i, seq] = 1.0
    return out


x_train, x_test = multi_hot(x_train), multi_hot(x_test)
y_train, y_test = y_train.astype("float32"), y_test.astype("float32")

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(10000,)),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])

best_path = "imdb_best.keras"
callbacks = [
    tf.keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True),  # expect-none: KC603, KC104, KC105
    tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=4),  # expect-none: KC602
]
model.fit(x_train, y_train, epochs=30, batch_size=512, validation_split=0.2, callbacks=callbacks)  # expect-none: KC601

model = tf.keras.models.load_model(best_path)
loss, acc = model.evaluate(x_test, y_test)
print(f"best checkpoint: test accuracy {acc:.4f}")
