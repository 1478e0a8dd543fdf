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
#include "engines/cuda/cuda_check.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/device_core.cuh"

namespace kvrm {
namespace {

using cuda::CoreRecord;
using cuda::kDecodeCacheEntries;

using cuda::check;

// The mailbox between one core and the host, in mapped pinned host memory.
// Mailbox::state, GPU -> host (the host sets it back to idle when it answers).
enum MailState : u32 {
  kMailIdle = 0,
  kMailPosted = 1,  // a syscall waits; x holds X0-X8, pc the PC
  kMailDone = 5,    // the kernel has finished
};

// Mailbox::reply, host -> GPU: an answer code in bits 63..56 and, in bits 55..0, the new X0
// when it fits in 56 bits as a signed value (every errno, count and user address does), so that
// one load gives the GPU both. The GPU clears it before posting.
enum MailReply : u32 {
  kReplyX0 = 2,          // continue with the new X0
  kReplyFull = 3,        // continue from the CoreRecord's state (the host changed more than X0
                         // and wrote the whole state there)
  kReplyStop = 4,        // end the run here (SYSCALL, PC after the SVC)
  kReplyKind = 0x07,     // the bits above
  kReplyX0InBox = 0x40,  // X0 did not fit: it is in x[0]
  kReplyRemap = 0x80,    // the mappings changed: reload pt, flush the translation cache
};
constexpr int kReplyShift = 56;

// A posted syscall carries the registers a syscall reads (X0-X5, X8) and the PC; the whole
// state is in the CoreRecord record, fetched only if the host asks for more.
constexpr int kPostedRegs = 9;

struct Mailbox {
  u32 signal;        // the seed's atomic signal flag: RUNNING while running, then the stop
  u32 stop_request;  // host -> GPU: stop with CHECKPOINT at the next poll
  u32 state;         // MailState
  u32 reserved;
  u64 reply;           // MailReply
  u64 cycles;          // instructions retired when the syscall was posted
  PageTableView pt;    // the page table to continue with (the host may have moved it)
  u64 x[kPostedRegs];  // see MailState
  u64 pc;
};

__device__ __forceinline__ u64 load_acquire_sys(const u64* p) {
  u64 v;
  asm volatile("ld.acquire.sys.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
  return v;
}
__device__ __forceinline__ void store_release_sys(u32* p, u32 v) {
  asm volatile("st.release.sys.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

__global__ void run_kernel(CoreRecord* cores, u32 n_cores, PageTableView pt, u64* dcache,
                           Mailbox* mail, bool persistent) {
  const u32 id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= n_cores) return;
  CoreRecord& core = cores[id];
  Mailbox* const mb = mail + id;
  u64* const dc = dcache + u64{id} * kDecodeCacheEntries;
  CoreState s = core.s;
  StopInfo info{};
  Tlb tlb;
  Mmu mmu{pt, &info};
  mmu.tlb = &tlb;
  mmu.flush();
  u64 total = 0;
  Signal sig;
  while (true) {
    const RunOutcome o = cuda::run_core(s, info, mmu, dc, core.budget - total, &mb->stop_request);
    total += o.cycles;
    sig = o.signal;
    if (!persistent || sig != Signal::Syscall) break;
    // Post the syscall: guest memory and the whole state first, then the scalar registers in
    // the mailbox, then the request.
    core.s = s;
    mb->cycles = total;
    for (int i = 0; i < kPostedRegs; ++i) mb->x[i] = s.x[i];
    mb->pc = s.pc;
    *static_cast<volatile u64*>(&mb->reply) = 0;
    __threadfence_system();
    *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(Signal::Syscall);
    store_release_sys(&mb->state, kMailPosted);
    u64 reply;
    while ((reply = load_acquire_sys(&mb->reply)) == 0) {
    }
    const u32 code = static_cast<u32>(reply >> kReplyShift);
    if ((code & kReplyKind) == kReplyStop) break;
    if ((code & kReplyKind) == kReplyFull) {
      s = core.s;
    } else {
      s.x[0] = (code & kReplyX0InBox) ? mb->x[0] : static_cast<u64>(sext(reply, kReplyShift));
    }
    if (code & kReplyRemap) {  // fresh translation caches
      mmu.pt = mb->pt;
      mmu.flush();
    }
    *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(Signal::Running);
  }
  core.s = s;
  core.info = info;
  core.cycles = total;
  core.signal = static_cast<u32>(sig);
  __threadfence_system();
  *static_cast<volatile u32*>(&mb->signal) = static_cast<u32>(sig);  // the seed's atomic flag
  store_release_sys(&mb->state, kMailDone);
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
      check(cudaMalloc(&d_dcache_, kDecodeCacheEntries * sizeof(u64)), "cudaMalloc (decode cache)");
      check(cudaMemset(d_dcache_, 0, kDecodeCacheEntries * sizeof(u64)), "cudaMemset");
      void* m = nullptr;
      check(cudaHostAlloc(&m, sizeof(Mailbox), cudaHostAllocMapped), "cudaHostAlloc (mailbox)");
      mail_ = static_cast<Mailbox*>(m);
      std::memset(static_cast<void*>(mail_), 0, sizeof(Mailbox));
      check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&d_mail_), m, 0),
            "cudaHostGetDevicePointer");
    } catch (...) {
      release();
      throw;
    }
    frame_epoch_.assign(mem_.memory_limit() / kPageSize, 0);
  }

  ~CudaEngine() override { release(); }

  const char* name() const override { return "cuda"; }

  void map(u64 addr, u64 size, u8 perms) override { mem_.map(addr, size, perms); }
  void unmap(u64 addr, u64 size) override { mem_.unmap(addr, size); }
  void protect(u64 addr, u64 size, u8 perms) override { mem_.protect(addr, size, perms); }
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
      const RunResult r = launch(cycles_per_batch, 0, nullptr);
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
    if (stream_) cudaStreamSynchronize(stream_);
    if (copy_stream_) cudaStreamSynchronize(copy_stream_);
    cudaFree(d_frames_);
    cudaFree(d_nodes_);
    cudaFree(d_core_);
    cudaFree(d_dcache_);
    if (mail_) cudaFreeHost(mail_);
    if (copy_stream_) cudaStreamDestroy(copy_stream_);
    if (stream_) cudaStreamDestroy(stream_);
    d_frames_ = nullptr;
    d_nodes_ = nullptr;
    d_core_ = nullptr;
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

  // One launch. With a handler the kernel stays resident across SVCs (persistent mode).
  RunResult launch(u64 max_cycles, double timeout_seconds, const SyscallHandler* on_syscall) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    upload(stream_);
    CoreRecord core{};
    core.s = state_;
    core.budget = max_cycles;
    check(cudaMemcpyAsync(d_core_, &core, sizeof core, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpy (core state)");
    mail_->stop_request = 0;
    mail_->state = kMailIdle;
    mail_->signal = static_cast<u32>(Signal::Running);
    ++epoch_;
    run_kernel<<<1, 1, 0, stream_>>>(d_core_, 1, view(), d_dcache_, d_mail_, on_syscall != nullptr);
    check(cudaGetLastError(), "kernel launch");

    RunResult r;
    std::exception_ptr failure;
    const double limit = timeout_seconds > 0 && opt_.watchdog_seconds > 0
                             ? std::min(timeout_seconds, opt_.watchdog_seconds)
                             : std::max(timeout_seconds, opt_.watchdog_seconds);
    bool asked = false;
    for (u64 spins = 0;; ++spins) {
      const u32 st = host_load(mail_->state);
      if (st == kMailDone) break;
      if (st == kMailPosted) {
        ++r.syscalls;
        u32 code = answer_syscall(*on_syscall, failure);
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
        std::this_thread::yield();
      }
    }
    check(cudaMemcpyAsync(&core, d_core_, sizeof core, cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpy (core state)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    ++epoch_;  // whatever was downloaded during the run may be stale now
    state_ = core.s;
    if (failure) std::rethrow_exception(failure);
    r.cycles = core.cycles;
    r.signal = static_cast<Signal>(core.signal);
    r.pc = core.s.pc;
    r.info = core.info;
    r.elapsed_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
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
  bool copies_pending_ = false;  // transfers on copy_stream_ not yet waited for
  cudaStream_t stream_ = nullptr;
  cudaStream_t copy_stream_ = nullptr;
  u8* d_frames_ = nullptr;
  u32* d_nodes_ = nullptr;
  size_t nodes_capacity_ = 0;
  CoreRecord* d_core_ = nullptr;
  u64* d_dcache_ = nullptr;
  Mailbox* mail_ = nullptr;  // mapped pinned memory
  Mailbox* d_mail_ = nullptr;
  u64 epoch_ = 0;
  mutable std::vector<u64> frame_epoch_;
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

}  // namespace kvrm
