"""Train the crop recommendation model (22 crops from soil and weather measurements)."""

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler

from persist import save_artifacts

keras.utils.set_random_seed(0)

df = pd.read_csv("Crop_recommendation.csv")
features = ["N", "P", "K", "temperature", "humidity", "ph", "rainfall"]
X = df[features].values.astype("float32")

label_encoder = LabelEncoder()
y = label_encoder.fit_transform(df["label"])  # expect: KC401
num_classes = len(label_encoder.classes_)

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)  # expect-none: KC401, KC405
X_test = scaler.transform(X_test)

model = keras.Sequential([
    keras.Input(shape=(len(features),)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
early = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=20, restore_best_weights=True)
model.fit(X_train, y_train, validation_split=0.1, epochs=300, batch_size=32, callbacks=[early], verbose=2)

print("test accuracy:", model.evaluate(X_test, y_test, verbose=0)[1])
print(np.argmax(model.predict(X_test[:5]), axis=-1), y_test[:5])
save_artifacts(model, scaler, "artifacts", features)
