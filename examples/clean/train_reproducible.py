"""An idiomatic Keras 3 training script: seeded, best weights restored, artefacts saved."""

import joblib
import keras
import numpy as np
from keras import layers
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(1234)

data = np.load("features.npz")
x_train, x_val, y_train, y_val = train_test_split(data["x"], data["y"], test_size=0.2, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)

inputs = keras.Input(shape=(x_train.shape[1],))
hidden = layers.Dense(64, activation="relu")(inputs)
hidden = layers.Dropout(0.2)(hidden)
outputs = layers.Dense(3, activation="softmax")(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True),
]
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=100, batch_size=64, callbacks=callbacks)

model.save("classifier.keras")
joblib.dump(scaler, "scaler.joblib")
