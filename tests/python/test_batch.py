"""Tests of the batch engine from Python: kvrm.ParallelCudaCPU (the seed's ParallelMetalCPU in
CUDA form: many lanes over one copy-on-write image, per-lane registers and results) and
kvrm.run_batch (a static Linux program as many processes, each lane checked against kvrm.run of
the same input; guest_echo.c built at test time, or $KVRM_GUEST_ECHO). Tests taking
`batch_backend` run on the host backend ("cpu") and, marked gpu, on the CUDA backend."""

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

import a64
import kvrm

HERE = Path(__file__).resolve().parent


@pytest.fixture
def batch_backend(backend):
    """"cpu", then "cuda" (marked gpu; skipped without a GPU, and while this build's batch
    engine has no CUDA backend)."""
    if backend == "cuda":
        try:
            kvrm.ParallelMachine(1, memory_size=4096, backend="cuda")
        except kvrm.KvrmError as e:
            if "not available yet" in str(e):
                pytest.skip(f"no CUDA batch backend: {e}")
            raise
    return backend


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


def lanes_for(backend):
    return 1024 if backend == "cpu" else 16384


def parallel(backend, lanes, program, **kw):
    cpu = kvrm.ParallelCudaCPU(lanes, memory_size=kw.pop("memory_size", 64 * 1024),
                               backend=backend, **kw)
    cpu.load_program(program)
    cpu.set_pc(0)
    return cpu


# ---- ParallelCudaCPU ----------------------------------------------------------------------------


def test_seed_loop_on_many_lanes(batch_backend):
    # The seed's tight loop (ADD + B) on every lane, each lane's X0 starting apart.
    n = lanes_for(batch_backend)
    cpu = parallel(batch_backend, n, a64.ADD_B)
    assert (cpu.num_lanes, cpu.backend) == (n, batch_backend)
    cpu.set_register_all(0, [1000 * i for i in range(n)])
    r = cpu.execute(2000)
    assert isinstance(r, kvrm.ParallelResult) and len(r) == n
    assert r.total_cycles == 2000 * n
    assert r.elapsed_seconds > 0 and r.ips == pytest.approx(r.total_cycles / r.elapsed_seconds)
    assert list(r.cycles) == [2000] * n
    assert set(r.signals) == {int(kvrm.Signal.CHECKPOINT)}
    assert set(r.pcs) == {0}
    lane = r[n - 1]
    assert isinstance(lane, kvrm.LaneRunResult)
    assert (lane.cycles, lane.signal, lane.signal_name, lane.pc) == (
        2000, kvrm.Signal.CHECKPOINT, "CHECKPOINT", 0)
    assert not lane.out_of_memory and lane.description == "CHECKPOINT at pc 0x0"
    assert r[-1].cycles == lane.cycles and len(r.lanes) == n
    with pytest.raises(IndexError):
        r[n]
    assert cpu.get_register_all(0) == [1000 * i + 1000 for i in range(n)]
    assert cpu.get_register(7, 0) == 8000
    assert cpu.get_pc() == [0] * n
    # Execution resumes where each lane stopped.
    r = cpu.execute(3)
    assert list(r.pcs) == [4] * n and cpu.get_register(7, 0) == 8002


def test_seed_store_loop_keeps_lanes_apart(batch_backend):
    # ADD + STR + B: every lane stores its X0 to the same address; each gets its own copy of
    # the page, the image (and so lanes' view of other pages) stays as loaded.
    n = 64
    cpu = parallel(batch_backend, n, a64.ADD_STR_B)
    cpu.set_register_all(0, [10 * i for i in range(n)])
    cpu.set_register_all(1, 0x8000)
    r = cpu.execute(300)
    assert set(r.signals) == {int(kvrm.Signal.CHECKPOINT)}
    for i in range(n):
        assert cpu.get_register(i, 0) == 10 * i + 100
        assert cpu.read_memory(0x8000, 8, lane=i) == (10 * i + 100).to_bytes(8, "little")
        assert cpu.read_memory(0x9000, 8, i) == bytes(8)
        assert cpu.lane_private_bytes(i) == 4096
    assert cpu.machine.image_bytes == 64 * 1024


