// The CUDA lane runner (lane_runner.hpp): every lane of a batch on one GPU thread, running the
// device core loop (device_core.cuh) over its own page table and the shared frame array.
//
// Device memory: the frame array (a mirror of the host's, grown as the host's high-water mark
// grows), a written-frame map the kernel fills through Mmu::written, the distinct page tables
// packed into one node array (keyed by version, so lanes sharing a table share the copy), one
// PageTableView and one record per lane, and one decoded-instruction cache for all lanes (its
// entries are checked against the fetched word, so lanes running different code only cost
// misses). Frames move in bulk: the host packs the frames to upload into a pinned staging
// buffer, a kernel scatters them; written frames are gathered by a kernel and copied back in one
// transfer. A launch may end early: each lane that stops by itself counts itself, and the one
// that reaches the caller's `end_after` raises the stop flag, which the running lanes poll.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cuda_check.hpp"
#include "core/page_table.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/device_core.cuh"
#include "engines/cuda/kernels.cuh"
#include "engines/cuda/lane_runner.hpp"
#include "jit/manager.hpp"

namespace kvrm::cuda {
namespace {

// The interpreter's kernel: lane i on thread t, per_warp lanes a warp (the JIT's modules have
// one of their own with the same parameters, jit/runtime.cuh). Every lane shares
// one decoded-instruction cache. Hooks without counters: none.
__global__ void lanes_kernel(KVRM_LANES_PARAMS) {
  const InterpHooks* hp = hooks.counts ? &hooks : nullptr;
  lanes_body(lanes, views, n, written, flags, end_after, per_warp,
             [&](u32, CoreState& s, StopInfo& info, Mmu& mmu, u64 max_cycles,
                 const volatile u32* stop_request, u64 poll, bool) {
               return run_core(s, info, mmu, dcache, max_cycles, stop_request, poll, hp);
             });
}

// Frame k of the list moves between the frame array (in its layout, isa/mmu.hpp frame_start)
// and slot k of the staging buffer (plain): a thread a word.
constexpr u32 kCopyThreads = kPageSize / kFrameWordBytes;
__device__ u64* frame_word(u8* frames, u32 f, u32 shift) {
  return reinterpret_cast<u64*>(frames + frame_start(f, shift) +
                                frame_byte(threadIdx.x * kFrameWordBytes, shift));
}
__global__ void scatter_frames(u8* frames, const u8* staging, const u32* list, u32 shift) {
  const u64* src = reinterpret_cast<const u64*>(staging + u64{blockIdx.x} * kPageSize);
  *frame_word(frames, list[blockIdx.x], shift) = src[threadIdx.x];
}
__global__ void gather_frames(u8* frames, u8* staging, const u32* list, u32 shift) {
  u64* dst = reinterpret_cast<u64*>(staging + u64{blockIdx.x} * kPageSize);
  dst[threadIdx.x] = *frame_word(frames, list[blockIdx.x], shift);
}
__global__ void zero_frames(u8* frames, const u32* list, u32 shift) {
  *frame_word(frames, list[blockIdx.x], shift) = 0;
}
// Node k of the staging buffer goes to word offset list[k] of the node array.
constexpr u32 kNodeThreads = 256;
__global__ void scatter_nodes(u32* nodes, const u32* staging, const u64* list) {
  constexpr u32 kVectors = kNodeEntries * sizeof(u32) / sizeof(uint4);
  const uint4* src = reinterpret_cast<const uint4*>(staging + u64{blockIdx.x} * kNodeEntries);
  uint4* dst = reinterpret_cast<uint4*>(nodes + list[blockIdx.x]);
  for (u32 i = threadIdx.x; i < kVectors; i += kNodeThreads) dst[i] = src[i];
}

constexpr u32 kThreadsPerBlock = 128;

// A device buffer that grows (contents not kept unless asked).
template <class T>
struct DeviceArray {
  T* p = nullptr;
  u64 cap = 0;
  void reserve(u64 n, const char* what, cudaStream_t st, u64 keep = 0) {
    if (n <= cap) return;
    const u64 c = std::max<u64>(n + n / 2, 64);
    T* q = nullptr;
    check(cudaMalloc(&q, c * sizeof(T)), what);
    if (keep) {
      check(cudaMemcpyAsync(q, p, keep * sizeof(T), cudaMemcpyDeviceToDevice, st), what);
      check(cudaStreamSynchronize(st), what);
    }
    cudaFree(p);
    p = q;
    cap = c;
  }
  ~DeviceArray() { cudaFree(p); }
};

// A pinned host buffer that grows (contents not kept): what moves between host and device in
// bulk goes through one, so that transfers are asynchronous and at full speed.
template <class T>
struct PinnedArray {
  T* p = nullptr;
  u64 cap = 0;
  T* reserve(u64 n, const char* what) {
    if (n > cap) {
      cudaFreeHost(p);
      p = nullptr;
      cap = 0;
      const u64 c = std::max<u64>(n + n / 2, 64);
      check(cudaHostAlloc(&p, c * sizeof(T), cudaHostAllocDefault), what);
      cap = c;
    }
    return p;
  }
  ~PinnedArray() { cudaFreeHost(p); }
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class CudaLaneRunner final : public LaneRunner {
 public:
  CudaLaneRunner(int device, u32 lanes_per_warp, const JitOptions& jit, u32 frame_shift)
      : device_(device), lanes_per_warp_(lanes_per_warp), shift_(frame_shift) {
    if (lanes_per_warp > 32) throw Error("lanes per warp must be 0 (automatic) or 1 to 32");
    if (frame_shift > kMaxFrameShift) throw Error("frame layout shift out of range");
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (device < 0 || device >= count) {
      throw Error("CUDA device " + std::to_string(device) + " does not exist (" +
                  std::to_string(count) + " present)");
    }
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&st_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaStreamCreateWithFlags(&side_, cudaStreamNonBlocking), "cudaStreamCreate");
    *stop_value_.reserve(1, "cudaHostAlloc (stop value)") = 1;
    dcache_.reserve(kDecodeCacheEntries, "cudaMalloc (decode cache)", st_);
    check(cudaMemset(dcache_.p, 0, dcache_.cap * sizeof(u64)), "cudaMemset");
    flags_.reserve(2, "cudaMalloc (stop flags)", st_);
    // How many warps of lanes_kernel the device holds at once (registers permitting).
    int blocks = 0;
    check(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, device),
          "cudaGetAttribute");
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, lanes_kernel, kThreadsPerBlock, 0),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    resident_warps_ = resident_warps(blocks);
    jit_ = std::make_unique<jit::JitManager>(jit, device, frame_shift);
    const char* trace = std::getenv("KVRM_BATCH_TRACE");
    trace_ = trace && *trace && std::strcmp(trace, "0") != 0;
  }

