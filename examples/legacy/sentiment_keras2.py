"""A Keras 2.2-era sentiment model, as found in many repositories: the input for docs/migrating.md."""

import numpy as np
from keras import backend as K
from keras.layers import Input, Merge
from keras.layers.advanced_activations import LeakyReLU
from keras.layers.core import Dense, Dropout
from keras.layers.embeddings import Embedding
from keras.layers.normalization import BatchNormalization
from keras.layers.recurrent import LSTM
from keras.models import Model
from keras.optimizers import Adam
from keras.utils import multi_gpu_model
from keras.utils.data_utils import get_file
from keras.utils.generic_utils import Progbar
from keras.utils.np_utils import to_categorical

path = get_file("imdb.npz", origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz")
with np.load(path, allow_pickle=True) as data:
    x_train, y_train = data["x_train"], data["y_train"]

words = Input(shape=(100,))
x = Embedding(20000, 128, init="uniform")(words)
x = LSTM(64, dropout_W=0.2, dropout_U=0.2)(x)
x = Dense(64, W_regularizer="l2")(x)
x = BatchNormalization()(x)
x = LeakyReLU(alpha=0.1)(x)
x = Dropout(0.5)(x)
outputs = Dense(2, activation="softmax")(x)

model = Model(inputs=words, outputs=outputs)
parallel = multi_gpu_model(model, gpus=2)
model.compile(optimizer=Adam(lr=1e-3, decay=1e-6), loss="categorical_crossentropy")
model.add_metric(K.mean(outputs), name="mean_output")
model.fit(x_train, to_categorical(y_train), nb_epoch=3, batch_size=64, workers=4)

embed = K.function([model.input], [model.layers[1].output])
progress = Progbar(len(x_train))