def test_lanes_stop_alone(batch_backend):
    # Each lane counts its own X0 down to zero, then HLT #7: a lane's cycles follow its X0.
    # Lanes with other PCs hit UDF, BRK, SVC, an unmapped load, a store to a read-only page;
    # none of that stops the counting lanes.
    program = [
        a64.sub_imm(0, 0, 1),  # 0x00
        a64.cbnz(0, -4),  # 0x04
        a64.hlt(7),  # 0x08
        a64.UDF,  # 0x0c
        a64.brk(3),  # 0x10
        a64.svc(0x42),  # 0x14
        a64.ldr_x(2, 1),  # 0x18: ldr x2, [x1]
        a64.str_x(2, 1),  # 0x1c: str x2, [x1]
        a64.add_imm(0, 0, 1),  # 0x20: the seed's loop
        a64.b(-4),  # 0x24
    ]
    n = 40
    cpu = parallel(batch_backend, n, program)
    cpu.machine.protect(0xF000, 0x1000, kvrm.PERM_READ)
    for i in range(n):
        cpu.set_register(i, 0, i + 1)
    special = {3: 0x0C, 4: 0x10, 5: 0x14, 6: 0x18, 7: 0x1C, 8: 0x20}
    for lane, pc in special.items():
        cpu.set_pc(pc, lane=lane)
    cpu.set_register(6, 1, 0x40000000)  # unmapped
    cpu.set_register(7, 1, 0xF000)  # read-only
    assert cpu.get_pc(5) == 0x14
    r = cpu.execute(1000)
    for i in range(n):
        if i in special:
            continue
        assert (r[i].signal, r[i].cycles, r[i].pc) == (kvrm.Signal.HALT, 2 * (i + 1), 0x08), i
        assert r[i].info.imm16 == 7 and cpu.get_register(i, 0) == 0
    assert (r[3].signal, r[3].pc, r[3].cycles, r[3].info.insn) == (kvrm.Signal.UNDEFINED, 0x0C,
                                                                   0, a64.UDF)
    assert r[3].description == "UNDEFINED: instruction 0x00000000 at pc 0xc"
    assert (r[4].signal, r[4].pc, r[4].info.imm16) == (kvrm.Signal.BREAKPOINT, 0x10, 3)
    assert (r[5].signal, r[5].pc, r[5].cycles, r[5].info.imm16) == (kvrm.Signal.SYSCALL, 0x18,
                                                                    1, 0x42)
    f = r[6]
    assert (f.signal, f.pc, f.info.fault_addr, f.info.access, f.info.cause) == (
        kvrm.Signal.FAULT, 0x18, 0x40000000, kvrm.Access.READ, kvrm.FaultCause.UNMAPPED)
    f = r[7]
    assert (f.signal, f.pc, f.info.access, f.info.cause) == (
        kvrm.Signal.FAULT, 0x1C, kvrm.Access.WRITE, kvrm.FaultCause.PERMISSION)
    assert not f.out_of_memory
    assert (r[8].signal, r[8].cycles) == (kvrm.Signal.CHECKPOINT, 1000)
    assert r.total_cycles == sum(r.cycles) == sum(x.cycles for x in r.lanes)
    # The SVC lane goes on after its SVC: into the faulting load (X1 is 0 there: mapped).
    r = cpu.execute(1)
    assert (r[5].signal, r[5].pc) == (kvrm.Signal.CHECKPOINT, 0x1C)


def test_lane_memory_limit(batch_backend):
    # One page of its own per lane: lane 1 writes two pages, its second store stops it.
    program = [a64.str_x(0, 1), a64.str_x(0, 2), a64.hlt()]
    cpu = parallel(batch_backend, 3, program, lane_memory_limit=4096)
    cpu.set_register_all(1, 0x8000)
    cpu.set_register_all(2, [0x8008, 0x9000, 0x8010])
    r = cpu.execute(10)
    assert [x.signal for x in r] == [kvrm.Signal.HALT, kvrm.Signal.FAULT, kvrm.Signal.HALT]
    assert r[1].out_of_memory and r[1].pc == 4
    assert "memory limit" in r[1].description
    assert cpu.lane_private_bytes(1) == 4096


