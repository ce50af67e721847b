# "Test accuracy is lower than the best val_accuracy printed by ModelCheckpoint"
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras.utils.set_random_seed(2024)
EPOCHS = 60

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0
y_train, y_test = y_train.ravel(), y_test.ravel()


def build_model():
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.RandomFlip("horizontal")(inputs)
    for filters in (32, 64, 128):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="cifar_cnn")


model = build_model()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

checkpoint = keras.callbacks.ModelCheckpoint("checkpoints/best_cifar.keras", monitor="val_accuracy", save_best_only=True, verbose=1)  # expect: KC603
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3)

history = model.fit(x_train, y_train, batch_size=64, epochs=EPOCHS, validation_data=(x_test, y_test), callbacks=[checkpoint, reduce_lr])  # expect-none: KC601

best_epoch = int(np.argmax(history.history["val_accuracy"]))
print("best epoch", best_epoch + 1, "val_accuracy", history.history["val_accuracy"][best_epoch])

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("test accuracy after training:", test_acc)

probs = model.predict(x_test[:8])
print(np.argmax(probs, axis=-1), y_test[:8])
model.save("cifar_final.keras")