  u64 resident_warps(int blocks_per_sm) const {
    return std::max<u64>(1, u64(sms_) * u64(blocks_per_sm) * (kThreadsPerBlock / 32));
  }

  // Lanes per warp for n lanes: as few as let them all be resident at once (lanes sharing a
  // warp serialise where their paths differ; warps of their own run side by side), at most 32.
  u32 per_warp(u64 n, u64 resident) const {
    if (lanes_per_warp_) return lanes_per_warp_;
    u32 l = 1;
    while (l < 32 && (n + l - 1) / l > resident) l *= 2;
    return l;
  }
  ~CudaLaneRunner() override {
    cudaSetDevice(device_);  // the members are freed on their device
    jit_.reset();
    cudaStreamSynchronize(st_);
    cudaStreamSynchronize(side_);
    cudaStreamDestroy(side_);
    cudaStreamDestroy(st_);
  }

  const LaneRunnerTimes& times() const override { return times_; }
  JitStats jit_stats() const override { return jit_->stats(); }

  std::vector<u32> run_lanes(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                             std::span<const LaneTable> tables, std::span<const u32> lane_table,
                             std::span<CoreState> states, std::span<const u64> budgets,
                             std::span<RunResult> stops, u32 end_after) override {
    const u64 n = states.size();
    check(cudaSetDevice(device_), "cudaSetDevice");  // this host thread's current device
    auto t = Clock::now();
    jit_->invalidate_frames(host_dirty);  // code the host rewrote is translated anew
    const u64 up = upload_frames(frames, n_frames, host_dirty);
    const u64 nodes_before = nodes_up_;
    const std::vector<u64> offsets = upload_tables(tables);
    const double up_s = since(t);
    times_.transfer += up_s;
    t = Clock::now();
    const std::shared_ptr<jit::JitModule> mod = translate(frames, tables, lane_table, states);
    times_.jit += since(t);
    t = Clock::now();

    PageTableView* views = h_views_.reserve(n, "cudaHostAlloc (lane views)");
    CoreRecord* lanes = h_lanes_.reserve(n, "cudaHostAlloc (lanes)");
    for (u64 i = 0; i < n; ++i) {
      lanes[i] = CoreRecord{};
      views[i] = PageTableView{nodes_.p + offsets[lane_table[i]], frames_.p, shift_};
      lanes[i].s = states[i];
      lanes[i].budget = budgets[i];
      lanes[i].interpret_only = mod && !runs_translated(tables[lane_table[i]], frames, *mod);
    }
    views_.reserve(n, "cudaMalloc (lane views)", st_);
    lanes_.reserve(n, "cudaMalloc (lanes)", st_);
    check(cudaMemcpyAsync(views_.p, views, n * sizeof(PageTableView), cudaMemcpyHostToDevice, st_),
          "cudaMemcpy (lane views)");
    check(cudaMemcpyAsync(lanes_.p, lanes, n * sizeof(CoreRecord), cudaMemcpyHostToDevice, st_),
          "cudaMemcpy (lanes)");
    check(cudaMemsetAsync(flags_.p, 0, 2 * sizeof(u32), st_), "cudaMemset (stop flags)");
    check(cudaStreamSynchronize(st_), "cudaMemcpy (lanes)");
    const double records_s = since(t);
    times_.transfer += records_s;
    t = Clock::now();
    const u32 l = per_warp(n, mod ? resident_warps(mod->lanes_blocks_per_sm) : resident_warps_);
    const u64 warps = (n + l - 1) / l;
    const u32 blocks = static_cast<u32>((warps * 32 + kThreadsPerBlock - 1) / kThreadsPerBlock);
    {
      CoreRecord* records = lanes_.p;
      const PageTableView* lane_views = views_.p;
      u32 count = static_cast<u32>(n);
      u64* dc = dcache_.p;
      u8* written = written_.p;
      u32* flags = flags_.p;
      u32 per_warp_lanes = l;
      InterpHooks hooks = jit_->hooks();
      void* args[] = {&records, &lane_views, &count,          &dc,   &written,
                      &flags,   &end_after,  &per_warp_lanes, &hooks};
      const void* kernel = mod ? mod->lanes : reinterpret_cast<const void*>(&lanes_kernel);
      check(cudaLaunchKernel(kernel, dim3(blocks), dim3(kThreadsPerBlock), args, 0, st_),
            "kernel launch (lanes)");
    }
    check(cudaMemcpyAsync(lanes, lanes_.p, n * sizeof(CoreRecord), cudaMemcpyDeviceToHost, st_),
          "cudaMemcpy (lanes)");
    wait_for_launch(frames, tables[lane_table[0]]);
    const double kernel_s = since(t);
    times_.kernel += kernel_s;
    t = Clock::now();
    u64 cycles = 0, interpreted = 0, interpret_only = 0;
    for (u64 i = 0; i < n; ++i) {
      cycles += lanes[i].cycles;
      interpreted += mod ? lanes[i].interpreted : lanes[i].cycles;
      interpret_only += lanes[i].interpret_only;
    }
    if (jit_->active()) {
      jit_->count(cycles, interpreted);
      jit_->count_interpreted_lanes(interpret_only);
    }
    for (u64 i = 0; i < n; ++i) {
      states[i] = lanes[i].s;
      RunResult& r = stops[i];
      r = RunResult{};
      r.cycles = lanes[i].cycles;
      r.signal = static_cast<Signal>(lanes[i].signal);
      r.pc = lanes[i].s.pc;
      r.info = lanes[i].info;
    }
    std::vector<u32> written = download_written(frames, n_frames);
    const double down_s = since(t);
    times_.transfer += down_s;
    if (trace_) {
      cudaFuncAttributes fa{};
      const void* kernel = mod ? mod->lanes : reinterpret_cast<const void*>(&lanes_kernel);
      if (cudaFuncGetAttributes(&fa, kernel) != cudaSuccess) (void)cudaGetLastError();
      u64 syscalls = 0, checkpoints = 0;
      for (u64 i = 0; i < n; ++i) {
        syscalls += stops[i].signal == Signal::Syscall;
        checkpoints += stops[i].signal == Signal::Checkpoint;
      }
      std::fprintf(stderr,
                   "kvrm: lanes on GPU %d: %llu lanes (%u a warp, %s: %d registers, %zu bytes "
                   "of stack, %llu warps resident), end after %u: %llu "
                   "instructions (%llu interpreted); stops: %llu syscall, %llu checkpoint, %llu "
                   "other; frames up %llu, table nodes up %llu (%.1f ms), records %.1f ms, "
                   "kernel %.1f ms, written frames down %zu (%.1f ms)\n",
                   device_, static_cast<unsigned long long>(n), l,
                   mod ? "translated" : "interpreter", fa.numRegs, fa.localSizeBytes,
                   static_cast<unsigned long long>(mod ? resident_warps(mod->lanes_blocks_per_sm)
                                                       : resident_warps_),
                   end_after, static_cast<unsigned long long>(cycles),
                   static_cast<unsigned long long>(interpreted),
                   static_cast<unsigned long long>(syscalls),
                   static_cast<unsigned long long>(checkpoints),
                   static_cast<unsigned long long>(n - syscalls - checkpoints),
                   static_cast<unsigned long long>(up),
                   static_cast<unsigned long long>(nodes_up_ - nodes_before), up_s * 1e3,
                   records_s * 1e3, kernel_s * 1e3, written.size(), down_s * 1e3);
    }
    return written;
  }