def test_memory_of_the_image_and_of_one_lane(batch_backend):
    cpu = parallel(batch_backend, 4, [a64.str_x(0, 1), a64.hlt()])
    cpu.set_register_all(1, 0x4000)
    cpu.set_register_all(0, 0x1111)
    cpu.set_register(2, 0, 0x2222)
    cpu.execute(10)  # every lane owns the page at 0x4000 now
    cpu.write_memory(0x5000, b"image")  # a page no lane wrote: every lane sees it
    cpu.write_memory(0x5000, b"lane3", lane=3)  # lane 3's own copy only
    assert [cpu.read_memory(0x5000, 5, i) for i in range(4)] == [b"image"] * 3 + [b"lane3"]
    cpu.write_memory(0x4008, b"all")  # lanes that own the page get it in their copy too
    for i in range(4):
        word = (0x2222 if i == 2 else 0x1111).to_bytes(8, "little")
        assert cpu.read_memory(0x4000, 11, i) == word + b"all"
    buf = bytearray(8)
    cpu.read_memory_into(0x4000, buf, 2)
    assert buf == (0x2222).to_bytes(8, "little")
    with pytest.raises(kvrm.KvrmError, match="not mapped|unmapped"):
        cpu.read_memory(0x10000, 4, 0)  # past memory_size
    with pytest.raises(kvrm.KvrmError):
        cpu.write_memory(0xFFFE, b"abcd")
    with pytest.raises(IndexError):
        cpu.read_memory(0, 4, 4)
    with pytest.raises(TypeError):
        cpu.write_memory(0, "text")


def test_registers_of_all_lanes_without_numpy(batch_backend):
    n = 5
    cpu = parallel(batch_backend, n, [a64.add_imm(3, 3, 1), a64.hlt()])
    regs = cpu.get_registers()
    assert regs.shape == (n, 32) and regs.format == "Q"
    cpu.set_register_all(3, [-1, 0, 1, 2, 3])  # negative: two's complement
    cpu.set_sp(0x7000)
    cpu.set_sp(0x6000, lane=4)
    cpu.set_register_all(30, 2**64 - 1)
    regs = cpu.get_registers()
    assert regs[0, 3] == 2**64 - 1 and regs[4, 3] == 3
    assert [row[31] for row in regs.tolist()] == [0x7000] * 4 + [0x6000]
    assert cpu.get_sp() == [0x7000] * 4 + [0x6000] and cpu.get_sp(4) == 0x6000
    assert cpu.get_register_all(30) == [2**64 - 1] * n
    cpu.execute(5)
    assert cpu.get_register_all(3) == [0, 1, 2, 3, 4]
    # set_registers takes the layout get_registers gives.
    regs = cpu.get_registers()
    assert regs[2, 3] == 2
    flat = regs.cast("B").cast("Q")
    copy = bytearray(flat.cast("B"))
    changed = memoryview(copy).cast("Q")
    changed[2 * 32 + 3] = 99
    cpu.set_registers(memoryview(copy).cast("Q", (n, 32)))
    assert cpu.get_register(2, 3) == 99 and cpu.get_register(1, 3) == 1
    assert cpu.get_state(2).x[3] == 99 and cpu.get_state(2).sp == 0x7000


