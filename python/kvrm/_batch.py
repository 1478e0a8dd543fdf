"""kvrm.run_batch: one static AArch64 Linux program run as many independent processes
("lanes") by the batch engine, each lane with its own arguments, environment and standard
input, and its own captured stdout, stderr and exit status (what `kvrm batch` does). The pages
of the loaded program are stored once for all lanes; a lane that exits or faults ends alone."""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator, List, Mapping, Optional, Sequence, Union

from . import _kvrm
from ._cpu import BACKENDS, _int
from ._run import StrPath, _env_entries, _str_arg, _str_list

Bytes = Union[bytes, bytearray, memoryview]

DEFAULT_BATCH_LANE_MEMORY_LIMIT = 256 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class LaneSpec:
    """One lane's input for run_batch (a dict with the same keys works too)."""

    args: Sequence[str] = ()
    """Arguments after run_batch's args."""
    stdin: Bytes = b""
    """What the lane reads on file descriptor 0 (then end of file)..."""
    stdin_path: Optional[StrPath] = None
    """...or, when set, this host file's contents (read when the lane starts; a file that
    cannot be read ends the lane with end "exec-failed")."""
    env: Optional[Mapping[str, str]] = None
    """Variables added to (or replacing those of) run_batch's env for this lane."""


@dataclasses.dataclass(frozen=True)
class LaneResult:
    """One lane's result from run_batch."""

    exit_status: int
    """The exit status `kvrm run` (and kvrm.run) would give this input: the guest's; 128+signal
    when it died of a fault; 124 at max_instructions or the timeout; 137 when the lane's memory
    limit was reached; 127/126 when it could not start."""
    stdout: bytes
    """Everything the lane wrote to file descriptor 1."""
    stderr: bytes
    """Everything the lane wrote to file descriptor 2, and kvrm's messages about the lane."""
    instructions: int
    """Guest instructions the lane executed."""
    syscalls: int
    """System calls the lane made."""
    end: str
    """How the lane ended: "exited", "signaled", "instruction-limit", "timeout",
    "out-of-memory", "exec-failed", "internal-error" or "not-run" (the timeout came before
    the lane started)."""
    signal: int
    """The fatal signal's number ("signaled", "out-of-memory"), else 0."""
    peak_memory: int
    """Most bytes of pages the lane owned (had written) at once."""
    description: str
    """One line, e.g. "exited with status 0" or "FAULT: write of unmapped address 0x10 at pc
    0x400100"."""


@dataclasses.dataclass(frozen=True)
class BatchStats:
    """The figures of a whole run_batch call."""

    lanes: int
    instructions: int
    """Instructions of all lanes together."""
    syscalls: int
    """System calls of all lanes together."""
    elapsed_seconds: float
    """Wall time of the batch."""
    ips: float
    """Aggregate instructions per second."""
    backend: str
    """The backend that ran the lanes: "cpu" or "cuda"."""
    threads: int
    """Host threads used."""
    schedule: str
    """"fused" (each lane executed and serviced on one host thread in turn) or "phased"."""
    rounds: int
    """Execute/service rounds the scheduler ran."""
    cow_copies: int
    """Pages the lanes copied on write after starting."""
    peak_resident_lanes: int
    """Most lanes started at once."""
    peak_pool_bytes: int
    """Most private page memory of all lanes at once."""
    image_bytes: int
    """The shared program image."""
    execute_seconds: float
    """Phased schedule: wall time of the lanes executing on the backend."""
    service_seconds: float
    """Phased schedule: wall time of the host starting lanes and servicing their stops."""
    kernel_seconds: float
    """Backend "cuda": time in launches (summed over devices)."""
    transfer_seconds: float
    """Backend "cuda": time moving frames, tables and lane records."""


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """What run_batch returns: a LaneResult per lane (in lane order) and the BatchStats. It is
    also a sequence of its lanes: len(r), r[i], iteration."""

    lanes: List[LaneResult]
    stats: BatchStats

    def __len__(self) -> int:
        return len(self.lanes)

    def __getitem__(self, i: int) -> LaneResult:
        return self.lanes[i]

    def __iter__(self) -> Iterator[LaneResult]:
        return iter(self.lanes)


