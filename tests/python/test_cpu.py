"""Tests of the seed's classes kvrm.CudaCPU and kvrm.ContinuousCudaCPU: every method, the
results, the errors, and the seed's own example. Each test taking `backend` runs on the
reference engine and, marked gpu, on the CUDA engine."""

import gc
import threading
import time

import pytest

import a64
import kvrm

MB = 1024 * 1024


def words(*ws):
    return b"".join(w.to_bytes(4, "little") for w in ws)


def cpu_with(backend, program, memory_size=64 * 1024, cls=kvrm.ContinuousCudaCPU, **kw):
    cpu = cls(memory_size=memory_size, backend=backend, **kw)
    cpu.load_program(program)
    cpu.set_pc(0)
    return cpu


# ---- the seed's example ------------------------------------------------------------------------


def test_seed_example(backend, capsys):
    # The seed's "API Reference" (continuous-gpu-execution.md) with CUDA in place of Metal, on
    # its tight loop (ADD + B). The reference engine runs the seed's own budgets (2 x 100 M
    # instructions); the CUDA engine, a few M IPS today, runs a tenth and a fiftieth of them.
    full = backend == "cpu"
    cycles_per_batch = 10_000_000 if full else 1_000_000
    mega_cycles = 100_000_000 if full else 2_000_000
    program_bytes = words(*a64.ADD_B)

    cpu = kvrm.ContinuousCudaCPU(
        memory_size=4 * 1024 * 1024,  # 4MB default
        cycles_per_batch=cycles_per_batch,  # 10M cycles per batch
        backend=backend,
    )
    cpu.load_program(program_bytes, address=0)
    cpu.set_pc(0)
    result = cpu.execute_continuous(max_batches=10, timeout_seconds=60.0)
    print(f"Cycles: {result.total_cycles:,}")
    print(f"IPS: {result.ips:,.0f}")
    print(f"Signal: {result.signal_name}")

    assert result.total_cycles == 10 * cycles_per_batch
    assert result.batch_count == 10
    assert result.signal == kvrm.Signal.CHECKPOINT
    assert result.signal_name == "CHECKPOINT"
    assert result.final_pc == 0  # an even number of instructions: next is the ADD again
    assert result.elapsed_seconds > 0 and result.ips > 0
    assert result.ips == pytest.approx(result.total_cycles / result.elapsed_seconds)
    assert cpu.get_register(0) == result.total_cycles // 2
    out = capsys.readouterr().out
    assert f"Cycles: {10 * cycles_per_batch:,}\n" in out and "Signal: CHECKPOINT\n" in out

    result = cpu.execute_mega(total_cycles=mega_cycles)
    assert result.total_cycles == mega_cycles
    assert result.batch_count == 1
    assert result.signal_name == "CHECKPOINT"
    assert cpu.get_register(0) == (10 * cycles_per_batch + mega_cycles) // 2


def test_seed_store_loop(backend):
    # The seed's second loop: ADD + STR + B, storing X0 to [X1] every round.
    cpu = cpu_with(backend, words(*a64.ADD_STR_B), cycles_per_batch=3000)
    cpu.set_register(1, 0x8000)
    r = cpu.execute_continuous(max_batches=4)
    assert (r.total_cycles, r.batch_count, r.signal) == (12000, 4, kvrm.Signal.CHECKPOINT)
    assert cpu.get_register(0) == 4000
    assert cpu.read_memory(0x8000, 8) == (4000).to_bytes(8, "little")
    r = cpu.execute_mega(total_cycles=300)
    assert (r.total_cycles, r.batch_count) == (300, 1)
    assert int.from_bytes(cpu.read_memory(0x8000, 8), "little") == 4100


# ---- stops and results -------------------------------------------------------------------------


