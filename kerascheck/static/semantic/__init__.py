"""One semantic model per file, shared by every rule and plugin (``context.semantic``).

* :mod:`.scopes`: scopes, bindings with positions, which binding a use sees;
* :mod:`.values`: the abstract evaluator (``value_of``);
* :mod:`.callgraph`: intra-module call graph and where training code runs;
* :mod:`.keras_models`: each Keras model object, its layers, fits, callbacks and events;
* :mod:`.escapes`: where an object goes once made (kept, or dropped when its code ends);
* :mod:`.module_aliases`: module aliases made by assignment (``K = keras.backend``), bound in
  the import table as imports are;
* :mod:`.model`: :class:`SemanticModel`, the facade rules use.
"""

from kerascheck.static.semantic.escapes import ObjectFate, ObjectPolicy
from kerascheck.static.semantic.keras_models import (
    CallbackList,
    ModelEvent,
    ModelObject,
)
from kerascheck.static.semantic.model import SemanticModel
from kerascheck.static.semantic.scopes import Binding, Scope, Site
from kerascheck.static.semantic.values import UNKNOWN, Value

__all__ = [
    "UNKNOWN",
    "Binding",
    "CallbackList",
    "ModelEvent",
    "ModelObject",
    "ObjectFate",
    "ObjectPolicy",
    "Scope",
    "SemanticModel",
    "Site",
    "Value",
]
