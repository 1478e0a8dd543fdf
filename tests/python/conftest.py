"""pytest configuration for kvrm's Python tests: the `gpu` marker and the `backend` fixture
that runs a test on the reference engine ("cpu") and, marked `gpu`, on the CUDA engine (skipped
with the reason where this build or this machine has no usable GPU)."""

import pytest

import kvrm


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "gpu: needs the CUDA engine and an NVIDIA GPU (skipped without them)"
    )


def require_cuda():
    reason = kvrm.cuda_unavailable_reason()
    if reason is not None:
        pytest.skip(f"no CUDA engine: {reason}")


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def backend(request):
    """Each engine in turn: "cpu", then "cuda" (marked gpu)."""
    if request.param == "cuda":
        require_cuda()
    return request.param


@pytest.fixture
def cuda():
    """For tests marked gpu that need the CUDA engine."""
    require_cuda()
