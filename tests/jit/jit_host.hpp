// Test harness for translated code without a GPU: guest memory on the host (core::AddressSpace),
// the reference loop, a module's source compiled by the host's C++ compiler and loaded
// (jit/host_env.hpp), the interpreter it falls back to, and random test programs of loops,
// calls, conditional branches, loads, stores, FP/SIMD, SVCs and faults.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "a64_asm.hpp"
#include "core/address_space.hpp"
#include "isa/execute.hpp"
#include "jit/host_env.hpp"
#include "jit/translator.hpp"

namespace kvrm::test {

// Guest memory and a core's state.
struct World {
  AddressSpace mem{u64{256} << 20};
  CoreState s{};
  PageTableView view() const { return {mem.nodes().data(), mem.frames()}; }
  jit::CodeReader reader() const {
    return [this](u64 va, jit::CodePage& p) {
      const u32 leaf = view().leaf(va);
      if (!(leaf & kLeafPresent)) return false;
      p.leaf = leaf;
      p.bytes = mem.frames() + u64{leaf_frame(leaf)} * kPageSize;
      return true;
    };
  }
};

// The reference engine's loop over a World.
inline RunOutcome run_reference(World& w, StopInfo& info, u64 budget) {
  Mmu mmu{w.view(), &info};
  Context c{w.s, mmu, info};
  return run_plain_steps(c, budget);
}

// What the interpreter did on behalf of translated code.
struct InterpCounts {
  u64 calls = 0;
  u64 instructions = 0;
  u64 stop_after = ~u64{0};  // stop_requested() turns true after this many polls
  u64 polls = 0;
};

// The interpreter a host module falls back to: the reference step loop, stopping at a taken
// branch to one of the module's entries when asked (run_core's contract, device_core.cuh).
inline RunOutcome host_interp(const jit::HostJitEnv& env, CoreState& s, StopInfo& info, Mmu& mmu,
                              u64 budget, bool to_entry) {
  auto* counts = static_cast<InterpCounts*>(env.user);
  ++counts->calls;
  Context c{s, mmu, info};
  c.pc = s.pc;
  u64 n = 0;
  Signal sig = Signal::Running;
  while (n < budget) {
    const u64 pc = c.pc;
    sig = step(
        c, [](u64, u32 w) { return decode(w); },
        [](Context& cc, Op op, u32 w) { return execute(cc, op, w); });
    if (sig != Signal::Running) break;
    ++n;
    if (to_entry && c.pc != pc + 4 && env.is_entry(c.pc)) {
      s.pc = c.pc;
      counts->instructions += n;
      return {Signal::Running, n};
    }
  }
  s.pc = c.pc;
  if (sig == Signal::Syscall) ++n;
  counts->instructions += n;
  return {sig == Signal::Running ? Signal::Checkpoint : sig, n};
}

// A module's source compiled into a shared object and loaded.
class HostModule {
 public:
  explicit HostModule(const std::vector<std::string>& sources) {
    std::string source;
    for (const auto& part : sources) source += part;
    char dir[] = "/tmp/kvrm_jit_test_XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    std::ofstream(dir_ + "/module.cpp") << source;
    // The compiler and kvrm's sources as the build saw them, unless the environment says
    // where they are (the tests running on another machine).
    const char* cxx = std::getenv("KVRM_TEST_CXX");
    const char* src = std::getenv("KVRM_TEST_SRC");
    const std::string cmd = std::string(cxx ? cxx : KVRM_TEST_CXX) +
                            " -std=c++20 -O1 -shared -fPIC -fvisibility=hidden "
                            "-DKVRM_JIT_HOST_SIDE_EXIT -I" +
                            (src ? src : KVRM_TEST_SRC) + " " + dir_ + "/module.cpp -o " + dir_ +
                            "/module.so > " + dir_ + "/log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream log(dir_ + "/log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      throw std::runtime_error("the host compiler rejected the module:\n" + text.substr(0, 4000));
    }
    handle_ = dlopen((dir_ + "/module.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    run_ = reinterpret_cast<jit::HostRunFn>(dlsym(handle_, "kvrm_jit_host_run"));
    if (!run_) throw std::runtime_error("the module has no kvrm_jit_host_run");
  }
  ~HostModule() {
    if (handle_) dlclose(handle_);
    std::system(("rm -rf " + dir_).c_str());
  }
  HostModule(const HostModule&) = delete;
  HostModule& operator=(const HostModule&) = delete;

  // `warm`: pages whose translations the Tlb holds (for reading and writing) from the start.
  RunOutcome run(World& w, StopInfo& info, u64 budget, u64 poll, InterpCounts& counts,
                 std::initializer_list<u64> warm = {}) const {
    jit::HostJitEnv env;
    env.interp_fn = host_interp;
    env.stop_fn = [](const jit::HostJitEnv& e) {
      auto* c = static_cast<InterpCounts*>(e.user);
      return ++c->polls > c->stop_after;
    };
    env.user = &counts;
    // As in the GPU's kernels: translated code's memory accesses hit the one-entry caches or
    // the Tlb, and leave for the interpreter otherwise.
    Tlb tlb;
    Mmu mmu{w.view(), &info};
    mmu.use_tlb(tlb);
    mmu.flush();
    for (const u64 va : warm) {
      mmu.page(va, Access::Read);
      mmu.page(va, Access::Write);
    }
    return run_(env, w.s, info, mmu, budget, poll);
  }

 private:
  std::string dir_;
  void* handle_ = nullptr;
  jit::HostRunFn run_ = nullptr;
};

// One piece of code run twice from the same start: translated (from `entry`, one round) in `jw`,
// on the reference loop in `rw`; `setup` maps and fills each World alike.
struct SideBySide {
  World jw, rw;
  jit::Translation t;
  InterpCounts counts;
  RunOutcome j{}, r{};
};
template <class Setup>
std::unique_ptr<SideBySide> run_side_by_side(Setup&& setup, u64 entry, u64 budget,
                                             std::initializer_list<u64> warm = {}) {
  auto x = std::make_unique<SideBySide>();
  setup(x->jw);
  setup(x->rw);
  x->t = jit::translate(std::span(&entry, 1), x->jw.reader());
  const HostModule m(x->t.sources);
  StopInfo ji{}, ri{};
  x->j = m.run(x->jw, ji, budget, 64, x->counts, warm);
  x->r = run_reference(x->rw, ri, budget);
  return x;
}

// ---- Random programs ------------------------------------------------------------------------

constexpr u64 kProgCode = 0x400000;  // program i: code at kProgCode + i * kProgStride
constexpr u64 kProgStride = 0x4000;  // code pages (main, function), then a data page
constexpr u64 kProgData = 0x3000;    // data page offset within the stride
constexpr u64 kUnmapped = 0x7000000;

struct Program {
  u64 entry = 0;
  u64 data = 0;
  std::vector<u32> main;  // at entry
  std::vector<u32> func;  // at entry + 0x1000 (a second page)
  std::vector<u32> far;   // at entry + 0x2000 (a page that is writable: never translated)
};

// x0-x7 random values, x9 the data page, x10 the loop counter, x11-x12 scratch addresses.
inline Program random_program(std::mt19937_64& rng, u64 entry, bool may_fault) {
  using namespace a64;
  Program p;
  p.entry = entry;
  p.data = entry + kProgData;
  auto r = [&](u32 n) { return static_cast<u32>(rng() % n); };
  auto reg = [&] { return static_cast<int>(r(8)); };
  // One random instruction that does not branch and cannot fault.
  auto alu = [&](std::vector<u32>& out) {
    switch (r(14)) {
      case 0: out.push_back(add_imm(reg(), reg(), r(4096))); break;
      case 1: out.push_back(subs_imm(reg(), reg(), r(4096))); break;
      case 2: out.push_back(reg3(kAddReg, reg(), reg(), reg(), r(3), r(64))); break;
      case 3: out.push_back(reg3(kSubsReg, reg(), reg(), reg())); break;
      case 4: out.push_back(reg3(kEorReg, reg(), reg(), reg(), r(4), r(64))); break;
      case 5: out.push_back(reg3(kAndsReg, reg(), reg(), reg())); break;
      case 6: out.push_back(madd(reg(), reg(), reg(), reg())); break;
      case 7: out.push_back(csel(reg(), reg(), reg(), r(16))); break;
      case 8: out.push_back(lslv(reg(), reg(), reg())); break;
      case 9: out.push_back(udiv(reg(), reg(), reg())); break;
      case 10: out.push_back(movz(reg(), r(65536), static_cast<int>(r(4)))); break;
      case 11:  // FP and SIMD through the vector registers
        out.push_back(fmov_to_d(static_cast<int>(r(4)), reg()));
        out.push_back(
            fadd_d(static_cast<int>(r(4)), static_cast<int>(r(4)), static_cast<int>(r(4))));
        out.push_back(
            add_2d(static_cast<int>(r(4)), static_cast<int>(r(4)), static_cast<int>(r(4))));
        out.push_back(fmov_from_d(reg(), static_cast<int>(r(4))));
        break;
      case 12: out.push_back(adr(reg(), static_cast<int>(r(64)) * 4 - 128)); break;
      default: out.push_back(reg3(kOrrReg, reg(), reg(), reg(), r(4), r(64))); break;
    }
  };
  auto mem = [&](std::vector<u32>& out) {
    const u32 off = r(64) * 8;
    switch (r(5)) {
      case 0: out.push_back(ldr(reg(), 9, off)); break;
      case 1: out.push_back(str(reg(), 9, off)); break;
      case 2: out.push_back(ldrb(reg(), 9, r(4096))); break;
      case 3: out.push_back(strb(reg(), 9, r(4096))); break;
      default: out.push_back(stp(reg(), reg(), 9, static_cast<int>(r(32)) * 8)); break;
    }
  };
  auto body = [&](std::vector<u32>& out, u32 n) {
    for (u32 i = 0; i < n; ++i) {
      if (r(3) == 0) {
        mem(out);
      } else {
        alu(out);
      }
      if (r(6) == 0) {  // a forward conditional skip over 1..3 instructions
        const int skip = 4 * static_cast<int>(2 + r(3));
        switch (r(3)) {
          case 0: out.push_back(b_cond(r(16), skip)); break;
          case 1: out.push_back(cbz(reg(), skip)); break;
          default: out.push_back(tbnz(reg(), r(64), skip)); break;
        }
        for (int k = 0; k < skip / 4 - 1; ++k) alu(out);
      }
    }
  };

  std::vector<u32>& m = p.main;
  // Set-up: data page, loop counter, function addresses.
  const u64 data = p.data;
  m.push_back(movz(9, static_cast<u32>(data & 0xffff)));
  m.push_back(0xf2a00009u | (static_cast<u32>((data >> 16) & 0xffff) << 5));  // movk x9, #, lsl 16
  m.push_back(movz(10, 50 + r(200)));
  body(m, 3 + r(6));
  const size_t loop = m.size();
  body(m, 2 + r(10));
  if (r(2)) {  // a call into the second page
    m.push_back(bl(static_cast<int>((0x1000 - 4 * m.size()))));
  }
  if (r(3) == 0) m.push_back(kSvc);
  if (r(4) == 0) {  // an indirect call through a register to the writable page
    m.push_back(adr(11, static_cast<int>(0x2000 - 4 * m.size())));
    m.push_back(blr(11));
  }
  body(m, r(4));
  m.push_back(subs_imm(10, 10, 1));
  m.push_back(b_cond(1 /* ne */, -4 * static_cast<int>(m.size() - loop)));
  body(m, r(4));
  if (may_fault && r(2)) {
    m.push_back(movz(12, static_cast<u32>(kUnmapped >> 16), 1));
    m.push_back(str(0, 12, 0));  // a store to an unmapped page: FAULT
  }
  m.push_back(kHlt);

  body(p.func, 2 + r(8));
  if (r(2)) p.func.push_back(kSvc);
  p.func.push_back(kRet);
  body(p.far, 1 + r(5));
  p.far.push_back(kRet);
  return p;
}

// Maps and loads a program into a World: code pages read/execute, the "far" page read/write/
// execute, the data page read/write with random contents.
inline void load_program(World& w, const Program& p, std::mt19937_64& rng) {
  w.mem.map(p.entry, 0x2000, kPermRead | kPermExec);
  w.mem.map(p.entry + 0x2000, 0x1000, kPermRead | kPermWrite | kPermExec);
  w.mem.map(p.data, 0x1000, kPermRead | kPermWrite);
  w.mem.write(p.entry, p.main.data(), p.main.size() * 4);
  w.mem.write(p.entry + 0x1000, p.func.data(), p.func.size() * 4);
  w.mem.write(p.entry + 0x2000, p.far.data(), p.far.size() * 4);
  std::vector<u64> bytes(kPageSize / 8);
  for (auto& b : bytes) b = rng();
  w.mem.write(p.data, bytes.data(), kPageSize);
}

// A random starting state: x0-x7 random, d0-d3 random.
inline CoreState random_state(std::mt19937_64& rng, u64 pc) {
  CoreState s{};
  for (int i = 0; i < 8; ++i) s.x[i] = rng() >> (rng() % 64);
  for (int i = 0; i < 4; ++i) s.v[i] = VReg{rng(), rng()};
  s.nzcv = static_cast<u32>(rng() & 0xf0000000u);
  s.pc = pc;
  return s;
}

}  // namespace kvrm::test
