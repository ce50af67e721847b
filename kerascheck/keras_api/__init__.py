"""What each Keras release removed, as generated from the real packages.

``data.json`` beside this module is written by ``tools/keras_api.py`` from installed Keras
releases (1.2.2 and 2.3.1 read from source, 2.15 and 3 imported); its ``provenance`` says which.
For every target (Keras 2.15, Keras 3 through the ``keras`` package, Keras 3 through ``tf.keras``)
it lists what an older release had and the target lacks: modules, names, keyword arguments,
methods. It is read once, on first use, so files that never touch these rules never load it.

Facts the packages cannot tell (a keyword accepted and ignored, a rename Keras did inside a
function body) are in :mod:`kerascheck.keras_api.facts`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from kerascheck.records import record

__all__ = ["KerasApi", "Removed", "RemovedKeyword", "TargetApi", "learning_phase_names", "load", "module_names", "target_for"]


@record
class Removed:
    """A module or name an older Keras had and the target does not."""

    #: The qualified name that is gone (``keras.layers.recurrent``, ``keras.utils.multi_gpu_model``).
    name: str
    #: The last release that had it (``"1"``, ``"2.3"``, ``"2.15"``).
    last: str
    #: True for a module, False for a name inside a module.
    is_module: bool
    #: Where the target keeps the same name, ``""`` if nowhere (names only).
    replacement: str = ""
    #: For a module: name it exported -> where the target keeps that name.
    moves: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: For a module Keras renamed: the module that took its names over (``keras.initializations``
    #: -> ``keras.initializers``), ``""`` otherwise. Its names often changed meaning (Keras-1
    #: initializer functions took a shape), so ``moves`` are advice, not mechanical rewrites.
    successor: str = ""

    def moved(self, name: str) -> str:
        """For a removed module: where the target keeps ``name`` that it exported, or ``""``."""
        return self.moves.get(name, "")


@record
class RemovedKeyword:
    """A keyword argument an older release accepted and the target rejects (or ignores)."""

    keyword: str
    last: str
    #: The keyword the target takes instead (from Keras' own conversions), ``""`` if none.
    replacement: str
    #: Keras converted the value too (``dim_ordering='tf'`` -> ``data_format='channels_last'``).
    value_converted: bool
    #: What the target says when called with it (its exception or warning), ``""`` if unknown.
    message: str

    @property
    def ignored(self) -> bool:
        """Accepted with a warning rather than an error."""
        return self.message.startswith("warn: ")


class TargetApi:
    """Lookups against one target (``"2.15"``, ``"3"`` or ``"3-tf"``)."""

    def __init__(self, label: str, data: Mapping[str, Any]) -> None:
        self.label = label
        self._modules: Mapping[str, list[Any]] = data["modules"]
        self._symbols: Mapping[str, list[str]] = data["symbols"]
        self._keywords: Mapping[str, Mapping[str, Any]] = data["keywords"]
        self._layer_keywords: Mapping[str, list[Any]] = data["layer_keywords"]
        self._methods: Mapping[str, Mapping[str, str]] = data["methods"]
        self._method_keywords: Mapping[str, Mapping[str, Mapping[str, list[Any]]]] = data["method_keywords"]
        self._model_methods: Mapping[str, list[str]] = data["model_methods"]
        self._method_renames: Mapping[str, Mapping[str, list[Any]]] = data["method_renames"]
        self._class_methods: Mapping[str, Mapping[str, str]] = data["class_methods"]

    def removed(self, qualified: str) -> Removed | None:
        """What of ``qualified`` (a canonical ``keras.`` name) the target lacks, if anything:
        the name itself, or the longest removed module it lies in."""
        symbol = self._symbols.get(qualified)
        if symbol is not None and qualified not in self._modules:
            return Removed(qualified, symbol[0], False, symbol[1])
        # ``keras.layers.merge`` was a function in Keras 1 and a module in Keras 2: as a module
        # it knows where its names went.
        module = qualified
        while "." in module:
            entry = self._modules.get(module)
            if entry is not None:
                return Removed(module, entry[0], True, moves=entry[1], successor=entry[2] if len(entry) > 2 else "")
            module = module.rpartition(".")[0]
        return None

    def removed_keywords(self, callable_path: str) -> Mapping[str, RemovedKeyword]:
        """Keywords of ``keras.layers.Dense`` (etc.) the target no longer accepts."""
        entries = self._keywords.get(callable_path)
        if not entries:
            return {}
        found = _keywords(entries)
        if "*" in entries:  # a layer: also what the ``Layer`` base stopped accepting
            found.update(_keywords(self._layer_keywords))
        return found

    def removed_method(self, role: str, method: str) -> str | None:
        """The last release with ``role.method`` (role: Model, Sequential, Layer, Optimizer,
        Callback) if the target removed it, else None."""
        return self._methods.get(role, {}).get(method)

    def removed_class_method(self, class_path: str, method: str) -> str | None:
        """The last release whose ``class_path`` (``keras.optimizers.Adam``,
        ``keras.callbacks.CallbackList``) had ``method`` if the target's lacks it, else None:
        what its base class (role ``Optimizer``/``Callback``) lost, or the class itself."""
        role = {"keras.optimizers": "Optimizer", "keras.callbacks": "Callback"}.get(class_path.rpartition(".")[0])
        found = self.removed_method(role, method) if role is not None else None
        return found or self._class_methods.get(class_path, {}).get(method)

    def removed_method_keywords(self, role: str, method: str) -> Mapping[str, RemovedKeyword]:
        return _keywords(self._method_keywords.get(role, {}).get(method, {}))

    def rejected_by_model_method(self, method: str, keywords: Iterable[str], *, old_method: str) -> dict[str, RemovedKeyword]:
        """Of ``keywords`` given to ``old_method`` (removed, say ``fit_generator``), those the
        target's ``Model.<method>`` (its replacement, ``fit``) does not take, with Keras 2's own
        renames of Keras-1 keywords where it had one."""
        params = self._model_methods.get(method)
        if params is None:
            return {}
        renames = self._method_renames.get(old_method, {})
        rejected: dict[str, RemovedKeyword] = {}
        for keyword in keywords:
            if keyword in params:
                continue
            new, valued = renames.get(keyword, ("", 0))
            rejected[keyword] = RemovedKeyword(keyword, "", new if new in params else "", bool(valued), "")
        return rejected


_DEFAULTS = ("", 0, "")


def _keywords(entries: Mapping[str, Any]) -> dict[str, RemovedKeyword]:
    """Decode ``keyword -> [last, replacement, value_converted, message]`` (trailing defaults
    dropped by the generator to keep the file small)."""
    found: dict[str, RemovedKeyword] = {}
    for keyword, entry in entries.items():
        if keyword == "*":
            continue
        padded = [*entry, *_DEFAULTS[len(entry) - 1 :]]
        found[keyword] = RemovedKeyword(keyword, str(padded[0]), str(padded[1]), bool(padded[2]), str(padded[3]))
    return found


class KerasApi:
    """The generated data: provenance and one :class:`TargetApi` per target."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.provenance: Mapping[str, Any] = data["provenance"]
        self.targets = {label: TargetApi(label, target) for label, target in data["targets"].items()}
        #: Module -> every public name it had in any release read (what a star import binds).
        self.exports: Mapping[str, list[str]] = data["exports"]


