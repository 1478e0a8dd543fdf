// Clocks and sleeping, prctl (the name), sysinfo, times.
#include <sched.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <time.h>

#include <cstring>

#include "os/process.hpp"
#include "os/syscalls_internal.hpp"

namespace kvrm::os::detail {
namespace {

i64 sys_clock_getres(Process& p, const u64* a) {
  struct timespec ts;
  const i64 id = host_clock(a[0]);
  if (id < 0) return id;
  if (::clock_getres(static_cast<clockid_t>(id), &ts) != 0) return err(errno);
  const i64 g[2] = {ts.tv_sec, ts.tv_nsec};
  return !a[1] || p.write(a[1], g, sizeof g) ? 0 : err(EFAULT);
}

i64 sys_gettimeofday(Process& p, const u64* a) {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  const i64 tv[2] = {ts.tv_sec, ts.tv_nsec / 1000};
  if (a[0] && !p.write(a[0], tv, sizeof tv)) return err(EFAULT);
  const i32 tz[2] = {0, 0};
  if (a[1] && !p.write(a[1], tz, sizeof tz)) return err(EFAULT);
  return 0;
}

// Reads a guest timespec: 0, -EFAULT or -EINVAL.
i64 read_timespec(Process& p, u64 addr, struct timespec& ts) {
  i64 g[2];
  if (!p.read(addr, g, sizeof g)) return err(EFAULT);
  if (g[0] < 0 || g[1] < 0 || g[1] >= 1000000000) return err(EINVAL);
  ts.tv_sec = g[0];
  ts.tv_nsec = g[1];
  return 0;
}

// Sleeps through Process::sleep_until, so that the timeout, cancel() and signals for the guest
// end the sleep. A signal the guest takes ends it with EINTR (and the time left in *rem for a
// relative sleep); Linux never restarts a sleep after a handler.
i64 sys_clock_nanosleep(Process& p, const u64* a) {
  const clockid_t clock = static_cast<clockid_t>(a[0]);
  switch (a[0]) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI: break;
    // The guest's CPU time is no host clock kvrm could wait on; the raw and coarse clocks have
    // no sleep on Linux either; the alarm clocks need CAP_WAKE_ALARM.
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM: return err(EOPNOTSUPP);
    default: return err(EINVAL);  // CLOCK_THREAD_CPUTIME_ID and unknown clocks
  }
  struct timespec req, now;
  ::clock_gettime(clock, &now);
  if (a[1] & ~u64{TIMER_ABSTIME}) return err(EINVAL);
  if (i64 e = read_timespec(p, a[2], req)) return e;
  const bool absolute = a[1] & TIMER_ABSTIME;
  struct timespec until = req;
  if (!absolute) {
    until.tv_sec = now.tv_sec + req.tv_sec;
    until.tv_nsec = now.tv_nsec + req.tv_nsec;
    if (until.tv_nsec >= 1000000000) {
      until.tv_nsec -= 1000000000;
      ++until.tv_sec;
    }
  }
  const Process::Wait w = p.sleep_until(clock, until);
  if (w == Process::Wait::Ready) return 0;
  if (w == Process::Wait::Park) return kParked;
  if (a[3] && !absolute) {
    ::clock_gettime(clock, &now);
    i64 left = (i64{until.tv_sec} - now.tv_sec) * 1000000000 + (until.tv_nsec - now.tv_nsec);
    if (left < 0) left = 0;
    const i64 g[2] = {left / 1000000000, left % 1000000000};
    p.write(a[3], g, sizeof g);
  }
  return err(EINTR);
}

i64 sys_nanosleep(Process& p, const u64* a) {
  const u64 b[4] = {CLOCK_MONOTONIC, 0, a[0], a[1]};
  return sys_clock_nanosleep(p, b);
}

i64 sys_sched_yield(Process& p, const u64*) {
  p.yield();
  return 0;
}

i64 sys_prctl(Process& p, const u64* a) {
  constexpr u64 kPrSetName = 15, kPrGetName = 16;
  if (a[0] == kPrSetName) {
    char name[16] = {};
    for (u64 k = 0; k < 15; ++k) {  // up to 16 bytes, stopping at the NUL
      if (!p.read(a[1] + k, &name[k], 1)) return err(EFAULT);
      if (!name[k]) break;
    }
    std::memcpy(p.comm, name, sizeof name);
    return 0;
  }
  if (a[0] == kPrGetName) return p.write(a[1], p.comm, sizeof p.comm) ? 0 : err(EFAULT);
  return err(EINVAL);
}

i64 sys_sysinfo(Process& p, const u64* a) {
  struct sysinfo si;  // the same layout on x86-64 and aarch64 (112 bytes)
  if (::sysinfo(&si) != 0) return err(errno);
  static_assert(sizeof si == 112);
  return p.write(a[0], &si, sizeof si) ? 0 : err(EFAULT);
}

i64 sys_times(Process& p, const u64* a) {
  struct tms t;
  const clock_t r = ::times(&t);
  const i64 g[4] = {t.tms_utime, t.tms_stime, t.tms_cutime, t.tms_cstime};
  if (a[0] && !p.write(a[0], g, sizeof g)) return err(EFAULT);
  return r;
}

}  // namespace

void add_misc_syscalls(SyscallDef* d) {
  d[101] = {"nanosleep", "xx", sys_nanosleep};
  d[114] = {"clock_getres", "dx", sys_clock_getres};
  d[115] = {"clock_nanosleep", "ddxx", sys_clock_nanosleep};
  d[124] = {"sched_yield", "", sys_sched_yield};
  d[153] = {"times", "x", sys_times};
  d[167] = {"prctl", "dxxxx", sys_prctl};
  d[169] = {"gettimeofday", "xx", sys_gettimeofday};
  d[179] = {"sysinfo", "x", sys_sysinfo};
}

}  // namespace kvrm::os::detail
