// kvrm's exception type for errors at the API boundary (bad arguments, unmapped host-side
// accesses, out of memory, CUDA failures). Instruction semantics never throw: they return a
// stop signal.
#pragma once

#include <stdexcept>
#include <string>

namespace kvrm {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace kvrm