 private:
  u8* staging(u64 frames) {
    d_staging_.reserve(frames * kPageSize, "cudaMalloc (staging)", st_);
    return staging_.reserve(frames * kPageSize, "cudaHostAlloc (staging)");
  }

  // Returns how many frames went up.
  u64 upload_frames(const u8* frames, u64 n_frames, std::span<const u32> host_dirty) {
    const u64 had = valid_frames_;
    if (frame_memory_bytes(n_frames, shift_) > frames_.cap) {
      frames_.reserve(frame_memory_bytes(n_frames, shift_), "cudaMalloc (guest frames)", st_,
                      frame_memory_bytes(had, shift_));
      const u64 cap_frames = frames_.cap / kPageSize;
      u8* old = written_.p;
      written_.p = nullptr;
      written_.cap = 0;
      cudaFree(old);
      written_.reserve(cap_frames, "cudaMalloc (written map)", st_);
      check(cudaMemsetAsync(written_.p, 0, written_.cap, st_), "cudaMemset");
    }
    // New frames in one piece where the layout is linear; those the host wrote below the old
    // mark (and new ones where the layout is interleaved) through the staging buffer.
    std::vector<u32> list;
    if (n_frames > had && shift_ == 0) {
      check(cudaMemcpyAsync(frames_.p + had * kPageSize, frames + had * kPageSize,
                            (n_frames - had) * kPageSize, cudaMemcpyHostToDevice, st_),
            "cudaMemcpy (guest frames)");
    } else {
      for (u64 f = had; f < n_frames; ++f) list.push_back(static_cast<u32>(f));
    }
    for (const u32 f : host_dirty) {
      if (f < had) list.push_back(f);
    }
    valid_frames_ = std::max(had, n_frames);
    const u64 moved = list.size() + (n_frames > had ? n_frames - had : 0);
    move_frames(std::move(list), const_cast<u8*>(frames), true);
    return moved;
  }