LaneInput = Union[LaneSpec, Mapping[str, object], Bytes]


def _stdin_bytes(name: str, data: object) -> bytes:
    if isinstance(data, str):
        raise TypeError(f"{name} must be bytes-like, not str (encode it first)")
    try:
        with memoryview(data) as view:  # type: ignore[arg-type]
            return view.tobytes()
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {type(data).__name__}") from None


_SPEC_KEYS = {f.name for f in dataclasses.fields(LaneSpec)}


def _lane_tuple(i: int, lane: object) -> tuple:
    name = f"lanes[{i}]"
    if isinstance(lane, (bytes, bytearray, memoryview)):
        return ([], _stdin_bytes(name, lane), "", [])
    if isinstance(lane, Mapping):
        unknown = set(lane) - _SPEC_KEYS
        if unknown:
            raise ValueError(
                f"{name} has unknown keys {sorted(map(str, unknown))} "
                f"(known: {', '.join(sorted(_SPEC_KEYS))})"
            )
        lane = LaneSpec(**lane)  # type: ignore[arg-type]
    if not isinstance(lane, LaneSpec):
        raise TypeError(
            f"{name} must be a LaneSpec, a dict with its keys or stdin bytes, "
            f"not {type(lane).__name__}"
        )
    path = "" if lane.stdin_path is None else _str_arg(f"{name}.stdin_path", lane.stdin_path)
    if lane.stdin_path is not None and not path:
        raise ValueError(f"{name}.stdin_path is empty")
    stdin = _stdin_bytes(f"{name}.stdin", lane.stdin)
    if path and stdin:
        raise ValueError(f"{name} has both stdin and stdin_path")
    env = [] if lane.env is None else _env_entries(f"{name}.env", lane.env)
    return (_str_list(f"{name}.args", lane.args), stdin, path, env)