def test_execute_halt(backend):
    cpu = cpu_with(backend, words(a64.movz(0, 42), a64.hlt(7)), cls=kvrm.CudaCPU)
    r = cpu.execute(1000)
    assert isinstance(r, kvrm.ExecuteResult)
    assert r.stop_reason is kvrm.Signal.HALT and r.stop_reason_name == "HALT"
    assert r.cycles == 1  # the HLT itself does not retire
    assert r.final_pc == 4 == cpu.get_pc()
    assert r.info.imm16 == 7
    assert r.description == "HALT #0x7 at pc 0x4"
    assert r.elapsed_seconds >= 0 and r.ips >= 0
    assert cpu.get_register(0) == 42


def test_execute_checkpoint_and_resume(backend):
    cpu = cpu_with(backend, words(*a64.ADD_B), cls=kvrm.CudaCPU)
    r = cpu.execute(1001)
    assert (r.stop_reason, r.cycles, r.final_pc) == (kvrm.Signal.CHECKPOINT, 1001, 4)
    r = cpu.execute(1)
    assert (r.cycles, r.final_pc) == (1, 0)
    assert cpu.get_register(0) == 501


def test_syscall_resumes_after_svc(backend):
    prog = words(a64.movz(8, 93), a64.svc(0x2A), a64.movz(0, 5), a64.hlt())
    cpu = cpu_with(backend, prog)
    r = cpu.execute_continuous(max_batches=5)
    assert (r.signal, r.signal_name, r.batch_count) == (kvrm.Signal.SYSCALL, "SYSCALL", 1)
    assert r.total_cycles == 2  # the SVC counts
    assert r.final_pc == 8  # after the SVC
    assert r.info.imm16 == 0x2A
    assert cpu.get_register(8) == 93
    r = cpu.execute_mega()
    assert (r.signal, r.total_cycles, r.final_pc) == (kvrm.Signal.HALT, 1, 12)
    assert cpu.get_register(0) == 5


def test_breakpoint(backend):
    cpu = cpu_with(backend, words(a64.brk(3)))
    r = cpu.execute_mega(100)
    assert (r.signal, r.signal_name, r.final_pc, r.info.imm16) == (
        kvrm.Signal.BREAKPOINT, "BREAKPOINT", 0, 3)


def test_undefined(backend):
    cpu = cpu_with(backend, words(a64.add_imm(0, 0, 1), a64.UDF))
    r = cpu.execute(100)
    assert (r.stop_reason, r.final_pc, r.cycles, r.info.insn) == (kvrm.Signal.UNDEFINED, 4, 1, 0)
    assert "UNDEFINED" in r.description


def test_fault_unmapped_read(backend):
    # ldr x2, [x1] with x1 just past the end of memory.
    cpu = cpu_with(backend, words(a64.ldr_x(2, 1)), memory_size=8192)
    cpu.set_register(1, 8192)
    r = cpu.execute(10)
    assert (r.stop_reason, r.stop_reason_name, r.final_pc, r.cycles) == (
        kvrm.Signal.FAULT, "FAULT", 0, 0)
    assert r.info.fault_addr == 8192
    assert r.info.access is kvrm.Access.READ
    assert r.info.cause is kvrm.FaultCause.UNMAPPED
    assert r.description == "FAULT: read of unmapped address 0x2000 at pc 0x0"


def test_fault_unmapped_write_continuous(backend):
    cpu = cpu_with(backend, words(a64.str_x(0, 1)), memory_size=8192)
    cpu.set_register(1, 1 << 40)
    r = cpu.execute_continuous(max_batches=3)
    assert (r.signal, r.batch_count, r.info.access, r.info.fault_addr) == (
        kvrm.Signal.FAULT, 1, kvrm.Access.WRITE, 1 << 40)


def test_continuous_stops_on_halt_in_a_later_batch(backend):
    # Count x0 down from 2500 in a loop, then HLT: 3 batches of 2000 instructions.
    prog = words(a64.sub_imm(0, 0, 1), a64.cbnz(0, -4), a64.hlt(1))
    cpu = cpu_with(backend, prog, cycles_per_batch=2000)
    cpu.set_register(0, 2500)
    r = cpu.execute_continuous(max_batches=100, timeout_seconds=60.0)
    assert (r.signal, r.batch_count, r.total_cycles, r.final_pc) == (kvrm.Signal.HALT, 3, 5000, 8)