def test_registers_as_numpy_arrays(batch_backend):
    np = pytest.importorskip("numpy")
    n = 256
    cpu = parallel(batch_backend, n, a64.ADD_B)
    cpu.set_register_all(0, np.arange(n, dtype=np.uint64) * 3)
    cpu.set_register_all(5, np.arange(n, dtype=np.int64) - 1)  # int64: two's complement
    cpu.execute(100)
    regs = np.asarray(cpu.get_registers())
    assert regs.dtype == np.uint64 and regs.shape == (n, 32)
    assert (regs[:, 0] == np.arange(n, dtype=np.uint64) * 3 + 50).all()
    assert regs[0, 5] == 2**64 - 1 and regs[9, 5] == 8
    regs[:, 0] = 7
    cpu.set_registers(regs)
    assert cpu.get_register_all(0) == [7] * n
    r = cpu.execute(2)
    assert (np.asarray(r.cycles) == 2).all() and np.asarray(r.signals).dtype == np.uint8
    cpu.set_register_all(1, np.arange(2 * n, dtype=np.uint64)[::2])  # strided: converted
    assert cpu.get_register(10, 1) == 20
    with pytest.raises(ValueError, match="one per lane"):
        cpu.set_register_all(1, np.zeros(n - 1, dtype=np.uint64))
    with pytest.raises(TypeError, match="64-bit"):
        cpu.set_registers(np.zeros((n, 32), dtype=np.uint32))
    with pytest.raises(ValueError, match="bytes"):
        cpu.set_registers(np.zeros((n, 31), dtype=np.uint64))


def test_state_and_reset(batch_backend):
    cpu = parallel(batch_backend, 3, [a64.str_x(0, 1), a64.hlt()])
    cpu.set_register_all(1, 0x3000)
    s = cpu.get_state(1)
    s.nzcv = 0x60000000
    s.x[0] = 5
    s.x[1] = 0x3000
    cpu.set_state(1, s)
    assert cpu.get_state(1) == s and cpu.get_state(0) != s
    assert cpu.execute(5)[1].signal == kvrm.Signal.HALT
    assert cpu.read_memory(0x3000, 1, 1) == b"\x05" and cpu.get_state(1).nzcv == 0x60000000
    cpu.reset()
    assert cpu.get_state(1) == kvrm.CoreState() and cpu.get_pc() == [0, 0, 0]
    assert cpu.read_memory(0x3000, 1, 1) == b"\x05"  # memory kept
    assert cpu.read_memory(0, 4, 0) != bytes(4)
    cpu.reset(clear_memory=True)
    assert cpu.read_memory(0x3000, 1, 1) == b"\x00" and cpu.read_memory(0, 8, 2) == bytes(8)
    assert cpu.lane_private_bytes(1) == 0


def test_parallel_argument_errors():
    with pytest.raises(ValueError, match="num_lanes"):
        kvrm.ParallelCudaCPU(0, backend="cpu")
    with pytest.raises(TypeError):
        kvrm.ParallelCudaCPU("8", backend="cpu")
    with pytest.raises(ValueError, match="backend"):
        kvrm.ParallelCudaCPU(8, backend="gpu")
    with pytest.raises(ValueError, match="multiple"):
        kvrm.ParallelCudaCPU(8, memory_size=1000, backend="cpu")
    with pytest.raises(ValueError, match="lane_memory_limit"):
        kvrm.ParallelCudaCPU(8, backend="cpu", lane_memory_limit=100)
    with pytest.raises(ValueError, match="devices"):
        kvrm.ParallelCudaCPU(8, backend="cpu", devices=[-1])
    with pytest.raises(ValueError, match="frame_layout"):
        kvrm.ParallelCudaCPU(8, backend="cpu", frame_layout="striped")
    cpu = kvrm.ParallelCudaCPU(8, memory_size=4096, backend="cpu", threads=2)
    with pytest.raises(ValueError, match="does not fit"):
        cpu.load_program(bytes(4100))
    with pytest.raises(TypeError):
        cpu.load_program("code")
    with pytest.raises(ValueError):
        cpu.load_program([2**32])
    assert cpu.load_program([a64.hlt()], address=4092) == 4
    with pytest.raises(IndexError, match="lane 8"):
        cpu.set_register(8, 0, 1)
    with pytest.raises(IndexError):
        cpu.get_register(-1, 0)
    with pytest.raises(IndexError, match="0-30"):
        cpu.set_register(0, 31, 1)
    with pytest.raises(TypeError):
        cpu.set_register(0, 0, 1.5)
    with pytest.raises(TypeError):
        cpu.set_register(True, 0, 1)
    with pytest.raises(ValueError):
        cpu.set_register(0, 0, 2**64)
    with pytest.raises(ValueError, match="one per lane"):
        cpu.set_register_all(0, [1, 2, 3])
    with pytest.raises(TypeError):
        cpu.set_register_all(0, b"\x00" * 64)
    with pytest.raises(TypeError):
        cpu.set_register_all(0, None)
    with pytest.raises(ValueError):
        cpu.set_pc(-4)
    with pytest.raises(IndexError):
        cpu.set_pc(0, lane=9)
    with pytest.raises(ValueError):
        cpu.execute(0)
    with pytest.raises(IndexError):
        cpu.machine.reg(0, 32)
    with pytest.raises(ValueError, match="bytes"):
        cpu.machine.set_reg_each(0, bytes(8))
    with pytest.raises(kvrm.KvrmError):
        cpu.machine.map(0x1001, 4096)  # not page-aligned
    assert "ParallelCudaCPU num_lanes=8 backend='cpu'" in repr(cpu)


