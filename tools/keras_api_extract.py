"""Extract the public API of one installed Keras (run by ``tools/keras_api.py``, not imported).

This file runs inside a throwaway virtual environment, with no kerascheck on the path, so it
imports nothing from kerascheck. Two modes:

* ``import``: import the installed Keras (2.15 with TensorFlow, 3 with a light backend) and walk
  its public module tree with ``inspect``: modules, public names, the keyword arguments of every
  public callable, the public methods of the base classes, and (``--probe``) whether keyword
  arguments swallowed by ``**kwargs`` are accepted, warned about or rejected, by calling the
  constructor for real.
* ``source``: for Keras releases that cannot be imported on this Python (1.2.2 and 2.3.1 need
  TensorFlow 1 or Theano), read the installed package's source with ``ast``: the same facts, plus
  the Keras-1 -> Keras-2 keyword conversions of ``keras/legacy/interfaces.py``.

Output: one JSON document on stdout (see ``tools/keras_api.py`` for its use).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import pkgutil
import sys
import textwrap
import types
import warnings
from pathlib import Path

#: The base classes whose public methods are recorded, by role, with their public paths.
ROLES = {
    "Model": ("keras.models.Model", "keras.Model", "keras.engine.training.Model"),
    "Sequential": ("keras.models.Sequential", "keras.Sequential"),
    "Layer": ("keras.layers.Layer", "keras.engine.topology.Layer", "keras.engine.base_layer.Layer"),
    "Optimizer": ("keras.optimizers.Optimizer",),
    "Callback": ("keras.callbacks.Callback",),
}
_SKIP_SUBMODULES = frozenset({"src", "api", "_tf_keras", "python", "tests", "test"})


def _params(obj: object) -> list[str] | None:
    """Keyword-passable parameter names of a callable; ``**`` marks a ``**kwargs``."""
    target = getattr(obj, "__init__", None) if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]  # a TypeError is handled
    except (TypeError, ValueError):
        return None
    names: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.name == "self":
            continue
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            names.append(parameter.name)
        elif parameter.kind == parameter.VAR_KEYWORD:
            names.append("**")
    return names


def _allowed_kwargs(function: ast.FunctionDef | None) -> list[str]:
    """The ``allowed_kwargs = {...}`` set a Keras 2 ``Layer.__init__`` checks ``**kwargs``
    against (its base keywords: ``input_shape``, ``batch_input_shape``, ``weights``...)."""
    if function is None:
        return []
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        named = any(isinstance(t, ast.Name) and t.id == "allowed_kwargs" for t in node.targets)
        if named and isinstance(node.value, (ast.Set, ast.List, ast.Tuple)):
            return sorted(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return []


def _installed_layer_keywords(root: types.ModuleType, public: str) -> list[str]:
    layer = _resolve(f"{public}.layers.Layer", root, public)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(layer, "__init__", None))))  # type: ignore[arg-type]
    except (TypeError, OSError, SyntaxError, AttributeError):
        return []
    function = tree.body[0] if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    return _allowed_kwargs(function)


#: Words of a stub's error that say the API was retired (an abstract method that subclasses
#: implement, ``Layer.call`` or ``Optimizer.update_step``, also only raises, but is not gone).
_RETIRED = ("deprecat", "removed", "no longer", "not supported", "legacy", "obsolete")


def _disabled(function: object) -> str | None:
    """The error message if ``function`` is a stub that only raises saying it was retired
    (Keras 3 keeps ``Layer.add_metric`` and ``keras.optimizers.legacy.Adam`` that way), else None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    except (TypeError, OSError, SyntaxError):
        return None
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = [n for n in tree.body[0].body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return None
    texts = [n.value for n in ast.walk(body[0]) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    message = "".join(texts)[:200]
    return message if any(word in message.lower() for word in _RETIRED) else None


def _kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "c"
    if callable(obj):
        return "f"
    return "v"


#: Modules whose every public class has its public methods recorded (``Adam.get_updates``).
CLASS_METHOD_MODULES = ("keras.optimizers", "keras.callbacks")


def walk_installed(root: types.ModuleType, public: str, disabled: dict[str, str], aliases: dict[str, str]) -> tuple[dict, dict]:
    """Public modules -> {name: kind} and callable path -> params, from ``root`` down; callables
    that only raise go to ``disabled`` (path -> message), names that are another public name
    of the same module under a second name go to ``aliases`` (path -> that name)."""
    modules: dict[str, dict[str, str]] = {}
    signatures: dict[str, list[str]] = {}
    package = root.__name__.split(".", 1)[0]
    queue = [(root, public)]
    while queue:
        module, path = queue.pop()
        if path in modules or path.count(".") > 6:
            continue
        names: dict[str, str] = {}
        modules[path] = names
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(module, attr)
            except Exception:
                continue
            if isinstance(obj, types.ModuleType):
                if attr in _SKIP_SUBMODULES or not obj.__name__.startswith(package + "."):
                    continue
                names[attr] = "m"
                queue.append((obj, f"{path}.{attr}"))
                continue
            owner = getattr(obj, "__module__", None) or ""
            if not owner.startswith(package) and _kind(obj) != "v" and not owner.startswith("tensorflow"):
                continue  # ``np``, ``typing`` and friends imported into a module, not Keras API
            names[attr] = _kind(obj)
            if names[attr] in ("c", "f"):
                params = _params(obj)
                if params is not None:
                    signatures[f"{path}.{attr}"] = params
                stub = _disabled(obj.__init__ if inspect.isclass(obj) else obj)
                if stub is not None:
                    disabled[f"{path}.{attr}"] = stub
                own = getattr(obj, "__name__", attr)
                if own != attr and not own.startswith("_") and getattr(module, own, None) is obj:
                    aliases[f"{path}.{attr}"] = own
        for attr, submodule in _unlisted_submodules(module, names):
            names[attr] = "m"
            queue.append((submodule, f"{path}.{attr}"))
    return modules, signatures


def _unlisted_submodules(module: types.ModuleType, listed: dict[str, str]) -> list[tuple[str, types.ModuleType]]:
    """Public submodules of a package that ``dir`` does not show until they are imported
    (``from tensorflow.keras import saving`` works under TensorFlow 2.16+, yet ``saving`` is
    no attribute of ``tf.keras`` before that import), imported to be walked like the others."""
    found = []
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
        name = info.name
        if name in listed or name.startswith("_") or name in _SKIP_SUBMODULES:
            continue
        try:
            found.append((name, importlib.import_module(f"{module.__name__}.{name}")))
        except Exception:
            continue  # not importable on its own: not part of the API
    return found


def _public_methods(cls: type) -> list[str]:
    """Public names of ``cls`` that are functions (methods, static and class methods)."""
    found = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name, None)
        function = getattr(attr, "__func__", attr)
        if inspect.isfunction(function) or isinstance(attr, (staticmethod, classmethod)):
            found.append(name)
    return found


def class_methods_installed(root: types.ModuleType, public: str, modules: dict[str, dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    """Class path -> {"methods": public methods, "attributes": every public attribute} for the
    classes of :data:`CLASS_METHOD_MODULES`."""
    found: dict[str, dict[str, list[str]]] = {}
    for module in CLASS_METHOD_MODULES:
        for name, kind in modules.get(module, {}).items():
            cls = _resolve(f"{module}.{name}", root, public) if kind == "c" else None
            if inspect.isclass(cls):
                found[f"{module}.{name}"] = {"methods": _public_methods(cls), "attributes": [n for n in dir(cls) if not n.startswith("_")]}
    return found


def _resolve(path: str, root: types.ModuleType, public: str) -> object | None:
    if not path.startswith(public):
        return None
    obj: object = root
    for part in path[len(public) :].strip(".").split("."):
        if not part:
            continue
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def methods_installed(root: types.ModuleType, public: str, disabled: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    roles: dict[str, dict[str, list[str]]] = {}
    for role, paths in ROLES.items():
        for path in paths:
            cls = _resolve(path, root, public)
            if inspect.isclass(cls):
                break
        else:
            continue
        methods: dict[str, list[str]] = {}
        for name in dir(cls):
            if name.startswith("_"):
                continue
            attr = inspect.getattr_static(cls, name, None)
            function = getattr(attr, "__func__", attr)
            if inspect.isfunction(function) or isinstance(attr, (staticmethod, classmethod)):
                methods[name] = _params(getattr(cls, name)) or []
                stub = _disabled(function)
                if stub is not None:
                    disabled[f"{role}.{name}"] = stub
        roles[role] = methods
        # Every public attribute (properties too): a method an older release had is not
        # "removed" if the name is still there as something else.
        roles[f"{role}.attributes"] = {name: [] for name in dir(cls) if not name.startswith("_")}
    return roles


def probe(root: types.ModuleType, public: str, candidates: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """Call each constructor with each candidate keyword to see what ``**kwargs`` does with it.

    Returns path -> keyword -> [status, message], status ``ok`` (accepted silently), ``warn``
    (accepted with a warning naming it), ``reject`` (an exception naming it) or ``unknown``.
    """
    layer = _resolve(f"{public}.layers.Layer", root, public)
    optimizer = _resolve(f"{public}.optimizers.Optimizer", root, public)
    sgd = _resolve(f"{public}.optimizers.SGD", root, public)
    results: dict[str, dict[str, list[str]]] = {}
    for path, keywords in candidates.items():
        cls = _resolve(path, root, public)
        if not inspect.isclass(cls):
            continue
        base: type | None = None  # a constructible class with the same ``**kwargs`` handling
        if inspect.isclass(layer) and issubclass(cls, layer):
            base = layer
        elif inspect.isclass(sgd) and inspect.isclass(optimizer) and issubclass(cls, optimizer):
            base = sgd
        results[path] = {keyword: _probe_one(cls, base, keyword) for keyword in keywords}
    return results


def _probe_one(cls: type, base: type | None, keyword: str) -> list[str]:
    """Call ``cls`` with the keyword (required arguments filled with small numbers), set to
    None, then, if that passed silently, to a small number: some constructors only warn about
    a keyword they ignore when it is not None (``decay=`` in Keras 3 optimizers), others reject
    None for a keyword they translate (``LeakyReLU(alpha=...)``). Only if ``cls`` cannot be
    built at all is ``base`` (same ``**kwargs`` handling) asked instead."""
    for target in (cls, base):
        if target is None:
            continue
        for filler in (1, 0.5):
            required = _required(target, filler)
            outcomes = [_call(target, keyword, value, required) for value in (None, 0.01)]
            for outcome in outcomes:
                if outcome is not None and outcome[0] in ("reject", "warn"):
                    return outcome
            if any(outcome is not None for outcome in outcomes):
                return ["ok", ""]
    return ["unknown", ""]


def _required(target: type, filler: object) -> dict[str, object]:
    """Required parameters of ``target``'s constructor, each set to ``filler``."""
    try:
        signature = inspect.signature(target.__init__)  # type: ignore[misc]
    except (TypeError, ValueError):
        return {}
    return {
        p.name: filler
        for p in list(signature.parameters.values())[1:]
        if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


_REJECTIONS = (
    "unrecognized",
    "not recognized",
    "unexpected keyword",
    "not understood",
    "not supported",
    "no longer",
    "deprecated",
    "invalid keyword",
    "not a valid",
    "not allowed",
    "unknown",
)


def _names_unknown_keyword(text: str, keyword: str) -> bool:
    """The error is about ``keyword`` not being accepted (not about its value, or about a
    missing argument that happens to contain it: ``__init__`` contains ``init``)."""
    lowered = text.lower()
    quoted = any(f"{q}{keyword}{e}" in text for q in ("'", "`", '"', " ") for e in ("'", "`", '"', "=", ":", " "))
    return quoted and any(phrase in lowered for phrase in _REJECTIONS)


def _call(target: type, keyword: str, value: object, required: dict[str, object]) -> list[str] | None:
    """``["reject"|"warn"|"ok", message]``, or None if the call failed for another reason."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            target(**required, **{keyword: value})
        except Exception as error:
            text = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            return ["reject", text] if _names_unknown_keyword(text, keyword) else None
    for warning in caught:
        text = str(warning.message).splitlines()[0][:200]
        if keyword in text:
            return ["warn", text]
    return ["ok", ""]


def extract_installed(candidates_file: str | None) -> dict:
    import keras

    result: dict = {"version": keras.__version__, "python": sys.version.split()[0], "surfaces": {}}
    roots = [("keras", keras)]
    if keras.__version__.startswith("3"):
        # ``tf.keras`` under TensorFlow >= 2.16 with Keras 3 is this module, a Keras 3 API that
        # keeps some legacy names (``ImageDataGenerator``...).
        roots.append(("tf.keras", importlib.import_module("keras._tf_keras.keras")))
    candidates = json.loads(Path(candidates_file).read_text()) if candidates_file else {}
    for surface, root in roots:
        disabled: dict[str, str] = {}
        aliases: dict[str, str] = {}
        modules, signatures = walk_installed(root, "keras", disabled, aliases)
        result["surfaces"][surface] = {
            "modules": modules,
            "aliases": aliases,
            "class_methods": class_methods_installed(root, "keras", modules),
            "signatures": signatures,
            "methods": methods_installed(root, "keras", disabled),
            "probes": probe(root, "keras", candidates.get(surface, {})),
            "layer_keywords": _installed_layer_keywords(root, "keras"),
            "disabled": disabled,
        }
    return result


# -- source mode (Keras releases that do not import on this Python) ------------------------


class _Source:
    """Module namespaces of a pure-Python Keras read with ``ast`` (star imports followed)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.trees: dict[str, ast.Module] = {}
        for file in sorted(root.rglob("*.py")):
            relative = file.relative_to(root.parent).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            if any(p in _SKIP_SUBMODULES for p in parts):
                continue
            try:
                self.trees[".".join(parts)] = ast.parse(file.read_text(encoding="utf-8", errors="replace"))
            except SyntaxError:
                continue
        self._namespaces: dict[str, dict[str, tuple[str, str, ast.AST | None]]] = {}

    def _absolute(self, module: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        package = module if module in self.trees and self._is_package(module) else module.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        return f"{package}.{node.module}" if node.module else package

    def _is_package(self, module: str) -> bool:
        return any(other.startswith(module + ".") for other in self.trees)

    def namespace(self, module: str) -> dict[str, tuple[str, str, ast.AST | None]]:
        """name -> (defining module, name there, defining node) for the module's top level."""
        if module in self._namespaces:
            return self._namespaces[module]
        names: dict[str, tuple[str, str, ast.AST | None]] = {}
        self._namespaces[module] = names  # cycles see a partial namespace, as Python does
        tree = self.trees.get(module)
        if tree is None:
            return names
        for child in self.trees:
            if child.startswith(module + ".") and "." not in child[len(module) + 1 :]:
                names.setdefault(child.rsplit(".", 1)[1], (child, "", None))
        for node in _top_level(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names[node.name] = (module, node.name, node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        origin = names.get(node.value.id) if isinstance(node.value, ast.Name) else None
                        names[target.id] = origin or (module, target.id, None)
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(module, node)
                if source.split(".", 1)[0] in _SPLIT_OUT:
                    # Objects of Keras's split-out packages: plain values of this module.
                    for alias in node.names:
                        if alias.name != "*":
                            names[alias.asname or alias.name] = (source, alias.name, None)
                    continue
                if not _is_keras(source):
                    continue  # ``keras_applications`` is another package, not ``keras``
                if node.names[0].name == "*":
                    for name, origin in self.namespace(source).items():
                        if not name.startswith("_") and origin[1] != "":
                            names[name] = origin
                    continue
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    origin = self.namespace(source).get(alias.name) or ((sub, "", None) if sub in self.trees else None)
                    if origin is not None:
                        names[alias.asname or alias.name] = origin
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and _is_keras(alias.name) and alias.name in self.trees:
                        names[alias.asname] = (alias.name, "", None)
        return names


#: Packages Keras 2.2-2.3 re-exported modules of: ``keras.applications.vgg16`` held
#: ``keras_applications.vgg16`` as ``vgg16``, ``keras.preprocessing.image`` held
#: ``keras_preprocessing.image`` as ``image``; code reached them through Keras
#: (``keras.applications.vgg16.vgg16.WEIGHTS_PATH_NO_TOP``).
_SPLIT_OUT = frozenset({"keras_applications", "keras_preprocessing"})


def _is_keras(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those under ``if``/``try`` (Keras 2.3 imports its
    TensorFlow backend functions under ``if backend() == 'tensorflow':``)."""
    statements: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            statements += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            statements += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                statements += _top_level(handler.body)
        else:
            statements.append(node)
    return statements


def _is_property(function: ast.FunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "property") or (isinstance(d, ast.Attribute) and d.attr in ("setter", "getter", "deleter"))
        for d in function.decorator_list
    )


def _ast_params(node: ast.FunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in args.posonlyargs[1:] + args.args + args.kwonlyargs if a.arg not in ("self", "cls")]
    if args.kwarg is not None:
        names.append("**")
    return names


def _class_init(source: _Source, module: str, node: ast.ClassDef, depth: int = 0) -> ast.FunctionDef | None:
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return item
    if depth > 8:
        return None
    for base in node.bases:
        origin = _base_origin(source, module, base)
        if origin is not None and isinstance(origin[2], ast.ClassDef):
            found = _class_init(source, origin[0], origin[2], depth + 1)
            if found is not None:
                return found
    return None


def _base_origin(source: _Source, module: str, base: ast.expr) -> tuple[str, str, ast.AST | None] | None:
    namespace = source.namespace(module)
    if isinstance(base, ast.Name):
        return namespace.get(base.id)
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        holder = namespace.get(base.value.id)
        if holder is not None and holder[1] == "":
            return source.namespace(holder[0]).get(base.attr)
    return None


def _class_methods(source: _Source, module: str, node: ast.ClassDef, depth: int = 0) -> dict[str, list[str]]:
    methods: dict[str, list[str]] = {}
    if depth < 8:
        for base in node.bases:
            origin = _base_origin(source, module, base)
            if origin is not None and isinstance(origin[2], ast.ClassDef):
                methods.update(_class_methods(source, origin[0], origin[2], depth + 1))
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
            if _is_property(item):
                methods.pop(item.name, None)  # an attribute, not a method
                continue
            methods[item.name] = _ast_params(item)
    return methods


def _legacy_conversions(source: _Source) -> tuple[dict[str, dict[str, list]], dict[tuple[str, str], str]]:
    """Keras 2's own Keras-1 keyword conversions: interface -> {old: [new, value-converted]},
    and (defining module, class or function) -> interface name."""
    tree = source.trees.get("keras.legacy.interfaces")
    interfaces: dict[str, dict[str, list]] = {}
    if tree is None:
        return interfaces, {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        keywords = {k.arg: k.value for k in node.value.keywords}
        conversions: dict[str, list] = {}
        valued = set()
        value_conversions = keywords.get("value_conversions")
        if isinstance(value_conversions, ast.Dict):
            valued = {k.value for k in value_conversions.keys if isinstance(k, ast.Constant)}
        pairs = keywords.get("conversions")
        if isinstance(pairs, ast.List):
            for pair in pairs.elts:
                constants = [e.value for e in pair.elts if isinstance(e, ast.Constant)] if isinstance(pair, ast.Tuple) else []
                if isinstance(pair, ast.Tuple) and len(constants) == len(pair.elts):
                    old, new = constants
                    if isinstance(old, str):
                        conversions[old] = [new, old in valued]
        interfaces[target.id] = conversions
    users: dict[tuple[str, str], str] = {}
    for module, module_tree in source.trees.items():
        for found in ast.walk(module_tree):
            if isinstance(found, ast.ClassDef):
                for item in found.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        for decorator in item.decorator_list:
                            if isinstance(decorator, ast.Attribute) and decorator.attr in interfaces:
                                users[(module, found.name)] = decorator.attr
                    elif isinstance(item, ast.FunctionDef):
                        for decorator in item.decorator_list:
                            if isinstance(decorator, ast.Attribute) and decorator.attr in interfaces:
                                users[(module, f"{found.name}.{item.name}")] = decorator.attr
    return interfaces, users


def extract_source(root: Path, version: str) -> dict:
    source = _Source(root)
    interfaces, users = _legacy_conversions(source)
    modules: dict[str, dict[str, str]] = {}
    signatures: dict[str, list[str]] = {}
    renames: dict[str, dict[str, list]] = {}
    aliases: dict[str, str] = {}
    class_methods: dict[str, dict[str, list[str]]] = {}
    for module in source.trees:
        if any(part.startswith("_") for part in module.split(".")):
            continue
        names: dict[str, str] = {}
        namespace = source.namespace(module)
        for name, (origin_module, origin_name, node) in namespace.items():
            if name.startswith("_"):
                continue
            if origin_name == "":
                names[name] = "m"
                continue
            if origin_name != name and not origin_name.startswith("_") and namespace.get(origin_name, (None,))[:2] == (origin_module, origin_name):
                aliases[f"{module}.{name}"] = origin_name  # ``uniform = random_uniform = RandomUniform``
            if module in CLASS_METHOD_MODULES and isinstance(node, ast.ClassDef):
                found = _class_methods(source, origin_module, node)
                class_methods[f"{module}.{name}"] = {"methods": sorted(found), "attributes": sorted(found)}
            if isinstance(node, ast.ClassDef):
                names[name] = "c"
                init = _class_init(source, origin_module, node)
                signatures[f"{module}.{name}"] = _ast_params(init) if init is not None else []
            elif isinstance(node, ast.FunctionDef):
                names[name] = "f"
                signatures[f"{module}.{name}"] = _ast_params(node)
            else:
                names[name] = "v"
            interface = users.get((origin_module, origin_name))
            if interface is not None:
                renames[f"{module}.{name}"] = interfaces[interface]
        modules[module] = names
    layer_keywords: list[str] = []
    for path in ROLES["Layer"]:
        module, _, name = path.rpartition(".")
        origin = source.namespace(module).get(name)
        if origin is not None and isinstance(origin[2], ast.ClassDef):
            layer_keywords = _allowed_kwargs(_class_init(source, origin[0], origin[2]))
            break
    methods: dict[str, dict[str, list[str]]] = {}
    method_renames: dict[str, dict[str, dict[str, list]]] = {}
    for role, paths in ROLES.items():
        for path in paths:
            module, _, name = path.rpartition(".")
            origin = source.namespace(module).get(name)
            if origin is not None and isinstance(origin[2], ast.ClassDef):
                methods[role] = _class_methods(source, origin[0], origin[2])
                for (defining, qualname), interface in users.items():
                    owner, _, method = qualname.partition(".")
                    if (
                        (method
                        and (defining, owner) == (origin[0], origin[1]))
                        or (method and method in methods[role] and owner in ("Model", "Sequential"))
                    ):
                        method_renames.setdefault(role, {})[method] = interfaces[interface]
                break
    surface = {
        "modules": modules,
        "signatures": signatures,
        "methods": methods,
        "probes": {},
        "renames": renames,
        "method_renames": method_renames,
        "layer_keywords": layer_keywords,
        "aliases": aliases,
        "class_methods": class_methods,
    }
    return {"version": _source_version(source) or version, "python": "source", "surfaces": {"keras": surface}}


def _source_version(source: _Source) -> str | None:
    """``keras.__version__`` as the package's ``__init__.py`` assigns it."""
    for node in source.trees.get("keras", ast.Module(body=[], type_ignores=[])).body:
        if not isinstance(node, ast.Assign):
            continue
        named = any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
        if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node.value.value
    return None


def main() -> None:
    mode = sys.argv[1]
    if mode == "import":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        candidates = sys.argv[2] if len(sys.argv) > 2 else None
        result = extract_installed(candidates)
    else:
        result = extract_source(Path(sys.argv[2]), sys.argv[3])
    json.dump(result, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