def run_batch(
    path: StrPath,
    lanes: Union[None, int, Sequence[LaneInput]] = None,
    args: Sequence[str] = (),
    env: Optional[Mapping[str, str]] = None,
    backend: str = "auto",
    max_instructions: int = 0,
    timeout_seconds: float = 0.0,
    threads: int = 0,
    root: Optional[StrPath] = None,
    *,
    rw: Sequence[StrPath] = (),
    lane_memory_limit: int = DEFAULT_BATCH_LANE_MEMORY_LIMIT,
    devices: Sequence[int] = (),
) -> BatchResult:
    """Runs the static AArch64 Linux program at path (a host path) once per lane, each lane
    its own process, and returns every lane's result.

    lanes: the lanes' inputs, one entry per lane: a LaneSpec(args, stdin, stdin_path, env),
    a dict with those keys, or bytes (the lane's stdin); an int N: N lanes with no input of
    their own; None: one lane.
    args: arguments every lane gets first (argv[0] is path); a lane's own args follow.
    env: the environment of every lane as a mapping (None: this process's os.environ); a
    lane's env adds to it or replaces entries (the lane's own variables come last).
    backend: "auto" (the best backend available), "cpu" (lanes on host threads; threads: how
    many, 0 one per CPU) or "cuda".
    max_instructions: per lane (exit status 124 past it); timeout_seconds: for the whole
    batch (lanes that ended before it keep their results; lanes still running or blocked end
    with 124 within 100 ms of it); 0 means no limit.
    root: the host directory the lanes see as "/" (default "/", read-only); rw: host
    directories below which they may write.
    lane_memory_limit: bytes of pages one lane may own (write); past it the lane ends with
    137, "out-of-memory".
    devices: backend "cuda": the CUDA devices the lanes are sharded over (empty: every
    visible one; a device named twice runs two shards).

    Returns a BatchResult: lanes (a LaneResult each: exit_status, stdout, stderr,
    instructions, syscalls, end, signal, peak_memory, description) and stats (BatchStats).
    Each lane's exit status, stdout and stderr are what kvrm.run gives for the same input.
    Raises ExecError (status 127 or 126) when the program is missing or not a static AArch64
    executable, CudaUnavailableError for backend="cuda" without a usable GPU, KvrmError when
    the engine cannot run the batch, ValueError/TypeError for bad arguments.
    """
    program = _str_arg("path", path)
    if lanes is None:
        specs = [([], b"", "", [])]
    elif isinstance(lanes, int) and not isinstance(lanes, bool):
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, not {lanes}")
        specs = [([], b"", "", []) for _ in range(lanes)]
    elif isinstance(lanes, (str, bytes, bytearray, memoryview, Mapping, LaneSpec)):
        raise TypeError("lanes must be a list with one entry per lane, an int or None")
    else:
        try:
            items = list(lanes)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                f"lanes must be a list, an int or None, not {type(lanes).__name__}"
            ) from None
        if not items:
            raise ValueError("lanes is empty: a batch needs at least one lane")
        specs = [_lane_tuple(i, lane) for i, lane in enumerate(items)]
    if len(specs) >= 1 << 31:
        raise ValueError("too many lanes")
    environment = os.environ if env is None else env
    envp = _env_entries("env", environment)
    if backend not in BACKENDS:
        raise ValueError(
            f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}"
        )
    limit = _int("max_instructions", max_instructions)
    if not 0 <= limit < (1 << 64):
        raise ValueError(f"max_instructions must be 0 (no limit) or positive, not {limit}")
    timeout = float(timeout_seconds)
    if not timeout >= 0:
        raise ValueError(f"timeout_seconds must be 0 (none) or positive, not {timeout_seconds!r}")
    nthreads = _int("threads", threads)
    if not 0 <= nthreads < (1 << 16):
        raise ValueError(f"threads must be 0 (one per CPU) or positive, not {nthreads}")
    memory = _int("lane_memory_limit", lane_memory_limit)
    if not 4096 <= memory < (1 << 64):
        raise ValueError(f"lane_memory_limit must be at least 4096 bytes, not {memory}")
    device_list = [_int("devices", d) for d in devices]
    if any(d < 0 or d >= (1 << 31) for d in device_list):
        raise ValueError(f"devices are CUDA device numbers (0, 1, ...), not {list(devices)}")
    out = _kvrm.run_batch(
        path=program,
        args=_str_list("args", args),
        envp=envp,
        lanes=specs,
        backend=backend,
        threads=nthreads,
        root="/" if root is None else _str_arg("root", root),
        rw_dirs=_str_list("rw", rw),
        max_instructions=limit,
        timeout_seconds=timeout,
        lane_memory_limit=memory,
        devices=device_list,
    )
    s = out.stats
    stats = BatchStats(
        lanes=s.lanes,
        instructions=s.instructions,
        syscalls=s.syscalls,
        elapsed_seconds=s.elapsed_seconds,
        ips=s.ips,
        backend=s.backend,
        threads=s.threads,
        schedule=s.schedule,
        rounds=s.rounds,
        cow_copies=s.cow_copies,
        peak_resident_lanes=s.peak_resident_lanes,
        peak_pool_bytes=s.peak_pool_bytes,
        image_bytes=s.image_bytes,
        execute_seconds=s.execute_seconds,
        service_seconds=s.service_seconds,
        kernel_seconds=s.kernel_seconds,
        transfer_seconds=s.transfer_seconds,
    )
    results = [
        LaneResult(
            exit_status=r.exit_status,
            stdout=r.stdout,
            stderr=r.stderr,
            instructions=r.instructions,
            syscalls=r.syscalls,
            end=r.end,
            signal=r.signal,
            peak_memory=r.peak_memory,
            description=r.description,
        )
        for r in out.lanes
    ]
    return BatchResult(lanes=results, stats=stats)
