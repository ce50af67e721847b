# A small classifier wrapper that keeps the label encoder and the model together.
from pathlib import Path

import joblib
import numpy as np
import keras
from keras import layers
from sklearn.preprocessing import LabelEncoder


class IntentClassifier:
    """Wraps a Keras model; ``predict_classes`` here is our own method, not the removed Keras one."""

    def __init__(self, n_features, n_classes):
        self.encoder = LabelEncoder()
        self.model = keras.Sequential([
            keras.Input(shape=(n_features,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(n_classes, activation="softmax"),
        ])
        self.model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def fit(self, x, labels, epochs=50):
        y = self.encoder.fit_transform(labels)  # expect-none: KC401, KC402, KC405
        stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
        return self.model.fit(x, y, validation_split=0.2, epochs=epochs, callbacks=[stop], verbose=0)

    def predict_classes(self, x):
        probs = self.model.predict(x, verbose=0)
        return self.encoder.inverse_transform(np.argmax(probs, axis=-1))

    def save(self, directory):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save(directory / "model.keras")
        joblib.dump(self.encoder, directory / "encoder.joblib")


if __name__ == "__main__":
    keras.utils.set_random_seed(4)
    data = np.load("intents.npz", allow_pickle=True)
    clf = IntentClassifier(data["x"].shape[1], len(set(data["labels"])))
    clf.fit(data["x"], data["labels"])  # expect-none: KC301
    print(clf.predict_classes(data["x"][:5]))  # expect-none: KC101
    clf.save("intent_model")