def test_cuda_without_gpu_is_a_clear_error():
    if kvrm.cuda_available():
        pytest.skip("a GPU is usable here")
    with pytest.raises(kvrm.CudaUnavailableError, match="CUDA batch backend"):
        kvrm.ParallelCudaCPU(4)  # backend="cuda" is the default, as for CudaCPU
    with pytest.raises(kvrm.CudaUnavailableError):
        kvrm.ParallelMachine(4, backend="cuda")
    assert kvrm.ParallelCudaCPU(4, backend="auto").backend == "cpu"


def test_machines_run_on_several_threads():
    # execute releases the GIL; machines share no state.
    results = {}

    def work(i):
        try:
            cpu = parallel("cpu", 16, a64.ADD_B, threads=1)
            cpu.set_register_all(0, i)
            results[i] = (cpu.execute(10_000), cpu.get_register_all(0))
        except Exception as e:  # reported by the assertions below
            results[i] = e

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert isinstance(results[i], tuple), results[i]
        assert results[i][0].total_cycles == 160_000 and results[i][1] == [i + 5000] * 16


@pytest.mark.gpu
def test_cuda_and_cpu_lanes_agree(cuda):
    # The same mixed lanes on both backends end in the same per-lane results and registers.
    try:
        kvrm.ParallelMachine(1, memory_size=4096, backend="cuda")
    except kvrm.KvrmError as e:
        if "not available yet" in str(e):
            pytest.skip(f"no CUDA batch backend: {e}")
        raise
    program = [a64.sub_imm(0, 0, 1), a64.str_x(0, 1), a64.cbnz(0, -8), a64.hlt(1), a64.UDF]
    out = {}
    for backend, devices, layout in (("cpu", [], "linear"), ("cuda", [], "linear"),
                                     ("cuda", [0, 0], "interleaved")):
        cpu = parallel(backend, 4096, program, devices=devices, frame_layout=layout)
        cpu.set_register_all(0, [i % 500 + 1 for i in range(4096)])
        cpu.set_register_all(1, [0x8000 if i % 7 else 0x50000000 for i in range(4096)])
        r = cpu.execute(800)
        out[backend, len(devices)] = ([(x.cycles, x.signal, x.pc, x.info.fault_addr) for x in r],
                                      cpu.get_registers().tolist(), cpu.read_memory(0x8000, 8, 1))
    assert out["cpu", 0] == out["cuda", 0] == out["cuda", 2]


# ---- run_batch ----------------------------------------------------------------------------------


def merged(env, lane_env):
    """The environment a lane gets: its own variables replace the common ones and come last
    (the order matters to instruction counts: getenv walks it)."""
    out = {k: v for k, v in env.items() if k not in lane_env}
    out.update(lane_env)
    return out


def same_as_run(lane, single):
    assert isinstance(lane, kvrm.LaneResult)
    assert (lane.exit_status, lane.stdout, lane.stderr) == (
        single.exit_status, single.stdout, single.stderr)
    assert (lane.instructions, lane.syscalls) == (single.instructions, single.syscalls)


