// The CUDA engine: the device core loop (device_core.cuh) in a GPU kernel, one guest core per
// thread, over device copies of an AddressSpace's page tables and frames.
//
// Dispatch modes: standard (execute: one launch, synchronise), continuous (batches of launches
// from a C++ loop), mega (one launch for the whole budget), and persistent (one launch that stays
// resident across SVCs: the kernel posts each syscall to a mailbox in mapped pinned memory and
// waits; the host services it on the calling thread and answers; the kernel continues).
//
// Memory coherence: the host AddressSpace is a mirror. Before a launch (and before answering a
// posted syscall), the page-table nodes (if changed) and every frame the host changed are
// uploaded. While the device runs, the device copy is the newer one: each frame remembers the
// epoch at which its host copy was last refreshed, a new epoch starts whenever device code may
// have run, and a host read or write of a stale frame downloads it first. Transfers during a
// persistent run go through a second stream, concurrently with the resident kernel.
#include <cuda_runtime.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/address_space.hpp"
#include "core/cuda_check.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/device_core.cuh"
#include "engines/cuda/kernels.cuh"
#include "jit/manager.hpp"

namespace kvrm {
namespace {

using cuda::CoreRecord;
using cuda::kDecodeCacheEntries;
using cuda::kMailDone;
using cuda::kMailIdle;
using cuda::kMailPosted;
using cuda::kPostedRegs;
using cuda::kReplyFull;
using cuda::kReplyKind;
using cuda::kReplyRemap;
using cuda::kReplyShift;
using cuda::kReplyStop;
using cuda::kReplyX0;
using cuda::kReplyX0InBox;
using cuda::kReplyYield;
using cuda::Mailbox;
using jit::InterpHooks;

using cuda::check;

// The interpreter's kernel: one core per thread (the JIT's modules have one of their own with
// the same parameters, jit/runtime.cuh). Hooks without counters: none.
__global__ void run_kernel(KVRM_SINGLE_CORE_PARAMS) {
  const InterpHooks* hp = hooks.counts ? &hooks : nullptr;
  cuda::single_core_body(cores, n_cores, pt, tlbs, mail, persistent,
                         [&](u32 id, CoreState& s, StopInfo& info, Mmu& mmu, u64 max_cycles,
                             const volatile u32* stop_request, u64 poll, bool) {
                           return cuda::run_core(s, info, mmu,
                                                 dcache + u64{id} * kDecodeCacheEntries, max_cycles,
                                                 stop_request, poll, hp);
                         });
}

// Reads a mailbox word the GPU writes.
u32 host_load(const u32& w) {
  const u32 v = *static_cast<const volatile u32*>(&w);
  std::atomic_thread_fence(std::memory_order_acquire);
  return v;
}
// Writes a mailbox word the GPU reads, after everything written before it.
template <class T>
void host_store(T& w, T v) {
  std::atomic_thread_fence(std::memory_order_release);
  *static_cast<volatile T*>(&w) = v;
}

class CudaEngine final : public Engine {
 public:
  explicit CudaEngine(const CudaEngineOptions& o) : opt_(o), mem_(o.memory_limit) {
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (o.device < 0 || o.device >= count) {
      throw Error("CUDA device " + std::to_string(o.device) + " does not exist (" +
                  std::to_string(count) + " present)");
    }
    check(cudaSetDevice(o.device), "cudaSetDevice");
    try {
      check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
      check(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking), "cudaStreamCreate");
      check(cudaMalloc(&d_frames_, mem_.memory_limit()), "cudaMalloc (guest memory)");
      check(cudaMalloc(&d_core_, sizeof(CoreRecord)), "cudaMalloc (core state)");
      check(cudaMalloc(&d_tlb_, kCoreTlbSets * 3 * sizeof(TlbEntry)), "cudaMalloc (Tlb)");
      check(cudaMalloc(&d_dcache_, kDecodeCacheEntries * sizeof(u64)), "cudaMalloc (decode cache)");
      check(cudaMemset(d_dcache_, 0, kDecodeCacheEntries * sizeof(u64)), "cudaMemset");
      void* m = nullptr;
      check(cudaHostAlloc(&m, sizeof(Mailbox), cudaHostAllocMapped), "cudaHostAlloc (mailbox)");
      mail_ = static_cast<Mailbox*>(m);
      std::memset(static_cast<void*>(mail_), 0, sizeof(Mailbox));
      check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&d_mail_), m, 0),
            "cudaHostGetDevicePointer");
      jit_ = std::make_unique<jit::JitManager>(o.jit, o.device);
    } catch (...) {
      release();
      throw;
    }
    frame_epoch_.assign(mem_.memory_limit() / kPageSize, 0);
  }

  ~CudaEngine() override { release(); }

  const char* name() const override { return "cuda"; }

  void map(u64 addr, u64 size, u8 perms) override {
    mem_.map(addr, size, perms);
    changed(addr, size);
  }
  void unmap(u64 addr, u64 size) override {
    mem_.unmap(addr, size);
    changed(addr, size);
  }
  void protect(u64 addr, u64 size, u8 perms) override {
    mem_.protect(addr, size, perms);
    changed(addr, size);
  }
  bool is_mapped(u64 addr, u64 size) const override { return mem_.is_mapped(addr, size); }

  void read_memory(u64 addr, void* dst, u64 size) const override {
    if (!mem_.is_mapped(addr, size)) mem_.read(addr, dst, size);  // throws the usual error
    refresh(addr, size);
    mem_.read(addr, dst, size);
  }
  void write_memory(u64 addr, const void* src, u64 size) override {
    if (!mem_.is_mapped(addr, size)) mem_.write(addr, src, size);  // throws the usual error
    refresh(addr, size);
    mem_.write(addr, src, size);
    changed(addr, size);
  }

  JitStats jit_stats() const { return jit_ ? jit_->stats() : JitStats{}; }
  void set_program_entry(u64 entry) override {
    if (jit_ && jit_->active()) jit_->set_start(entry);
  }

  // Inside a persistent run's syscall the state is the posted one: registers come from the
  // mailbox, the whole state (vector registers too) is fetched on first use.
  CoreState state() const override {
    if (!in_syscall_) return state_;
    load_full();
    return pending_;
  }
  void set_state(const CoreState& s) override {
    if (!in_syscall_) {
      state_ = s;
      return;
    }
    load_full();
    pending_ = s;
  }
  u64 reg(int n) const override {
    if (!in_syscall_ || n < 0 || n > 31) return Engine::reg(n);
    if (n >= kPostedRegs) load_full();
    return pending_.x[n];
  }
  void set_reg(int n, u64 v) override {
    if (!in_syscall_ || n < 0 || n > 31) return Engine::set_reg(n, v);
    if (n != 0) load_full();
    pending_.x[n] = v;
  }

  RunResult execute(u64 max_cycles) override { return launch(max_cycles, 0, nullptr); }
  RunResult execute_mega(u64 total_cycles) override { return launch(total_cycles, 0, nullptr); }
  RunResult execute_persistent(u64 total_cycles, double timeout_seconds,
                               const SyscallHandler& on_syscall) override {
    if (!on_syscall) throw Error("execute_persistent needs a syscall handler");
    if (in_syscall_) throw Error("execute_persistent called from inside a syscall handler");
    return launch(total_cycles, timeout_seconds, &on_syscall);
  }

  RunResult execute_continuous(u64 cycles_per_batch, u64 max_batches,
                               double timeout_seconds) override {
    if (cycles_per_batch == 0) throw Error("cycles_per_batch must be positive");
    const auto t0 = std::chrono::steady_clock::now();
    const auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    RunResult total;
    total.batch_count = 0;
    total.pc = state_.pc;
    while (total.batch_count < max_batches && elapsed() < timeout_seconds) {
      // The timeout's remainder stops a long batch in flight.
      const RunResult r = launch(cycles_per_batch, timeout_seconds - elapsed(), nullptr);
      ++total.batch_count;
      total.cycles += r.cycles;
      total.signal = static_cast<Signal>(host_load(mail_->signal));  // what the kernel signalled
      total.pc = r.pc;
      total.info = r.info;
      if (total.signal != Signal::Checkpoint) break;
    }
    total.elapsed_seconds = elapsed();
    return total;
  }

 private:
  void release() {
    jit_.reset();
    if (stream_) cudaStreamSynchronize(stream_);
    if (copy_stream_) cudaStreamSynchronize(copy_stream_);
    cudaFree(d_frames_);
    cudaFree(d_nodes_);
    cudaFree(d_core_);
    cudaFree(d_tlb_);
    cudaFree(d_dcache_);
    if (mail_) cudaFreeHost(mail_);
    if (copy_stream_) cudaStreamDestroy(copy_stream_);
    if (stream_) cudaStreamDestroy(stream_);
    d_frames_ = nullptr;
    d_nodes_ = nullptr;
    d_core_ = nullptr;
    d_tlb_ = nullptr;
    d_dcache_ = nullptr;
    mail_ = nullptr;
    stream_ = copy_stream_ = nullptr;
  }

  // Downloads every frame of [addr, addr+size) whose host copy is older than the device's.
  void refresh(u64 addr, u64 size) const {
    if (size == 0) return;
    bool copied = false;
    for (u64 va = addr & ~kPageMask; va < addr + size; va += kPageSize) {
      const i64 f = mem_.frame_at(va);
      // A frame the host changed (or mapped anew) since the last upload is newer on the host.
      if (f < 0 || frame_epoch_[f] == epoch_ || mem_.frame_dirty(static_cast<u32>(f))) continue;
      check(cudaMemcpyAsync(mem_.frames() + f * kPageSize, d_frames_ + f * kPageSize, kPageSize,
                            cudaMemcpyDeviceToHost, copy_stream_),
            "cudaMemcpy (guest page to host)");
      frame_epoch_[f] = epoch_;
      copied = true;
    }
    if (copied) check(cudaStreamSynchronize(copy_stream_), "cudaStreamSynchronize (copy)");
  }

  // Uploads what the host changed on stream `st`; true when the page table changed.
  bool upload(cudaStream_t st) {
    bool remapped = false;
    if (mem_.take_nodes_dirty()) {
      const auto& nodes = mem_.nodes();
      if (nodes.size() > nodes_capacity_) {
        // Stream-ordered: never waits for a resident kernel (which will not use the old table
        // again: it reloads the table from the mailbox after the answer).
        if (d_nodes_) check(cudaFreeAsync(d_nodes_, st), "cudaFreeAsync (page table)");
        d_nodes_ = nullptr;
        nodes_capacity_ = nodes.size() * 2;
        check(
            cudaMallocAsync(reinterpret_cast<void**>(&d_nodes_), nodes_capacity_ * sizeof(u32), st),
            "cudaMallocAsync (page table)");
      }
      check(cudaMemcpyAsync(d_nodes_, nodes.data(), nodes.size() * sizeof(u32),
                            cudaMemcpyHostToDevice, st),
            "cudaMemcpy (page table)");
      copies_pending_ = true;
      remapped = true;
    }
    std::vector<u32> dirty = mem_.take_dirty_frames();
    copies_pending_ = copies_pending_ || !dirty.empty();
    for (u32 f : dirty) {
      check(cudaMemcpyAsync(d_frames_ + u64{f} * kPageSize, mem_.frames() + u64{f} * kPageSize,
                            kPageSize, cudaMemcpyHostToDevice, st),
            "cudaMemcpy (guest page to device)");
    }
    return remapped;
  }

  PageTableView view() const { return PageTableView{d_nodes_, d_frames_}; }

  // Mappings or bytes of [addr, addr + size) changed: translations of them are dropped; a
  // resident kernel running one is told to stop after the syscall being serviced.
  void changed(u64 addr, u64 size) {
    if (jit_ && jit_->invalidate(addr, size) && in_syscall_) yield_ = true;
  }

  // Guest code for the translator, as the host mirror has it (refreshed from the device).
  jit::CodeReader code_reader() {
    return [this](u64 va, jit::CodePage& p) {
      const u32 leaf = PageTableView{mem_.nodes().data(), mem_.frames()}.leaf(va);
      if (!(leaf & kLeafPresent)) return false;
      refresh(va, kPageSize);
      p.leaf = leaf;
      p.bytes = mem_.frames() + u64{leaf_frame(leaf)} * kPageSize;
      return true;
    };
  }

  // A run: one launch, or in persistent mode as many as it takes when the kernel is stopped
  // to run newly translated code (or because the code it ran was invalidated).
  RunResult launch(u64 max_cycles, double timeout_seconds, const SyscallHandler* on_syscall) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    RunResult total;
    total.batch_count = 0;
    while (true) {
      double left = 0;
      if (timeout_seconds > 0) {
        left = timeout_seconds - std::chrono::duration<double>(Clock::now() - t0).count();
        if (left <= 0) break;
      }
      bool relaunch = false;
      const RunResult r = launch_once(max_cycles - total.cycles, left, on_syscall, relaunch);
      ++total.batch_count;
      total.cycles += r.cycles;
      total.syscalls += r.syscalls;
      total.signal = r.signal;
      total.pc = r.pc;
      total.info = r.info;
      if (!relaunch || r.signal != Signal::Checkpoint || total.cycles >= max_cycles) break;
    }
    if (total.batch_count == 0) total.pc = state_.pc;  // the timeout passed before a launch
    total.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return total;
  }

  // One launch. With a handler the kernel stays resident across SVCs (persistent mode), and
  // `relaunch` says whether it stopped only to be launched again (new translated code).
  RunResult launch_once(u64 max_cycles, double timeout_seconds, const SyscallHandler* on_syscall,
                        bool& relaunch) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    upload(stream_);
    std::shared_ptr<jit::JitModule> mod;
    if (jit_->active()) {
      // Hot code is looked for every few milliseconds (launches may come faster: one per
      // syscall when they are serviced by relaunching), and always in wait mode.
      const bool wait = jit_->options().wait;
      if (wait || t0 >= next_poll_) {
        next_poll_ = t0 + std::chrono::milliseconds(2);
        const u64 start[] = {state_.pc};
        jit_->set_start(state_.pc);  // names the profile, unless set_program_entry() did
        jit_->poll(code_reader(), wait ? std::span<const u64>(start) : std::span<const u64>());
        if (wait) jit_->wait();
      }
      mod = jit_->installed();
    }
    CoreRecord core{};
    core.s = state_;
    core.budget = max_cycles;
    check(cudaMemcpyAsync(d_core_, &core, sizeof core, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpy (core state)");
    mail_->stop_request = 0;
    mail_->state = kMailIdle;
    mail_->signal = static_cast<u32>(Signal::Running);
    yield_ = false;
    ++epoch_;
    {
      CoreRecord* cores = d_core_;
      u32 n = 1;
      PageTableView pt = view();
      TlbEntry* tlbs = d_tlb_;
      u64* dc = d_dcache_;
      Mailbox* mb = d_mail_;
      bool persistent = on_syscall != nullptr;
      InterpHooks hooks = jit_->hooks();
      void* args[] = {&cores, &n, &pt, &tlbs, &dc, &mb, &persistent, &hooks};
      const void* kernel = mod ? mod->single : reinterpret_cast<const void*>(&run_kernel);
      check(cudaLaunchKernel(kernel, dim3(1), dim3(1), args, 0, stream_), "kernel launch");
    }

    RunResult r;
    std::exception_ptr failure;
    const double limit = timeout_seconds > 0 && opt_.watchdog_seconds > 0
                             ? std::min(timeout_seconds, opt_.watchdog_seconds)
                             : std::max(timeout_seconds, opt_.watchdog_seconds);
    bool asked = false;  // the watchdog or the timeout asked the kernel to stop
    bool swap = false;   // new translated code asked it to stop
    handler_stopped_ = false;
    for (u64 spins = 0;; ++spins) {
      const u32 st = host_load(mail_->state);
      if (st == kMailDone) break;
      if (st == kMailPosted) {
        ++r.syscalls;
        u32 code = answer_syscall(*on_syscall, failure);
        // A kernel between syscalls may never reach its next poll of stop_request: the answer
        // carries the request to stop too.
        if ((swap || asked) && (code & kReplyKind) != kReplyStop) code |= kReplyYield;
        const u64 x0 = pending_.x[0];
        if (static_cast<u64>(sext(x0, kReplyShift)) != x0) {
          mail_->x[0] = x0;
          code |= kReplyX0InBox;
        }
        mail_->state = kMailIdle;
        host_store(mail_->reply, (u64{code} << kReplyShift) | (x0 & ones(kReplyShift)));
        continue;
      }
      if ((spins & 1023) == 0) {
        const cudaError_t e = cudaStreamQuery(stream_);
        if (e == cudaSuccess) break;
        if (e != cudaErrorNotReady) check(e, "kernel execution");
        if (!asked && limit > 0 &&
            std::chrono::duration<double>(Clock::now() - t0).count() > limit) {
          host_store(mail_->stop_request, 1u);
          asked = true;
        }
        if (jit_->active() && !swap && Clock::now() >= next_poll_) {
          next_poll_ = Clock::now() + std::chrono::milliseconds(2);
          jit_->poll(code_reader());
          if (on_syscall && jit_->update_ready()) {
            host_store(mail_->stop_request, 1u);
            swap = true;
          }
        }
        std::this_thread::yield();
      }
    }
    check(cudaMemcpyAsync(&core, d_core_, sizeof core, cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpy (core state)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    ++epoch_;  // whatever was downloaded during the run may be stale now
    // A handler that ended the run left the state as it wants it (answer_syscall set state_).
    if (!handler_stopped_) state_ = core.s;
    if (jit_->active()) jit_->count(core.cycles, mod ? core.interpreted : core.cycles);
    if (failure) std::rethrow_exception(failure);
    r.cycles = core.cycles;
    r.signal = static_cast<Signal>(core.signal);
    r.pc = state_.pc;
    r.info = core.info;
    r.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    relaunch = (swap || yield_) && !asked;
    return r;
  }

  // Completes the posted state with what the mailbox does not carry (the CoreRecord record
  // holds the whole state as posted); registers the handler already set stay.
  void load_full() const {
    if (full_loaded_) return;
    CoreState d;
    check(cudaMemcpyAsync(&d, &d_core_->s, sizeof d, cudaMemcpyDeviceToHost, copy_stream_),
          "cudaMemcpy (core state)");
    check(cudaStreamSynchronize(copy_stream_), "cudaStreamSynchronize (copy)");
    posted_ = d;
    for (int i = 0; i < kPostedRegs; ++i) d.x[i] = pending_.x[i];
    d.pc = pending_.pc;
    pending_ = d;
    full_loaded_ = true;
  }

  // Services a posted syscall through the handler and returns the answer for the kernel.
  u32 answer_syscall(const SyscallHandler& on_syscall, std::exception_ptr& failure) {
    ++epoch_;  // the device ran since the last look at its memory
    for (int i = 0; i < kPostedRegs; ++i) pending_.x[i] = mail_->x[i];
    pending_.pc = mail_->pc;
    posted_ = pending_;
    full_loaded_ = false;
    in_syscall_ = true;
    bool go = false;
    u32 answer = kReplyX0;
    try {
      go = on_syscall(*this);
      if (go && full_loaded_) {
        CoreState only_x0 = posted_;
        only_x0.x[0] = pending_.x[0];
        if (std::memcmp(&only_x0, &pending_, sizeof(CoreState)) != 0) {
          check(cudaMemcpyAsync(&d_core_->s, &pending_, sizeof(CoreState), cudaMemcpyHostToDevice,
                                copy_stream_),
                "cudaMemcpy (core state)");
          copies_pending_ = true;
          answer = kReplyFull;
        }
      }
      if (upload(copy_stream_)) {
        mail_->pt = view();  // the table may have moved
        answer |= kReplyRemap;
      }
      if (yield_) answer |= kReplyYield;
      if (copies_pending_) {
        check(cudaStreamSynchronize(copy_stream_), "cudaStreamSynchronize (copy)");
        copies_pending_ = false;
      }
    } catch (...) {
      failure = std::current_exception();
      go = false;
    }
    if (!go) {
      // The state to continue from once the kernel has stopped.
      try {
        load_full();
      } catch (...) {
        if (!failure) failure = std::current_exception();
      }
      state_ = pending_;
      handler_stopped_ = true;
      in_syscall_ = false;
      return kReplyStop;
    }
    in_syscall_ = false;
    return answer;
  }

  CudaEngineOptions opt_;
  mutable AddressSpace mem_;
  CoreState state_;
  // While a syscall is serviced: the state as posted and as the handler left it (the part past
  // the mailbox's registers only once full_loaded_).
  mutable CoreState posted_, pending_;
  mutable bool full_loaded_ = false;
  bool in_syscall_ = false;
  bool yield_ = false;            // a syscall invalidated the translated code the kernel runs
  bool handler_stopped_ = false;  // the syscall handler ended the run (state_ is its state)
  std::chrono::steady_clock::time_point next_poll_{};  // when to look for hot code again
  bool copies_pending_ = false;  // transfers on copy_stream_ not yet waited for
  cudaStream_t stream_ = nullptr;
  cudaStream_t copy_stream_ = nullptr;
  u8* d_frames_ = nullptr;
  u32* d_nodes_ = nullptr;
  size_t nodes_capacity_ = 0;
  CoreRecord* d_core_ = nullptr;
  TlbEntry* d_tlb_ = nullptr;  // the core's Tlb (kCoreTlbSets sets; the kernel clears it)
  u64* d_dcache_ = nullptr;
  Mailbox* mail_ = nullptr;  // mapped pinned memory
  Mailbox* d_mail_ = nullptr;
  u64 epoch_ = 0;
  mutable std::vector<u64> frame_epoch_;
  std::unique_ptr<jit::JitManager> jit_;
};

}  // namespace

bool cuda_available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (why) {
      *why = e != cudaSuccess ? std::string("no usable NVIDIA GPU: ") + cudaGetErrorString(e)
                              : std::string("no NVIDIA GPU is present");
    }
    return false;
  }
  return true;
}

std::unique_ptr<Engine> make_cuda_engine(const CudaEngineOptions& options) {
  std::string why;
  if (!cuda_available(&why)) throw Error("the CUDA engine is not available: " + why);
  return std::make_unique<CudaEngine>(options);
}

JitStats cuda_jit_stats(const Engine& engine) {
  const auto* e = dynamic_cast<const CudaEngine*>(&engine);
  return e ? e->jit_stats() : JitStats{};
}

}  // namespace kvrm
