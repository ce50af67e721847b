# "How to get intermediate layer output with dropout turned off?" (Keras 2 answer, 2018)
import numpy as np
import keras
import keras.backend as K
from keras.models import Model, load_model
from keras.layers import Input, Dense, Dropout

K.set_learning_phase(0)  # expect: KC204

inp = Input(shape=(32,))
h = Dense(64, activation="relu", name="hidden")(inp)
h = Dropout(0.5)(h)
out = Dense(4, activation="softmax")(h)
model = Model(inp, out)
model.compile(optimizer="adam", loss="categorical_crossentropy")

data = np.random.random((256, 32))
labels = keras.utils.to_categorical(np.random.randint(4, size=(256,)), 4)
model.fit(data, labels, epochs=3, batch_size=32)  # expect: KC301

# function returning the hidden activations; pass 0 for test mode, 1 for train mode
get_hidden = K.function([model.input, K.learning_phase()], [model.get_layer("hidden").output])  # expect: KC204, KC107
hidden_test = get_hidden([data[:10], 0])[0]
hidden_train = get_hidden([data[:10], 1])[0]
print(hidden_test.shape, np.abs(hidden_test - hidden_train).max())

feature_model = Model(inputs=model.input, outputs=model.get_layer("hidden").output)
features = feature_model.predict(data)
print(features.mean(axis=0))

np.save("hidden_features.npy", features)
