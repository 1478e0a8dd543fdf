"""kvrm: an AArch64 (ARM64) emulator whose main engine runs on NVIDIA GPUs (CUDA) and whose
reference engine runs on the host CPU, both executing the same instruction semantics.

The seed's API, CUDA in place of Metal:

    cpu = kvrm.ContinuousCudaCPU(memory_size=4*1024*1024, cycles_per_batch=10_000_000)
    cpu.load_program(program_bytes, address=0)
    cpu.set_pc(0)
    result = cpu.execute_continuous(max_batches=10, timeout_seconds=60.0)
    result = cpu.execute_mega(total_cycles=100_000_000)
    print(result.total_cycles, result.ips, result.signal_name)

- ContinuousCudaCPU: continuous and mega dispatch (and execute); CudaCPU: standard dispatch.
  backend="cuda" (default), "cpu" (the reference engine, identical behaviour) or "auto".
- run(path, args, stdin=b"", ...): a static AArch64 Linux program, its exit status, stdout,
  stderr and instruction count.
- ParallelCudaCPU(num_lanes, memory_size, backend): the seed's ParallelMetalCPU, CUDA form:
  num_lanes cores over one copy-on-write memory image, per-lane registers and results.
- run_batch(path, lanes, args, env, ...): a static AArch64 Linux program as many independent
  processes (each lane its own args, stdin, env, stdout, stderr and exit status).
- Engine (reference_engine(), cuda_engine(), make_engine()): the engine API underneath, with
  map/unmap/protect and the whole CoreState; ParallelMachine under ParallelCudaCPU.
- Errors: KvrmError (a RuntimeError) and its subclasses CudaUnavailableError and ExecError;
  ValueError, IndexError and TypeError for bad arguments.
"""

from . import _kvrm
from ._batch import BatchResult, BatchStats, LaneResult, LaneSpec, run_batch
from ._cpu import (
    BACKENDS,
    DEFAULT_MEMORY_SIZE,
    PAGE_SIZE,
    ContinuousCudaCPU,
    ContinuousResult,
    CudaCPU,
    ExecuteResult,
    make_engine,
)
from ._kvrm import (
    PERM_EXEC,
    PERM_NONE,
    PERM_READ,
    PERM_RWX,
    PERM_WRITE,
    Access,
    CoreState,
    CudaUnavailableError,
    Engine,
    ExecError,
    FaultCause,
    KvrmError,
    LaneRunResult,
    ParallelMachine,
    ParallelResult,
    RunResult,
    Signal,
    StopInfo,
    VRegisters,
    XRegisters,
    cuda_available,
    cuda_engine,
    cuda_unavailable_reason,
    reference_engine,
)
from ._parallel import ParallelCudaCPU
from ._run import ProcessResult, run

__version__: str = _kvrm.__version__

__all__ = [
    "Access",
    "BACKENDS",
    "BatchResult",
    "BatchStats",
    "ContinuousCudaCPU",
    "ContinuousResult",
    "CoreState",
    "CudaCPU",
    "CudaUnavailableError",
    "DEFAULT_MEMORY_SIZE",
    "Engine",
    "ExecError",
    "ExecuteResult",
    "FaultCause",
    "KvrmError",
    "LaneResult",
    "LaneRunResult",
    "LaneSpec",
    "PAGE_SIZE",
    "PERM_EXEC",
    "PERM_NONE",
    "PERM_READ",
    "PERM_RWX",
    "PERM_WRITE",
    "ParallelCudaCPU",
    "ParallelMachine",
    "ParallelResult",
    "ProcessResult",
    "RunResult",
    "Signal",
    "StopInfo",
    "VRegisters",
    "XRegisters",
    "cuda_available",
    "cuda_engine",
    "cuda_unavailable_reason",
    "make_engine",
    "reference_engine",
    "run",
    "run_batch",
]

# The public classes and functions present themselves as kvrm.X (help(), repr, tracebacks),
# wherever they are defined.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        try:
            _obj.__module__ = "kvrm"
        except (AttributeError, TypeError):  # builtin functions of the extension
            pass
del _name, _obj
