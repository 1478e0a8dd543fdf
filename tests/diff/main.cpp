// kvrm_difftest: differential testing of kvrm's reference engine against Unicorn 2, one random
// instruction from the encoding table at a time. See tests/diff/README.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "compare.hpp"
#include "engines.hpp"
#include "exclusions.hpp"
#include "generator.hpp"
#include "table.hpp"

namespace kvrm::diff {
namespace {

// What is running now, for the abort handler: QEMU 5.0 inside Unicorn aborts the process
// (g_assert_not_reached) on a few reserved encodings; the report then says which trial it was.
char g_current[256] = "";

extern "C" void on_abort(int sig) {
  const char head[] = "\nkvrm_difftest: Unicorn aborted the process during ";
  [[maybe_unused]] ssize_t n = write(2, head, sizeof head - 1);
  n = write(2, g_current, strlen(g_current));
  n = write(2, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

struct EntryStats {
  u64 trials = 0;   // compared on both engines
  u64 skipped = 0;  // no acceptable word found
  u64 excused = 0;  // matched after an exclusion rule adjusted the oracle's output
  u64 mismatches = 0;
  u64 kvrm_undef = 0, uc_undef = 0;
  u64 kvrm_fault = 0, uc_fault = 0;
};

struct Options {
  u64 seed = 1;
  u64 count = 10000;
  long long trial = -1;
  Selection sel;
  bool verbose = false;
  u64 max_failures = 10;
  bool list = false;
  bool brief = false;
  bool no_fault_kind = false;
  bool allow_empty = false;
  int lane_bits = 32;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string repro_command(const Options& o, u64 trial) {
  std::string s =
      "kvrm_difftest --seed " + std::to_string(o.seed) + " --trial " + std::to_string(trial);
  if (!o.sel.ops.empty()) s += " --ops " + shell_quote(o.sel.ops);
  if (!o.sel.exclude_ops.empty()) s += " --exclude-ops " + shell_quote(o.sel.exclude_ops);
  if (!o.sel.groups.empty()) s += " --group " + shell_quote(o.sel.groups);
  if (!o.sel.section.empty()) s += " --section " + shell_quote(o.sel.section);
  if (o.sel.kind != "all") s += " --kind " + o.sel.kind;
  return s;
}

int run(const Options& opt) {
  const std::vector<const Entry*> sel = select(opt.sel);
  const bool simd = opt.sel.kind == "fp" || opt.sel.kind == "simd";
  if (simd && !opt.list) {
    // Which SIMD&FP sections of the table have entries (an empty one is not implemented yet).
    std::printf("SIMD&FP sections of the encoding table (entries selected / listed):\n");
    for (const Section& sec : sections()) {
      if (!is_simd_section(sec.title)) continue;
      size_t n = 0;
      for (const Entry* e : sel) n += std::strcmp(e->section, sec.title) == 0;
      std::printf("  %4zu / %4zu  %s%s\n", n, sec.entries, sec.title,
                  sec.entries == 0 ? "  (empty: not implemented yet)" : "");
    }
  }
  if (sel.empty()) {
    if (opt.allow_empty) {
      std::printf("kvrm_difftest: %s; nothing to test (passes: --allow-empty)\n",
                  simd ? "no FP/SIMD entries implemented (no table entry matches the selection)"
                       : "no table entry matches the selection");
      return 0;
    }
    std::fprintf(stderr, "kvrm_difftest: no table entry matches the selection\n");
    return 2;
  }
  if (opt.list) {
    for (const Entry* e : sel) {
      std::printf("%-14s %-30s %s %s  %s\n", e->name, e->arm_name, group_section(e->group),
                  e->pattern, e->section);
    }
    return 0;
  }

  KvrmRunner kvrm;
  UnicornOracle oracle;
  std::signal(SIGABRT, on_abort);
  CompareOptions copt;
  copt.fault_cause = !opt.no_fault_kind;
  copt.lane_bits = opt.lane_bits;
  RedrawStats redraws;
  redraws.per_rule.assign(kExclusionCount, 0);
  std::vector<u64> excused_per_rule(kExclusionCount, 0);
  std::vector<EntryStats> stats(sel.size());
  u64 mismatches = 0, printed = 0;

  const u64 first = opt.trial >= 0 ? static_cast<u64>(opt.trial) : 0;
  const u64 end = opt.trial >= 0 ? first + 1 : opt.count;
  const auto t0 = std::chrono::steady_clock::now();
  TrialInput in;
  TrialOutput ko, uo, adjusted;
  for (u64 t = first; t < end; ++t) {
    const size_t idx = t % sel.size();
    const Entry& e = *sel[idx];
    EntryStats& st = stats[idx];
    Rng rng = Rng::for_trial(opt.seed, t);
    if (!generate_trial(e, rng, in, redraws)) {
      ++st.skipped;
      continue;
    }
    kvrm.run(in, ko);
    std::snprintf(g_current, sizeof g_current, "trial %llu: word 0x%08x (%s); reproduce: %s",
                  static_cast<unsigned long long>(t), in.insn, e.name,
                  repro_command(opt, t).c_str());
    oracle.run(in, uo);
    ++st.trials;
    st.kvrm_undef += ko.outcome.signal == Signal::Undefined;
    st.uc_undef += uo.outcome.signal == Signal::Undefined;
    st.kvrm_fault += ko.outcome.signal == Signal::Fault;
    st.uc_fault += uo.outcome.signal == Signal::Fault;

    Diff d = compare(ko, uo, copt);
    const char* excused_by = nullptr;
    if (d.any()) {
      // Let the exclusion rules adjust the oracle's output; the trial passes only if that
      // leaves nothing else different.
      adjusted = uo;
      std::vector<size_t> applied;
      for (size_t r = 0; r < kExclusionCount; ++r) {
        if (kExclusions[r].excuse && kExclusions[r].excuse(e.op, in.insn, in, ko, adjusted)) {
          applied.push_back(r);
        }
      }
      if (!applied.empty()) {
        const Diff d2 = compare(ko, adjusted, copt);
        if (!d2.any()) {
          for (size_t r : applied) ++excused_per_rule[r];
          excused_by = kExclusions[applied.front()].id;
          ++st.excused;
          d = d2;
        }
      }
    }

    const bool bad = d.any();
    if (bad) {
      ++st.mismatches;
      ++mismatches;
    }
    if (opt.trial >= 0 || (bad && printed < opt.max_failures)) {
      if (bad) ++printed;
      std::printf("=== %s: trial %llu (seed %llu) ===\n", bad ? "MISMATCH" : "match",
                  static_cast<unsigned long long>(t), static_cast<unsigned long long>(opt.seed));
      print_trial(stdout, e, in, ko, uo, d, repro_command(opt, t), excused_by, copt);
    } else if (opt.verbose) {
      std::printf("trial %llu %-12s 0x%08x %-8s kvrm %-10s unicorn %-10s%s%s\n",
                  static_cast<unsigned long long>(t), e.name, in.insn, bad ? "MISMATCH" : "ok",
                  signal_name(ko.outcome.signal), signal_name(uo.outcome.signal),
                  excused_by ? " excused: " : "", excused_by ? excused_by : "");
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (opt.trial >= 0) return mismatches ? 1 : 0;

  // ---- Coverage summary ----
  u64 total = 0, excused = 0, zero = 0, entries_bad = 0;
  std::printf("\n%-14s %-8s %8s %8s %8s %12s %12s\n", "entry", "group", "trials", "excused",
              "mismatch", "kvrm u/f %", "uc u/f %");
  for (size_t i = 0; i < sel.size(); ++i) {
    const EntryStats& s = stats[i];
    total += s.trials;
    excused += s.excused;
    zero += s.trials == 0;
    entries_bad += s.mismatches != 0;
    if (opt.brief && s.mismatches == 0 && s.trials != 0) continue;
    auto pct = [&](u64 n) { return s.trials ? 100.0 * static_cast<double>(n) / s.trials : 0.0; };
    const bool pending = s.trials && s.kvrm_undef == s.trials && s.uc_undef != s.trials;
    std::printf("%-14s %-8s %8llu %8llu %8llu %5.1f/%5.1f %5.1f/%5.1f%s%s\n", sel[i]->name,
                group_section(sel[i]->group), static_cast<unsigned long long>(s.trials),
                static_cast<unsigned long long>(s.excused),
                static_cast<unsigned long long>(s.mismatches), pct(s.kvrm_undef), pct(s.kvrm_fault),
                pct(s.uc_undef), pct(s.uc_fault), s.trials == 0 ? "  NO TRIALS" : "",
                pending ? "  (kvrm: always UNDEFINED - not implemented yet?)" : "");
  }
  std::printf("\nexclusion rules: %-20s %12s %12s\n", "", "words redrawn", "excused");
  for (size_t r = 0; r < kExclusionCount; ++r) {
    std::printf("  %-34s %12llu %12llu\n", kExclusions[r].id,
                static_cast<unsigned long long>(redraws.per_rule[r]),
                static_cast<unsigned long long>(excused_per_rule[r]));
  }
  std::printf("words redrawn because a more specific entry decodes them: %llu\n",
              static_cast<unsigned long long>(redraws.shadowed));
  std::printf(
      "\n%llu trials over %zu entries (seed %llu): %llu mismatches in %llu entries, %llu excused, "
      "%llu entries without trials; %.2f s (%.0f trials/s)\n",
      static_cast<unsigned long long>(total), sel.size(), static_cast<unsigned long long>(opt.seed),
      static_cast<unsigned long long>(mismatches), static_cast<unsigned long long>(entries_bad),
      static_cast<unsigned long long>(excused), static_cast<unsigned long long>(zero), secs,
      secs > 0 ? total / secs : 0.0);
  if (mismatches > opt.max_failures) {
    std::printf("(only the first %llu mismatches were printed; see --max-failures)\n",
                static_cast<unsigned long long>(opt.max_failures));
  }
  return (mismatches || zero) ? 1 : 0;
}

}  // namespace
}  // namespace kvrm::diff

int main(int argc, char** argv) {
  kvrm::diff::Options o;
  CLI::App app{
      "kvrm_difftest: kvrm's reference engine against Unicorn 2, one random instruction "
      "from the encoding table at a time"};
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_option("--count", o.count, "total number of trials, round-robin over the entries")
      ->capture_default_str();
  app.add_option("--trial", o.trial, "replay this one trial (same seed and filters) in full");
  app.add_option("--ops", o.sel.ops, "only entries whose handler name matches this regex");
  app.add_option("--exclude-ops", o.sel.exclude_ops, "leave out entries matching this regex");
  app.add_option("--group", o.sel.groups,
                 "only these groups, comma-separated: C4.1.86 (dp-imm), C4.1.87 (branch-sys), "
                 "C4.1.88 (ldst), C4.1.89 (dp-reg), C4.1.90 (simd-fp)");
  app.add_option("--section", o.sel.section,
                 "only entries listed under a64.inc section headers matching this regex");
  app.add_option("--kind", o.sel.kind,
                 "int, simd (or fp) or all: entries without / with SIMD&FP registers")
      ->capture_default_str();
  app.add_flag("--allow-empty", o.allow_empty,
               "an empty selection passes (exit 0) instead of being a usage error");
  app.add_option("--lanes", o.lane_bits, "lane width of V registers in reports: 8, 16, 32 or 64")
      ->check(CLI::IsMember({8, 16, 32, 64}))
      ->capture_default_str();
  app.add_flag("--verbose,-v", o.verbose, "one line per trial");
  app.add_option("--max-failures", o.max_failures, "print at most this many mismatches")
      ->capture_default_str();
  app.add_flag("--list", o.list, "list the selected entries and exit");
  app.add_flag("--brief", o.brief, "summary: only entries with mismatches or without trials");
  app.add_flag("--no-fault-kind", o.no_fault_kind,
               "do not compare the kind of a fault (unmapped / permission / alignment)");
  CLI11_PARSE(app, argc, argv);
  try {
    return kvrm::diff::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvrm_difftest: %s\n", e.what());
    return 2;
  }
}