def test_run_batch_lanes_equal_run(guest, batch_backend, tmp_path):
    stdin_file = tmp_path / "input.txt"
    stdin_file.write_bytes(b"from a file\n")
    lanes = [
        kvrm.LaneSpec(args=["7", "two words"], stdin=b"hello\nworld"),
        {"args": ["0"], "stdin": b"second", "env": {"KVRM_PY_VAR": "lane1"}},
        b"bytes are stdin",
        {"args": ["segv"], "stdin": bytearray(b"abc")},
        kvrm.LaneSpec(stdin_path=stdin_file, env={"KVRM_PY_VAR": "lane4"}),
        {"args": ["loop"]},
        {"args": ["3", ""], "stdin": memoryview(b"x" * 5000)},
        {},
    ]
    env = {"KVRM_PY_VAR": "common", "OTHER": "1"}
    limit = 1_000_000
    r = kvrm.run_batch(guest, lanes, env=env, backend=batch_backend, max_instructions=limit,
                       threads=2)
    assert isinstance(r, kvrm.BatchResult) and len(r) == len(lanes) == len(r.lanes)
    singles = [  # the same inputs alone on the reference engine
        kvrm.run(guest, args, stdin=stdin, env=merged(env, lane_env), backend="cpu",
                 max_instructions=limit)
        for args, stdin, lane_env in [
            (["7", "two words"], b"hello\nworld", {}),
            (["0"], b"second", {"KVRM_PY_VAR": "lane1"}),
            ([], b"bytes are stdin", {}),
            (["segv"], b"abc", {}),
            ([], b"from a file\n", {"KVRM_PY_VAR": "lane4"}),
            (["loop"], b"", {}),
            (["3", ""], b"x" * 5000, {}),
            ([], b"", {}),
        ]
    ]
    for lane, single in zip(r, singles):
        same_as_run(lane, single)
    assert r[0].stdout.startswith(b"HELLO\nWORLDread 11\narg1=7\narg2=two words\n")
    assert r[1].stdout.endswith(b"KVRM_PY_VAR=lane1\n") and r[4].stdout.endswith(b"=lane4\n")
    assert [x.exit_status for x in r] == [7, 0, 0, 139, 0, 124, 3, 0]
    assert [x.end for x in r] == ["exited", "exited", "exited", "signaled", "exited",
                                  "instruction-limit", "exited", "exited"]
    assert (r[3].signal, r[0].signal) == (11, 0)
    assert r[3].description.startswith("FAULT: write of unmapped address 0x10")
    assert r[5].description.startswith("instruction limit (1000000) reached")
    assert r[0].description == "exited with status 7" and r[0].peak_memory > 0
    s = r.stats
    assert isinstance(s, kvrm.BatchStats)
    assert (s.lanes, s.backend) == (len(lanes), batch_backend)
    assert s.instructions == sum(x.instructions for x in r)
    assert s.syscalls == sum(x.syscalls for x in r)
    assert s.elapsed_seconds > 0 and s.ips > 0 and s.rounds >= 1 and s.image_bytes > 0
    assert s.peak_resident_lanes >= 1 and s.schedule in ("fused", "phased")


def test_run_batch_common_args_and_lane_counts(guest, batch_backend):
    r = kvrm.run_batch(guest, 3, args=["5"], env={}, backend=batch_backend)
    assert len(r) == 3 and [x.exit_status for x in r] == [5, 5, 5]
    assert len({x.stdout for x in r}) == 1
    same_as_run(r[2], kvrm.run(guest, ["5"], env={}, backend="cpu"))
    r = kvrm.run_batch(guest, [{"args": ["extra"]}, {}], args=["4"], env={},
                       backend=batch_backend)
    same_as_run(r[0], kvrm.run(guest, ["4", "extra"], env={}, backend="cpu"))
    assert r[0].exit_status == 4 and b"arg2=extra\n" in r[0].stdout
    one = kvrm.run_batch(Path(guest), env={}, backend=batch_backend)  # lanes=None: one lane
    assert len(one) == 1 and one[0].end == "exited"
    assert [x.exit_status for x in kvrm.run_batch(guest, (b"a" for _ in range(4)), env={},
                                                  backend=batch_backend)] == [0] * 4


