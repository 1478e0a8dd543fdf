// One engine's (or lane runner's) block translation on one GPU: the hot-spot counters the
// interpreter fills, the hot targets it reports, the translation of what is hot
// (src/jit/translator.hpp), the compile in a background thread (compiler.hpp), and the
// installed module whose kernels replace the interpreter's.
//
// With the translation cache on disk (cache.hpp) a run also records its rounds of
// translation (the entries of each, and a hash of every page each read) and stores them at the
// end as the program's profile. The next run of the program replays them at its first polls,
// each round as soon as the pages it read hold the same bytes again, so the translator writes
// the same sources as before and their module comes from disk at once. Replay is always safe:
// the translator reads the code as it is; a page that changed stops the replay, and the rounds
// after it come from hot code as usual.
//
// Used from one host thread (the engine's), whose current device is this manager's; only the
// compile runs elsewhere.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "jit/cache.hpp"
#include "jit/hooks.hpp"
#include "jit/options.hpp"
#include "jit/profile.hpp"
#include "jit/translator.hpp"

namespace kvrm::jit {

// A loaded module of translated code: its two kernels (the module header's
// KVRM_JIT_MODULE_ENTRY(): kvrm_jit_single_kernel and kvrm_jit_lanes_kernel, with the
// interpreter kernels' parameters) and what it translated. Unloaded when the last launch holding it
// lets go.
struct JitModule {
  cudaLibrary_t library = nullptr;
  const void* single = nullptr;  // kvrm_jit_single_kernel, launchable with cudaLaunchKernel
  const void* lanes = nullptr;   // kvrm_jit_lanes_kernel
  int lanes_blocks_per_sm = 0;   // resident 128-thread blocks of the lanes kernel per SM
  std::shared_ptr<const Translation> translation;

  JitModule() = default;
  JitModule(const JitModule&) = delete;
  JitModule& operator=(const JitModule&) = delete;
  ~JitModule();
};

class JitManager {
 public:
  // Throws kvrm::Error when options.mode is On and the run-time compiler is missing.
  // `frame_shift`: the layout of the frames the engine's lanes run on (isa/mmu.hpp,
  // frame_start), compiled into the modules as a constant (KVRM_JIT_FRAME_SHIFT).
  JitManager(const JitOptions& options, int device, u32 frame_shift = 0);
  ~JitManager();
  JitManager(const JitManager&) = delete;
  JitManager& operator=(const JitManager&) = delete;

  // False once translation has stopped (mode Auto after a failure) or was never possible.
  bool active() const { return active_; }
  const JitOptions& options() const { return o_; }

  // The interpreter's hooks without entries: the counters, the ring, the threshold.
  InterpHooks hooks() const;

  // The PC that names the program's profile in the translation cache (where it starts, or its
  // own entry where it starts in a shared interpreter); the first call counts. Without it no
  // profile is replayed or stored.
  void set_start(u64 pc) {
    if (has_start_) return;
    start_ = pc;
    has_start_ = true;
  }

  // Takes the branch targets that became hot since the last call (and `also_hot`) and, when
  // that gives new code to translate and no compile is running, translates it (reading code
  // through `read`, on this thread) and starts compiling it. Rounds of a profile are replayed
  // first; a module found compiled is ready at once (update_ready()).
  void poll(const CodeReader& read, std::span<const u64> also_hot = {});
  // True when a compile has finished and installed() would install something new.
  bool update_ready() const;
  // Waits for the running compile, if any.
  void wait();
  // The module to launch (nullptr: the interpreter's kernels); installs a finished compile
  // first. Throws kvrm::Error in mode On when compiling or loading failed.
  std::shared_ptr<JitModule> installed();
  // Forgets every translation of a page in [addr, addr + size) (the mappings or the bytes
  // there change); true when the installed module had one, so a kernel running it must stop.
  bool invalidate(u64 addr, u64 size);
  // The same for translations read from any of these frames (their bytes changed).
  bool invalidate_frames(std::span<const u32> frames);

  JitStats stats() const;
  // Counts a run's instructions: `interpreted` of `cycles` were retired by the interpreter.
  void count(u64 cycles, u64 interpreted) {
    stats_.translated_run += cycles - interpreted;
    stats_.interpreted_run += interpreted;
  }
  void count_interpreted_lanes(u64 n) { stats_.interpreted_lanes += n; }

 private:
  void drain_ring();
  void start_over();
  void start_compile(std::shared_ptr<const Translation> t);
  std::vector<std::string> module_sources(const Translation& t) const;
  void fail(const std::string& why);
  // The program's profile in the translation cache: loaded at the first poll, stored at the
  // end.
  void load_profile(const CodeReader& read);
  void store_profile();
  // Replays the profile's rounds whose pages read the same now; true when they added blocks
  // (a module is then ready or compiling).
  bool replay(const CodeReader& read);

  JitOptions o_;
  int device_;
  u32 frame_shift_;
  bool active_ = false;
  std::string note_;
  // Device side of the hooks, and the stream the host reads the ring on.
  u32* d_counts_ = nullptr;
  HotRing* d_ring_ = nullptr;
  cudaStream_t stream_ = nullptr;
  u32 tail_ = 0;
  std::vector<u64> slots_;
  // What is translated (grows round by round; starts over when its code changes) and the hot
  // targets it is translated from.
  std::unique_ptr<Translator> translator_;
  HotTargets hot_;
  // The installed module and the compile in flight.
  std::shared_ptr<JitModule> current_;
  std::shared_ptr<const Translation> compiling_;
  std::thread worker_;
  mutable std::mutex mu_;  // guards done_, result_, error_
  bool done_ = false;
  bool stale_ = false;  // the translation in flight was invalidated
  std::vector<char> result_;
  std::string error_;
  JitStats stats_;
  // The translation cache on disk (nullptr: none), the program's start and its profile (the
  // rounds recorded, and those of a run before still to replay).
  std::shared_ptr<JitDiskCache> disk_;
  u64 start_ = 0;
  bool has_start_ = false;
  bool profile_loaded_ = false;
  CacheKey profile_key_{};
  JitProfile profile_;
};

}  // namespace kvrm::jit
