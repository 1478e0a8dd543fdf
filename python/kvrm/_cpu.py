"""The seed's CPU classes: CudaCPU (standard dispatch) and ContinuousCudaCPU (continuous and
mega dispatch), each one AArch64 core with memory_size bytes of guest memory at address 0, on
the CUDA engine (backend="cuda"), the reference engine on the host CPU (backend="cpu") or
whichever is usable (backend="auto"). Both engines give identical results."""

from __future__ import annotations

import dataclasses
import operator
from typing import Iterable, Union

from . import _kvrm
from ._kvrm import CoreState, Engine, Signal, StopInfo

PAGE_SIZE = 4096
DEFAULT_MEMORY_SIZE = 4 * 1024 * 1024
BACKENDS = ("cuda", "cpu", "auto")

#: What load_program and write_memory take: a bytes-like object (bytes, bytearray,
#: memoryview, a numpy array) or, for load_program, an iterable of 32-bit instruction words.
Program = Union[bytes, bytearray, memoryview, Iterable[int]]


def make_engine(backend: str = "auto", memory_limit: int = 1 << 30) -> Engine:
    """A new, empty Engine: "cuda" (the CUDA engine; CudaUnavailableError without a usable
    GPU or in a build without CUDA), "cpu" (the reference engine) or "auto" (the CUDA engine
    when it is usable, else the reference engine). memory_limit caps the guest memory that can
    be mapped."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}")
    if backend == "auto":
        backend = "cuda" if _kvrm.cuda_available() else "cpu"
    if backend == "cuda":
        return _kvrm.cuda_engine(memory_limit=memory_limit)
    return _kvrm.reference_engine(memory_limit=memory_limit)


def _int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}") from None


def _uint(name: str, value: object, bits: int = 64) -> int:
    v = _int(name, value)
    if not 0 <= v < (1 << bits):
        raise ValueError(f"{name} must be 0 <= {name} < 2**{bits}, not {v}")
    return v


def _positive(name: str, value: object) -> int:
    v = _int(name, value)
    if not 0 < v < (1 << 64):
        raise ValueError(f"{name} must be a positive 64-bit number, not {v}")
    return v


def _reg_value(name: str, value: object) -> int:
    """A 64-bit register value; negative numbers down to -2**63 as two's complement."""
    v = _int(name, value)
    if not -(1 << 63) <= v < (1 << 64):
        raise ValueError(f"{name} must be -2**63 <= {name} < 2**64, not {v}")
    return v & ((1 << 64) - 1)


def _program_bytes(program: Program) -> bytes:
    if isinstance(program, str):
        raise TypeError("program must be bytes-like or a list of 32-bit instruction words, not str")
    try:
        with memoryview(program) as view:  # type: ignore[arg-type]
            return view.tobytes()
    except TypeError:
        pass
    try:
        words = list(program)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            "program must be bytes-like or a list of 32-bit instruction words, "
            f"not {type(program).__name__}"
        ) from None
    out = bytearray()
    for i, w in enumerate(words):
        out += _uint(f"program[{i}]", w, 32).to_bytes(4, "little")
    return bytes(out)


@dataclasses.dataclass(frozen=True)
class ExecuteResult:
    """The result of CudaCPU.execute (standard dispatch)."""

    cycles: int
    """Instructions retired (an SVC counts; a stopping HLT/BRK, a faulting or UNDEFINED
    instruction does not)."""
    stop_reason: Signal
    """Why execution stopped: HALT, SYSCALL, CHECKPOINT (max_cycles used up), FAULT,
    UNDEFINED or BREAKPOINT."""
    stop_reason_name: str
    """The stop reason's name, e.g. "HALT"."""
    final_pc: int
    """The PC after the run (see Signal for what it addresses)."""
    elapsed_seconds: float
    """Wall time of the run."""
    ips: float
    """Instructions per second (cycles / elapsed_seconds)."""
    info: StopInfo
    """Details of the stop: fault address/access/cause, instruction word, SVC/HLT/BRK imm16."""
    description: str
    """One line, e.g. "FAULT: read of unmapped address 0x500000 at pc 0x8"."""