def test_run_batch_many_lanes(guest, batch_backend):
    n = 200
    inputs = [(b"lane %d " % i) * (i % 17) for i in range(n)]
    r = kvrm.run_batch(guest, [{"stdin": x, "args": [str(i % 5)]} for i, x in enumerate(inputs)],
                       env={}, backend=batch_backend)
    for i, lane in enumerate(r):
        assert lane.exit_status == i % 5
        assert lane.stdout.startswith(inputs[i].upper() + b"read %d\n" % len(inputs[i]))
    for i in (0, 77, 199):
        same_as_run(r[i], kvrm.run(guest, [str(i % 5)], stdin=inputs[i], env={}, backend="cpu"))


@pytest.mark.gpu
def test_run_batch_sharded_over_two_runners(guest, cuda):
    # Device 0 named twice: two shards at once on one GPU, lanes moving between them from round
    # to round (they are ordered by PC); every lane's result is the CPU backend's.
    inputs = [(b"shard %d " % i) * (i % 23) for i in range(300)]
    lanes = [{"stdin": x, "args": [str(i % 5)] + (["segv"] if i % 41 == 0 else [])}
             for i, x in enumerate(inputs)]
    cpu = kvrm.run_batch(guest, lanes, env={}, backend="cpu")
    two = kvrm.run_batch(guest, lanes, env={}, backend="cuda", devices=[0, 0])
    for a, b in zip(two, cpu):
        assert (a.exit_status, a.stdout, a.stderr, a.instructions, a.syscalls) == (
            b.exit_status, b.stdout, b.stderr, b.instructions, b.syscalls)
    s = two.stats
    assert s.kernel_seconds > 0 and s.transfer_seconds > 0
    assert s.execute_seconds >= s.kernel_seconds / 2 and s.service_seconds > 0
    with pytest.raises(kvrm.KvrmError, match="device 4096 does not exist"):
        kvrm.run_batch(guest, 1, env={}, backend="cuda", devices=[4096])


def test_run_batch_inherits_the_environment(guest, monkeypatch):
    monkeypatch.setenv("KVRM_PY_VAR", "inherited")
    r = kvrm.run_batch(guest, [{}, {"env": {"KVRM_PY_VAR": "own"}}], backend="cpu")
    assert r[0].stdout.endswith(b"KVRM_PY_VAR=inherited\n")
    assert r[1].stdout.endswith(b"KVRM_PY_VAR=own\n")


def test_run_batch_lane_ends(guest, tmp_path):
    r = kvrm.run_batch(guest, [{"stdin_path": tmp_path / "missing"}, {"args": ["1"]}], env={},
                       backend="cpu", lane_memory_limit=16 * 4096)
    assert (r[0].end, r[0].exit_status) == ("exec-failed", 1)
    assert r[0].stderr.startswith(b"kvrm: cannot read ") and r[0].instructions == 0
    assert (r[1].end, r[1].exit_status, r[1].signal) == ("out-of-memory", 137, 9)
    assert b"out of memory" in r[1].stderr
    r = kvrm.run_batch(guest, [{"args": ["loop"]}, {"args": ["2"]}], env={}, backend="cpu",
                       timeout_seconds=0.2, threads=1)
    assert (r[0].end, r[0].exit_status) == ("timeout", 124)
    assert b"kvrm: timeout (0.2 s) reached" in r[0].stderr
    assert r[1].exit_status in (2, 124)  # ended by itself or still waiting at the timeout


