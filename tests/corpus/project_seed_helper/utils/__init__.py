"""Helpers shared by the training and prediction scripts."""
