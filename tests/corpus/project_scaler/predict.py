"""Recommend a crop for each row of a CSV of field measurements."""

import sys

import numpy as np
import pandas as pd

from persist import load_artifacts

# written by hand from the training notebook output
CROPS = sorted(["rice", "maize", "chickpea", "kidneybeans", "pigeonpeas", "mothbeans", "mungbean",
                "blackgram", "lentil", "pomegranate", "banana", "mango", "grapes", "watermelon",
                "muskmelon", "apple", "orange", "papaya", "coconut", "cotton", "jute", "coffee"])


def main(path):
    model, scaler, features = load_artifacts("artifacts")
    rows = pd.read_csv(path)
    x = scaler.transform(rows[features].values.astype("float32"))  # expect-none: KC402
    probs = model.predict(x, batch_size=256, verbose=0)
    rows["crop"] = [CROPS[i] for i in np.argmax(probs, axis=-1)]
    rows["confidence"] = probs.max(axis=-1)
    rows.to_csv(path.replace(".csv", "_recommended.csv"), index=False)
    print(rows[["crop", "confidence"]].value_counts().head())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fields.csv")
