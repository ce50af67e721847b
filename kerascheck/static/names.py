"""Light, flow-insensitive name resolution: import aliases to qualified names.

libcst's scope-based ``QualifiedNameProvider`` costs about five times a plain walk, so the hot
path uses this table instead: every ``import``/``from ... import`` binds a local name to a dotted
path, and an expression such as ``L.Dense`` or ``tf.keras.layers.Dense`` resolves by looking up
its root name. Keras is reachable under several prefixes (``tf.keras``, ``keras``, ``tf_keras``,
``tensorflow.python.keras``); :func:`canonical` maps them all to ``keras.`` while
:meth:`ImportTable.raw` keeps the prefix that was actually used, for rules that care.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

# Longest first: the first matching prefix wins.
_KERAS_PREFIXES = (
    ("tensorflow.compat.v1.keras", "keras"),
    ("tensorflow.compat.v2.keras", "keras"),
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
)


def canonical(qualified: str) -> str:
    """Map every spelling of Keras to ``keras.`` (``tensorflow.keras.layers`` -> ``keras.layers``)."""
    for prefix, replacement in _KERAS_PREFIXES:
        if qualified == prefix or qualified.startswith(prefix + "."):
            return replacement + qualified[len(prefix) :]
    return qualified


def dotted(expr: cst.BaseExpression) -> str | None:
    """The literal dotted text of a ``Name``/``Attribute`` chain (``a.b.c``), else None."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def module_name(expr: cst.BaseExpression | None) -> str:
    """Dotted module name of an ``import``/``from`` target (``a.b``), '' if absent."""
    if expr is None:
        return ""
    return dotted(expr) or ""


class ImportTable:
    """Local name -> dotted path, built from the file's imports."""

    __slots__ = ("aliases", "modules")

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        #: Every module the file imports from (``keras.layers``, ``joblib``, ...), as written.
        self.modules: set[str] = set()

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = module_name(alias.name)
                self.modules.add(full)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.aliases[alias.asname.name.value] = full
                else:
                    # ``import a.b`` binds ``a`` (to the package ``a``).
                    root = full.split(".", 1)[0]
                    self.aliases.setdefault(root, root)
            return
        base = "." * len(node.relative) + module_name(node.module)
        self.modules.add(base)
        if isinstance(node.names, cst.ImportStar):
            if canonical(base).split(".", 1)[0] == "keras":
                # ``from keras.layers import *``: the names any Keras release had there, rebound
                # as Python does (a later ``from keras.layers import *`` wins over ``keras.models``').
                from kerascheck.keras_api import module_names  # the data loads on first use only

                for name in module_names(canonical(base)):
                    self.aliases[name] = f"{base}.{name}"
            return
        for alias in node.names:
            imported = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name)
            if imported is None:
                continue
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{base}.{imported}" if base else imported
            self.modules.add(self.aliases[local])

    def bind(self, names: dict[str, str] | Mapping[str, str]) -> None:
        """Bind names an import elsewhere made (a project module's ``import *``), before the
        file's own imports, which take precedence."""
        for local, target in names.items():
            self.aliases.setdefault(local, target)
            self.modules.add(target)

    def raw(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name as imported (``tensorflow.keras.layers.Dense``), or None.

        None when the root name was not imported: local variables and builtins are not
        qualified names.
        """
        text = dotted(expr)
        if text is None:
            return None
        root, _, rest = text.partition(".")
        target = self.aliases.get(root)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        """The canonical qualified name (``keras.layers.Dense`` for every Keras spelling)."""
        raw = self.raw(expr)
        return canonical(raw) if raw is not None else None

    def imports_any(self, *roots: str) -> bool:
        """True if any imported module starts with one of ``roots`` (``"keras"`` matches
        ``keras.layers`` and ``tensorflow.keras`` alike, after canonicalisation)."""
        for module in self.modules:
            name = canonical(module)
            for root in roots:
                if name == root or name.startswith(root + "."):
                    return True
        return False
