"""Tests of kvrm.run: a static AArch64 Linux program (guest_echo.c, built at test time with
aarch64-linux-gnu-gcc -static; skipped without the cross compiler) with stdin as bytes and its
stdout, stderr, exit status and instruction count captured."""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

import kvrm

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def guest(tmp_path_factory):
    prebuilt = os.environ.get("KVRM_GUEST_ECHO")  # built elsewhere (the GPU machine has no cc)
    if prebuilt:
        return Path(prebuilt)
    cc = os.environ.get("KVRM_AARCH64_CC") or shutil.which("aarch64-linux-gnu-gcc")
    if not cc:
        pytest.skip("aarch64-linux-gnu-gcc not found (Debian: gcc-aarch64-linux-gnu)")
    out = tmp_path_factory.mktemp("guest") / "guest_echo"
    subprocess.run([cc, "-static", "-O1", "-Wall", "-o", str(out), str(HERE / "guest_echo.c")],
                   check=True)
    return out


def test_run_captures_everything(guest, backend):
    r = kvrm.run(str(guest), ["7", "two words", ""], stdin=b"hello\nworld",
                 env={"KVRM_PY_VAR": "set"}, backend=backend)
    assert isinstance(r, kvrm.ProcessResult)
    assert r.exit_status == 7
    assert r.stdout == (b"HELLO\nWORLDread 11\narg1=7\narg2=two words\narg3=\n"
                        b"KVRM_PY_VAR=set\n")
    assert r.stderr == b"to stderr\n"
    assert r.instructions > 1000 and r.syscalls > 3
    assert r.elapsed_seconds > 0
    assert r.backend == backend


def test_run_defaults(guest, monkeypatch):
    monkeypatch.setenv("KVRM_PY_VAR", "inherited")
    r = kvrm.run(Path(guest))  # env=None: this process's environment; no stdin
    assert (r.exit_status, r.stderr) == (0, b"to stderr\n")
    assert r.stdout == b"read 0\nKVRM_PY_VAR=inherited\n"
    assert r.backend == ("cuda" if kvrm.cuda_available() else "cpu")
    r = kvrm.run(guest, env={}, backend="cpu", stdin=bytearray(b"x"))
    assert r.stdout == b"Xread 1\nKVRM_PY_VAR=(unset)\n"


def test_run_fatal_signal(guest):
    r = kvrm.run(guest, ["segv"], backend="cpu")
    assert r.exit_status == 139
    assert r.stdout == b"read 0\narg1=segv\nKVRM_PY_VAR=(unset)\n"  # flushed before the fault
    assert r.stderr.startswith(b"to stderr\nkvrm: uncaught target signal 11 (")


def test_run_limits(guest):
    r = kvrm.run(guest, ["loop"], backend="cpu", env={}, max_instructions=200_000)
    assert r.exit_status == 124
    assert 200_000 <= r.instructions <= 200_100
    assert b"kvrm: instruction limit (200000) reached" in r.stderr
    r = kvrm.run(guest, ["loop"], backend="cpu", env={}, timeout_seconds=0.2)
    assert r.exit_status == 124 and b"kvrm: timeout" in r.stderr


def test_run_timeout_ends_blocking_syscalls(guest, tmp_path):
    # A 20 s nanosleep and a read of a FIFO whose writer (this test) stays silent: the timeout
    # ends both within 100 ms.
    t0 = time.monotonic()
    r = kvrm.run(guest, ["sleep"], backend="cpu", env={}, timeout_seconds=0.3)
    assert r.exit_status == 124 and b"kvrm: timeout (0.3 s) reached" in r.stderr
    assert time.monotonic() - t0 < 0.6
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # holds the FIFO open, writes nothing
    try:
        t0 = time.monotonic()
        r = kvrm.run(guest, ["read", str(fifo)], backend="cpu", env={}, timeout_seconds=0.3)
        assert r.exit_status == 124 and b"kvrm: timeout" in r.stderr
        assert time.monotonic() - t0 < 0.6
    finally:
        os.close(writer)


def test_run_sandbox(guest, tmp_path):
    (tmp_path / "data.txt").write_bytes(b"inside the root\n")
    r = kvrm.run(guest, ["cat", "/data.txt"], backend="cpu", env={}, root=tmp_path)
    assert (r.exit_status, r.stdout.splitlines()[-1]) == (0, b"inside the root")
    target = tmp_path / "out.txt"
    r = kvrm.run(guest, ["write", str(target)], backend="cpu", env={})
    assert r.exit_status == 2 and r.stdout.endswith(b"cannot create: errno 30\n")  # EROFS
    assert not target.exists()
    r = kvrm.run(guest, ["write", str(target)], backend="cpu", env={}, rw=[tmp_path])
    assert r.exit_status == 0
    assert target.read_bytes() == b"written by the guest\n"