@dataclasses.dataclass(frozen=True)
class ContinuousResult:
    """The result of ContinuousCudaCPU.execute_continuous and execute_mega."""

    total_cycles: int
    """Instructions retired over all batches."""
    batch_count: int
    """Batches run (execute_mega: 1)."""
    signal: Signal
    """Why execution stopped: HALT, SYSCALL, CHECKPOINT (budget, max_batches or timeout used
    up), FAULT, UNDEFINED or BREAKPOINT."""
    signal_name: str
    """The signal's name, e.g. "HALT"."""
    elapsed_seconds: float
    """Wall time of the whole call."""
    final_pc: int
    """The PC after the run (see Signal for what it addresses)."""
    ips: float
    """Instructions per second (total_cycles / elapsed_seconds)."""
    info: StopInfo
    """Details of the stop (see ExecuteResult.info)."""
    description: str
    """One line describing the stop."""


class CudaCPU:
    """One AArch64 core with memory_size bytes of guest memory mapped read/write/execute at
    address 0, run in the seed's standard mode: execute(max_cycles).

    backend: "cuda" (the CUDA engine; raises CudaUnavailableError where kvrm was built
    without CUDA or no usable GPU is present), "cpu" (the reference engine on the host CPU,
    identical behaviour) or "auto" (CUDA when usable, else the host CPU). memory_size is a
    positive multiple of 4096. All registers start at zero.

    Errors: KvrmError for emulator errors (an address that is not mapped, no GPU), ValueError
    for bad values (a program larger than memory, a negative size), IndexError for a register
    number out of range, TypeError for arguments of the wrong type.
    """

    def __init__(self, memory_size: int = DEFAULT_MEMORY_SIZE, backend: str = "cuda") -> None:
        size = _positive("memory_size", memory_size)
        if size % PAGE_SIZE:
            raise ValueError(f"memory_size must be a multiple of {PAGE_SIZE}, not {size}")
        self._memory_size = size
        self._engine = make_engine(backend, size)
        self._engine.map(0, size, _kvrm.PERM_RWX)

    # ---- configuration ----------------------------------------------------------------------
    @property
    def memory_size(self) -> int:
        """Bytes of guest memory, mapped at [0, memory_size)."""
        return self._memory_size

    @property
    def backend(self) -> str:
        """The engine in use: "cuda" or "cpu"."""
        return self._engine.name

    @property
    def engine(self) -> Engine:
        """The underlying kvrm.Engine (map more memory, change permissions, whole-state
        access)."""
        return self._engine

    # ---- program and memory -----------------------------------------------------------------
    def load_program(self, program: Program, address: int = 0) -> int:
        """Writes a program into guest memory at address: bytes-like (bytes, bytearray,
        memoryview, numpy array) or an iterable of 32-bit instruction words (stored little-
        endian). Does not change the PC (call set_pc). Returns the number of bytes written.
        ValueError when it does not fit in [0, memory_size)."""
        data = _program_bytes(program)
        addr = _uint("address", address)
        if addr + len(data) > self._memory_size:
            raise ValueError(
                f"program of {len(data)} bytes at {addr:#x} does not fit in the "
                f"{self._memory_size} bytes of memory (ends at {addr + len(data):#x})"
            )
        if data:
            self._engine.write_memory(addr, data)
        return len(data)

    def read_memory(self, address: int, size: int) -> bytes:
        """size bytes of guest memory at address (permissions ignored). KvrmError where a
        byte is not mapped."""
        return self._engine.read_memory(_uint("address", address), _uint("size", size))

    def read_memory_into(self, address: int, buffer: object) -> None:
        """Fills a writable, C-contiguous buffer (bytearray, memoryview, numpy array) with
        guest memory from address, without an intermediate copy."""
        self._engine.read_memory_into(_uint("address", address), buffer)

    def write_memory(self, address: int, data: object) -> None:
        """Writes a bytes-like object (bytes, bytearray, memoryview, C-contiguous numpy array)
        into guest memory at address (permissions ignored). KvrmError where a byte is not
        mapped."""
        if isinstance(data, str):
            raise TypeError("data must be bytes-like, not str")
        self._engine.write_memory(_uint("address", address), data)

    # ---- registers --------------------------------------------------------------------------
    def set_pc(self, pc: int) -> None:
        """Sets the program counter."""
        self._engine.pc = _uint("pc", pc)

    def get_pc(self) -> int:
        """The program counter."""
        return self._engine.pc

    @staticmethod
    def _xreg(n: object) -> int:
        i = _int("register number", n)
        if not 0 <= i <= 30:
            raise IndexError(f"register number {i} is not 0-30 (SP has get_sp/set_sp)")
        return i

    def get_register(self, n: int) -> int:
        """X<n> (n in 0-30) as an unsigned 64-bit number."""
        return self._engine.reg(self._xreg(n))

    def set_register(self, n: int, value: int) -> None:
        """Sets X<n> (n in 0-30); negative values down to -2**63 are stored in two's
        complement."""
        self._engine.set_reg(self._xreg(n), _reg_value("value", value))

    def get_sp(self) -> int:
        """The stack pointer."""
        return self._engine.reg(31)

    def set_sp(self, value: int) -> None:
        """Sets the stack pointer."""
        self._engine.set_reg(31, _reg_value("value", value))

    def get_nzcv(self) -> int:
        """The flags as MRS NZCV reads them: N bit 31, Z bit 30, C bit 29, V bit 28."""
        return self._engine.state().nzcv

    def set_nzcv(self, value: int) -> None:
        """Sets the flags (N bit 31, Z bit 30, C bit 29, V bit 28; other bits must be 0)."""
        v = _uint("nzcv", value, 32)
        if v & 0x0FFFFFFF:
            raise ValueError(f"nzcv has only bits 31..28, not {v:#x}")
        self._update(nzcv=v)

    def get_fpcr(self) -> int:
        """The floating-point control register."""
        return self._engine.state().fpcr

    def set_fpcr(self, value: int) -> None:
        """Sets the floating-point control register."""
        self._update(fpcr=_uint("fpcr", value, 32))

    def get_fpsr(self) -> int:
        """The floating-point status register."""
        return self._engine.state().fpsr

    def set_fpsr(self, value: int) -> None:
        """Sets the floating-point status register."""
        self._update(fpsr=_uint("fpsr", value, 32))

    def get_tpidr(self) -> int:
        """The thread pointer TPIDR_EL0."""
        return self._engine.state().tpidr_el0

    def set_tpidr(self, value: int) -> None:
        """Sets the thread pointer TPIDR_EL0."""
        self._update(tpidr_el0=_uint("tpidr", value))

    @staticmethod
    def _vreg(n: object) -> int:
        i = _int("vector register number", n)
        if not 0 <= i <= 31:
            raise IndexError(f"vector register number {i} is not 0-31")
        return i

    def get_vector(self, n: int) -> bytes:
        """V<n> (n in 0-31) as 16 little-endian bytes (byte 0 is the lowest byte of lane 0)."""
        return self._engine.state().v[self._vreg(n)]

    def get_vector_int(self, n: int) -> int:
        """V<n> (n in 0-31) as an unsigned 128-bit number."""
        return int.from_bytes(self.get_vector(n), "little")

    def set_vector(self, n: int, value: Union[bytes, bytearray, memoryview, int]) -> None:
        """Sets V<n> (n in 0-31) from 16 bytes (little-endian) or an int, 0 <= value < 2**128."""
        i = self._vreg(n)
        s = self._engine.state()
        if isinstance(value, int) and not isinstance(value, bool):
            s.v[i] = _uint("value", value, 128)
        else:
            s.v[i] = value
        self._engine.set_state(s)

    def get_state(self) -> CoreState:
        """A snapshot of the whole core state (CoreState). Its x and v arrays support the
        buffer protocol: numpy.asarray(state.x) views them without copying."""
        return self._engine.state()

    def set_state(self, state: CoreState) -> None:
        """Replaces the whole core state."""
        self._engine.set_state(state)

    def _update(self, **fields: int) -> None:
        s = self._engine.state()
        for k, v in fields.items():
            setattr(s, k, v)
        self._engine.set_state(s)

    # ---- running ----------------------------------------------------------------------------
    def execute(self, max_cycles: int) -> ExecuteResult:
        """Standard dispatch: runs from the PC until a stop (HLT, SVC, BRK, a fault, an
        undefined instruction) or until max_cycles instructions have retired (CHECKPOINT).
        Execution resumes where it stopped on the next call (after an SVC, the PC is already
        past it)."""
        r = self._engine.execute(_positive("max_cycles", max_cycles))
        return ExecuteResult(
            cycles=r.cycles,
            stop_reason=r.signal,
            stop_reason_name=r.signal_name,
            final_pc=r.pc,
            elapsed_seconds=r.elapsed_seconds,
            ips=r.ips,
            info=r.info,
            description=r.description,
        )

    def reset(self, clear_memory: bool = False) -> None:
        """Sets every register (X0-X30, SP, PC, NZCV, FPCR, FPSR, TPIDR, V0-V31, the exclusive
        monitor) to zero. With clear_memory=True guest memory is zeroed too; otherwise it is
        kept, so a loaded program can run again after set_pc."""
        self._engine.set_state(CoreState())
        if clear_memory:
            self._engine.unmap(0, self._memory_size)
            self._engine.map(0, self._memory_size, _kvrm.PERM_RWX)

    def __repr__(self) -> str:
        return (
            f"<kvrm.{type(self).__name__} backend={self.backend!r} "
            f"memory_size={self._memory_size} pc={self.get_pc():#x}>"
        )


