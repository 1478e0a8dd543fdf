// libFuzzer target for the ELF loader: every input is parsed as a program image (parse_elf) and,
// when accepted, loaded into a fresh reference engine (load_elf), whose mapped memory is then
// read back. kvrm::Error (ExecError included) is the one allowed way to refuse an input; any
// other exception, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "engines/engine.hpp"
#include "os/elf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const kvrm::u8> file(data, size);
  try {
    const kvrm::os::ElfImage img = kvrm::os::parse_elf(file, "fuzz");
    // A small limit: images asking for more memory must be refused with an Error.
    auto engine = kvrm::make_reference_engine(kvrm::u64{64} << 20);
    const kvrm::os::LoadedImage loaded = kvrm::os::load_elf(*engine, img, file);
    if (loaded.ranges.size() != loaded.perms.size()) std::abort();
    std::vector<kvrm::u8> page(4096);
    for (const auto& [start, end] : loaded.ranges) {
      if (start >= end || !engine->is_mapped(start, end - start)) std::abort();
      engine->read_memory(start, page.data(), page.size());
    }
  } catch (const kvrm::Error&) {
    // refused with a message: fine
  } catch (const std::exception& e) {
    std::fprintf(stderr, "elf_fuzz: unexpected exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "elf_fuzz: unexpected non-std exception\n");
    std::abort();
  }
  return 0;
}