def test_continuous_timeout():
    cpu = cpu_with("cpu", words(*a64.ADD_B), cycles_per_batch=1000)
    r = cpu.execute_continuous(max_batches=10**12, timeout_seconds=0.05)
    assert r.signal == kvrm.Signal.CHECKPOINT
    assert 1 <= r.batch_count < 10**12
    assert r.total_cycles == 1000 * r.batch_count
    assert r.elapsed_seconds >= 0.05


def test_continuous_timeout_stops_a_long_batch():
    # One batch would take days: the timeout stops it within 100 ms.
    cpu = cpu_with("cpu", words(*a64.ADD_B), cycles_per_batch=10**15)
    t0 = time.monotonic()
    r = cpu.execute_continuous(max_batches=3, timeout_seconds=0.2)
    assert time.monotonic() - t0 < 0.45
    assert r.signal == kvrm.Signal.CHECKPOINT and r.batch_count == 1
    assert 0 < r.total_cycles < 10**15


def test_huge_ranges_are_quick():
    # Far beyond the memory limit: refused at once; unmapping the whole address space costs
    # what is mapped.
    e = kvrm.reference_engine(memory_limit=16 * MB)
    t0 = time.monotonic()
    with pytest.raises(kvrm.KvrmError, match="out of guest memory"):
        e.map(0, 2**48, kvrm.PERM_RWX)
    e.map(0x10000, 0x2000, kvrm.PERM_RWX)
    e.unmap(0, 2**48)
    e.map(0x10000, 0x2000, kvrm.PERM_RWX)  # free again
    assert time.monotonic() - t0 < 0.5


def test_cycles_per_batch_property():
    cpu = kvrm.ContinuousCudaCPU(memory_size=4096, cycles_per_batch=7, backend="cpu")
    assert cpu.cycles_per_batch == 7
    cpu.cycles_per_batch = 11
    assert cpu.cycles_per_batch == 11
    with pytest.raises(ValueError):
        cpu.cycles_per_batch = 0
    with pytest.raises(ValueError):
        kvrm.ContinuousCudaCPU(cycles_per_batch=-1, backend="cpu")


def test_execute_argument_errors():
    cpu = kvrm.ContinuousCudaCPU(memory_size=4096, backend="cpu")
    for bad in (0, -5):
        with pytest.raises(ValueError):
            cpu.execute(bad)
        with pytest.raises(ValueError):
            cpu.execute_mega(bad)
        with pytest.raises(ValueError):
            cpu.execute_continuous(max_batches=bad)
        with pytest.raises(ValueError):
            cpu.execute_continuous(timeout_seconds=bad)
    with pytest.raises(ValueError):
        cpu.execute_continuous(timeout_seconds=float("nan"))
    with pytest.raises(TypeError):
        cpu.execute("100")
    with pytest.raises(TypeError):
        cpu.execute(1.5)


# ---- registers ---------------------------------------------------------------------------------


def test_registers_round_trip(backend):
    cpu = kvrm.CudaCPU(memory_size=4096, backend=backend)
    for n in range(31):
        cpu.set_register(n, (n + 1) * 0x0101010101010101)
    for n in range(31):
        assert cpu.get_register(n) == (n + 1) * 0x0101010101010101
    cpu.set_register(5, -1)
    assert cpu.get_register(5) == 2**64 - 1
    cpu.set_register(5, -(2**63))
    assert cpu.get_register(5) == 2**63
    cpu.set_register(6, 2**64 - 1)
    assert cpu.get_register(6) == 2**64 - 1


