"""Score wine samples typed in by the lab, one line per sample."""

import sys

import numpy as np
from tensorflow import keras

from utils.seed import seed_everything


def parse(line):
    return np.array([float(v) for v in line.strip().split(",")], dtype="float32")


def main():
    seed_everything(42)
    model = keras.models.load_model("wine_quality.keras")
    results = []
    for line in sys.stdin:
        if not line.strip():
            continue
        sample = parse(line)[None, :]
        p = float(model.predict(sample, verbose=0)[0, 0])  # expect: KC501
        results.append(p)
        print(f"{p:.3f}", "good" if p > 0.5 else "poor")
    if results:
        print("mean p(good):", np.mean(results))


if __name__ == "__main__":
    main()
