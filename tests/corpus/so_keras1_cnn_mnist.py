# Keras 1 CNN tutorial (2016) run on a current install: "accuracy is much worse than the blog"
import numpy as np
from keras import backend as K
from keras.datasets import mnist
from keras.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.utils import to_categorical

np.random.seed(123)  # expect: KC302

(X_train, y_train), (X_test, y_test) = mnist.load_data()
if K.image_data_format() == "channels_first":
    X_train = X_train.reshape(X_train.shape[0], 1, 28, 28)
    X_test = X_test.reshape(X_test.shape[0], 1, 28, 28)
    input_shape = (1, 28, 28)
else:
    X_train = X_train.reshape(X_train.shape[0], 28, 28, 1)
    X_test = X_test.reshape(X_test.shape[0], 28, 28, 1)
    input_shape = (28, 28, 1)

X_train = X_train.astype("float32") / 255
X_test = X_test.astype("float32") / 255
Y_train = to_categorical(y_train, 10)
Y_test = to_categorical(y_test, 10)

model = Sequential()
model.add(Conv2D(32, 3, 3, activation="relu", input_shape=input_shape))  # expect: KC109
model.add(Conv2D(32, 3, 3, activation="relu"))  # expect: KC109
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(10))
model.add(Activation("softmax"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, Y_train, batch_size=32, nb_epoch=10, verbose=1)  # expect: KC106

score = model.evaluate(X_test, Y_test, verbose=0)
print("test loss / accuracy:", score)
model.save("mnist_cnn.h5")  # expect: KC104