  // Copies the listed frames host -> device (up: frames all zero, fresh pages mostly, are
  // zeroed there instead) or device -> host.
  void move_frames(std::vector<u32> list, u8* frames, bool up) {
    if (list.empty()) {
      check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
      return;
    }
    size_t copied = list.size();  // up: the frames not all zero come first
    if (up) {
      const auto zero = std::partition(list.begin(), list.end(), [&](u32 f) {
        return !page_is_zero(frames + u64{f} * kPageSize);
      });
      copied = static_cast<size_t>(zero - list.begin());
    }
    u8* stage = staging(copied);
    list_.reserve(list.size(), "cudaMalloc (frame list)", st_);
    check(cudaMemcpyAsync(list_.p, list.data(), list.size() * sizeof(u32), cudaMemcpyHostToDevice,
                          st_),
          "cudaMemcpy (frame list)");
    const u64 bytes = list.size() * kPageSize;
    const u32 count = static_cast<u32>(list.size());
    if (up) {
      for (size_t k = 0; k < copied; ++k) {
        std::memcpy(stage + k * kPageSize, frames + u64{list[k]} * kPageSize, kPageSize);
      }
      if (copied) {
        check(cudaMemcpyAsync(d_staging_.p, stage, copied * kPageSize, cudaMemcpyHostToDevice, st_),
              "cudaMemcpy (frames up)");
        scatter_frames<<<static_cast<u32>(copied), kCopyThreads, 0, st_>>>(frames_.p, d_staging_.p,
                                                                           list_.p, shift_);
        check(cudaGetLastError(), "kernel launch (scatter)");
      }
      if (copied < list.size()) {
        zero_frames<<<static_cast<u32>(list.size() - copied), kCopyThreads, 0, st_>>>(
            frames_.p, list_.p + copied, shift_);
        check(cudaGetLastError(), "kernel launch (zero)");
      }
      check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
    } else {
      gather_frames<<<count, kCopyThreads, 0, st_>>>(frames_.p, d_staging_.p, list_.p, shift_);
      check(cudaGetLastError(), "kernel launch (gather)");
      check(cudaMemcpyAsync(stage, d_staging_.p, bytes, cudaMemcpyDeviceToHost, st_),
            "cudaMemcpy (frames down)");
      check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
      for (size_t k = 0; k < list.size(); ++k) {
        std::memcpy(frames + u64{list[k]} * kPageSize, stage + k * kPageSize, kPageSize);
      }
    }
  }

