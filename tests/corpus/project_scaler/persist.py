"""Saving and loading of everything the predictor needs."""

import json
import os

import joblib
from tensorflow import keras


def save_artifacts(model, scaler, out_dir, feature_names):
    os.makedirs(out_dir, exist_ok=True)
    model.save(os.path.join(out_dir, "model.keras"))
    joblib.dump(scaler, os.path.join(out_dir, "scaler.pkl"))
    with open(os.path.join(out_dir, "features.json"), "w") as fh:
        json.dump(list(feature_names), fh)


def load_artifacts(out_dir):
    model = keras.models.load_model(os.path.join(out_dir, "model.keras"))
    scaler = joblib.load(os.path.join(out_dir, "scaler.pkl"))
    with open(os.path.join(out_dir, "features.json")) as fh:
        features = json.load(fh)
    return model, scaler, features
