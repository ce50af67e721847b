"""Third-party plugins as real installed distributions, for the tests (fixtures in conftest.py).

A :class:`PluginEnv` is a fresh virtual environment in a temporary directory into which plugin
projects are ``pip install``ed (``--no-deps --no-build-isolation --no-index``: nothing is
downloaded), so ``python -m kerascheck`` there discovers them exactly as a user's would: through
their ``[project.entry-points.kerascheck]`` entry point, with their own version.

The new environment sees the running interpreter's packages (kerascheck, libcst, pip,
setuptools) through a ``.pth`` file that calls ``site.addsitedir`` on them. That is what
``venv --system-site-packages`` would give if the tests ran on a system interpreter, but it
also works when they run inside a virtual environment themselves (whose "system" packages
would be the base interpreter's, without kerascheck). Nothing is installed into the running
environment, so other tests never see these plugins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import textwrap
import venv
from pathlib import Path


class PluginEnv:
    """A virtual environment in a temporary directory that sees the running one's packages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(path)
        bindir = "Scripts" if os.name == "nt" else "bin"
        self.python = str(path / bindir / ("python.exe" if os.name == "nt" else "python"))
        site_packages = self._run_python("import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
        parents = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
        lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in parents)
        Path(site_packages, "_kerascheck_test_parent.pth").write_text(lines, encoding="utf-8")

    def _run_python(self, code: str) -> str:
        return subprocess.run([self.python, "-c", code], check=True, capture_output=True, text=True, timeout=120).stdout

    def pip_install(self, project: Path) -> None:
        # Build from a copy: a non-editable setuptools build writes build/ and *.egg-info
        # next to the sources, which must not appear in the repository.
        source = self.path.parent / f"src-{project.name}"
        shutil.copytree(project, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        proc = subprocess.run(
            [self.python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--quiet", str(source)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in this environment (colour off)."""
        return subprocess.run(
            [self.python, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "NO_COLOR": "1"},
        )

    def kerascheck(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "kerascheck", *args, cwd=cwd)

    def pytest(self, tests: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """A plugin's own test suite (copied to ``tests``), run against the installed plugin."""
        return self.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(cwd), str(tests), cwd=cwd)


def write_distribution(root: Path, name: str, module: str, entry_point: str, code: str, version: str = "2.3.4") -> Path:
    """A minimal plugin project (pyproject.toml + one module, ``code`` dedented) at ``root/name``."""
    project = root / name
    project.mkdir(parents=True)
    (project / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=64"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "{version}"

            [project.entry-points.kerascheck]
            {entry_point} = "{module}"

            [tool.setuptools]
            py-modules = ["{module}"]
            """
        ),
        encoding="utf-8",
    )
    return project