def test_register_errors():
    cpu = kvrm.CudaCPU(memory_size=4096, backend="cpu")
    for n in (31, 32, -1, 1000):
        with pytest.raises(IndexError, match="0-30"):
            cpu.get_register(n)
        with pytest.raises(IndexError):
            cpu.set_register(n, 0)
    for bad in ("1", 1.0, None, True):
        with pytest.raises(TypeError):
            cpu.get_register(bad)
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            cpu.set_register(0, bad)
    with pytest.raises(TypeError):
        cpu.set_register(0, "5")
    for n in (32, -1):
        with pytest.raises(IndexError, match="0-31"):
            cpu.get_vector(n)
        with pytest.raises(IndexError):
            cpu.set_vector(n, 0)
    with pytest.raises(ValueError):
        cpu.set_pc(-4)
    with pytest.raises(ValueError):
        cpu.set_nzcv(1)  # not a flag bit
    with pytest.raises(ValueError):
        cpu.set_fpcr(2**32)


def test_pc_sp_nzcv_and_system_registers(backend):
    # subs x0, x0, #1 with x0 = 1 sets Z and C; mrs reads NZCV and TPIDR_EL0.
    prog = words(a64.subs_imm(0, 0, 1), a64.mrs_nzcv(1), a64.mrs_tpidr(2), a64.hlt())
    cpu = cpu_with(backend, prog, cls=kvrm.CudaCPU)
    cpu.set_register(0, 1)
    cpu.set_tpidr(0x1234_5678_9ABC)
    cpu.set_sp(0xF000)
    r = cpu.execute(100)
    assert r.stop_reason == kvrm.Signal.HALT
    assert cpu.get_nzcv() == 0x6000_0000
    assert cpu.get_register(1) == 0x6000_0000
    assert cpu.get_register(2) == 0x1234_5678_9ABC == cpu.get_tpidr()
    assert cpu.get_sp() == 0xF000
    assert cpu.get_pc() == 12
    cpu.set_nzcv(0x9000_0000)
    assert cpu.get_nzcv() == 0x9000_0000
    cpu.set_fpcr(0x0340_0000)  # AHP, DN, FZ... as bits
    cpu.set_fpsr(0x8000_0001)
    assert (cpu.get_fpcr(), cpu.get_fpsr()) == (0x0340_0000, 0x8000_0001)
    cpu.set_pc(0x100)
    assert cpu.get_pc() == 0x100


def test_vector_registers(backend):
    prog = words(a64.add_v2d(0, 1, 2), a64.hlt())
    cpu = cpu_with(backend, prog, cls=kvrm.CudaCPU)
    cpu.set_vector(1, bytes(range(16)))
    cpu.set_vector(2, (5 << 64) | 7)
    assert cpu.get_vector(1) == bytes(range(16))
    assert cpu.get_vector_int(2) == (5 << 64) | 7
    assert cpu.execute(10).stop_reason == kvrm.Signal.HALT
    lo = int.from_bytes(bytes(range(8)), "little") + 7
    hi = int.from_bytes(bytes(range(8, 16)), "little") + 5
    assert cpu.get_vector_int(0) == (hi << 64) | lo
    assert cpu.get_vector(0) == lo.to_bytes(8, "little") + hi.to_bytes(8, "little")
    cpu.set_vector(31, bytearray(b"\xff" * 16))
    assert cpu.get_vector_int(31) == 2**128 - 1
    with pytest.raises(ValueError):
        cpu.set_vector(0, b"short")
    with pytest.raises(ValueError):
        cpu.set_vector(0, 2**128)
    with pytest.raises(ValueError):
        cpu.set_vector(0, -1)
    with pytest.raises(TypeError):
        cpu.set_vector(0, "0123456789abcdef")


