# Weights-only best checkpoint, reloaded before evaluation (TF "save and load" tutorial style).
import os

import tensorflow as tf

tf.keras.utils.set_random_seed(3)
AUTOTUNE = tf.data.AUTOTUNE

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
x_train, x_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0
train_ds = tf.data.Dataset.from_tensor_slices((x_train[:50000], y_train[:50000])).shuffle(10000, seed=3).batch(128).prefetch(AUTOTUNE)
val_ds = tf.data.Dataset.from_tensor_slices((x_train[50000:], y_train[50000:])).batch(512)

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(28, 28, 1)),
    tf.keras.layers.Conv2D(32, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Conv2D(64, 3, activation="relu"),
    tf.keras.layers.GlobalAveragePooling2D(),
    tf.keras.layers.Dense(10),
])
model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])

checkpoint_dir = "training_1"
os.makedirs(checkpoint_dir, exist_ok=True)
checkpoint_path = os.path.join(checkpoint_dir, "best.weights.h5")
callbacks = [
    tf.keras.callbacks.ModelCheckpoint(checkpoint_path, monitor="val_accuracy", save_best_only=True, save_weights_only=True),  # expect-none: KC603, KC105
    tf.keras.callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, "epoch{epoch:02d}.weights.h5"), save_weights_only=True),  # expect-none: KC105
    tf.keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=2),
]
model.fit(train_ds, validation_data=val_ds, epochs=25, callbacks=callbacks)  # expect-none: KC601

model.load_weights(checkpoint_path)
loss, acc = model.evaluate(x_test, y_test, verbose=2)
print(f"restored best model, test accuracy: {100 * acc:5.2f}%")
model.save("fashion_best.keras")
