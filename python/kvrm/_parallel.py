"""ParallelCudaCPU: the seed's ParallelMetalCPU in CUDA form. num_lanes AArch64 cores ("lanes")
run the same memory image at once, each with its own registers, PC, flags and cycle count; a
lane's writes go to its own copies of the pages it writes (copy on write), so lanes never see
each other's stores. There is no OS layer: SVC stops a lane with SYSCALL. The lanes run on the
batch engine's CUDA backend (backend="cuda"), on host threads (backend="cpu") or whichever is
usable (backend="auto"); both give the same per-lane results."""

from __future__ import annotations

import array
from typing import Iterable, List, Optional, Sequence, Union, overload

from . import _kvrm
from ._cpu import (
    BACKENDS,
    DEFAULT_MEMORY_SIZE,
    PAGE_SIZE,
    Program,
    _int,
    _positive,
    _program_bytes,
    _reg_value,
    _uint,
)
from ._kvrm import CoreState, ParallelMachine, ParallelResult

DEFAULT_LANE_MEMORY_LIMIT = 64 * 1024 * 1024

#: One value for every lane, or one per lane: a sequence of ints or a buffer of 64-bit
#: integers (array('Q'), a uint64/int64 numpy array).
LaneValues = Union[int, Iterable[int], memoryview]

_WORD_FORMATS = {"Q", "q", "<Q", "<q", "=Q", "=q", "@Q", "@q", "L", "l"}