def test_state_snapshot(backend):
    cpu = kvrm.CudaCPU(memory_size=4096, backend=backend)
    cpu.set_register(3, 33)
    s = cpu.get_state()
    assert isinstance(s, kvrm.CoreState)
    assert s.x[3] == 33 and len(s.x) == 32 and len(s.v) == 32
    s.x[4] = 44
    s.sp = 0x800
    s.pc = 0x40
    s.v[2] = b"\x01" * 16
    cpu.set_state(s)
    assert (cpu.get_register(4), cpu.get_sp(), cpu.get_pc()) == (44, 0x800, 0x40)
    assert cpu.get_vector(2) == b"\x01" * 16
    assert cpu.get_state() == s
    t = s.copy()
    t.x[0] = 1
    assert t != s and s.x[0] == 0
    assert s.x.tolist()[3:5] == [33, 44]


def test_state_buffers_without_numpy():
    s = kvrm.CoreState()
    x = memoryview(s.x)
    assert (x.format, x.shape, x.itemsize, x.readonly) == ("Q", (32,), 8, False)
    x[7] = 0xDEAD
    assert s.x[7] == 0xDEAD  # the same memory, not a copy
    s.x[8] = 5
    assert x[8] == 5
    v = memoryview(s.v)
    assert (v.format, v.shape) == ("B", (32, 16))
    v[1, 0] = 0xAB
    assert s.v[1][0] == 0xAB
    # The view keeps its CoreState alive.
    del s
    gc.collect()
    assert x[7] == 0xDEAD and v[1, 0] == 0xAB
    with pytest.raises(IndexError):
        kvrm.CoreState().x[32]
    assert kvrm.CoreState().x[-1] == 0  # SP


def test_numpy_views():
    np = pytest.importorskip("numpy")
    cpu = kvrm.CudaCPU(memory_size=8192, backend="cpu")
    cpu.set_register(2, 222)
    s = cpu.get_state()
    x = np.asarray(s.x)
    assert x.dtype == np.uint64 and x.shape == (32,) and x[2] == 222
    x[3] = 333  # writes the snapshot in place
    assert s.x[3] == 333
    v = np.asarray(s.v)
    assert v.dtype == np.uint8 and v.shape == (32, 16)
    v[4, :] = 9
    cpu.set_state(s)
    assert cpu.get_register(3) == 333 and cpu.get_vector(4) == b"\x09" * 16
    # Memory in and out of numpy arrays, without intermediate bytes objects.
    data = np.arange(256, dtype=np.uint32)
    cpu.write_memory(0x100, data)
    out = np.zeros(256, dtype=np.uint32)
    cpu.read_memory_into(0x100, out)
    assert (out == data).all()
    cpu.load_program(np.array(a64.ADD_B, dtype=np.uint32), address=0x1000)
    assert cpu.read_memory(0x1000, 8) == words(*a64.ADD_B)
    column = np.zeros((4, 4), dtype=np.uint8)[:, 1]  # not contiguous
    with pytest.raises(ValueError, match="contiguous"):
        cpu.read_memory_into(0, column)
    with pytest.raises(ValueError, match="contiguous"):
        cpu.write_memory(0, column)


# ---- memory and programs -----------------------------------------------------------------------


def test_memory_read_write(backend):
    cpu = kvrm.CudaCPU(memory_size=3 * 4096, backend=backend)
    assert cpu.memory_size == 3 * 4096
    assert cpu.read_memory(0, 16) == bytes(16)
    cpu.write_memory(4090, b"across a page")
    assert cpu.read_memory(4090, 13) == b"across a page"
    cpu.write_memory(0, bytearray(b"abc"))
    cpu.write_memory(3, memoryview(b"defg")[1:])
    assert cpu.read_memory(0, 6) == b"abcefg"
    buf = bytearray(6)
    cpu.read_memory_into(0, buf)
    assert buf == b"abcefg"
    assert cpu.read_memory(12 * 1024 - 1, 1) == b"\x00"
    assert cpu.read_memory(5, 0) == b""