class ContinuousCudaCPU(CudaCPU):
    """CudaCPU with the seed's continuous and mega dispatch modes: execute_continuous runs
    batches of cycles_per_batch instructions in a C++ loop (no Python between batches) until a
    stop, max_batches or the timeout; execute_mega runs the whole budget in one go. Everything
    else, including execute(max_cycles), is CudaCPU's."""

    def __init__(
        self,
        memory_size: int = DEFAULT_MEMORY_SIZE,
        cycles_per_batch: int = 10_000_000,
        backend: str = "cuda",
    ) -> None:
        self._cycles_per_batch = _positive("cycles_per_batch", cycles_per_batch)
        super().__init__(memory_size, backend)

    @property
    def cycles_per_batch(self) -> int:
        """Instructions per batch in execute_continuous."""
        return self._cycles_per_batch

    @cycles_per_batch.setter
    def cycles_per_batch(self, value: int) -> None:
        self._cycles_per_batch = _positive("cycles_per_batch", value)

    def execute_continuous(
        self, max_batches: int = 10, timeout_seconds: float = 60.0
    ) -> ContinuousResult:
        """Continuous dispatch: batch after batch of cycles_per_batch instructions until a
        stop signal (HALT, SYSCALL, FAULT, UNDEFINED, BREAKPOINT), max_batches batches, or
        timeout_seconds (a batch still running then stops within 100 ms; at least one batch
        starts). Returns a
        ContinuousResult; its signal is CHECKPOINT when the batches or the time ran out."""
        batches = _positive("max_batches", max_batches)
        timeout = float(timeout_seconds)
        if not timeout > 0:
            raise ValueError(f"timeout_seconds must be positive, not {timeout_seconds!r}")
        r = self._engine.execute_continuous(self._cycles_per_batch, batches, timeout)
        return self._result(r)

    def execute_mega(self, total_cycles: int = 100_000_000) -> ContinuousResult:
        """Mega dispatch: up to total_cycles instructions in a single dispatch, until a stop
        signal or the budget is used up (CHECKPOINT)."""
        r = self._engine.execute_mega(_positive("total_cycles", total_cycles))
        return self._result(r)

    @staticmethod
    def _result(r: _kvrm.RunResult) -> ContinuousResult:
        return ContinuousResult(
            total_cycles=r.cycles,
            batch_count=r.batch_count,
            signal=r.signal,
            signal_name=r.signal_name,
            elapsed_seconds=r.elapsed_seconds,
            final_pc=r.pc,
            ips=r.ips,
            info=r.info,
            description=r.description,
        )
