# Simple MNIST convnet, Keras 3 style, reproducible and saved in the native format.
import numpy as np
import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_model():
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )


def main():
    keras.utils.set_random_seed(1337)  # expect-none: KC303, KC302

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)

    model = build_model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)]
    model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1, callbacks=callbacks)  # expect-none: KC301, KC601

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0], "Test accuracy:", score[1])

    labels = np.argmax(model.predict(x_test[:20]), axis=-1)  # expect-none: KC502
    print(labels, y_test[:20])
    model.save("mnist_convnet.keras")


if __name__ == "__main__":
    main()
