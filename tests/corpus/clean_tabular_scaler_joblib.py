# Tabular regression: split first, fit the scaler on train only, save scaler next to the model.
import joblib
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from tensorflow.keras import layers as L

tf.keras.utils.set_random_seed(7)

df = pd.read_csv("energy_efficiency.csv")
X = df.drop(columns=["heating_load", "cooling_load"]).values.astype("float32")
y = df[["heating_load", "cooling_load"]].values.astype("float32")

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=7)

scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)  # expect-none: KC401, KC402, KC405
X_val = scaler.transform(X_val)
X_test = scaler.transform(X_test)

model = tf.keras.Sequential([
    L.Input(shape=(X_train.shape[1],)),
    L.Dense(64, activation="relu"),
    L.Dense(64, activation="relu"),
    L.Dense(2),
])
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3), loss="mse", metrics=["mae"])

stop = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=500, batch_size=32, callbacks=[stop], verbose=0)

test_mse, test_mae = model.evaluate(X_test, y_test, verbose=0)
print(f"test MAE: {test_mae:.3f}")

model.save("energy_model.keras")
joblib.dump(scaler, "energy_scaler.joblib")
print(np.round(model.predict(X_test[:5]), 2), y_test[:5])
