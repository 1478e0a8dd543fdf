// libFuzzer target for the OS layer: each input is a list of syscalls fed straight into
// os::service_syscall on a fresh Process (reference engine, a tiny static program that never
// runs), sandboxed in a temporary root with a scratch --rw directory, in-memory standard streams
// and a small timeout. Arguments are typed by a byte per argument (a raw value, a pointer into
// the guest scratch pages, a path from a table, a descriptor, a size...); the scratch pages hold
// the input's own bytes and the path strings. After each call the pending signals are delivered
// (as the run loop does); an exit or a fatal signal ends the input.
//
// Findings: a crash, a sanitizer report, an exception other than kvrm::Error, and any change to
// the read-only part of the root or to the sentinel outside it (checked after every input).
//
// Input: records of 56 bytes: u16 number selector, 6 kind bytes, 6 little-endian u64 values.
// SYSCALL_FUZZ_TRACE=1 in the environment prints each call and its result (for reproducers).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engines/engine.hpp"
#include "isa/mmu.hpp"
#include "os/process.hpp"
#include "os/syscalls.hpp"
#include "tiny_elf.hpp"

namespace {

namespace fs = std::filesystem;
using kvrm::u64;
using kvrm::u8;

using kvrm::os::test::kCode;
constexpr u64 kScratch = 0x10000000, kScratchSize = 0x4000;  // RW, then one read-only page
constexpr u64 kReadOnly = kScratch + kScratchSize;
constexpr u64 kStrings = kScratch + 0x3000;  // the path table inside the scratch pages
constexpr size_t kRecord = 56;

// Calls never made: they may wait without end here (a long sleep, the read end of a pipe kvrm
// holds both ends of), since a Process's timeout counts from run(), which this target never
// calls, or they flush the host's disks (slow); the guest fuzzer (tests/security) covers them
// under `kvrm run --timeout`.
bool skipped(u64 nr) {
  return nr == 101 || nr == 115 || nr == 137 ||  // nanosleep, clock_nanosleep, rt_sigtimedwait
         nr == 59 ||                             // pipe2
         nr == 81 || nr == 267;                  // sync, syncfs
}

// A static AArch64 program: `svc #0; b .` at kCode (R+X) and a 4 KiB RW data page.
std::vector<u8> tiny_program() { return kvrm::os::test::tiny_elf({0xd4000001, 0x14000000}); }

// Every name below `dir` with its type, mode, size, link target and contents.
std::string snapshot(const fs::path& dir, const fs::path& skip) {
  std::string out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path p = it->path();
    if (p == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    out += p.string() + ' ' + std::to_string(st.st_mode) + ' ' + std::to_string(st.st_size);
    if (S_ISLNK(st.st_mode)) out += " -> " + fs::read_symlink(p, ec).string();
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(p, std::ios::binary);
      out += ' ' + std::string(std::istreambuf_iterator<char>(in), {});
    }
    out += '\n';
  }
  return out;
}

int open_fds() {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::end(it);
       it.increment(ec))
    ++n;
  return n;
}

// Removes everything below `dir` (the guest may have left entries without permissions).
void empty_dir(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory(ec) && !e.is_symlink(ec)) {
      ::chmod(e.path().c_str(), 0700);
      empty_dir(e.path());
    }
    fs::remove(e.path(), ec);
  }
}