  std::vector<u32> download_written(u8* frames, u64 n_frames) {
    std::vector<u8> map(n_frames);
    check(cudaMemcpyAsync(map.data(), written_.p, n_frames, cudaMemcpyDeviceToHost, st_),
          "cudaMemcpy (written map)");
    check(cudaMemsetAsync(written_.p, 0, n_frames, st_), "cudaMemset");
    check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
    std::vector<u32> list;
    for (u64 f = 0; f < n_frames; ++f) {
      if (map[f]) list.push_back(static_cast<u32>(f));
    }
    move_frames(list, frames, false);
    return list;
  }

  // Block translation before a launch: hot code (read through the first lane's table) is
  // translated and compiled in the background; the module to launch, if one is ready.
  std::shared_ptr<jit::JitModule> translate(const u8* frames, std::span<const LaneTable> tables,
                                            std::span<const u32> lane_table,
                                            std::span<const CoreState> states) {
    if (!jit_->active()) return nullptr;
    const jit::CodeReader read = code_reader(frames, tables[lane_table[0]]);
    if (!states.empty()) jit_->set_start(states[0].pc);  // names the program's profile
    std::vector<u64> start;
    if (jit_->options().wait) {
      for (const CoreState& s : states) start.push_back(s.pc);
      std::sort(start.begin(), start.end());
      start.erase(std::unique(start.begin(), start.end()), start.end());
    }
    jit_->poll(read, start);
    if (jit_->options().wait) jit_->wait();
    std::shared_ptr<jit::JitModule> mod = jit_->installed();
    if (mod != compat_module_) {
      compatible_.clear();
      compat_module_ = mod;
    }
    return mod;
  }

