"""The dynamic half of kerascheck: probes that load a saved model in a subprocess and test it."""
