"""kvrm.run: an AArch64 Linux program (static, or dynamically linked with ld_prefix) run to
completion as a guest process (what `kvrm run` does), with its standard input given as bytes and
its standard output and error captured as bytes."""

from __future__ import annotations

import dataclasses
import os
from typing import Mapping, Optional, Sequence, Union

from . import _kvrm
from ._cpu import BACKENDS

StrPath = Union[str, "os.PathLike[str]"]


@dataclasses.dataclass(frozen=True)
class ProcessResult:
    """The result of kvrm.run."""

    exit_status: int
    """The guest's exit status; 128+signal when it died of a fault (139 SIGSEGV, 135 SIGBUS,
    132 SIGILL, 133 SIGTRAP); 124 when max_instructions or the timeout ran out."""
    stdout: bytes
    """Everything the guest wrote to file descriptor 1."""
    stderr: bytes
    """Everything the guest wrote to file descriptor 2, and kvrm's own messages about the
    guest (fatal signal, instruction limit, timeout, strace lines)."""
    instructions: int
    """Guest instructions executed."""
    syscalls: int
    """System calls the guest made."""
    elapsed_seconds: float
    """Wall time of the run."""
    backend: str
    """The engine that ran it: "cuda" or "cpu"."""


def _str_arg(name: str, value: StrPath) -> str:
    """A string (or path) handed to the guest or the OS: NUL bytes cannot pass through."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    s = os.fspath(value)
    if not isinstance(s, str):
        raise TypeError(f"{name} must be a string, not {type(s).__name__}")
    if "\0" in s:
        raise ValueError(f"{name} contains a NUL byte: {s!r}")
    return s


def _str_list(name: str, values: Sequence[StrPath]) -> list:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, not a single string")
    return [_str_arg(f"{name}[{i}]", v) for i, v in enumerate(values)]


def _env_entries(name: str, env: Mapping[str, str]) -> list:
    """VAR=VALUE entries of a mapping of str to str (ValueError for a name with "=" or NUL)."""
    if not isinstance(env, Mapping):
        raise TypeError(f"{name} must be a mapping of names to values, not {type(env).__name__}")
    out = []
    for k, v in env.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{name} must map str to str, not {k!r}: {v!r}")
        if not k or "=" in k or "\0" in k or "\0" in v:
            raise ValueError(f"{name}: {k!r} is not a valid environment variable name")
        out.append(f"{k}={v}")
    return out


def run(
    path: StrPath,
    args: Sequence[str] = (),
    stdin: Union[bytes, bytearray, memoryview] = b"",
    env: Optional[Mapping[str, str]] = None,
    backend: str = "auto",
    root: Optional[StrPath] = None,
    *,
    rw: Sequence[StrPath] = (),
    ld_prefix: Optional[StrPath] = None,
    max_instructions: int = 0,
    timeout_seconds: float = 0.0,
    strace: bool = False,
) -> ProcessResult:
    """Runs the AArch64 Linux program at path (a host path) with arguments args.

    stdin: the bytes the guest reads from file descriptor 0 (then end of file).
    env: the guest's environment as a mapping; None passes this process's os.environ.
    backend: "auto" (the GPU when usable), "cuda" or "cpu".
    root: the host directory the guest sees as "/" (default "/", read-only); rw: host
    directories below which the guest may write.
    ld_prefix: a target sysroot, as `kvrm run -L`: absolute guest paths name its files first, so
    a dynamically linked program finds its interpreter and libraries there (default: none).
    max_instructions / timeout_seconds: stop the guest (exit status 124) after that many
    instructions or seconds; 0 means no limit.
    strace: one line per syscall, appended to the captured stderr.

    Returns a ProcessResult (exit status, stdout, stderr, instruction count). Raises ExecError
    (a KvrmError; its status is 127 or 126) when the program is missing or not a static
    AArch64 executable or its interpreter is not found, CudaUnavailableError for
    backend="cuda" without a usable GPU.
    """
    program = _str_arg("path", path)
    argv = [program] + _str_list("args", args)
    if isinstance(stdin, str):
        raise TypeError("stdin must be bytes-like, not str (encode it first)")
    with memoryview(stdin) as view:
        stdin_bytes = view.tobytes()
    environment = os.environ if env is None else env
    envp = _env_entries("env", environment)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}")
    if isinstance(max_instructions, bool) or not isinstance(max_instructions, int):
        raise TypeError("max_instructions must be an int")
    if not 0 <= max_instructions < (1 << 64):
        raise ValueError(f"max_instructions must be 0 (no limit) or positive, not {max_instructions}")
    timeout = float(timeout_seconds)
    if not timeout >= 0:
        raise ValueError(f"timeout_seconds must be 0 (none) or positive, not {timeout_seconds!r}")
    r = _kvrm.run_process(
        path=program,
        argv=argv,
        envp=envp,
        stdin=stdin_bytes,
        backend=backend,
        root="/" if root is None else _str_arg("root", root),
        rw_dirs=_str_list("rw", rw),
        ld_prefix="" if ld_prefix is None else _str_arg("ld_prefix", ld_prefix),
        max_instructions=max_instructions,
        timeout_seconds=timeout,
        strace=bool(strace),
    )
    return ProcessResult(
        exit_status=r.exit_status,
        stdout=r.stdout,
        stderr=r.stderr,
        instructions=r.instructions,
        syscalls=r.syscalls,
        elapsed_seconds=r.elapsed_seconds,
        backend=r.backend,
    )
