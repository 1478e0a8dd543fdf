// HostSignalForwarder: host signal handlers that post to the guest process.
#include "os/host_signals.hpp"

#include <signal.h>

#include <atomic>

#include "core/error.hpp"
#include "os/process.hpp"

namespace kvrm::os {
namespace {

constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGXFSZ};
constexpr int kCount = sizeof kForwarded / sizeof kForwarded[0];

std::atomic<Process*> g_target{nullptr};
struct sigaction g_saved[kCount];
struct sigaction g_saved_pipe;

// Async-signal-safe: post_signal is a lock-free atomic or. The host numbers of these signals are
// the guest's (the generic Linux numbering) on x86-64 and aarch64 hosts alike.
void forward(int sig) {
  if (Process* p = g_target.load(std::memory_order_acquire)) p->post_signal(sig);
}

}  // namespace

HostSignalForwarder::HostSignalForwarder(Process& p) {
  Process* none = nullptr;
  if (!g_target.compare_exchange_strong(none, &p))
    throw Error("only one HostSignalForwarder may exist at a time");
  // What kvrm was started ignoring (nohup's SIGHUP, a background job's SIGINT), the guest starts
  // ignoring, as exec keeps it.
  for (int s = 1; s < 32; ++s) {
    struct sigaction old;
    if (s != SIGKILL && s != SIGSTOP && sigaction(s, nullptr, &old) == 0 &&
        old.sa_handler == SIG_IGN)
      p.signals.actions[s].handler = sig::kIgn;
  }
  struct sigaction sa = {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // kvrm's own calls go on; the guest's waits see the posted signal
  for (int k = 0; k < kCount; ++k) {
    sigaction(kForwarded[k], nullptr, &g_saved[k]);
    if (g_saved[k].sa_handler != SIG_IGN) sigaction(kForwarded[k], &sa, nullptr);
  }
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, &g_saved_pipe);
}

HostSignalForwarder::~HostSignalForwarder() {
  for (int k = 0; k < kCount; ++k) sigaction(kForwarded[k], &g_saved[k], nullptr);
  sigaction(SIGPIPE, &g_saved_pipe, nullptr);
  g_target.store(nullptr, std::memory_order_release);
}

}  // namespace kvrm::os
