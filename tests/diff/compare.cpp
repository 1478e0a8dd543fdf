#include "compare.hpp"

#include <cinttypes>

#include "disasm.hpp"

namespace kvrm::diff {

const char* scalar_name(int r) {
  static const char* const kX[31] = {"x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",
                                     "x8",  "x9",  "x10", "x11", "x12", "x13", "x14", "x15",
                                     "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
                                     "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
  if (r >= 0 && r < 31) return kX[r];
  switch (r) {
    case kRegSp: return "sp";
    case kRegPc: return "pc";
    case kRegNzcv: return "nzcv";
    case kRegTpidr: return "tpidr_el0";
    case kRegTpidrro: return "tpidrro_el0";
    case kRegFpcr: return "fpcr";
    case kRegFpsr: return "fpsr";
    default: return "?";
  }
}

u64 scalar_value(const CoreState& s, int r) {
  if (r >= 0 && r < 32) return s.x[r];
  switch (r) {
    case kRegPc: return s.pc;
    case kRegNzcv: return s.nzcv;
    case kRegTpidr: return s.tpidr_el0;
    case kRegTpidrro: return s.tpidrro_el0;
    case kRegFpcr: return s.fpcr;
    case kRegFpsr: return s.fpsr;
    default: return 0;
  }
}

Diff compare(const TrialOutput& k, const TrialOutput& o, const CompareOptions& opt) {
  Diff d;
  d.signal = k.outcome.signal != o.outcome.signal;
  if (!d.signal && opt.fault_cause && k.outcome.signal == Signal::Fault && k.outcome.known_cause &&
      o.outcome.known_cause) {
    d.cause = k.outcome.cause != o.outcome.cause;
  }
  for (int r = 0; r < kScalarRegs; ++r) {
    if (scalar_value(k.state, r) != scalar_value(o.state, r)) d.regs.push_back(r);
  }
  if (opt.vregs) {
    for (int r = 0; r < 32; ++r) {
      if (k.state.v[r].lo != o.state.v[r].lo || k.state.v[r].hi != o.state.v[r].hi) {
        d.vregs.push_back(r);
      }
    }
  }
  // Differing bytes, merged into ranges (gaps under 8 bytes are bridged).
  for (u64 i = 0; i < kImageSize; ++i) {
    if (k.mem[i] == o.mem[i]) continue;
    const u64 addr = kCodeBase + i;
    if (!d.mem.empty() && addr - (d.mem.back().addr + d.mem.back().len) < 8) {
      d.mem.back().len = addr + 1 - d.mem.back().addr;
    } else {
      d.mem.push_back({addr, 1});
    }
  }
  return d;
}

std::string Diff::summary() const {
  std::string s;
  auto add = [&](const std::string& x) {
    if (!s.empty()) s += ", ";
    s += x;
  };
  if (signal) add("outcome");
  if (cause) add("fault kind");
  for (int r : regs) add(scalar_name(r));
  for (int r : vregs) {
    std::string v = "v";
    v += std::to_string(r);
    add(v);
  }
  if (!mem.empty()) {
    std::string m = "memory (";
    m += std::to_string(mem.size());
    m += " ranges)";
    add(m);
  }
  return s;
}

std::string outcome_text(const Outcome& o) {
  std::string s = signal_name(o.signal);
  if (o.signal == Signal::Running) s = "UNKNOWN";
  if (o.signal == Signal::Fault && o.known_cause) {
    s += " (";
    s += fault_cause_name(o.cause);
    if (o.known_access) {
      s += " ";
      s += access_name(o.access);
    }
    s += ")";
  }
  return s + "  [" + o.raw + "]";
}

namespace {

const char* region_name(u64 addr) {
  for (const Region& r : kRegions) {
    if (addr >= r.base && addr < r.base + r.size) return r.name;
  }
  return "?";
}

void print_bytes(std::FILE* f, const Image& m, u64 addr, u64 len) {
  for (u64 i = 0; i < len; ++i) std::fprintf(f, "%02x", m[addr - kCodeBase + i]);
}

// A V register as hex lanes of `bits`, the highest-numbered lane first, separated by spaces.
std::string vreg_lanes(const VReg& v, int bits) {
  std::string s;
  const int n = 128 / bits;
  for (int i = n - 1; i >= 0; --i) {
    const int pos = i * bits;
    const u64 half = pos < 64 ? v.lo : v.hi;
    const u64 lane = bits == 64 ? half : (half >> (pos & 63)) & ((u64{1} << bits) - 1);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%0*" PRIx64, bits / 4, lane);
    if (!s.empty()) s += ' ';
    s += buf;
  }
  return s;
}

// Under the lanes of `a` that differ from `b`: "^" marks, spaces elsewhere.
std::string lane_marks(const VReg& a, const VReg& b, int bits) {
  const std::string x = vreg_lanes(a, bits), y = vreg_lanes(b, bits);
  std::string m(x.size(), ' ');
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != ' ') {
      // Mark the whole lane when any of its digits differs.
      size_t lane_start = x.rfind(' ', i);
      lane_start = lane_start == std::string::npos ? 0 : lane_start + 1;
      size_t lane_end = x.find(' ', i);
      if (lane_end == std::string::npos) lane_end = x.size();
      if (x.compare(lane_start, lane_end - lane_start, y, lane_start, lane_end - lane_start) != 0) {
        m[i] = '^';
      }
    }
  }
  while (!m.empty() && m.back() == ' ') m.pop_back();
  return m;
}

bool same(const VReg& a, const VReg& b) { return a.lo == b.lo && a.hi == b.hi; }

void print_vregs(std::FILE* f, const TrialInput& in, const TrialOutput& k, const TrialOutput& o,
                 int bits) {
  bool header = false;
  for (int r = 0; r < 32; ++r) {
    const VReg& a = k.state.v[r];
    const VReg& b = o.state.v[r];
    const VReg& i = in.state.v[r];
    const bool differ = !same(a, b);
    if (!differ && same(a, i)) continue;  // untouched by both
    if (!header) {
      std::fprintf(f, "    V registers differing or written (%d-bit lanes, highest lane first):\n",
                   bits);
      header = true;
    }
    char name[8];
    std::snprintf(name, sizeof name, "v%d", r);
    std::fprintf(f, "  %c %-4s initial %s\n", differ ? '*' : ' ', name,
                 vreg_lanes(i, bits).c_str());
    std::fprintf(f, "         kvrm    %s\n", vreg_lanes(a, bits).c_str());
    std::fprintf(f, "         unicorn %s\n", vreg_lanes(b, bits).c_str());
    if (differ) std::fprintf(f, "                 %s\n", lane_marks(a, b, bits).c_str());
  }
}

}  // namespace

