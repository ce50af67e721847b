# "Why is my test score worse than the best val score shown during training?"
import numpy as np
import pandas as pd
import tensorflow as tf
import keras
from keras import layers
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

keras.utils.set_random_seed(42)
tf.config.experimental.enable_op_determinism()

df = pd.read_csv("credit_default.csv")
X = df.drop(columns=["default"]).values.astype("float32")
y = df["default"].values.astype("float32")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
scaler = StandardScaler().fit(X_train)  # expect-none: KC405, KC401
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

inputs = keras.Input(shape=(X.shape[1],))
x = layers.Dense(64, activation="relu")(inputs)
x = layers.Dropout(0.3)(x)
x = layers.Dense(32, activation="relu")(x)
x = layers.Dense(1)(x)
outputs = layers.Activation("softmax")(x)  # expect: KC604
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="binary_crossentropy", metrics=["AUC"])  # expect: KC605

early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=15, mode="min", verbose=1)  # expect: KC602
history = model.fit(X_train, y_train, epochs=500, batch_size=256, validation_split=0.15, callbacks=[early_stop])  # expect-none: KC601

print("stopped at epoch", early_stop.stopped_epoch)
print(model.evaluate(X_test, y_test, return_dict=True))
