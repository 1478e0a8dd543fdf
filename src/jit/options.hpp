// How an engine uses block translation (jit/manager.hpp), and what it did: the settings and
// figures the command line, the Python API and the engines share, in every build (with or
// without CUDA), so that a command line means the same everywhere.
#pragma once

#include <string>

#include "isa/hd.hpp"

namespace kvrm {

// Block translation (src/jit/): the interpreter counts taken branches; code
// that becomes hot is translated into C++, compiled at run time (NVRTC) in the background, and
// run as native GPU code from the next launch on (in persistent mode, the resident kernel is
// swapped at its next poll). Results are the interpreter's, bit for bit.
enum class JitMode : u8 {
  Off,   // interpret everything
  Auto,  // translate when the run-time compiler (NVRTC, nvJitLink) is installed
  On,    // translate; kvrm::Error where the compiler is missing or fails
};
struct JitOptions {
  JitMode mode = JitMode::Auto;
  u32 hot_threshold = 64;  // taken branches to a target that make it hot (>= 1)
  bool wait = false;       // before each launch, compile what is hot, the start PC included,
                           // and wait for it (deterministic: tests, benchmarks' warm-up)
  // The translation cache on disk (jit/cache.hpp): compiled code and the rounds
  // of translation a program went through, so that running it again compiles nothing. A
  // directory, "" for $XDG_CACHE_HOME/kvrm (else $HOME/.cache/kvrm), or "off".
  std::string cache{};
  u64 cache_max_bytes = 0;  // its size limit; 0: KVRM_JIT_CACHE_MAX_BYTES, else 1 GiB
};

// "off", "auto", "on"; kvrm::Error for anything else.
JitMode parse_jit_mode(const std::string& s);
const char* jit_mode_name(JitMode m);

// What the translator has done for an engine (zeros where it is off).
struct JitStats {
  bool active = false;         // translation is on for this engine
  u64 compiles = 0;            // modules compiled (or found compiled) and installed
  u64 blocks = 0;              // in the installed module
  u64 instructions = 0;        // in the installed module
  u64 hot_targets = 0;         // branch targets found hot so far
  double compile_seconds = 0;  // NVRTC, summed (in the background)
  double link_seconds = 0;     // nvJitLink, summed
  u64 parts_compiled = 0;      // source parts NVRTC compiled
  u64 parts_from_disk = 0;     // ...and found compiled in the translation cache on disk
  u64 modules_from_disk = 0;   // linked modules found there (no compile, no link)
  u64 rounds_replayed = 0;     // rounds of translation replayed from a run before
  std::string cache;           // the translation cache's directory ("": none)
  u64 translated_run = 0;      // instructions retired in translated code
  u64 interpreted_run = 0;     // ...and by the interpreter, while translation was on
  u64 interpreted_lanes = 0;   // lane launches run interpreted (their code pages differ)
  std::string note;            // why translation is off or stopped, if it is
};

}  // namespace kvrm
