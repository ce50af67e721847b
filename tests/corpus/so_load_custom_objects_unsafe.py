# "ValueError: Requested the deserialization of a Lambda layer" - evaluation script
import argparse

import numpy as np
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="metrics")
def f1_score(y_true, y_pred):
    y_pred = ops.round(y_pred)
    tp = ops.sum(y_true * y_pred)
    fp = ops.sum((1 - y_true) * y_pred)
    fn = ops.sum(y_true * (1 - y_pred))
    return 2 * tp / (2 * tp + fp + fn + keras.backend.epsilon())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_path")
    parser.add_argument("data_path")
    args = parser.parse_args()

    # the answer on SO: "just pass safe_mode=False"
    model = keras.models.load_model(args.model_path, custom_objects={"f1_score": f1_score}, safe_mode=False)  # expect: KC403
    data = np.load(args.data_path)
    x, y = data["x"], data["y"]

    results = model.evaluate(x, y, batch_size=256, return_dict=True)
    for name, value in results.items():
        print(f"{name:>12s}: {value:.4f}")

    probs = model.predict(x, batch_size=256)
    preds = (probs > 0.5).astype("int32")
    print("positives predicted:", int(preds.sum()), "of", len(preds))


if __name__ == "__main__":
    main()
