# Pima Indians diabetes, an old blog tutorial run on a current install
import numpy
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras.optimizers import SGD

# fix random seed for reproducibility
seed = 7
numpy.random.seed(seed)  # expect: KC302

dataset = numpy.loadtxt("pima-indians-diabetes.csv", delimiter=",")
X = dataset[:, 0:8]
Y = dataset[:, 8]

model = Sequential()
model.add(Dense(12, input_dim=8, init="uniform", activation="relu"))  # expect: KC106
model.add(Dropout(0.2))
model.add(Dense(8, init="uniform", activation="relu"))  # expect: KC106
model.add(Dense(1, init="uniform", activation="sigmoid"))  # expect: KC106

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)  # expect: KC106
model.compile(loss="binary_crossentropy", optimizer=sgd, metrics=["accuracy"])

model.fit(X, Y, nb_epoch=150, batch_size=10, verbose=2)  # expect: KC106

scores = model.evaluate(X, Y)
print("%s: %.2f%%" % (model.metrics_names[1], scores[1] * 100))

predictions = model.predict(X)
rounded = [round(x[0]) for x in predictions]
print(rounded[:20])

model_json = model.to_json()
with open("model.json", "w") as json_file:
    json_file.write(model_json)
model.save_weights("model.h5")  # expect: KC105
print("Saved model to disk")