class ParallelCudaCPU:
    """num_lanes AArch64 lanes over one memory image of memory_size bytes mapped
    read/write/execute at address 0, in the style of the seed's ParallelMetalCPU.

    load_program and write_memory (without lane) write the image every lane sees; each lane
    has its own registers (set_register(lane, n, value), set_register_all(n, values),
    get_registers() for all lanes at once) and PC (set_pc(pc) for every lane, set_pc(pc,
    lane) for one). execute(max_cycles) runs every lane until it stops (HLT, SVC, BRK, a
    fault, an undefined instruction) or has retired max_cycles instructions, and returns a
    ParallelResult: result[i] (or result.lanes[i]) has lane i's cycles, signal, signal_name,
    pc, info and description; result.total_cycles, elapsed_seconds and ips are the totals.
    A lane that faults stops alone; the others go on. Execution resumes where each lane
    stopped on the next call.

    backend: "cuda" (the batch engine's GPU backend; CudaUnavailableError without a usable
    GPU or in a build without CUDA, KvrmError while the engine has no CUDA batch backend),
    "cpu" (lanes spread over host threads; threads=0: one per CPU) or "auto".
    devices: backend "cuda": the CUDA devices the lanes are sharded over (empty: every visible
    one; a device named twice runs two shards).
    frame_layout: backend "cuda": how the lanes' own pages lie in GPU memory. "linear" (the
    default) keeps each page in one piece; "interleaved" lays the pages of 32 lanes out 8 bytes
    at a time, so that lanes running in step (the same program, the same addresses) touch
    adjacent memory: on an H200 a store loop ran 2.4x faster that way, while lanes that take
    different paths ran slower (docs/PERFORMANCE.md).
    lane_memory_limit: bytes of pages one lane may own (write); a write past it stops the lane
    with FAULT (its result's out_of_memory is True).

    Errors: KvrmError for emulator errors, ValueError for bad values, IndexError for a lane
    or register number out of range, TypeError for arguments of the wrong type.
    """

    def __init__(
        self,
        num_lanes: int,
        memory_size: int = DEFAULT_MEMORY_SIZE,
        backend: str = "cuda",
        *,
        lane_memory_limit: int = DEFAULT_LANE_MEMORY_LIMIT,
        threads: int = 0,
        devices: Sequence[int] = (),
        frame_layout: str = "linear",
    ) -> None:
        lanes = _positive("num_lanes", num_lanes)
        if lanes >= 1 << 31:
            raise ValueError(f"num_lanes must be below 2**31, not {lanes}")
        size = _positive("memory_size", memory_size)
        if size % PAGE_SIZE:
            raise ValueError(f"memory_size must be a multiple of {PAGE_SIZE}, not {size}")
        if backend not in BACKENDS:
            raise ValueError(
                f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}"
            )
        limit = _positive("lane_memory_limit", lane_memory_limit)
        if limit < PAGE_SIZE:
            raise ValueError(f"lane_memory_limit must be at least {PAGE_SIZE}, not {limit}")
        nthreads = _uint("threads", threads, 16)
        device_list = [_uint("devices", d, 31) for d in devices]
        if frame_layout not in ("linear", "interleaved"):
            raise ValueError(
                f"frame_layout must be 'linear' or 'interleaved', not {frame_layout!r}"
            )
        self._memory_size = size
        self._machine = ParallelMachine(
            lanes=lanes,
            memory_size=size,
            backend=backend,
            lane_memory_limit=limit,
            threads=nthreads,
            devices=device_list,
            frame_layout=frame_layout,
        )

    # ---- configuration ----------------------------------------------------------------------
    @property
    def num_lanes(self) -> int:
        """The number of lanes."""
        return self._machine.lanes

    @property
    def memory_size(self) -> int:
        """Bytes of the image, mapped at [0, memory_size) in every lane."""
        return self._memory_size

    @property
    def backend(self) -> str:
        """The backend running the lanes: "cuda" or "cpu"."""
        return self._machine.backend

    @property
    def machine(self) -> ParallelMachine:
        """The underlying kvrm._kvrm.ParallelMachine (map more memory, whole-state access)."""
        return self._machine

    def _lane(self, lane: object) -> int:
        i = _int("lane", lane)
        if not 0 <= i < self._machine.lanes:
            raise IndexError(f"lane {i} is not 0-{self._machine.lanes - 1}")
        return i

    # ---- program and memory -----------------------------------------------------------------
    def load_program(self, program: Program, address: int = 0) -> int:
        """Writes a program into the image at address, for every lane: bytes-like or an
        iterable of 32-bit instruction words (stored little-endian). Does not change the PCs
        (call set_pc). Returns the number of bytes written. ValueError when it does not fit in
        [0, memory_size)."""
        data = _program_bytes(program)
        addr = _uint("address", address)
        if addr + len(data) > self._memory_size:
            raise ValueError(
                f"program of {len(data)} bytes at {addr:#x} does not fit in the "
                f"{self._memory_size} bytes of memory (ends at {addr + len(data):#x})"
            )
        if data:
            self._machine.write_memory(addr, data)
        return len(data)

    def write_memory(self, address: int, data: object, lane: Optional[int] = None) -> None:
        """Writes a bytes-like object at address, ignoring permissions. lane=None: into the
        image, for every lane (lanes that wrote the page before get the change in their copy
        too); a lane number: into that lane's memory only. KvrmError where a byte is not
        mapped."""
        if isinstance(data, str):
            raise TypeError("data must be bytes-like, not str")
        addr = _uint("address", address)
        if lane is None:
            self._machine.write_memory(addr, data)
        else:
            self._machine.write_memory(addr, data, self._lane(lane))

    def read_memory(self, address: int, size: int, lane: int) -> bytes:
        """size bytes of lane `lane`'s memory at address, as that lane sees it (its own copies
        of the pages it wrote, the image elsewhere). KvrmError where a byte is not mapped."""
        return self._machine.read_memory(
            _uint("address", address), _uint("size", size), self._lane(lane)
        )

    def read_memory_into(self, address: int, buffer: object, lane: int) -> None:
        """Fills a writable, C-contiguous buffer with lane `lane`'s memory from address."""
        self._machine.read_memory_into(_uint("address", address), buffer, self._lane(lane))

    def lane_private_bytes(self, lane: int) -> int:
        """Bytes of the pages lane `lane` has written (its own copies)."""
        return self._machine.lane_private_bytes(self._lane(lane))

    # ---- registers --------------------------------------------------------------------------
    def set_pc(self, pc: int, lane: Optional[int] = None) -> None:
        """Sets the PC of every lane (lane=None) or of one lane."""
        value = _uint("pc", pc)
        if lane is None:
            self._machine.set_pc_all(value)
        else:
            self._machine.set_pc(self._lane(lane), value)

    @overload
    def get_pc(self, lane: None = None) -> List[int]: ...
    @overload
    def get_pc(self, lane: int) -> int: ...

    def get_pc(self, lane: Optional[int] = None) -> Union[int, List[int]]:
        """Lane `lane`'s PC, or (lane=None) a list of every lane's PC."""
        if lane is None:
            return self._machine.pcs().tolist()
        return self._machine.pc(self._lane(lane))

    @staticmethod
    def _xreg(n: object) -> int:
        i = _int("register number", n)
        if not 0 <= i <= 30:
            raise IndexError(f"register number {i} is not 0-30 (SP has get_sp/set_sp)")
        return i

    def get_register(self, lane: int, n: int) -> int:
        """Lane `lane`'s X<n> (n in 0-30) as an unsigned 64-bit number."""
        return self._machine.reg(self._lane(lane), self._xreg(n))

    def set_register(self, lane: int, n: int, value: int) -> None:
        """Sets lane `lane`'s X<n> (n in 0-30); negative values down to -2**63 are stored in
        two's complement."""
        self._machine.set_reg(self._lane(lane), self._xreg(n), _reg_value("value", value))

    def get_register_all(self, n: int) -> List[int]:
        """X<n> (n in 0-30) of every lane, as a list (index i is lane i)."""
        return self._machine.reg_column(self._xreg(n)).tolist()

    def set_register_all(self, n: int, values: LaneValues) -> None:
        """Sets X<n> (n in 0-30) of every lane: to one int, or lane i's to values[i] from a
        sequence of num_lanes ints or a buffer of num_lanes 64-bit integers (array('Q'), a
        uint64/int64 numpy array, used without conversion)."""
        self._set_column(self._xreg(n), values)

    def get_sp(self, lane: Optional[int] = None) -> Union[int, List[int]]:
        """Lane `lane`'s stack pointer, or (lane=None) a list of every lane's."""
        if lane is None:
            return self._machine.reg_column(31).tolist()
        return self._machine.reg(self._lane(lane), 31)

    def set_sp(self, value: LaneValues, lane: Optional[int] = None) -> None:
        """Sets the stack pointer of one lane, or (lane=None) of every lane: one value or one
        per lane, as set_register_all takes them."""
        if lane is None:
            self._set_column(31, value)
        else:
            self._machine.set_reg(self._lane(lane), 31, _reg_value("value", value))

    def _set_column(self, n: int, values: LaneValues) -> None:
        if isinstance(values, int) and not isinstance(values, bool):
            self._machine.set_reg_all(n, _reg_value("value", values))
            return
        if isinstance(values, (str, bytes, bytearray)):
            raise TypeError("values must be an int, a sequence of ints or a buffer of 64-bit ints")
        lanes = self._machine.lanes
        try:
            view: Optional[memoryview] = memoryview(values)  # type: ignore[arg-type]
        except TypeError:
            view = None
        if view is not None:
            with view:
                if view.ndim == 1 and view.itemsize == 8 and view.format in _WORD_FORMATS:
                    if len(view) != lanes:
                        raise ValueError(
                            f"values has {len(view)} entries, not {lanes} (one per lane)"
                        )
                    if view.c_contiguous:
                        self._machine.set_reg_each(n, view)
                        return
                items = view.tolist()
        else:
            try:
                items = list(values)  # type: ignore[arg-type]
            except TypeError:
                raise TypeError(
                    "values must be an int, a sequence of ints or a buffer of 64-bit ints, "
                    f"not {type(values).__name__}"
                ) from None
        if len(items) != lanes:
            raise ValueError(f"values has {len(items)} entries, not {lanes} (one per lane)")
        words = array.array("Q", (_reg_value(f"values[{i}]", v) for i, v in enumerate(items)))
        self._machine.set_reg_each(n, words)

    def get_registers(self) -> memoryview:
        """A snapshot of X0-X30 and SP of every lane: a memoryview of unsigned 64-bit integers
        of shape (num_lanes, 32), row i lane i, column 31 SP. numpy.asarray(...) views it
        without copying; regs[i, n] and regs.tolist() work without numpy."""
        return self._machine.registers()

    def set_registers(self, values: object) -> None:
        """Sets X0-X30 and SP of every lane from a C-contiguous buffer of num_lanes x 32
        64-bit integers (what get_registers returns, or a (num_lanes, 32) uint64 numpy
        array)."""
        if isinstance(values, (str, bytes, bytearray)):
            raise TypeError("values must be a buffer of 64-bit integers, (num_lanes, 32)")
        with memoryview(values) as view:  # type: ignore[arg-type]
            if view.itemsize != 8 or view.format not in _WORD_FORMATS:
                raise TypeError(
                    f"values must hold 64-bit integers, not format {view.format!r}"
                )
            self._machine.set_registers(view)

    def get_state(self, lane: int) -> CoreState:
        """A snapshot of lane `lane`'s whole core state (CoreState: flags, FP and vector
        registers, TPIDR, ...)."""
        return self._machine.state(self._lane(lane))

    def set_state(self, lane: int, state: CoreState) -> None:
        """Replaces lane `lane`'s whole core state."""
        self._machine.set_state(self._lane(lane), state)

    # ---- running ----------------------------------------------------------------------------
    def execute(self, max_cycles: int) -> ParallelResult:
        """Runs every lane from its PC until it stops or has retired max_cycles instructions
        (CHECKPOINT). Returns a ParallelResult (per-lane LaneRunResult by index or .lanes;
        .cycles, .pcs and .signals as arrays; total_cycles, elapsed_seconds, ips)."""
        return self._machine.execute(_positive("max_cycles", max_cycles))

    def reset(self, clear_memory: bool = False) -> None:
        """Sets every register of every lane to zero. clear_memory=True also zeroes the
        image and drops every lane's own copies of pages; otherwise memory is kept, so a
        loaded program can run again after set_pc."""
        zero = CoreState()
        for i in range(self._machine.lanes):
            self._machine.set_state(i, zero)
        if clear_memory:
            self._machine.unmap(0, self._memory_size)
            self._machine.map(0, self._memory_size, _kvrm.PERM_RWX)

    def __repr__(self) -> str:
        return (
            f"<kvrm.ParallelCudaCPU num_lanes={self.num_lanes} backend={self.backend!r} "
            f"memory_size={self._memory_size}>"
        )
