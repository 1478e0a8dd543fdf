// Forwarding the signals kvrm itself receives to the guest. A terminal's Ctrl-C, a supervisor's
// SIGTERM or SIGHUP, a `kill` of kvrm's pid: each is posted to the Process (post_signal), which
// sends it to the guest as Linux would: its handler runs, a blocking syscall is interrupted, or
// the default action ends it with 128+signal and kvrm's message. kvrm never dies of them itself.
//
// This changes host-global state (the host process's signal dispositions), which a Process never
// does: only a program that owns its process, the kvrm command, uses it.
#pragma once

namespace kvrm::os {

class Process;

class HostSignalForwarder {
 public:
  // The signals forwarded: SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGXFSZ. Also
  // ignores SIGPIPE in the host process while alive (a write to a closed pipe gives EPIPE; the
  // guest's own writes get their SIGPIPE from the OS layer). One forwarder at a time; the
  // dispositions it replaced come back when it is destroyed. Signals kvrm was started ignoring
  // stay ignored, and the guest starts ignoring them too (as exec keeps SIG_IGN).
  explicit HostSignalForwarder(Process& p);
  ~HostSignalForwarder();
  HostSignalForwarder(const HostSignalForwarder&) = delete;
  HostSignalForwarder& operator=(const HostSignalForwarder&) = delete;
};

}  // namespace kvrm::os
