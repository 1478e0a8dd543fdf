// The CUDA engine: the shared fetch-decode-execute step (isa/execute.hpp) in a GPU kernel, one
// guest core per thread, over device copies of an AddressSpace's page tables and frames.
//
// Memory coherence: the host AddressSpace is a mirror. Before a launch, the page-table nodes (if
// changed) and every frame the host changed are uploaded. After a launch the device copy is the
// newer one: each frame remembers the launch epoch at which the host copy was last refreshed,
// and a host read or write of a stale frame downloads it first.
#include <cuda_runtime.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/address_space.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "isa/execute.hpp"

namespace kvrm {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorName(e) + " (" +
                cudaGetErrorString(e) + ")");
  }
}

// One core's record in device memory.
struct DeviceCore {
  CoreState s;
  StopInfo info;
  u64 cycles;
  u32 signal;
};

// How often (in retired instructions) a running kernel looks at the host's stop request.
constexpr u64 kPollInterval = u64{1} << 16;

// Decoded-instruction cache, direct-mapped on PC: each entry holds the instruction word it was
// decoded from, so a store into code is always seen (the word is compared on every use).
constexpr u32 kDecodeCacheEntries = 1u << 14;

// The instructions the kernel dispatches inline: the common integer operations, branches and
// loads/stores. Every other Op goes through execute() in a separate, non-inlined function, so
// that the hot loop keeps its state in registers. Both paths call the same sem:: handlers.
// clang-format off
#define KVRM_HOT_OPS(X)                                                                      \
  X(ADD_imm) X(ADDS_imm) X(SUB_imm) X(SUBS_imm) X(AND_imm) X(ORR_imm) X(ANDS_imm) X(MOVZ)   \
  X(MOVN) X(MOVK) X(UBFM) X(SBFM) X(ADR) X(ADRP) X(ORR_shift) X(AND_shift) X(EOR_shift)       \
  X(ANDS_shift) X(ADD_shift) X(ADDS_shift) X(SUB_shift) X(SUBS_shift) X(ADD_ext) X(SUB_ext)   \
  X(CSEL) X(CSINC) X(CSINV) X(CSNEG) X(CCMP_imm) X(CCMP_reg) X(MADD) X(B) X(BL) X(B_cond)     \
  X(CBZ) X(CBNZ) X(TBZ) X(TBNZ) X(RET) X(BR) X(BLR) X(LDR_uoff) X(STR_uoff) X(LDRS_uoff)      \
  X(LDR_reg) X(STR_reg) X(LDUR) X(STUR) X(LDR_post) X(STR_post) X(LDR_pre) X(STR_pre)         \
  X(LDP_off) X(STP_off) X(LDP_post) X(STP_pre) X(SVC) X(HLT)
// clang-format on

__device__ __noinline__ Signal execute_cold(Context& c, Op op, u32 insn) {
  return execute(c, op, insn);
}

__device__ __forceinline__ Signal execute_hot(Context& c, Op op, u32 insn) {
  switch (op) {
#define KVRM_HOT_CASE(name) \
  case Op::name: return sem::name(c, insn);
    KVRM_HOT_OPS(KVRM_HOT_CASE)
#undef KVRM_HOT_CASE
    default: return execute_cold(c, op, insn);
  }
}

