"""kerascheck-tf1: rules (prefix ``TF``) for TensorFlow 1 code left in Keras programs."""

__version__ = "0.1.0"
