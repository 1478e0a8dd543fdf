// The translation modes by name (options.hpp).
#include "jit/options.hpp"

#include "core/error.hpp"

namespace kvrm {

JitMode parse_jit_mode(const std::string& s) {
  if (s == "off") return JitMode::Off;
  if (s == "auto") return JitMode::Auto;
  if (s == "on") return JitMode::On;
  throw Error("unknown translation mode '" + s + "' (use off, auto or on)");
}

const char* jit_mode_name(JitMode m) {
  switch (m) {
    case JitMode::Off: return "off";
    case JitMode::Auto: return "auto";
    case JitMode::On: return "on";
  }
  return "?";
}

}  // namespace kvrm