def test_memory_errors():
    cpu = kvrm.CudaCPU(memory_size=8192, backend="cpu")
    with pytest.raises(kvrm.KvrmError, match="not mapped"):
        cpu.read_memory(8192, 1)
    with pytest.raises(kvrm.KvrmError, match="not mapped"):
        cpu.read_memory(8190, 4)  # runs off the end
    with pytest.raises(kvrm.KvrmError, match="not mapped"):
        cpu.read_memory(0, 1 << 40)  # refused before allocating
    with pytest.raises(kvrm.KvrmError, match="not mapped"):
        cpu.write_memory(1 << 47, b"x")
    with pytest.raises(kvrm.KvrmError):
        cpu.read_memory_into(8000, bytearray(1000))
    with pytest.raises(RuntimeError):  # KvrmError is a RuntimeError
        cpu.read_memory(2**64 - 1, 1)
    with pytest.raises(ValueError):
        cpu.read_memory(-1, 1)
    with pytest.raises(ValueError):
        cpu.read_memory(0, -1)
    with pytest.raises(TypeError):
        cpu.write_memory(0, "text")
    with pytest.raises(TypeError):
        cpu.write_memory(0, [1, 2, 3])
    with pytest.raises(BufferError):
        cpu.read_memory_into(0, b"read-only")


def test_load_program_forms(backend):
    cpu = kvrm.ContinuousCudaCPU(memory_size=8192, backend=backend)
    assert cpu.load_program(a64.ADD_B) == 8  # list of words
    assert cpu.read_memory(0, 8) == words(*a64.ADD_B)
    assert cpu.load_program(tuple(a64.ADD_B), address=0x100) == 8
    assert cpu.load_program(bytearray(words(a64.hlt(9))), address=0x200) == 4
    assert cpu.load_program(iter([a64.hlt(9)]), address=0x300) == 4
    assert cpu.load_program(b"", address=8192) == 0
    cpu.set_pc(0x300)
    assert cpu.get_pc() == 0x300  # load_program leaves the PC alone
    r = cpu.execute_mega(10)
    assert (r.signal, r.info.imm16, r.final_pc) == (kvrm.Signal.HALT, 9, 0x300)


def test_load_program_errors():
    cpu = kvrm.ContinuousCudaCPU(memory_size=8192, backend="cpu")
    with pytest.raises(ValueError, match="does not fit"):
        cpu.load_program(bytes(8193))
    with pytest.raises(ValueError, match="does not fit"):
        cpu.load_program([0] * 4, address=8192 - 12)
    with pytest.raises(ValueError, match="does not fit"):
        cpu.load_program(b"x", address=2**63)
    with pytest.raises(ValueError):
        cpu.load_program(b"x", address=-4)
    with pytest.raises(ValueError, match=r"program\[1\]"):
        cpu.load_program([0, 2**32])
    with pytest.raises(ValueError):
        cpu.load_program([-1])
    with pytest.raises(TypeError):
        cpu.load_program("add x0, x0, #1")
    with pytest.raises(TypeError):
        cpu.load_program([1.5])
    with pytest.raises(TypeError):
        cpu.load_program(42)
    assert cpu.read_memory(0, 16) == bytes(16)  # nothing was written


def test_reset(backend):
    cpu = cpu_with(backend, words(*a64.ADD_B), cycles_per_batch=100)
    cpu.set_vector(3, 2**100)
    cpu.set_nzcv(0x2000_0000)
    cpu.set_sp(0x100)
    cpu.execute_continuous(max_batches=2)
    cpu.reset()
    assert cpu.get_state() == kvrm.CoreState()
    assert cpu.read_memory(0, 8) == words(*a64.ADD_B)  # the program stays
    r = cpu.execute_continuous(max_batches=1)
    assert r.total_cycles == 100 and cpu.get_register(0) == 50
    cpu.reset(clear_memory=True)
    assert cpu.get_register(0) == 0
    assert cpu.read_memory(0, 8) == bytes(8)
    assert cpu.memory_size == 64 * 1024


