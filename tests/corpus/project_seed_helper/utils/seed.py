"""Reproducibility helper used by every entry point of the project."""

import os
import random

import numpy as np
import tensorflow as tf


def seed_everything(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow so two runs build the same model."""
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)  # expect-none: KC302


def describe_environment() -> str:
    gpus = tf.config.list_physical_devices("GPU")
    return f"TensorFlow {tf.__version__}, {len(gpus)} GPU(s), PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED')}"
