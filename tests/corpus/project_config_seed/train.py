"""Bank marketing: will the client subscribe a term deposit?"""

import os
import pickle

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import config

df = pd.read_csv(config.DATA_PATH, sep=";")
y = (df.pop("y") == "yes").astype("float32").values
categorical = [c for c in df.columns if df[c].dtype == object]
numeric = [c for c in df.columns if c not in categorical]

train_df, test_df, y_train, y_test = train_test_split(df, y, test_size=0.2, stratify=y, random_state=config.SEED)
onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
scaler = StandardScaler()
x_train = np.hstack([scaler.fit_transform(train_df[numeric]), onehot.fit_transform(train_df[categorical])])  # expect-none: KC401, KC405
x_test = np.hstack([scaler.transform(test_df[numeric]), onehot.transform(test_df[categorical])])

model = keras.Sequential([
    keras.Input(shape=(x_train.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=8, restore_best_weights=True)
model.fit(x_train, y_train, validation_split=0.1, epochs=config.EPOCHS, batch_size=config.BATCH_SIZE, callbacks=[stop])  # expect-none: KC301

print(model.evaluate(x_test, y_test, return_dict=True))
os.makedirs(config.ARTIFACT_DIR, exist_ok=True)
model.save(os.path.join(config.ARTIFACT_DIR, "bank.keras"))
with open(os.path.join(config.ARTIFACT_DIR, "preprocessing.pkl"), "wb") as fh:
    pickle.dump({"scaler": scaler, "onehot": onehot, "numeric": numeric, "categorical": categorical}, fh)
