# "predict_classes not working after upgrading TensorFlow" - MNIST MLP from an old tutorial.
import numpy as np
import matplotlib.pyplot as plt
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras.optimizers import Adam
from keras.utils import np_utils  # expect: KC107

batch_size = 128
num_classes = 10

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255

y_train = np_utils.to_categorical(y_train, num_classes)  # expect: KC107
y_test = np_utils.to_categorical(y_test, num_classes)  # expect: KC107

model = Sequential()
model.add(Dense(512, activation="relu", input_shape=(784,)))
model.add(Dropout(0.2))
model.add(Dense(512, activation="relu"))
model.add(Dropout(0.2))
model.add(Dense(num_classes, activation="softmax"))
model.summary()

model.compile(loss="categorical_crossentropy", optimizer=Adam(lr=0.001), metrics=["accuracy"])  # expect: KC106

history = model.fit(x_train, y_train, batch_size=batch_size, epochs=20, verbose=1, validation_split=0.1)  # expect: KC301, KC601

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

# this line fails with AttributeError: 'Sequential' object has no attribute 'predict_classes'
predicted = model.predict_classes(x_test)  # expect: KC101
wrong = np.nonzero(predicted != np.argmax(y_test, axis=1))[0]
print(len(wrong), "misclassified")

for i, idx in enumerate(wrong[:9]):
    plt.subplot(3, 3, i + 1)
    plt.imshow(x_test[idx].reshape(28, 28), cmap="gray")
    plt.title("Pred {} True {}".format(predicted[idx], np.argmax(y_test[idx])))
plt.show()

model.save("mnist_mlp.h5")  # expect: KC104
