# "5-fold CV scores vary a lot between runs" - regression with k-fold cross validation
import numpy as np
import pandas as pd
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler
from tensorflow import keras
from tensorflow.keras import layers

df = pd.read_csv("concrete_data.csv")
X = df.drop(columns=["Strength"]).values.astype("float32")
y = df["Strength"].values.astype("float32")


def build_model(n_features):
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        layers.Dense(50, activation="relu"),
        layers.Dense(50, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


kf = KFold(n_splits=5, shuffle=True, random_state=42)
fold_mse = []
for fold, (train_idx, val_idx) in enumerate(kf.split(X)):
    scaler = StandardScaler()
    x_tr = scaler.fit_transform(X[train_idx])  # expect-none: KC405, KC402
    x_val = scaler.transform(X[val_idx])
    model = build_model(X.shape[1])
    model.fit(x_tr, y[train_idx], validation_data=(x_val, y[val_idx]), epochs=100, batch_size=32, verbose=0)  # expect: KC301, KC601
    mse = model.evaluate(x_val, y[val_idx], verbose=0)
    fold_mse.append(mse)
    print(f"fold {fold}: val mse {mse:.2f}")

print("mean mse %.2f +/- %.2f" % (np.mean(fold_mse), np.std(fold_mse)))

# predictions of the last fold's model, in chunks to keep memory down
preds = []
for start in range(0, len(x_val), 256):
    preds.append(model.predict(x_val[start : start + 256], verbose=0))  # expect-none: KC501
preds = np.concatenate(preds).ravel()
print("first predictions:", np.round(preds[:5], 1), y[val_idx][:5])
