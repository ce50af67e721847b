"""Shared fixtures for the probe tests: example models are built once per session."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "models"


def load_build_module() -> ModuleType:
    """``examples/models/build.py`` as a module (it imports Keras: call only from tf tests)."""
    name = "kerascheck_examples_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_module() -> ModuleType:
    pytest.importorskip("tensorflow")
    return load_build_module()


@pytest.fixture(scope="session")
def example_models(build_module: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example model saved under a session temp dir: ``{file name: path}``."""
    return build_module.build_all(tmp_path_factory.mktemp("models"))
