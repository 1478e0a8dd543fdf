// The bare-metal batch (ParallelMachine): lanes over one shared image with their own registers,
// PC, cycle counts and stops; per-lane copies of written pages; image changes reaching every
// lane; the copy-on-write path a device backend takes giving the same results.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "batch/parallel.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "isa/decoder.hpp"
#include "isa/sysregs.hpp"

namespace kvrm::batch {
namespace {

constexpr u64 kCode = 0x1000, kData = 0x2000;
constexpr u32 kHlt = 0xd4400000;
constexpr u32 kSvc = 0xd4000001;

// Lane i counts x0 down to zero, storing x0 at [x1] each time, then halts: 4*x0 + 1
// instructions.
const std::vector<u32> kCountdown = {
    0xb4000080,  // cbz x0, +16
    0xf9000020,  // str x0, [x1]
    0xd1000400,  // sub x0, x0, #1
    0x17fffffd,  // b -12
    kHlt,
};

std::unique_ptr<ParallelMachine> make(u32 lanes, const std::vector<u32>& code,
                                      bool device_style_cow = false) {
  auto m = std::make_unique<ParallelMachine>(ParallelOptions{
      .lanes = lanes, .backend = "cpu", .threads = 2, .device_style_cow = device_style_cow});
  m->load_program(code.data(), code.size() * 4, kCode);
  m->set_pc_all(kCode);
  m->set_reg_all(1, kData);
  return m;
}

void check_countdown(bool device_style_cow) {
  constexpr u32 kLanes = 300;
  auto mp = make(kLanes, kCountdown, device_style_cow);
  ParallelMachine& m = *mp;
  const u64 before = 0x5a5a;
  m.write_memory(kData, &before, 8);
  for (u32 i = 0; i < kLanes; ++i) m.set_reg(i, 0, i % 17);
  const ParallelResult r = m.execute(1'000'000);
  ASSERT_EQ(r.lanes.size(), kLanes);
  u64 total = 0;
  for (u32 i = 0; i < kLanes; ++i) {
    const u64 n = i % 17;
    const LaneRunResult& l = r.lanes[i];
    EXPECT_EQ(l.signal, Signal::Halt) << i;
    EXPECT_EQ(l.cycles, 4 * n + 1) << i;
    EXPECT_EQ(l.pc, kCode + 16) << i;
    EXPECT_FALSE(l.out_of_memory);
    EXPECT_EQ(m.reg(i, 0), 0u);
    u64 v = 0;
    m.read_memory(i, kData, &v, 8);
    EXPECT_EQ(v, n ? 1 : before) << i;  // the lane's own last store, or the image's value
    EXPECT_EQ(m.lane_private_bytes(i), n ? kPageSize : 0) << i;
    total += l.cycles;
  }
  EXPECT_EQ(r.total_cycles, total);
}

TEST(BatchParallel, LanesRunTheirOwnCounts) { check_countdown(false); }
TEST(BatchParallel, DeviceStyleCopyOnWriteGivesTheSameResults) { check_countdown(true); }

TEST(BatchParallel, OneLaneFaultingStopsAlone) {
  auto mp = make(64, kCountdown);
  ParallelMachine& m = *mp;
  for (u32 i = 0; i < 64; ++i) {
    m.set_reg(i, 0, 3);
    if (i % 2) m.set_reg(i, 1, 0x70000000);  // unmapped
  }
  const ParallelResult r = m.execute(1000);
  for (u32 i = 0; i < 64; ++i) {
    if (i % 2) {
      EXPECT_EQ(r.lanes[i].signal, Signal::Fault);
      EXPECT_EQ(r.lanes[i].info.fault_addr, 0x70000000u);
      EXPECT_EQ(r.lanes[i].info.cause, FaultCause::Unmapped);
      EXPECT_EQ(r.lanes[i].cycles, 1u);
      EXPECT_EQ(r.lanes[i].pc, kCode + 4);
    } else {
      EXPECT_EQ(r.lanes[i].signal, Signal::Halt);
      EXPECT_EQ(r.lanes[i].cycles, 13u);
    }
  }
}

TEST(BatchParallel, SeedLoopsShareEverythingUntilAStore) {
  // ADD + B: no lane writes, so no lane needs a table or a page of its own.
  auto mp = make(100, {0x91000400 /* add x0, x0, #1 */, 0x17ffffff /* b .-4 */});
  ParallelMachine& m = *mp;
  const ParallelResult r = m.execute(1000);
  for (u32 i = 0; i < 100; ++i) {
    EXPECT_EQ(r.lanes[i].signal, Signal::Checkpoint);
    EXPECT_EQ(r.lanes[i].cycles, 1000u);
    EXPECT_EQ(m.reg(i, 0), 500u);
    EXPECT_TRUE(m.lane_memory(i).shadowing());
  }
  EXPECT_EQ(r.total_cycles, 100'000u);
  // ADD + STR + B: one page each.
  auto sp = make(100, {0x91000400 /* add x0, x0, #1 */, 0xf9000020 /* str x0, [x1] */, 0x17fffffe});
  ParallelMachine& s = *sp;
  const ParallelResult rs = s.execute(3000);
  for (u32 i = 0; i < 100; ++i) {
    EXPECT_EQ(rs.lanes[i].cycles, 3000u);
    EXPECT_EQ(s.reg(i, 0), 1000u);
    EXPECT_EQ(s.lane_private_bytes(i), kPageSize);
  }
  EXPECT_EQ(s.image_bytes(), u64{4} << 20);
}

TEST(BatchParallel, SyscallStopsAndResumes) {
  auto mp = make(8, {0x91000400 /* add x0, x0, #1 */, kSvc, 0x91000400, kHlt});
  ParallelMachine& m = *mp;
  ParallelResult r = m.execute(100);
  for (u32 i = 0; i < 8; ++i) {
    EXPECT_EQ(r.lanes[i].signal, Signal::Syscall);
    EXPECT_EQ(r.lanes[i].cycles, 2u);
    EXPECT_EQ(r.lanes[i].pc, kCode + 8);
  }
  m.set_reg(3, 0, 100);
  r = m.execute(100);
  for (u32 i = 0; i < 8; ++i) {
    EXPECT_EQ(r.lanes[i].signal, Signal::Halt);
    EXPECT_EQ(r.lanes[i].cycles, 1u);
    EXPECT_EQ(m.reg(i, 0), i == 3 ? 101u : 2u);
  }
}

TEST(BatchParallel, ImageChangesReachEveryLane) {
  auto mp = make(4, kCountdown);
  ParallelMachine& m = *mp;
  m.set_reg(0, 0, 1);  // lane 0 writes (own table, own data page); the others only shadow
  m.execute(100);
  ASSERT_FALSE(m.lane_memory(0).shadowing());
  ASSERT_TRUE(m.lane_memory(1).shadowing());
  // A write to every lane: lane 0's own copy and the shared page alike.
  const u64 v = 0x77;
  m.write_memory(kData + 8, &v, 8);
  for (u32 i = 0; i < 4; ++i) {
    u64 got = 0;
    m.read_memory(i, kData + 8, &got, 8);
    EXPECT_EQ(got, v) << i;
  }
  u64 own = 0;
  m.read_memory(0, kData, &own, 8);
  EXPECT_EQ(own, 1u);  // lane 0's own store is still there
  // A write to one lane only.
  const u64 w = 0x88;
  m.write_memory(2, kData + 16, &w, 8);
  u64 got2 = 0, got1 = 0;
  m.read_memory(2, kData + 16, &got2, 8);
  m.read_memory(1, kData + 16, &got1, 8);
  EXPECT_EQ(got2, w);
  EXPECT_EQ(got1, 0u);
  // A new mapping is there in every lane; unmapping takes it away from every lane.
  const u64 page = 0x10000000;
  m.map(page, kPageSize, kPermRead | kPermWrite);
  const u64 z = 5;
  m.write_memory(page, &z, 8);
  for (u32 i = 0; i < 4; ++i) {
    u64 got = 0;
    m.read_memory(i, page, &got, 8);
    EXPECT_EQ(got, 5u) << i;
  }
  m.set_reg_all(1, page);
  m.set_pc_all(kCode);
  m.set_reg_all(0, 2);
  const ParallelResult r = m.execute(100);
  for (u32 i = 0; i < 4; ++i) EXPECT_EQ(r.lanes[i].signal, Signal::Halt) << i;
  m.unmap(page, kPageSize);
  u64 gone;
  for (u32 i = 0; i < 4; ++i) EXPECT_THROW(m.read_memory(i, page, &gone, 8), Error) << i;
  // protect: the code page made non-executable stops every lane with a fetch fault.
  m.protect(0, kPageSize * 4, kPermRead);
  m.set_pc_all(kCode);
  const ParallelResult rf = m.execute(100);
  for (u32 i = 0; i < 4; ++i) {
    EXPECT_EQ(rf.lanes[i].signal, Signal::Fault);
    EXPECT_EQ(rf.lanes[i].info.access, Access::Fetch);
  }
}

TEST(BatchParallel, LaneMemoryLimit) {
  ParallelMachine m({.lanes = 2, .lane_memory_limit = kPageSize, .backend = "cpu"});
  const std::vector<u32> code = {0xf9000020 /* str x0, [x1] */, 0x91400421 /* add x1, x1, 4K */,
                                 0xf9000020, kHlt};
  m.load_program(code.data(), code.size() * 4, kCode);
  m.set_pc_all(kCode);
  m.set_reg_all(1, kData);
  const ParallelResult r = m.execute(100);
  for (u32 i = 0; i < 2; ++i) {
    EXPECT_EQ(r.lanes[i].signal, Signal::Fault);
    EXPECT_TRUE(r.lanes[i].out_of_memory);
    EXPECT_EQ(r.lanes[i].pc, kCode + 8);
    EXPECT_EQ(r.lanes[i].cycles, 2u);
  }
}

TEST(BatchParallel, Errors) {
  EXPECT_THROW(ParallelMachine({.lanes = 0}), Error);
  if (!cuda_available()) {
    try {
      ParallelMachine m({.lanes = 1, .backend = "cuda"});
      FAIL() << "a CUDA batch without a GPU";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos);
    }
  }
  EXPECT_THROW(ParallelMachine({.lanes = 1, .backend = "gpu"}), Error);
  ParallelMachine m({.lanes = 2, .backend = "cpu"});
  EXPECT_STREQ(m.backend_name(), "cpu");
  EXPECT_THROW(m.reg(2, 0), Error);
  EXPECT_THROW(m.set_reg(0, 32, 1), Error);
  u64 v;
  EXPECT_THROW(m.read_memory(0, u64{8} << 20, &v, 8), Error);
  EXPECT_THROW(m.map(0, kPageSize, kPermRead), Error);  // mapped already
  const ParallelResult r = m.execute(0);
  EXPECT_EQ(r.total_cycles, 0u);
}

// The same lanes on a runner backend ("cuda", or "host-mirror": its scheduling over host runners
// that keep their own copies of memory, as GPUs do) and on the host: per-lane registers, memory
// written through copy-on-write, faults in some lanes only; also sharded over three runners,
// run in two calls so that lanes change shards in between (lanes are placed by PC: between the
// calls the first 100 lanes go on in a copy of the loop at 0x100, so they sort after the others
// and move to higher shards, where they first read the page they wrote on shard 0).
void runner_lanes_match_host_lanes(const char* backend_name) {
  // [x1] = x0, then x2 times [x1] += 1 (through memory, so that a lane reading a stale copy of
  // its page on another runner gets a wrong sum); then hlt. Lane 5 stores to an unmapped
  // address.
  const u32 code[] = {0xf9000020 /* str x0, [x1] */,
                      0xf9400020 /* ldr x0, [x1] */,
                      0x91000400 /* add x0, x0, #1 */,
                      0xf9000020 /* str x0, [x1] */,
                      0xf1000442 /* subs x2, x2, #1 */,
                      0x54ffff81 /* b.ne .-16 */,
                      0xd4400000 /* hlt #0 */};
  constexpr u32 kLanes = 300;
  struct Run {
    std::vector<ParallelResult> results;
    std::vector<u64> stored;
  };
  std::vector<Run> runs;
  // On the host; on the runner backend with interleaved frames, on one runner and on three;
  // and with linear frames (the default).
  const std::vector<int> three = {0, 0, 0};
  struct Where {
    const char* backend;
    std::vector<int> devices;
    u32 shift;
  };
  for (const Where& w : {Where{"cpu", {}, kMaxFrameShift}, Where{backend_name, {}, kMaxFrameShift},
                         Where{backend_name, three, kMaxFrameShift}, Where{backend_name, {}, 0}}) {
    ParallelMachine m({.lanes = kLanes,
                       .memory_size = 1 << 20,
                       .backend = w.backend,
                       .devices = w.devices,
                       .frame_shift = w.shift});
    m.load_program(code, sizeof code, 0);
    m.load_program(code, sizeof code, 0x100);
    m.set_pc_all(0);
    for (u32 i = 0; i < kLanes; ++i) {
      m.set_reg(i, 0, i * 1000);
      m.set_reg(i, 1, i == 5 ? 0x40000000 : 0x10000 + 8 * i);
      m.set_reg(i, 2, 1 + i % 37);
    }
    Run run;
    run.results.push_back(m.execute(31));
    for (u32 i = 0; i < 100; ++i) {
      if (m.pc(i) < 0x18) m.set_pc(i, m.pc(i) + 0x100);  // not halted: into the copy
    }
    run.results.push_back(m.execute(1000));
    run.stored.resize(kLanes);
    for (u32 i = 0; i < kLanes; ++i) {
      if (i != 5) m.read_memory(i, 0x10000 + 8 * i, &run.stored[i], 8);
    }
    runs.push_back(std::move(run));
  }
  for (size_t k = 1; k < runs.size(); ++k) {
    for (size_t call = 0; call < 2; ++call) {
      for (u32 i = 0; i < kLanes; ++i) {
        const LaneRunResult& want = runs[0].results[call].lanes[i];
        const LaneRunResult& got = runs[k].results[call].lanes[i];
        EXPECT_EQ(want.signal, got.signal) << "run " << k << " call " << call << " lane " << i;
        EXPECT_EQ(want.cycles, got.cycles) << "run " << k << " call " << call << " lane " << i;
        EXPECT_EQ(want.pc, got.pc) << "run " << k << " call " << call << " lane " << i;
      }
    }
    for (u32 i = 0; i < kLanes; ++i) {
      EXPECT_EQ(runs[0].stored[i], runs[k].stored[i]) << "run " << k << " lane " << i;
    }
  }
  EXPECT_EQ(runs[1].results[0].lanes[5].signal, Signal::Fault);
  EXPECT_EQ(runs[1].results[1].lanes[7].signal, Signal::Halt);
  EXPECT_EQ(runs[2].stored[7], 7000u + 1 + 7 % 37);
}

// Skipped without a GPU.
TEST(BatchParallel, CudaLanesMatchHostLanes) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  runner_lanes_match_host_lanes("cuda");
}

TEST(BatchParallel, MirroringRunnerLanesMatchHostLanes) {
  runner_lanes_match_host_lanes("host-mirror");
}

// Block translation on the GPU: each lane runs its own random program of words drawn from the
// whole encoding table (integer, FP, SIMD, crypto, loads and stores, branches...) from a random
// state, translated before the launch (JitOptions::wait: every lane's start is translated), and
// must end exactly as on the host. Skipped without a GPU.
TEST(BatchParallel, TranslatedRandomProgramsMatchHostLanes) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << why;
  constexpr u32 kLanes = 64;
  constexpr int kLength = 48;
  constexpr u64 kCode = 0x100000, kData = 0x400000, kDataSize = 0x4000;
  std::mt19937_64 rng(777);
  std::vector<u32> code(kLanes * 1024, 0);
  for (u32 i = 0; i < kLanes; ++i) {
    for (int k = 0; k < kLength; ++k) {
      u32 w;
      do {
        const u32 op = 1 + static_cast<u32>(rng() % (kOpCount - 1));
        w = kEncodings[op].value | (static_cast<u32>(rng()) & ~kEncodings[op].mask);
        // The virtual counter reads the time: it differs between any two runs.
        if (static_cast<Op>(op) == Op::MRS && bits(w, 19, 5) == sysreg_id::CNTVCT_EL0) w = 0;
      } while (w == 0);
      code[i * 1024 + k] = w;
    }
  }
  std::vector<u8> data(kDataSize);
  for (auto& b : data) b = static_cast<u8>(rng());
  std::vector<CoreState> start(kLanes);
  for (auto& s : start) {
    for (int r = 0; r < 32; ++r) s.x[r] = (rng() % 2) ? kData + (rng() % kDataSize) : rng();
    s.nzcv = static_cast<u32>(rng()) & 0xf0000000u;
    for (auto& v : s.v) v = VReg{rng(), rng()};
    s.fpcr = static_cast<u32>(rng()) & kFpcrMask;
  }
  std::vector<ParallelResult> results;
  std::vector<std::vector<CoreState>> states;
  std::vector<std::vector<std::vector<u8>>> memories;
  for (const char* backend : {"cpu", "cuda"}) {
    ParallelMachine m({.lanes = kLanes,
                       .memory_size = 0,
                       .backend = backend,
                       .jit = {.mode = JitMode::On, .hot_threshold = 1, .wait = true}});
    m.map(kCode, code.size() * 4, kPermRead | kPermExec);
    m.map(kData, kDataSize, kPermRead | kPermWrite);
    m.load_program(code.data(), code.size() * 4, kCode);
    m.write_memory(kData, data.data(), kDataSize);
    for (u32 i = 0; i < kLanes; ++i) {
      CoreState s = start[i];
      s.pc = kCode + u64{i} * kPageSize;
      m.set_state(i, s);
    }
    results.push_back(m.execute(kLength));
    states.emplace_back();
    memories.emplace_back();
    for (u32 i = 0; i < kLanes; ++i) {
      states.back().push_back(m.state(i));
      memories.back().emplace_back(kDataSize);
      m.read_memory(i, kData, memories.back().back().data(), kDataSize);
    }
    if (std::string(backend) == "cuda") {
      const JitStats js = m.jit_stats();
      EXPECT_GE(js.blocks, kLanes / 2) << js.note;
    }
  }
  for (u32 i = 0; i < kLanes; ++i) {
    const LaneRunResult &a = results[0].lanes[i], &b = results[1].lanes[i];
    EXPECT_EQ(a.signal, b.signal) << "lane " << i;
    EXPECT_EQ(a.cycles, b.cycles) << "lane " << i;
    EXPECT_EQ(a.pc, b.pc) << "lane " << i;
    EXPECT_EQ(a.info.fault_addr, b.info.fault_addr) << "lane " << i;
    EXPECT_EQ(0, std::memcmp(&states[0][i], &states[1][i], sizeof(CoreState))) << "lane " << i;
    EXPECT_EQ(memories[0][i], memories[1][i]) << "lane " << i;
  }
}

}  // namespace
}  // namespace kvrm::batch