  // Reads code through `table` (the host's copy; the host does not change it while a launch
  // runs).
  static jit::CodeReader code_reader(const u8* frames, const LaneTable& table) {
    return [frames, nodes = table.nodes](u64 va, jit::CodePage& p) {
      const u32 leaf = PageTableView{nodes, const_cast<u8*>(frames)}.leaf(va);
      if (!(leaf & kLeafPresent)) return false;
      p.leaf = leaf;
      p.bytes = frames + u64{leaf_frame(leaf)} * kPageSize;
      return true;
    };
  }

  // Waits for the launch on st_. With block translation, code that turns hot meanwhile is
  // translated and compiled, and once a compile is ready the running lanes are asked to stop
  // (CHECKPOINT), so that the next launch runs the new code instead of interpreting for the rest
  // of a long launch.
  void wait_for_launch(const u8* frames, const LaneTable& table) {
    if (jit_->active() && !jit_->options().wait) {
      const jit::CodeReader read = code_reader(frames, table);
      bool asked = false;
      for (;;) {
        const cudaError_t q = cudaStreamQuery(st_);
        if (q != cudaErrorNotReady) break;
        jit_->poll(read);
        if (!asked && jit_->update_ready()) {
          check(
              cudaMemcpyAsync(flags_.p, stop_value_.p, sizeof(u32), cudaMemcpyHostToDevice, side_),
              "cudaMemcpy (stop request)");
          asked = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (asked) check(cudaStreamSynchronize(side_), "cudaMemcpy (stop request)");
    }
    check(cudaStreamSynchronize(st_), "lanes kernel");
  }

  // True when a lane on `table` sees the translated code: every page translated maps the same
  // frame with the same permissions (else the lane runs interpreted). Cached per table version.
  bool runs_translated(const LaneTable& table, const u8* frames, const jit::JitModule& mod) {
    const auto [it, fresh] = compatible_.try_emplace(table.version, true);
    if (fresh) {
      const PageTableView v{table.nodes, const_cast<u8*>(frames)};
      for (const auto& [va, leaf] : mod.translation->pages) {
        if (v.leaf(va) != leaf) {
          it->second = false;
          break;
        }
      }
    }
    return it->second;
  }

  // Returns each table's offset (in words) in the device node array. A table has a place
  // there with room to grow (LaneTable::key); a new one goes up whole, a known one only by the
  // nodes that changed since its copy (a lane's table is 10 or so nodes of 16 KiB, a round
  // changes a leaf or two). The nodes go up together, packed in a pinned buffer, and a kernel
  // puts each in its place.
  std::vector<u64> upload_tables(std::span<const LaneTable> tables) {
    const auto room = [](u64 words) {  // words plus a quarter, at least two nodes more
      return words + std::max<u64>(2, words / kNodeEntries / 4) * kNodeEntries;
    };
    u64 wanted = 0;  // for the tables that need a new place
    for (const auto& t : tables) {
      const auto it = table_at_.find(t.key());
      if (it == table_at_.end() || it->second.cap < t.words) wanted += room(t.words);
    }
    if (used_ + wanted > nodes_.cap) {
      // Start over with only the tables of this call.
      table_at_.clear();
      used_ = 0;
      u64 all = 0;
      for (const auto& t : tables) all += room(t.words);
      nodes_.reserve(all, "cudaMalloc (page tables)", st_);
    }
    std::vector<u64> off(tables.size());
    std::vector<u64> dst;         // word offset in nodes_ of each node packed
    std::vector<const u32*> src;  // the node on the host
    for (size_t i = 0; i < tables.size(); ++i) {
      const LaneTable& t = tables[i];
      DeviceTable& d = table_at_[t.key()];
      if (d.cap < t.words) {  // new, or grown out of its place
        d = DeviceTable{used_, room(t.words), 0, 0};
        used_ += d.cap;
      }
      if (d.version != t.version) {
        for (const u32 k : t.stale_nodes(d.version, d.words)) {
          dst.push_back(d.offset + u64{k} * kNodeEntries);
          src.push_back(t.nodes + u64{k} * kNodeEntries);
        }
        d.version = t.version;
        d.words = t.words;
      }
      off[i] = d.offset;
    }
    nodes_up_ += dst.size();
    if (dst.empty()) return off;
    u32* stage = table_staging_.reserve(dst.size() * kNodeEntries, "cudaHostAlloc (tables)");
    for (size_t k = 0; k < src.size(); ++k)
      std::memcpy(stage + k * kNodeEntries, src[k], kNodeEntries * sizeof(u32));
    d_table_staging_.reserve(dst.size() * kNodeEntries, "cudaMalloc (tables)", st_);
    node_list_.reserve(dst.size(), "cudaMalloc (node list)", st_);
    check(cudaMemcpyAsync(d_table_staging_.p, stage, dst.size() * kNodeEntries * sizeof(u32),
                          cudaMemcpyHostToDevice, st_),
          "cudaMemcpy (page tables)");
    check(cudaMemcpyAsync(node_list_.p, dst.data(), dst.size() * sizeof(u64),
                          cudaMemcpyHostToDevice, st_),
          "cudaMemcpy (node list)");
    scatter_nodes<<<static_cast<u32>(dst.size()), kNodeThreads, 0, st_>>>(
        nodes_.p, d_table_staging_.p, node_list_.p);
    check(cudaGetLastError(), "kernel launch (scatter nodes)");
    check(cudaStreamSynchronize(st_), "cudaMemcpy (page tables)");  // dst goes out of scope
    return off;
  }

  int device_;
  bool trace_ = false;  // KVRM_BATCH_TRACE: a line per launch on stderr
  u32 lanes_per_warp_;  // 0: per_warp() chooses
  u32 shift_;           // the layout of the device's frames (frame_start)
  int sms_ = 0;
  u64 resident_warps_ = 1;  // of the interpreter's kernel
  std::unique_ptr<jit::JitManager> jit_;
  std::shared_ptr<jit::JitModule> compat_module_;  // what compatible_ was computed for
  std::unordered_map<u64, bool> compatible_;       // table version -> runs translated code
  cudaStream_t st_ = nullptr;
  cudaStream_t side_ = nullptr;  // the stop request, while a launch runs on st_
  PinnedArray<u32> stop_value_;  // holds 1
  LaneRunnerTimes times_;
  DeviceArray<u8> frames_, written_, d_staging_;
  DeviceArray<u32> nodes_, list_, flags_;
  DeviceArray<u64> dcache_;
  DeviceArray<PageTableView> views_;
  DeviceArray<CoreRecord> lanes_;
  // A table's copy in nodes_: its place (offset, capacity in words), the version and length
  // copied.
  struct DeviceTable {
    u64 offset = 0, cap = 0, version = 0, words = 0;
  };
  std::unordered_map<u64, DeviceTable> table_at_;  // LaneTable::key() -> its copy
  u64 used_ = 0;                                   // words of nodes_ in use
  u64 nodes_up_ = 0;                               // table nodes uploaded (the trace)
  DeviceArray<u32> d_table_staging_;
  DeviceArray<u64> node_list_;
  u64 valid_frames_ = 0;            // frames of the device array that mirror the host's
  PinnedArray<u8> staging_;         // frames on their way up or down
  PinnedArray<u32> table_staging_;  // the tables of one call on their way up
  PinnedArray<PageTableView> h_views_;
  PinnedArray<CoreRecord> h_lanes_;
};

}  // namespace

std::unique_ptr<LaneRunner> make_lane_runner(int device, u32 lanes_per_warp, const JitOptions& jit,
                                             u32 frame_shift) {
  std::string why;
  if (!cuda_available(&why)) throw Error("the CUDA batch backend is not available: " + why);
  return std::make_unique<CudaLaneRunner>(device, lanes_per_warp, jit, frame_shift);
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

}  // namespace kvrm::cuda