struct Setup {
  fs::path top, root, rw, program;
  std::vector<std::string> paths;                             // the guest paths of the string table
  std::string before;                                         // snapshot of everything but rw/
  bool trace = std::getenv("SYSCALL_FUZZ_TRACE") != nullptr;  // each call on stderr
  Setup() {
    char tmpl[] = "/tmp/kvrm-syscall-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    top = tmpl;
    root = top / "root";
    rw = root / "rw";
    fs::create_directories(rw);
    fs::create_directories(root / "etc");
    fs::create_directories(root / "ro" / "dir");
    fs::create_directories(top / "outside");
    std::ofstream(top / "outside" / "sentinel") << "outside sentinel\n";
    std::ofstream(root / "etc" / "passwd") << "root:x:0:0::/:/bin/sh\n";
    std::ofstream(root / "ro" / "file") << "read-only file\n";
    fs::create_directory_symlink("../../..", root / "up");
    fs::create_directory_symlink(top / "outside", root / "out");
    fs::create_directory_symlink("/etc", root / "abs");
    fs::create_symlink(top / "outside" / "sentinel", root / "ro" / "sentinel-link");
    program = top / "prog";
    const std::vector<u8> elf = tiny_program();
    std::ofstream(program, std::ios::binary)
        .write(reinterpret_cast<const char*>(elf.data()), static_cast<std::streamsize>(elf.size()));
    paths = {"/",
             ".",
             "..",
             "",
             "/rw",
             "/rw/a",
             "/rw/b",
             "/rw/d",
             "/rw/d/x",
             "a",
             "/etc/passwd",
             "/ro/file",
             "/ro/dir",
             "/ro/sentinel-link",
             "/up",
             "/up/outside/sentinel",
             "/out/sentinel",
             "/abs/passwd",
             "/proc/self/mem",
             "/proc/self/exe",
             "/proc/self/fd/0",
             "/proc/self/fd/3",
             "/dev/stdin",
             "/dev/fd/1",
             "/rw/../ro/file",
             "/rw/d/../../up",
             std::string(255, 'a'),
             std::string(300, 'b')};
    before = snapshot(top, rw);
  }
  ~Setup() {
    std::error_code ec;
    empty_dir(top);
    fs::remove_all(top, ec);
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

u64 load64(const u8* p) {
  u64 v;
  std::memcpy(&v, p, 8);
  return v;
}

// One argument from its kind byte and value.
u64 argument(u8 kind, u64 v, size_t npaths, const std::vector<u64>& path_at) {
  static const u64 fds[] = {static_cast<u64>(-100), 1023,        1024,
                            static_cast<u64>(-1),   0x100000003, 0x7fffffff};
  static const u64 sizes[] = {
      0,         1,        8, 16, 4095, 4096, 4097, 0x10000, u64{1} << 31, ~u64{0}, u64{1} << 63,
      0x1000000, 0x1000001};
  switch (kind % 8) {
    case 1: return kScratch + v % (kScratchSize + 0x2000);  // may run into RO / unmapped
    case 2: return path_at[v % npaths];
    case 3: return (v & 0x100) ? fds[v % std::size(fds)] : v % 20;
    case 4: return static_cast<u64>(static_cast<std::int64_t>(static_cast<std::int8_t>(v)));
    case 5: return (v & 0x100) ? sizes[v % std::size(sizes)] : v & 0xffff;
    case 6: return (v & 0x10) ? kScratch + (v & 0xf000) : v & ~u64{0xfff};  // page addresses
    default: return v;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Setup& s = setup();
  const int fds = open_fds();  // the Process must close every host descriptor it opened
  std::string stdin_data = "fuzz stdin\n", out, err;
  try {
    auto engine = kvrm::make_reference_engine(u64{64} << 20);
    kvrm::os::ProcessOptions o;
    o.path = s.program.string();
    o.argv = {"prog"};
    o.timeout_seconds = 0.2;
    o.sandbox.root = s.root.string();
    o.sandbox.rw_dirs = {s.rw.string()};
    o.stdin_data = &stdin_data;
    o.stdout_buffer = &out;
    o.stderr_buffer = &err;
    kvrm::os::Process p(*engine, o);
    // The scratch pages: the input itself, then the path strings; a read-only page after.
    engine->map(kScratch, kScratchSize + 0x1000, kvrm::kPermRead | kvrm::kPermWrite);
    engine->write_memory(kScratch, data, std::min<size_t>(size, 0x3000));
    std::vector<u64> path_at;
    u64 at = kStrings;
    for (const auto& str : s.paths) {
      path_at.push_back(at);
      engine->write_memory(at, str.c_str(), str.size() + 1);
      at += str.size() + 1;
    }
    engine->protect(kReadOnly, 0x1000, kvrm::kPermRead);
    p.vmas().set(kScratch, kReadOnly, kvrm::kPermRead | kvrm::kPermWrite);
    p.vmas().set(kReadOnly, kReadOnly + 0x1000, kvrm::kPermRead);
    for (size_t off = 0; off + kRecord <= size && !p.exited(); off += kRecord) {
      const u8* r = data + off;
      const unsigned sel = r[0] | unsigned{r[1]} << 8;
      u64 args[6];
      for (int k = 0; k < 6; ++k)
        args[k] = argument(r[2 + k], load64(r + 8 + 8 * k), s.paths.size(), path_at);
      // Mostly the table's numbers, sometimes its edges and far beyond.
      const u64 nr = sel < 0xf000 ? sel % kvrm::os::kMaxSyscall : args[5] ^ sel;
      if (skipped(nr)) continue;
      try {
        const long long r = kvrm::os::service_syscall(p, nr, args);
        if (s.trace)
          std::fprintf(
              stderr, "syscall %llu (%s) %llx %llx %llx %llx %llx %llx = %lld\n",
              static_cast<unsigned long long>(nr),
              kvrm::os::syscall_def(nr).name ? kvrm::os::syscall_def(nr).name : "?",
              static_cast<unsigned long long>(args[0]), static_cast<unsigned long long>(args[1]),
              static_cast<unsigned long long>(args[2]), static_cast<unsigned long long>(args[3]),
              static_cast<unsigned long long>(args[4]), static_cast<unsigned long long>(args[5]),
              r);
        p.deliver_signals();
      } catch (const kvrm::Error&) {
        // refused with a message: fine
      }
    }
  } catch (const kvrm::Error&) {
    // refused with a message: fine
  } catch (const std::exception& e) {
    std::fprintf(stderr, "syscall_fuzz: unexpected exception: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "syscall_fuzz: unexpected non-std exception\n");
    std::abort();
  }
  if (const int n = open_fds(); n > fds) {
    std::fprintf(stderr, "syscall_fuzz: %d host descriptors open after the input, %d before\n", n,
                 fds);
    std::abort();
  }
  empty_dir(s.rw);
  if (const std::string now = snapshot(s.top, s.rw); now != s.before) {
    std::fprintf(stderr, "syscall_fuzz: a file outside --rw changed; before:\n%s\nafter:\n%s\n",
                 s.before.c_str(), now.c_str());
    std::abort();
  }
  return 0;
}
