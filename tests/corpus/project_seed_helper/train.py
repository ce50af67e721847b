"""Train the wine-quality classifier. Usage: python train.py [--epochs N]"""

import argparse

import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

from utils.seed import describe_environment, seed_everything


def load(path):
    df = pd.read_csv(path, sep=";")
    x = df.drop(columns=["quality"]).values.astype("float32")
    y = (df["quality"].values >= 6).astype("float32")
    return x, y


def build(n_features):
    norm = layers.Normalization()
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        norm,
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    return model, norm


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--data", default="winequality-red.csv")
    args = parser.parse_args()

    seed_everything(42)
    print(describe_environment())

    x, y = load(args.data)
    idx = np.random.permutation(len(x))
    split = int(0.8 * len(x))
    train_idx, test_idx = idx[:split], idx[split:]

    model, norm = build(x.shape[1])
    norm.adapt(x[train_idx])  # expect-none: KC401, KC405
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=15, restore_best_weights=True)
    model.fit(x[train_idx], y[train_idx], validation_split=0.2, epochs=args.epochs, batch_size=32, callbacks=[stop])  # expect-none: KC301, KC601

    loss, acc = model.evaluate(x[test_idx], y[test_idx], verbose=0)
    print(f"held-out accuracy {acc:.3f}")
    model.save("wine_quality.keras")


if __name__ == "__main__":
    main()
