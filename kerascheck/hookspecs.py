"""Hook specifications: the whole contract between kerascheck and its plugins.

Built-in rules, probes and output formats are registered through exactly these hooks, the same
way a third-party distribution registers its own (entry-point group ``kerascheck``).
Every hook is optional for a plugin; all results are collected (pluggy ``firstresult`` is never
used), so several plugins can contribute to each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from kerascheck.probes.base import Probe
    from kerascheck.report.base import Reporter
    from kerascheck.rule import Rule

PROJECT_NAME = "kerascheck"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    """Return the static rule classes (subclasses of :class:`kerascheck.Rule`) this plugin adds.

    Every code must start with a prefix no other plugin uses (``KC`` is kerascheck's own).
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this


@hookspec
def kerascheck_register_probes() -> Sequence[type[Probe]]:
    """Return the dynamic probe classes (subclasses of :class:`kerascheck.Probe`) this plugin adds.

    Probes run inside the probe subprocess, so the module defining them must be importable there
    and must import TensorFlow/Keras lazily (inside ``run``), never at module import time.
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this


@hookspec
def kerascheck_register_reporters() -> Mapping[str, type[Reporter]]:
    """Return output formats this plugin adds, as ``{"format-name": ReporterClass}``."""
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this


@hookspec
def kerascheck_add_config_options() -> Mapping[str, Any]:
    """Return plugin-wide options as ``{"option-name": default}``.

    They are read from ``[tool.kerascheck.plugin-options.<plugin-name>]`` (the entry-point name,
    or the module name for ``-p``); a value of another type than the default's is a configuration
    error. Rules read them as ``self.context.plugin_options["<plugin-name>"]``. Options of a single
    rule belong on the rule class (``Rule.options``).
    """
    raise NotImplementedError  # a specification: pluggy calls the plugins' implementations, never this
