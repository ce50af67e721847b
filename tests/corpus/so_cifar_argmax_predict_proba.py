# "Confusion matrix is all in one column" - evaluating a CIFAR-10 ResNet-ish model
import numpy as np
import keras
from keras import layers
from sklearn.metrics import classification_report, confusion_matrix

keras.utils.set_random_seed(11)

(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0


def conv_block(x, filters):
    shortcut = layers.Conv2D(filters, 1, padding="same")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.add([x, shortcut])
    return layers.Activation("relu")(x)


inputs = keras.Input(shape=(32, 32, 3))
x = conv_block(inputs, 32)
x = layers.MaxPooling2D()(x)
x = conv_block(x, 64)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=128)

y_pred = np.argmax(model.predict(x_test))  # expect: KC502
print(confusion_matrix(y_test.ravel(), np.full_like(y_test.ravel(), y_pred)))

proba = model.predict_proba(x_test)  # expect: KC102
y_pred = proba.argmax(axis=1)
print(classification_report(y_test.ravel(), y_pred))

one = x_test[0:1]
print("first image:", np.argmax(model.predict(one)[0]))  # expect-none: KC502
model.save("cifar_resnetish.keras")
