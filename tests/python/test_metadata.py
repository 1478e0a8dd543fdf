"""Consistency of the Python package's metadata: pyproject.toml, CMakeLists.txt's version, the
package as built, and the type stubs (python/kvrm/_kvrm.pyi) against the extension module."""

import ast
import enum
import os
import re
import sys
from pathlib import Path

import pytest

import kvrm
from kvrm import _kvrm

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")

SOURCE = Path(os.environ.get("KVRM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
PYPROJECT = tomllib.loads((SOURCE / "pyproject.toml").read_text())
STUB = ast.parse((SOURCE / "python" / "kvrm" / "_kvrm.pyi").read_text())


def cmake_version():
    if "KVRM_CMAKE_VERSION" in os.environ:
        return os.environ["KVRM_CMAKE_VERSION"]
    text = (SOURCE / "CMakeLists.txt").read_text()
    return re.search(r"project\(kvrm VERSION ([0-9.]+)", text).group(1)


def test_versions_agree():
    assert PYPROJECT["project"]["name"] == "kvrm"
    assert PYPROJECT["project"]["version"] == cmake_version() == kvrm.__version__


def test_python_requirement_holds():
    spec = PYPROJECT["project"]["requires-python"]
    m = re.fullmatch(r">=(\d+)\.(\d+)", spec)
    assert m, spec
    assert sys.version_info[:2] >= (int(m.group(1)), int(m.group(2)))


def test_package_layout():
    st = PYPROJECT["tool"]["setuptools"]
    assert st["packages"] == ["kvrm"]
    pkg = SOURCE / st["package-dir"][""] / "kvrm"
    assert (pkg / "__init__.py").exists()
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["kvrm"]
    assert "py.typed" in data and "*.pyi" in data
    assert (pkg / "py.typed").exists() and (pkg / "_kvrm.pyi").exists()
    # The package under test is the one built from these sources.
    built = Path(kvrm.__file__).parent
    for f in pkg.iterdir():
        if f.suffix in (".py", ".pyi") or f.name == "py.typed":
            assert (built / f.name).read_bytes() == f.read_bytes(), f"{f.name} is stale"
    assert PYPROJECT["build-system"]["build-backend"] == "setuptools.build_meta"
    setup_py = (SOURCE / "setup.py").read_text()
    assert 'CMakeExtension("kvrm._kvrm", target="_kvrm")' in setup_py
    assert _kvrm.__name__ == "kvrm._kvrm"


def test_all_names_exist():
    for name in kvrm.__all__:
        assert hasattr(kvrm, name), name
    assert sorted(kvrm.__all__) == sorted(set(kvrm.__all__))


def _stub_names(body):
    names = {}
    for node in body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names[t.id] = node
    return names


def _runtime_public(obj):
    return {n for n in vars(obj) if not n.startswith("_")}


def test_stubs_match_the_extension():
    stub = _stub_names(STUB.body)
    runtime = _runtime_public(_kvrm) | {"__version__"}
    stub_public = {n for n in stub if not n.startswith("_") or n == "__version__"}
    assert stub_public == runtime
    for name, node in stub.items():
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_kvrm, name)
        members = {n for n in _stub_names(node.body) if not n.startswith("_")}
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            assert members == {m.name for m in cls}, name
            assert all(cls[m].value == ast.literal_eval(_stub_names(node.body)[m].value)
                       for m in members), name
        elif issubclass(cls, BaseException):
            assert members <= {"status"}, name
        else:
            assert members == _runtime_public(cls), name
