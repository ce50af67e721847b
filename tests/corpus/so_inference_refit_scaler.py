# predict.py - "model predicts the same class for all new rows" (the scaler is re-fitted here)
import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from tensorflow.keras.models import load_model

CLASSES = ["setosa", "versicolor", "virginica"]


def load_rows(path):
    df = pd.read_csv(path)
    return df[["sepal_length", "sepal_width", "petal_length", "petal_width"]].values


def main(csv_path):
    model = load_model("iris_model.keras")
    rows = load_rows(csv_path)

    scaler = StandardScaler()
    rows_scaled = scaler.fit_transform(rows)  # expect: KC402

    probs = model.predict(rows_scaled)
    best = int(np.argmax(probs.max(axis=1)))  # expect-none: KC502
    print("most confident row:", best)

    label = np.argmax(model.predict(rows_scaled))  # expect: KC502
    print("predicted:", CLASSES[label])

    for row, p in zip(rows, probs):
        print(row, CLASSES[int(np.argmax(p))], f"{p.max():.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "new_flowers.csv")