def test_run_batch_sandbox(guest, tmp_path):
    (tmp_path / "data.txt").write_bytes(b"inside the root\n")
    target = tmp_path / "out.txt"
    r = kvrm.run_batch(guest, [{"args": ["cat", "/data.txt"]}, {"args": ["write", "/out.txt"]}],
                       env={}, backend="cpu", root=tmp_path)
    assert (r[0].exit_status, r[0].stdout.splitlines()[-1]) == (0, b"inside the root")
    assert r[1].exit_status == 2 and r[1].stdout.endswith(b"cannot create: errno 30\n")
    assert not target.exists()
    r = kvrm.run_batch(guest, [{"args": ["write", str(target)]}], env={}, backend="cpu",
                       rw=[tmp_path])
    assert r[0].exit_status == 0 and target.read_bytes() == b"written by the guest\n"


def test_run_batch_cannot_start(tmp_path):
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run_batch(tmp_path / "missing", 2, backend="cpu")
    assert e.value.status == 127
    text = tmp_path / "text"
    text.write_text("not a program\n")
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run_batch(text, backend="cpu")
    assert e.value.status == 126
    with pytest.raises(kvrm.ExecError) as e:
        kvrm.run_batch("/bin/sh", backend="cpu")
    assert e.value.status == 126


def test_run_batch_argument_errors(guest):
    with pytest.raises(ValueError, match="backend"):
        kvrm.run_batch(guest, backend="gpu")
    with pytest.raises(ValueError, match="at least one lane"):
        kvrm.run_batch(guest, [])
    with pytest.raises(ValueError, match="at least 1"):
        kvrm.run_batch(guest, 0)
    with pytest.raises(TypeError, match="lanes"):
        kvrm.run_batch(guest, "abc")
    with pytest.raises(TypeError, match="lanes"):
        kvrm.run_batch(guest, {"args": ["1"]})
    with pytest.raises(TypeError, match=r"lanes\[1\]"):
        kvrm.run_batch(guest, [b"", 5])
    with pytest.raises(ValueError, match="unknown keys"):
        kvrm.run_batch(guest, [{"argv": ["1"]}])
    with pytest.raises(TypeError, match="str"):
        kvrm.run_batch(guest, [{"stdin": "text"}])
    with pytest.raises(TypeError, match="args"):
        kvrm.run_batch(guest, [{"args": "one"}])
    with pytest.raises(ValueError, match="both stdin and stdin_path"):
        kvrm.run_batch(guest, [{"stdin": b"x", "stdin_path": "/etc/hostname"}])
    with pytest.raises(ValueError, match="environment variable"):
        kvrm.run_batch(guest, env={"A=B": "c"})
    with pytest.raises(TypeError):
        kvrm.run_batch(guest, [{"env": ["A=1"]}])
    with pytest.raises(TypeError, match="args"):
        kvrm.run_batch(guest, args="one")
    with pytest.raises(ValueError):
        kvrm.run_batch(guest, max_instructions=-1)
    with pytest.raises(TypeError):
        kvrm.run_batch(guest, max_instructions=1.5)
    with pytest.raises(ValueError):
        kvrm.run_batch(guest, timeout_seconds=-1)
    with pytest.raises(ValueError):
        kvrm.run_batch(guest, threads=-1)
    with pytest.raises(ValueError, match="lane_memory_limit"):
        kvrm.run_batch(guest, lane_memory_limit=100)
    with pytest.raises(ValueError, match="devices"):
        kvrm.run_batch(guest, devices=[-1])
    if not kvrm.cuda_available():
        with pytest.raises(kvrm.CudaUnavailableError):
            kvrm.run_batch(guest, backend="cuda")


def test_help_shows_the_batch_api():
    for obj in (kvrm.ParallelCudaCPU, kvrm.ParallelCudaCPU.execute, kvrm.run_batch,
                kvrm.ParallelResult, kvrm.LaneRunResult, kvrm.ParallelMachine.execute,
                kvrm.LaneSpec, kvrm.LaneResult, kvrm.BatchResult, kvrm.BatchStats):
        assert obj.__doc__ and len(obj.__doc__) > 20, obj
    assert kvrm.ParallelCudaCPU.__module__ == "kvrm" and kvrm.run_batch.__module__ == "kvrm"
