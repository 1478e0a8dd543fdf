// In-memory standard streams (ProcessOptions::stdin_data, stdout_buffer, stderr_buffer): a
// hand-built static AArch64 program copies stdin to stdout through the memory streams; the
// syscalls on them behave like a pipe's (fstat, lseek, ioctl, pread, fcntl, dup, close); kvrm's
// own messages about the guest land in the stderr buffer; several processes run at once on
// different host threads without touching host-global state.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engines/engine.hpp"
#include "os/process.hpp"
#include "os/syscalls.hpp"
#include "os_program.hpp"

namespace kvrm::os {
namespace {

using namespace test;

// read(0) into the buffer and write(1) what came until EOF (or an error), then write "err\n"
// to fd 2 and exit_group(7).
std::string cat_program() {
  std::vector<u32> c = {
      movz(0, 0),        // loop: x0 = 0
      movz(1, 0x41, 1),  //   x1 = 0x410000
      movk(1, 0x100),    //   x1 = 0x410100
      movz(2, 64),       //   64 bytes at most
      movz(8, 63),       //   read
      kSvc,              //
      tbnz63(0, 7),      //   error: done
      cbz(0, 6),         //   EOF: done
      mov(2, 0),         //   the count read
      movz(0, 1),        //   fd 1
      movz(8, 64),       //   write
      kSvc,              //
      b(-12),            //   again
      movz(0, 2),        // done: fd 2
      movz(1, 0x41, 1),  //   "err\n"
      movz(2, 4),        //
      movz(8, 64),       //   write
      kSvc,              //
      movz(0, 7),        //   status 7
      movz(8, 94),       //   exit_group
      kSvc,
  };
  static_assert(kBuf == 0x410100);
  return write_program("cat", c);
}

struct Streams {
  std::string in, out, err;
};

ProcessOptions options(const std::string& path, Streams& s, bool with_stdin = true) {
  ProcessOptions o;
  o.path = path;
  o.argv = {path};
  if (with_stdin) o.stdin_data = &s.in;
  o.stdout_buffer = &s.out;
  o.stderr_buffer = &s.err;
  return o;
}

TEST(OsStdio, CatCopiesStdinToStdoutBuffer) {
  const std::string prog = cat_program();
  Streams s;
  for (int k = 0; k < 1000; ++k) s.in += "line " + std::to_string(k) + "\n";
  auto e = make_reference_engine(u64{256} << 20);
  Process p(*e, options(prog, s));
  EXPECT_EQ(p.run(), 7);
  EXPECT_EQ(s.out, s.in);
  EXPECT_EQ(s.err, "err\n");
}

TEST(OsStdio, EmptyStdinIsEofAtOnce) {
  const std::string prog = cat_program();
  Streams s;
  auto e = make_reference_engine(u64{256} << 20);
  Process p(*e, options(prog, s));
  EXPECT_EQ(p.run(), 7);
  EXPECT_EQ(s.out, "");
  EXPECT_EQ(s.err, "err\n");
}

// Syscalls on the memory streams, called directly with buffers on the guest stack.
class MemoryFds : public ::testing::Test {
 protected:
  static constexpr u64 kScratch = Process::kStackTop - Process::kStackSize + 0x1000;
  void SetUp() override {
    s_.in = "hello, stdin";
    prog_ = cat_program();
    e_ = make_reference_engine(u64{256} << 20);
    p_ = std::make_unique<Process>(*e_, options(prog_, s_));
  }
  i64 sys(u64 nr, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0) {
    const u64 a[6] = {a0, a1, a2, a3, a4, 0};
    return service_syscall(*p_, nr, a);
  }
  void put(u64 addr, const std::string& text) { e_->write_memory(addr, text.data(), text.size()); }
  std::string get(u64 addr, u64 n) {
    std::string t(n, '\0');
    e_->read_memory(addr, t.data(), n);
    return t;
  }
  Streams s_;
  std::string prog_;
  std::unique_ptr<Engine> e_;
  std::unique_ptr<Process> p_;
};

constexpr u64 kRead = 63, kWrite = 64, kReadv = 65, kPread = 67, kPwrite = 68, kLseek = 62,
              kIoctl = 29, kFstat = 80, kDup = 23, kDup3 = 24, kFcntl = 25, kClose = 57,
              kStatx = 291, kNewfstatat = 79, kGetdents = 61, kFtruncate = 46;

TEST_F(MemoryFds, ReadsThenEof) {
  EXPECT_EQ(sys(kRead, 0, kScratch, 5), 5);
  EXPECT_EQ(get(kScratch, 5), "hello");
  // readv over two buffers takes the rest.
  const u64 iov[4] = {kScratch + 100, 3, kScratch + 200, 100};
  e_->write_memory(kScratch + 64, iov, sizeof iov);
  EXPECT_EQ(sys(kReadv, 0, kScratch + 64, 2), 7);
  EXPECT_EQ(get(kScratch + 100, 3), ", s");
  EXPECT_EQ(get(kScratch + 200, 4), "tdin");
  EXPECT_EQ(sys(kRead, 0, kScratch, 5), 0);
  EXPECT_EQ(sys(kRead, 0, kScratch, 5), 0);
  EXPECT_EQ(sys(kRead, 0, 0x10, 5), -EFAULT);
}

TEST_F(MemoryFds, PipeSemantics) {
  EXPECT_EQ(sys(kLseek, 0, 0, SEEK_SET), -ESPIPE);
  EXPECT_EQ(sys(kLseek, 1, 0, SEEK_CUR), -ESPIPE);
  EXPECT_EQ(sys(kPread, 0, kScratch, 4, 0), -ESPIPE);
  EXPECT_EQ(sys(kPwrite, 1, kScratch, 4, 0), -ESPIPE);
  EXPECT_EQ(sys(kPread, 0, kScratch, 4, static_cast<u64>(-1)), -EINVAL);
  EXPECT_EQ(sys(kIoctl, 0, 0x5401 /* TCGETS */, kScratch), -ENOTTY);
  EXPECT_EQ(sys(kIoctl, 1, 0x5413 /* TIOCGWINSZ */, kScratch), -ENOTTY);
  EXPECT_EQ(sys(kRead, 1, kScratch, 4), -EBADF);   // the write end
  EXPECT_EQ(sys(kWrite, 0, kScratch, 4), -EBADF);  // the read end
  EXPECT_EQ(sys(kGetdents, 0, kScratch, 4096), -ENOTDIR);
  EXPECT_EQ(sys(kFtruncate, 1, 0), -EINVAL);
  EXPECT_EQ(sys(kFcntl, 0, F_GETFL), O_RDONLY);
  EXPECT_EQ(sys(kFcntl, 1, F_GETFL), O_WRONLY);
  EXPECT_EQ(sys(kFcntl, 1, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(sys(kFcntl, 1, F_GETFL), O_WRONLY | O_NONBLOCK);
}

TEST_F(MemoryFds, FstatIsAFifo) {
  for (u64 fd : {0, 1, 2}) {
    ASSERT_EQ(sys(kFstat, fd, kScratch), 0);
    u32 mode;
    e_->read_memory(kScratch + 16, &mode, 4);  // st_mode of aarch64's struct stat
    EXPECT_EQ(mode, S_IFIFO | 0600u) << fd;
  }
  put(kScratch + 512, std::string(1, '\0'));
  ASSERT_EQ(sys(kNewfstatat, 1, kScratch + 512, kScratch, 0x1000 /* AT_EMPTY_PATH */), 0);
  u32 mode;
  e_->read_memory(kScratch + 16, &mode, 4);
  EXPECT_EQ(mode, S_IFIFO | 0600u);
  ASSERT_EQ(sys(kStatx, 2, kScratch + 512, 0x1000, 0x7ff, kScratch), 0);
  u16 xmode;
  e_->read_memory(kScratch + 28, &xmode, 2);  // stx_mode
  EXPECT_EQ(xmode, S_IFIFO | 0600u);
}

TEST_F(MemoryFds, DupAndCloseKeepWorking) {
  put(kScratch, "abc");
  EXPECT_EQ(sys(kDup, 1), 3);
  EXPECT_EQ(sys(kWrite, 3, kScratch, 1), 1);
  EXPECT_EQ(sys(kClose, 1), 0);
  EXPECT_EQ(sys(kWrite, 1, kScratch, 1), -EBADF);
  EXPECT_EQ(sys(kWrite, 3, kScratch + 1, 1), 1);
  EXPECT_EQ(sys(kDup3, 3, 1, O_CLOEXEC), 1);
  EXPECT_EQ(sys(kFcntl, 1, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(sys(kWrite, 1, kScratch + 2, 1), 1);
  EXPECT_EQ(s_.out, "abc");
  // stdout onto stderr's buffer, the shell's 2>&1 the other way round.
  EXPECT_EQ(sys(kDup3, 2, 1, 0), 1);
  EXPECT_EQ(sys(kWrite, 1, kScratch, 3), 3);
  EXPECT_EQ(s_.err, "abc");
  // F_DUPFD of stdin shares the read position.
  EXPECT_EQ(sys(kFcntl, 0, F_DUPFD, 10), 10);
  EXPECT_EQ(sys(kRead, 10, kScratch, 6), 6);
  EXPECT_EQ(sys(kRead, 0, kScratch, 100), 6);
  EXPECT_EQ(get(kScratch, 6), " stdin");
}

TEST_F(MemoryFds, DevStdoutAndProcSelfFdNameTheStreams) {
  constexpr u64 kOpenat = 56, kReadlinkat = 78;
  const u64 cwd = static_cast<u64>(-100);
  put(kScratch + 1024, std::string("/dev/stdout") + '\0');
  const i64 out = sys(kOpenat, cwd, kScratch + 1024, O_WRONLY);
  ASSERT_GE(out, 3);
  put(kScratch, "via /dev/stdout");
  EXPECT_EQ(sys(kWrite, static_cast<u64>(out), kScratch, 15), 15);
  EXPECT_EQ(s_.out, "via /dev/stdout");
  put(kScratch + 1024, std::string("/proc/self/fd/0") + '\0');
  const i64 in = sys(kOpenat, cwd, kScratch + 1024, O_RDONLY);
  ASSERT_GE(in, 3);
  EXPECT_EQ(sys(kRead, static_cast<u64>(in), kScratch, 5), 5);
  EXPECT_EQ(sys(kRead, 0, kScratch, 2), 2);  // one pipe: the position is shared
  EXPECT_EQ(get(kScratch, 2), ", ");
  EXPECT_EQ(sys(kOpenat, cwd, kScratch + 1024, O_WRONLY), -EACCES);  // stdin's write side
  ASSERT_EQ(sys(kNewfstatat, cwd, kScratch + 1024, kScratch + 2048, 0), 0);
  u32 mode;
  e_->read_memory(kScratch + 2048 + 16, &mode, 4);
  EXPECT_EQ(mode, S_IFIFO | 0600u);
  const i64 n = sys(kReadlinkat, cwd, kScratch + 1024, kScratch + 2048, 64);
  ASSERT_GT(n, 0);
  EXPECT_EQ(get(kScratch + 2048, static_cast<u64>(n)), "pipe:[1]");
  put(kScratch + 1024, std::string("/dev/fd/9") + '\0');
  EXPECT_EQ(sys(kOpenat, cwd, kScratch + 1024, O_RDONLY), -ENOENT);
}

TEST(OsStdio, OnlyTheStreamsAskedForAreInMemory) {
  const std::string prog = cat_program();
  Streams s;
  auto e = make_reference_engine(u64{256} << 20);
  Process p(*e, options(prog, s, /*with_stdin=*/false));
  EXPECT_EQ(p.fds.get(0)->mem, nullptr);
  EXPECT_EQ(p.fds.get(0)->host, 0);
  ASSERT_NE(p.fds.get(1)->mem, nullptr);
  ASSERT_NE(p.fds.get(2)->mem, nullptr);
}

TEST(OsStdio, KvrmMessagesGoToTheStderrBuffer) {
  Streams s;
  {
    auto e = make_reference_engine(u64{256} << 20);
    ProcessOptions o = options(write_program("loop", {b(0)}), s);
    o.max_instructions = 1000;
    Process p(*e, std::move(o));
    EXPECT_EQ(p.run(), kExitTimeout);
    EXPECT_NE(s.err.find("kvrm: instruction limit (1000) reached at pc 0x400100"),
              std::string::npos)
        << s.err;
  }
  s = {};
  {
    auto e = make_reference_engine(u64{256} << 20);
    Process p(*e, options(write_program("fault", {movz(1, 0), kLdrX0X1}), s));
    EXPECT_EQ(p.run(), 139);
    EXPECT_NE(s.err.find("kvrm: uncaught target signal 11 (Segmentation fault)"), std::string::npos)
        << s.err;
  }
}

// The host's umask: read from /proc/self/status.
unsigned host_umask() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  unsigned v = ~0u;
  while (f && std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "Umask: %o", &v) == 1) break;
  if (f) std::fclose(f);
  return v;
}

TEST(OsStdio, CreatesFilesWithTheGuestUmaskAloneAndLeavesTheHostsAlone) {
  const mode_t before = ::umask(022);
  const std::string dir = ::testing::TempDir() + "kvrm_os_stdio_rw_" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0755);
  const std::string file = dir + "/created";
  ::unlink(file.c_str());
  {
    Streams s;
    auto e = make_reference_engine(u64{256} << 20);
    ProcessOptions o = options(cat_program(), s);
    o.sandbox.rw_dirs = {dir};
    Process p(*e, std::move(o));
    EXPECT_EQ(host_umask(), 022u);
    const u64 scratch = Process::kStackTop - Process::kStackSize + 0x1000;
    e->write_memory(scratch, file.c_str(), file.size() + 1);
    const u64 um[6] = {0};
    EXPECT_EQ(service_syscall(p, 166 /* umask */, um), 022);
    const u64 a[6] = {static_cast<u64>(-100), scratch, O_WRONLY | O_CREAT, 0666};
    const i64 fd = service_syscall(p, 56 /* openat */, a);
    EXPECT_GE(fd, 3);
  }
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  EXPECT_EQ(host_umask(), 022u);
  ::unlink(file.c_str());
  ::rmdir(dir.c_str());
  ::umask(before);
}

TEST(OsStdio, ProcessesRunConcurrentlyOnHostThreads) {
  const std::string prog = cat_program();
  constexpr int kThreads = 8;
  std::vector<Streams> s(kThreads);
  std::vector<int> status(kThreads, -1);
  for (int k = 0; k < kThreads; ++k)
    for (int j = 0; j < 200 * (k + 1); ++j) s[k].in += "thread " + std::to_string(k) + "\n";
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k)
    threads.emplace_back([&, k] {
      auto e = make_reference_engine(u64{256} << 20);
      Process p(*e, options(prog, s[k]));
      status[k] = p.run();
    });
  for (auto& t : threads) t.join();
  for (int k = 0; k < kThreads; ++k) {
    EXPECT_EQ(status[k], 7) << k;
    EXPECT_EQ(s[k].out, s[k].in) << k;
    EXPECT_EQ(s[k].err, "err\n") << k;
  }
}

}  // namespace
}  // namespace kvrm::os
