"""Project settings; importing this module makes every run reproducible."""

import os

import keras

SEED = int(os.environ.get("SEED", "1234"))
DATA_PATH = os.environ.get("DATA_PATH", "data/bank-additional-full.csv")
ARTIFACT_DIR = "artifacts"
EPOCHS = 60
BATCH_SIZE = 256

keras.utils.set_random_seed(SEED)
