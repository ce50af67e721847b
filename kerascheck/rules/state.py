"""Built-in rules of the state family (see RULES.md)."""

from __future__ import annotations

from collections.abc import Sequence

from kerascheck.hookspecs import hookimpl
from kerascheck.rule import Rule


@hookimpl
def kerascheck_register_rules() -> Sequence[type[Rule]]:
    return []