@functools.cache
def load() -> KerasApi:
    """The shipped data, parsed on first call (about 3 ms). Read through the package's loader,
    as ``pkgutil.get_data`` does (without importing pkgutil): ``importlib.resources`` would add
    zipfile, bz2 and lzma to every one-file run's start-up."""
    import os

    loader = __spec__.loader if __spec__ is not None else None
    if not hasattr(loader, "get_data"):  # a loader that cannot read package data
        raise FileNotFoundError("kerascheck/keras_api/data.json")
    data = loader.get_data(os.path.join(os.path.dirname(__file__), "data.json"))  # type: ignore[union-attr]
    return KerasApi(json.loads(data))


@functools.cache
def module_names(module: str) -> frozenset[str]:
    """Public names ``module`` (canonical, ``keras.layers``) had in any Keras release read:
    what ``from keras.layers import *`` binds, whichever Keras the code was written for (a
    Keras-1 notebook's ``merge`` as much as a Keras 3 script's ``Sequential``)."""
    return frozenset(name for name in load().exports.get(module, ()) if name.isidentifier() and not name.startswith("_"))


@functools.cache
def learning_phase_names() -> frozenset[str]:
    """The ``keras.backend`` functions of the global learning phase (``learning_phase``,
    ``set_learning_phase``...), as the releases read named them in ``keras.backend`` or its
    backend modules (Keras 2.3 defined ``symbolic_learning_phase`` in ``tensorflow_backend``)."""
    exports = load().exports
    modules = [m for m in exports if m == "keras.backend" or m.startswith("keras.backend.")]
    return frozenset(f"keras.backend.{name}" for module in modules for name in exports[module] if "learning_phase" in name)


def target_for(target_keras: str, *, tf_keras: bool) -> TargetApi | None:
    """The data for a ``target-keras`` setting, None for Keras 1 (nothing older to compare).

    Keras 2 targets use the 2.15 data (the last Keras 2), Keras 3 targets the Keras 3 data of
    the ``keras`` package, or of ``tf.keras`` when the code reaches Keras through TensorFlow.
    """
    head = target_keras.split(".", 1)[0]
    major = int(head) if head.isdigit() else 3
    if major < 2:
        return None
    label = "2.15" if major == 2 else ("3-tf" if tf_keras else "3")
    return load().targets[label]
