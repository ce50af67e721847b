"""A Keras-2-era training script, ported to TF 2.16+/Keras 3 without reading the changelog."""

import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from tensorflow.keras.layers.experimental.preprocessing import Rescaling
from tensorflow.keras.optimizers import Adam
from keras.utils.np_utils import to_categorical

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32")
x_test = x_test[..., None].astype("float32")
y_train = to_categorical(y_train, 10)

model = keras.Sequential(
    [
        Rescaling(1.0 / 255),
        Conv2D(32, 3, 3, activation="relu"),
        MaxPooling2D(),
        Flatten(),
        Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer=Adam(lr=1e-3, decay=1e-6), loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, nb_epoch=3, batch_size=128, workers=4, use_multiprocessing=True)

model.save("mnist_model")
model.save_weights("checkpoints/mnist")

predicted = model.predict_classes(x_test)
print("test accuracy:", np.mean(predicted == y_test))