# ---- construction and backends -----------------------------------------------------------------


def test_memory_size_validation():
    for bad in (0, -4096, 1000, 4097):
        with pytest.raises(ValueError, match="memory_size"):
            kvrm.CudaCPU(memory_size=bad, backend="cpu")
    with pytest.raises(TypeError):
        kvrm.CudaCPU(memory_size="4MB", backend="cpu")
    with pytest.raises(kvrm.KvrmError, match="limit"):
        kvrm.CudaCPU(memory_size=128 << 30, backend="cpu")  # over the 64 GiB limit
    cpu = kvrm.ContinuousCudaCPU(backend="cpu")
    assert cpu.memory_size == 4 * MB == kvrm.DEFAULT_MEMORY_SIZE
    assert cpu.cycles_per_batch == 10_000_000


def test_backend_selection():
    with pytest.raises(ValueError, match="backend"):
        kvrm.CudaCPU(backend="gpu")
    assert kvrm.CudaCPU(memory_size=4096, backend="cpu").backend == "cpu"
    auto = kvrm.ContinuousCudaCPU(memory_size=4096, backend="auto").backend
    assert auto == ("cuda" if kvrm.cuda_available() else "cpu")
    assert "backend='cpu'" in repr(kvrm.CudaCPU(memory_size=4096, backend="cpu"))


def test_cuda_without_gpu_is_a_clear_error():
    if kvrm.cuda_available():
        pytest.skip("a usable GPU is present")
    reason = kvrm.cuda_unavailable_reason()
    assert reason
    for make in (
        lambda: kvrm.ContinuousCudaCPU(),  # backend="cuda" is the default
        lambda: kvrm.CudaCPU(memory_size=4096, backend="cuda"),
        lambda: kvrm.cuda_engine(),
        lambda: kvrm.cuda_engine(jit_cache="off"),
        lambda: kvrm.make_engine("cuda"),
    ):
        with pytest.raises(kvrm.CudaUnavailableError, match="CUDA engine is not available") as e:
            make()
        assert reason in str(e.value)
        assert isinstance(e.value, kvrm.KvrmError) and isinstance(e.value, RuntimeError)


@pytest.mark.gpu
def test_cuda_and_cpu_end_in_identical_state(cuda):
    # A loop with loads, stores and vector arithmetic on both engines: same registers, memory.
    prog = words(
        a64.ldr_x(2, 1, 8),
        a64.add_imm(2, 2, 3),
        a64.str_x(2, 1, 8),
        a64.add_v2d(0, 0, 1),
        a64.subs_imm(0, 0, 1),
        a64.cbnz(0, -20),
        a64.hlt(2),
    )
    results = []
    for backend in ("cpu", "cuda"):
        cpu = cpu_with(backend, prog, cycles_per_batch=1000)
        cpu.set_register(0, 700)
        cpu.set_register(1, 0x4000)
        cpu.set_vector(1, 2**64 + 3)
        r = cpu.execute_continuous(max_batches=100)
        results.append((r.signal, r.total_cycles, r.batch_count, r.final_pc, cpu.get_state(),
                        cpu.read_memory(0x4000, 16)))
    assert results[0] == results[1]
    assert results[0][0] == kvrm.Signal.HALT


# ---- the engine underneath ---------------------------------------------------------------------


