# Wrapping a Keras model in a tf.function for a small Flask service
import numpy as np
import tensorflow as tf
from flask import Flask, jsonify, request

model = tf.keras.models.load_model("churn_classifier.keras")
app = Flask(__name__)


@tf.function(input_signature=[tf.TensorSpec(shape=[None, 11], dtype=tf.float32)])
def serve(batch):
    return model.predict(batch)  # expect: KC504


@tf.function
def serve_fast(batch):
    return model(batch, training=False)  # expect-none: KC504, KC201


@app.route("/predict", methods=["POST"])
def predict():
    rows = np.asarray(request.json["rows"], dtype="float32")
    probs = serve_fast(tf.constant(rows)).numpy()
    return jsonify({"churn": (probs[:, 0] > 0.5).astype(int).tolist(), "p": probs[:, 0].tolist()})


@app.route("/predict_slow", methods=["POST"])
def predict_slow():
    rows = np.asarray(request.json["rows"], dtype="float32")
    probs = serve(tf.constant(rows))
    return jsonify({"p": np.asarray(probs)[:, 0].tolist()})


if __name__ == "__main__":
    warm = np.zeros((1, 11), dtype="float32")
    serve_fast(tf.constant(warm))
    app.run(host="0.0.0.0", port=8080)