def test_run_strace(guest):
    r = kvrm.run(guest, ["3"], backend="cpu", env={}, strace=True)
    assert r.exit_status == 3
    assert b" write(2,0x" in r.stderr and r.stderr.endswith(b" exit_group(3)\n")


def test_run_cannot_start(guest, tmp_path):
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run(tmp_path / "missing", backend="cpu")
    assert e.value.status == 127 and isinstance(e.value, kvrm.KvrmError)
    text = tmp_path / "text"
    text.write_text("not a program\n")
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run(text, backend="cpu")
    assert e.value.status == 126
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run(tmp_path, backend="cpu")
    assert e.value.status == 126
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run("/bin/sh", backend="cpu")  # a host (x86-64) program
    assert e.value.status == 126


def test_run_dynamic_program(tmp_path):
    """guest_echo.c linked dynamically, run on the cross compiler's own glibc (its sysroot, as
    `qemu-aarch64 -L /usr/aarch64-linux-gnu` runs it); without the sysroot its interpreter is
    not found."""
    cc = os.environ.get("KVRM_AARCH64_CC") or shutil.which("aarch64-linux-gnu-gcc")
    sysroot = Path("/usr/aarch64-linux-gnu")
    if not cc or not (sysroot / "lib" / "ld-linux-aarch64.so.1").exists():
        pytest.skip("no aarch64-linux-gnu-gcc with its glibc in /usr/aarch64-linux-gnu")
    out = tmp_path / "guest_echo_dynamic"
    subprocess.run([cc, "-O1", "-Wall", "-o", str(out), str(HERE / "guest_echo.c")], check=True)
    r = kvrm.run(out, ["7"], stdin=b"hi", env={}, backend="cpu", ld_prefix=sysroot)
    assert (r.exit_status, r.stderr) == (7, b"to stderr\n")
    assert r.stdout == b"HIread 2\narg1=7\nKVRM_PY_VAR=(unset)\n"
    if not Path("/lib/ld-linux-aarch64.so.1").exists():  # an AArch64 host would have its own
        with pytest.raises(kvrm.ExecError) as e:
            kvrm.run(out, backend="cpu")
        assert e.value.status == 127 and "interpreter" in str(e.value)


def test_run_argument_errors(guest):
    with pytest.raises(TypeError, match="stdin"):
        kvrm.run(guest, stdin="text")
    with pytest.raises(TypeError, match="args"):
        kvrm.run(guest, "one")
    with pytest.raises(ValueError, match="backend"):
        kvrm.run(guest, backend="gpu")
    with pytest.raises(ValueError):
        kvrm.run(guest, max_instructions=-1)
    with pytest.raises(ValueError):
        kvrm.run(guest, timeout_seconds=-1)
    # Strings that reach the guest or the host's file system cannot hold NUL bytes.
    with pytest.raises(ValueError, match="NUL"):
        kvrm.run(guest, ["a\0b"], backend="cpu")
    with pytest.raises(ValueError, match="NUL"):
        kvrm.run(str(guest) + "\0x", backend="cpu")
    with pytest.raises(ValueError, match="NUL"):
        kvrm.run(guest, backend="cpu", root="/\0tmp")
    with pytest.raises(ValueError):
        kvrm.run(guest, env={"A": "x\0y"}, backend="cpu")
    with pytest.raises(ValueError):
        kvrm.run(guest, env={"A=B": "x"}, backend="cpu")
    with pytest.raises(TypeError):
        kvrm.run(guest, env={1: "x"}, backend="cpu")
    with pytest.raises(TypeError):
        kvrm.run(guest, env={"A": 1}, backend="cpu")
    with pytest.raises(TypeError):
        kvrm.run(guest, [1], backend="cpu")
    with pytest.raises(ValueError, match="NUL"):
        kvrm.run_batch(guest, [{"args": ["a\0"]}], backend="cpu")
    with pytest.raises(TypeError):
        kvrm.run_batch(guest, [{"env": {2: "x"}}], backend="cpu")
    if not kvrm.cuda_available():
        with pytest.raises(kvrm.CudaUnavailableError):
            kvrm.run(guest, backend="cuda")


def test_runs_on_several_threads(guest):
    # The GIL is released while a guest runs, and processes share no host state.
    results = {}

    def work(i):
        try:
            results[i] = kvrm.run(guest, [str(i)], stdin=b"t%d" % i, env={}, backend="cpu")
        except Exception as e:  # reported by the assertions below
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert isinstance(results[i], kvrm.ProcessResult), results[i]
        assert results[i].exit_status == i
        assert results[i].stdout.startswith(b"T%dread 2\n" % i)
