"""Builds the extension kvrm._kvrm for `pip install --no-build-isolation .` through kvrm's own
CMake build (the metadata is in pyproject.toml). The CMake build directory is kept under
build-pip/ so that a second install only rebuilds what changed.

Extra CMake options come from the environment variable CMAKE_ARGS, e.g.
    CMAKE_ARGS="-DKVRM_CUDA=OFF" pip install --no-build-isolation .
KVRM_CUDA=AUTO (the default) builds the CUDA engine when nvcc is found: about 10 minutes and
8 GB of memory on a 2-core machine. CMAKE_BUILD_PARALLEL_LEVEL sets the build's jobs.
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not isinstance(ext, CMakeExtension):
            return super().build_extension(ext)
        build_dir = Path(self.build_temp).resolve() / "cmake"
        out = Path(self.get_ext_fullpath(ext.name)).resolve()
        args = [
            "-DCMAKE_BUILD_TYPE=Release",
            "-DKVRM_PYTHON=ON",
            "-DKVRM_TESTS=OFF",
            f"-DPython_EXECUTABLE={sys.executable}",
        ]
        if shutil.which("ninja") and not (build_dir / "Makefile").exists():
            args += ["-G", "Ninja"]
        args += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir), *args], check=True)
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", ext.target, "-j", jobs], check=True
        )
        built = build_dir / "python" / "kvrm" / out.name
        if not built.exists():
            raise RuntimeError(
                f"the CMake build made no {built} (does {sys.executable} match the Python "
                "CMake found? see the configure output above)"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, out)


setup(
    ext_modules=[CMakeExtension("kvrm._kvrm", target="_kvrm")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
)
