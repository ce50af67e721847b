"""Probe metadata, target parsing and selection: no TensorFlow needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kerascheck.probes.builtin import BUILTIN_PROBES, kerascheck_register_probes
from kerascheck.probes.probe_function import select_probes
from kerascheck.probes.runner import ProbeSettings, ProbeTarget, child_environment


def test_builtin_probes_are_well_documented() -> None:
    assert [p.code for p in BUILTIN_PROBES] == sorted(p.code for p in BUILTIN_PROBES)
    for probe in BUILTIN_PROBES:
        assert probe.metadata_problems() == [], probe.code
        if probe.options:
            assert "Options" in probe.sections(), probe.code
            for option in probe.options:
                assert f"`{option}`" in probe.sections()["Options"], (probe.code, option)


def test_hook_returns_every_builtin() -> None:
    assert kerascheck_register_probes() == list(BUILTIN_PROBES)
    runnable = [p.code for p in BUILTIN_PROBES if p.runs_on_models()]
    assert runnable == [f"KP{100 + i}" for i in range(1, 13)] + ["KP202"]


def test_importing_runner_and_probes_does_not_import_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "import kerascheck.probes.runner, kerascheck.probes.probe_function, kerascheck.probes.builtin\n"
        "from kerascheck.probes.builtin import BUILTIN_PROBES\n"
        "[p.docs() for p in BUILTIN_PROBES]\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'tf_keras', 'h5py'))))\n"
    )
    env = child_environment(0)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(output.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("text", "path", "factory"),
    [
        ("model.keras", "model.keras", None),
        ("dir/saved_model", "dir/saved_model", None),
        ("models/build.py:build_model", None, "models/build.py:build_model"),
        ("pkg.models:make", None, "pkg.models:make"),
        ("models/zoo.py:Zoo.small", None, "models/zoo.py:Zoo.small"),
        ("models/zoo.py:Zoo.", "models/zoo.py:Zoo.", None),
        ("C:\\models\\m.keras", "C:\\models\\m.keras", None),
    ],
)
def test_target_parse(text: str, path: str | None, factory: str | None) -> None:
    target = ProbeTarget.parse(text)
    assert (target.path, target.factory) == (path, factory)
    assert target.label == text


def test_target_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError):
        ProbeTarget()
    with pytest.raises(ValueError):
        ProbeTarget(path="a.keras", factory="b.py:f")


def test_select_by_code_prefix_and_slug() -> None:
    picked = select_probes(BUILTIN_PROBES, ["KP10", "best-epoch-not-restored", "KP001"])
    assert [p.code for p in picked] == ["KP001"] + [f"KP10{i}" for i in range(1, 10)] + ["KP201"]
    assert select_probes(BUILTIN_PROBES, None) == list(BUILTIN_PROBES)


def test_options_resolve_by_code_or_slug() -> None:
    from kerascheck.probes.persistence import ReloadMismatch

    assert ReloadMismatch.resolve_options({}) == {"atol": 1e-5, "rtol": 1e-4}
    assert ReloadMismatch.resolve_options({"reload-mismatch": {"atol": 0.1}, "KP104": {"rtol": 0.2}}) == {
        "atol": 0.1,
        "rtol": 0.2,
    }


def test_child_environment_is_quiet_cpu_and_finds_this_package() -> None:
    env = child_environment(3)
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["TF_CPP_MIN_LOG_LEVEL"] in {"2", "3"}
    assert env["PYTHONHASHSEED"] == "3"
    import kerascheck

    assert env["PYTHONPATH"].split(":")[0] == str(Path(kerascheck.__file__).absolute().parent.parent)
    assert ProbeSettings().timeout is None and ProbeSettings().unsafe is False


def test_default_timeout_grows_with_the_model(tmp_path: Path) -> None:
    from kerascheck.probes.runner import default_timeout

    small, big = tmp_path / "small.keras", tmp_path / "big.keras"
    small.write_bytes(b"x" * 1000)
    with big.open("wb") as handle:  # sparse: 1 GB without writing it
        handle.truncate(2**30)
    assert default_timeout(ProbeTarget(path=str(small))) == 120.0
    assert default_timeout(ProbeTarget(path=str(big))) == 60.0 + 0.6 * 1024
    assert default_timeout(ProbeTarget(factory="m.py:f")) == 120.0


def test_memory_budget_counts_parallel_models_together() -> None:
    import threading

    from kerascheck.probes.runner import MemoryBudget

    budget = MemoryBudget(available=10)
    assert budget.acquire(11) is False  # never fits, even alone
    assert budget.acquire(6) is True
    started, acquired = threading.Event(), threading.Event()

    def second() -> None:
        started.set()
        budget.acquire(6)  # 6 + 6 > 10: waits for the first to finish
        acquired.set()

    worker = threading.Thread(target=second)
    worker.start()
    started.wait()
    assert not acquired.is_set() and budget.reserved == 6
    budget.release(6)
    worker.join()
    assert acquired.is_set() and budget.reserved == 6
    assert MemoryBudget(available=None).acquire(10**15) is True  # unknown memory: not limited