void print_trial(std::FILE* f, const Entry& e, const TrialInput& in, const TrialOutput& k,
                 const TrialOutput& o, const Diff& d, const std::string& repro,
                 const char* excused_by, const CompareOptions& opt) {
  std::fprintf(f, "  word 0x%08x  entry %s (%s, %s)  capstone: %s\n", in.insn, e.name, e.arm_name,
               group_section(e.group), disassemble(in.insn, kPc).c_str());
  if (in.preamble != kClrex) {
    std::fprintf(f, "  preamble 0x%08x at 0x%" PRIx64 ": %s\n", in.preamble, kPreamblePc,
                 disassemble(in.preamble, kPreamblePc).c_str());
  }
  if (excused_by) {
    std::fprintf(f,
                 "  excused: exclusion rule '%s' explains every difference below (the Unicorn "
                 "column shows its output before the adjustment)\n",
                 excused_by);
  }
  std::fprintf(f, "  differs: %s\n", d.any() ? d.summary().c_str() : "nothing");
  std::fprintf(f, "  outcome  kvrm:    %s\n", outcome_text(k.outcome).c_str());
  std::fprintf(f, "           unicorn: %s\n", outcome_text(o.outcome).c_str());
  std::fprintf(f, "    %-12s %-18s %-18s %-18s\n", "register", "initial", "kvrm", "unicorn");
  for (int r = 0; r < kScalarRegs; ++r) {
    const u64 a = scalar_value(k.state, r), b = scalar_value(o.state, r);
    std::fprintf(f, "  %c %-12s 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 "\n",
                 a != b ? '*' : ' ', scalar_name(r), scalar_value(in.state, r), a, b);
  }
  print_vregs(f, in, k, o, opt.lane_bits);
  constexpr size_t kMaxRanges = 8;
  constexpr u64 kMaxBytes = 32;
  for (size_t i = 0; i < d.mem.size() && i < kMaxRanges; ++i) {
    const MemDiff& m = d.mem[i];
    const u64 len = m.len < kMaxBytes ? m.len : kMaxBytes;
    std::fprintf(f, "  * memory 0x%" PRIx64 " (%s), %" PRIu64 " bytes%s\n", m.addr,
                 region_name(m.addr), m.len, len < m.len ? " (first 32 shown)" : "");
    std::fprintf(f, "      initial "), print_bytes(f, in.mem, m.addr, len);
    std::fprintf(f, "\n      kvrm    "), print_bytes(f, k.mem, m.addr, len);
    std::fprintf(f, "\n      unicorn "), print_bytes(f, o.mem, m.addr, len);
    std::fprintf(f, "\n");
  }
  if (d.mem.size() > kMaxRanges) {
    std::fprintf(f, "  ... %zu more differing memory ranges\n", d.mem.size() - kMaxRanges);
  }
  std::fprintf(f, "  reproduce: %s\n", repro.c_str());
}

}  // namespace kvrm::diff
