"""Compatibility guards (kerascheck.static.compat_guards): which version tests a target never
passes, read through names, helpers and project modules; ``try`` fallbacks; ``hasattr``."""

from __future__ import annotations

import pytest

from kerascheck.rules.legacy_api import RemovedModule
from kerascheck.static.compat_guards import VersionRange, target_versions
from kerascheck.testing import check_source

#: A use KC107 reports on every target of these tests.
_USE = "from keras.utils import multi_gpu_model"


def _reported(test: str, *, target: str = "3", branch: str = "body") -> bool:
    """Whether KC107 reports the use placed in ``branch`` (``body``/``else``) of ``if test:``."""
    body, orelse = (_USE, "pass") if branch == "body" else ("pass", _USE)
    source = (
        "import keras\nimport tensorflow as tf\nfrom packaging import version\n"
        "tf_major = int(tf.__version__.split('.')[0])\n"
        f"if {test}:\n    {body}\nelse:\n    {orelse}\n"
    )
    return bool(check_source(RemovedModule, source, target_keras=target))


def test_target_versions() -> None:
    assert target_versions("3") == {"keras": VersionRange((3,), (4,)), "tensorflow": VersionRange((2, 16), (3,))}
    assert target_versions("2.15") == {"keras": VersionRange((2, 15), (2, 16)), "tensorflow": VersionRange((2, 15), (2, 16))}
    assert target_versions("2.3") == {"keras": VersionRange((2, 3), (2, 4))}  # TensorFlow 1 or 2: unknown
    assert VersionRange((2, 16), (3,)).major == 2
    assert VersionRange((2, 0), (4,)).major is None


@pytest.mark.parametrize(
    ("test", "reported"),
    [
        # strings compared as Python compares them, from the known major
        ("tf.__version__ < '2'", False),
        ("tf.__version__ < '1.15'", False),
        ("keras.__version__ < '2.4'", False),
        ("keras.__version__ >= '3'", True),
        ("tf.__version__ >= '2.0.0'", True),  # same major: depends on the minor
        ("tf.__version__.startswith('1.')", False),
        ("not tf.__version__.startswith('2')", False),
        ("tf.__version__.startswith('2.1')", True),
        # the major as a number, through a name
        ("tf_major == 1", False),
        ("tf_major < 2", False),
        ("tf_major >= 2", True),
        ("int(keras.__version__[0]) < 3", False),
        ("tf.__version__.split('.')[0] == '1'", False),
        # parsed versions against the target's range (TensorFlow >= 2.16 under Keras 3)
        ("version.parse(tf.__version__) < version.parse('2.11')", False),
        ("version.parse(tf.__version__) >= version.parse('2.16')", True),
        ("version.parse(tf.__version__) < version.parse('2.20')", True),  # 2.16 to 2.x: depends
        ("version.parse(keras.__version__) >= version.parse('3.0')", True),
        # boolean operators, three-valued
        ("tf_major == 1 and flag", False),
        ("tf_major == 1 or flag", True),
        ("flag", True),
    ],
)
def test_version_tests_under_keras3(test: str, reported: bool) -> None:
    assert _reported(test) is reported


def test_else_branch_of_a_test_the_target_always_passes_is_live() -> None:
    assert _reported("tf_major == 2", branch="else") is False
    assert _reported("tf_major == 1", branch="else") is True


def test_versions_unknown_for_the_target_guard_nothing() -> None:
    # Keras 2.3 ran on TensorFlow 1 and 2: a TensorFlow test may go either way
    assert _reported("tf_major == 1", target="2.3") is True
    assert _reported("keras.__version__ < '2'", target="2.3") is False


def test_version_read_through_a_helper_of_a_project_module(tmp_path: object) -> None:
    """deepface's pattern: ``tf_major = package_utils.get_tf_major_version()``, the helper in
    another module of the project importing TensorFlow inside the function."""
    helper = "def get_tf_major_version():\n    import tensorflow as tf\n\n    return int(tf.__version__.split('.', maxsplit=1)[0])\n"
    source = (
        "from pkg import package_utils\n"
        "tf_major = package_utils.get_tf_major_version()\n"
        "def load_model():\n"
        "    if tf_major == 1:\n"
        "        from keras.layers import LocallyConnected2D\n"
        "    else:\n"
        "        from tensorflow.keras.layers import LocallyConnected2D\n"
    )
    project = {"pkg/__init__.py": "", "pkg/package_utils.py": helper}
    findings = check_source(RemovedModule, source, project=project, filename="pkg/model.py")
    assert [f.location.line for f in findings] == [7]


def test_try_guards_only_what_its_handlers_catch() -> None:
    def lines(source: str) -> list[int]:
        return [f.location.line for f in check_source(RemovedModule, source)]

    # ``ModuleNotFoundError`` does not catch the ImportError of a name missing from a module
    assert lines("try:\n    from keras.utils import multi_gpu_model\nexcept ModuleNotFoundError:\n    pass\n") == [2]
    assert lines("try:\n    from keras.layers.recurrent import LSTM\nexcept ModuleNotFoundError:\n    pass\n") == []
    assert lines("try:\n    from keras.utils import multi_gpu_model\nexcept (ValueError, ImportError):\n    pass\n") == []
    assert lines("try:\n    from keras.utils import multi_gpu_model\nexcept:\n    pass\n") == []
    # an ``else``/``finally`` block is not the probe
    assert lines("try:\n    pass\nexcept ImportError:\n    pass\nelse:\n    from keras.utils import multi_gpu_model\n") == [6]


def test_hasattr_and_getattr_tests_guard_the_name_they_probe() -> None:
    def lines(source: str) -> list[int]:
        return [f.location.line for f in check_source(RemovedModule, source)]

    assert lines("from keras import backend as K\nif getattr(K, 'get_session', None):\n    K.get_session()\n") == []
    assert lines("from keras import backend as K\nx = K.get_session() if hasattr(K, 'get_session') else None\n") == []
    # the branch that runs when the name is missing is not guarded
    assert lines("from keras import backend as K\nif not hasattr(K, 'get_session'):\n    K.get_session()\n") == [3]
    assert lines("from keras import backend as K\nif hasattr(K, 'get_session'):\n    pass\nelse:\n    K.get_session()\n") == [5]
