# Batch inference job: reuse the scaler saved at training time, predict in batches.
import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import keras

ARTIFACTS = Path("artifacts")
FEATURES = ["age", "income", "balance", "tenure", "num_products"]


def load_artifacts():
    model = keras.models.load_model(ARTIFACTS / "churn.keras")
    scaler = joblib.load(ARTIFACTS / "scaler.joblib")
    with open(ARTIFACTS / "threshold.json") as fh:
        threshold = json.load(fh)["threshold"]
    return model, scaler, threshold


def score(frame, model, scaler, threshold):
    x = scaler.transform(frame[FEATURES].values.astype("float32"))  # expect-none: KC402
    probs = model.predict(x, batch_size=1024, verbose=0)[:, 0]
    return pd.DataFrame({"customer_id": frame["customer_id"], "p_churn": probs, "churn": (probs > threshold).astype("int32")})


def main(paths):
    model, scaler, threshold = load_artifacts()
    outputs = []
    for path in paths:
        frame = pd.read_parquet(path)
        outputs.append(score(frame, model, scaler, threshold))  # expect-none: KC501
    result = pd.concat(outputs, ignore_index=True)
    result.to_csv("scores.csv", index=False)
    print(result["churn"].mean(), "predicted churn rate over", len(result), "customers")

    # quick single-row sanity check through the direct call path
    one = scaler.transform(np.zeros((1, len(FEATURES)), dtype="float32"))
    print(float(model(one, training=False)[0, 0]))  # expect-none: KC201


if __name__ == "__main__":
    main(sys.argv[1:] or ["customers.parquet"])