__global__ void run_kernel(DeviceCore* cores, u32 n_cores, PageTableView pt, u64* dcache,
                           u64 max_cycles, volatile u32* signal_flag,
                           const volatile u32* stop_request) {
  const u32 id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= n_cores) return;
  DeviceCore& core = cores[id];
  u64* const dc = dcache + u64{id} * kDecodeCacheEntries;
  CoreState s = core.s;
  StopInfo info{};
  Mmu mmu{pt, &info};
  Context c{s, mmu, info};
  const RunOutcome o = run_steps(
      c, max_cycles,
      [dc](u64 pc, u32 insn) {
        u64& slot = dc[(pc >> 2) & (kDecodeCacheEntries - 1)];
        const u64 e = slot;
        if (static_cast<u32>(e >> 32) == insn && (e & 1)) return static_cast<Op>((e >> 1) & 0xffff);
        const Op op = decode(insn);
        slot = (u64{insn} << 32) | (static_cast<u64>(op) << 1) | 1;
        return op;
      },
      [](Context& cc, Op op, u32 insn) { return execute_hot(cc, op, insn); }, kPollInterval,
      [stop_request] { return *stop_request != 0; });
  const Signal sig = o.signal;
  core.s = s;
  core.info = info;
  core.cycles = o.cycles;
  core.signal = static_cast<u32>(sig);
  if (signal_flag) {
    __threadfence_system();
    *signal_flag = static_cast<u32>(sig);  // the atomic signal the host may watch
  }
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
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaMalloc(&d_frames_, mem_.memory_limit()), "cudaMalloc (guest memory)");
    check(cudaMalloc(&d_core_, sizeof(DeviceCore)), "cudaMalloc (core state)");
    check(cudaMalloc(&d_dcache_, kDecodeCacheEntries * sizeof(u64)), "cudaMalloc (decode cache)");
    check(cudaMemset(d_dcache_, 0, kDecodeCacheEntries * sizeof(u64)), "cudaMemset");
    void* flags = nullptr;
    check(cudaHostAlloc(&flags, 2 * sizeof(u32), cudaHostAllocMapped), "cudaHostAlloc");
    h_flags_ = static_cast<volatile u32*>(flags);
    h_flags_[0] = 0;
    h_flags_[1] = 0;
    check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&d_flags_), flags, 0),
          "cudaHostGetDevicePointer");
    frame_epoch_.assign(mem_.memory_limit() / kPageSize, 0);
  }

  ~CudaEngine() override {
    cudaStreamSynchronize(stream_);
    cudaFree(d_frames_);
    cudaFree(d_nodes_);
    cudaFree(d_core_);
    cudaFree(d_dcache_);
    cudaFreeHost(const_cast<u32*>(h_flags_));
    cudaStreamDestroy(stream_);
  }

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

  CoreState state() const override { return state_; }
  void set_state(const CoreState& s) override { state_ = s; }

  RunResult execute(u64 max_cycles) override { return launch(max_cycles, nullptr); }
  RunResult execute_mega(u64 total_cycles) override { return launch(total_cycles, d_flags_); }

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
      h_flags_[0] = static_cast<u32>(Signal::Running);
      const RunResult r = launch(cycles_per_batch, d_flags_);
      ++total.batch_count;
      total.cycles += r.cycles;
      total.signal = static_cast<Signal>(h_flags_[0]);  // what the kernel signalled
      total.pc = r.pc;
      total.info = r.info;
      if (total.signal != Signal::Checkpoint) break;
    }
    total.elapsed_seconds = elapsed();
    return total;
  }

 private:
  // Downloads every frame of [addr, addr+size) whose host copy is older than the device's.
  void refresh(u64 addr, u64 size) const {
    if (size == 0) return;
    for (u64 va = addr & ~kPageMask; va < addr + size; va += kPageSize) {
      const i64 f = mem_.frame_at(va);
      // A frame the host changed (or mapped anew) since the last upload is newer on the host.
      if (f < 0 || frame_epoch_[f] == epoch_ || mem_.frame_dirty(static_cast<u32>(f))) continue;
      check(cudaMemcpy(mem_.frames() + f * kPageSize, d_frames_ + f * kPageSize, kPageSize,
                       cudaMemcpyDeviceToHost),
            "cudaMemcpy (guest page to host)");
      frame_epoch_[f] = epoch_;
    }
  }

  void upload() {
    if (mem_.take_nodes_dirty()) {
      const auto& nodes = mem_.nodes();
      if (nodes.size() > nodes_capacity_) {
        cudaFree(d_nodes_);
        d_nodes_ = nullptr;
        nodes_capacity_ = nodes.size() * 2;
        check(cudaMalloc(&d_nodes_, nodes_capacity_ * sizeof(u32)), "cudaMalloc (page table)");
      }
      check(cudaMemcpyAsync(d_nodes_, nodes.data(), nodes.size() * sizeof(u32),
                            cudaMemcpyHostToDevice, stream_),
            "cudaMemcpy (page table)");
    }
    std::vector<u32> dirty = mem_.take_dirty_frames();
    for (u32 f : dirty) {
      check(cudaMemcpyAsync(d_frames_ + u64{f} * kPageSize, mem_.frames() + u64{f} * kPageSize,
                            kPageSize, cudaMemcpyHostToDevice, stream_),
            "cudaMemcpy (guest page to device)");
    }
  }

  RunResult launch(u64 max_cycles, u32* d_signal) {
    const auto t0 = std::chrono::steady_clock::now();
    upload();
    DeviceCore core{};
    core.s = state_;
    check(cudaMemcpyAsync(d_core_, &core, sizeof core, cudaMemcpyHostToDevice, stream_),
          "cudaMemcpy (core state)");
    h_flags_[1] = 0;  // stop request
    ++epoch_;
    run_kernel<<<1, 1, 0, stream_>>>(d_core_, 1, PageTableView{d_nodes_, d_frames_}, d_dcache_,
                                     max_cycles, d_signal, d_flags_ + 1);
    check(cudaGetLastError(), "kernel launch");
    wait(t0);
    check(cudaMemcpyAsync(&core, d_core_, sizeof core, cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpy (core state)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    state_ = core.s;
    RunResult r;
    r.cycles = core.cycles;
    r.signal = static_cast<Signal>(core.signal);
    r.pc = core.s.pc;
    r.info = core.info;
    r.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }

  // Waits for the kernel; past the watchdog it asks the kernel to stop at its next poll.
  void wait(std::chrono::steady_clock::time_point t0) {
    bool asked = false;
    while (true) {
      const cudaError_t e = cudaStreamQuery(stream_);
      if (e == cudaSuccess) return;
      if (e != cudaErrorNotReady) check(e, "kernel execution");
      if (!asked && opt_.watchdog_seconds > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >
              opt_.watchdog_seconds) {
        h_flags_[1] = 1;
        asked = true;
      }
      std::this_thread::yield();
    }
  }

  CudaEngineOptions opt_;
  mutable AddressSpace mem_;
  CoreState state_;
  cudaStream_t stream_ = nullptr;
  u8* d_frames_ = nullptr;
  u32* d_nodes_ = nullptr;
  size_t nodes_capacity_ = 0;
  DeviceCore* d_core_ = nullptr;
  u64* d_dcache_ = nullptr;
  volatile u32* h_flags_ = nullptr;  // [0] signal flag, [1] stop request; mapped pinned memory
  u32* d_flags_ = nullptr;
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