def test_engine_api(backend):
    e = kvrm.make_engine(backend, memory_limit=1 * MB)
    assert e.name == backend and repr(e) == f"<kvrm.Engine {backend}>"
    e.map(0x10000, 0x2000, kvrm.PERM_READ | kvrm.PERM_EXEC)
    assert e.is_mapped(0x10000, 0x2000) and not e.is_mapped(0x10000, 0x2001)
    assert not e.is_mapped(0)
    e.write_memory(0x10000, words(a64.movz(0, 7), a64.str_x(0, 1), a64.hlt()))
    e.pc = 0x10000
    e.set_reg(1, 0x11000)  # read-only: the store faults with PERMISSION
    r = e.execute(10)
    assert isinstance(r, kvrm.RunResult)
    assert (r.signal, r.signal_name, r.pc, r.cycles) == (kvrm.Signal.FAULT, "FAULT", 0x10004, 1)
    assert (r.info.access, r.info.cause, r.info.fault_addr) == (
        kvrm.Access.WRITE, kvrm.FaultCause.PERMISSION, 0x11000)
    assert "protected" in r.description and "RunResult(FAULT" in repr(r)
    e.protect(0x11000, 0x1000, kvrm.PERM_READ | kvrm.PERM_WRITE)
    r = e.execute(10)
    assert (r.signal, e.reg(0), e.read_memory(0x11000, 8)) == (
        kvrm.Signal.HALT, 7, (7).to_bytes(8, "little"))
    # Fetch from a page without execute permission.
    e.pc = 0x11000
    r = e.execute(10)
    assert (r.signal, r.info.access, r.info.cause) == (
        kvrm.Signal.FAULT, kvrm.Access.FETCH, kvrm.FaultCause.PERMISSION)
    r = e.execute_continuous(100, 3, 10.0)
    assert r.signal == kvrm.Signal.FAULT
    e.unmap(0x11000, 0x1000)
    assert not e.is_mapped(0x11000)
    s = e.state()
    s.x[31] = 0x99
    e.set_state(s)
    assert e.reg(31) == 0x99
    e.set_reg(31, 0x98)
    assert e.state().sp == 0x98
    with pytest.raises(IndexError, match="0-31"):
        e.reg(32)
    with pytest.raises(kvrm.KvrmError, match="page-aligned"):
        e.map(0x100, 0x1000)
    with pytest.raises(kvrm.KvrmError, match="already mapped"):
        e.map(0x10000, 0x1000)
    with pytest.raises(kvrm.KvrmError, match="not all of it is mapped"):
        e.protect(0x40000, 0x1000, kvrm.PERM_READ)
    with pytest.raises(kvrm.KvrmError, match="out of guest memory"):
        e.map(0x100000, 2 * MB)
    assert e.execute_mega(5).signal == kvrm.Signal.FAULT


def test_engine_shared_between_threads():
    # Two threads drive one engine; the engine's lock makes them take turns.
    cpu = cpu_with("cpu", words(*a64.ADD_B), cls=kvrm.CudaCPU)

    def work():
        for _ in range(200):
            cpu.execute(1000)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cpu.get_register(0) == 2 * 200 * 1000 // 2


def test_enums():
    assert [(s.name, int(s)) for s in kvrm.Signal] == [
        ("RUNNING", 0), ("HALT", 1), ("SYSCALL", 2), ("CHECKPOINT", 3), ("FAULT", 4),
        ("UNDEFINED", 5), ("BREAKPOINT", 6)]
    assert kvrm.Signal.HALT == 1 and kvrm.Signal(2) is kvrm.Signal.SYSCALL
    assert [a.name for a in kvrm.Access] == ["READ", "WRITE", "FETCH"]
    assert [c.name for c in kvrm.FaultCause] == ["NONE", "UNMAPPED", "PERMISSION", "ALIGNMENT"]
    assert kvrm.Signal.__module__ == "kvrm"


def test_help_shows_the_api():
    text = kvrm.__doc__ + kvrm.ContinuousCudaCPU.__doc__ + kvrm.Engine.__doc__
    assert "execute_continuous" in text and "reference engine" in text
    for cls in (kvrm.CudaCPU, kvrm.ContinuousCudaCPU, kvrm.Engine, kvrm.CoreState):
        for name in dir(cls):
            if not name.startswith("_"):
                assert getattr(cls, name).__doc__, f"{cls.__name__}.{name} has no docstring"
    for name in ("run", "make_engine", "reference_engine", "cuda_engine", "cuda_available"):
        assert getattr(kvrm, name).__doc__
