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
#include <cstring>
#include <unordered_map>
#include <vector>

#include "engines/cuda/cuda_check.hpp"
#include "engines/cuda/cuda_engine.hpp"
#include "engines/cuda/device_core.cuh"
#include "engines/cuda/lane_runner.hpp"

namespace kvrm::cuda {
namespace {

// How often a lane looks at the stop flag (instructions): often enough that lanes stop soon
// after the flag goes up, rarely enough to cost nothing measurable.
constexpr u64 kLanePoll = 1024;

// flags[0]: the stop flag; flags[1]: lanes that stopped by themselves. Each warp runs
// `per_warp` lanes (1..32) on its first threads; the others return at once.
__global__ void lanes_kernel(CoreRecord* lanes, const PageTableView* views, u32 n, u64* dcache,
                             u8* written, u32* flags, u32 end_after, u32 per_warp) {
  const u32 t = blockIdx.x * blockDim.x + threadIdx.x;
  const u32 in_warp = t % 32;
  if (in_warp >= per_warp) return;
  const u32 id = t / 32 * per_warp + in_warp;
  if (id >= n) return;
  CoreRecord& lane = lanes[id];
  CoreState s = lane.s;
  StopInfo info{};
  Tlb tlb;
  Mmu mmu{views[id], &info};
  mmu.written = written;
  mmu.tlb = &tlb;
  mmu.flush();
  const RunOutcome o = run_core(s, info, mmu, dcache, lane.budget, flags, kLanePoll);
  lane.s = s;
  lane.info = info;
  lane.cycles = o.cycles;
  lane.signal = static_cast<u32>(o.signal);
  if (o.signal != Signal::Checkpoint && atomicAdd(&flags[1], 1u) + 1 == end_after) {
    *reinterpret_cast<volatile u32*>(&flags[0]) = 1;
  }
}

// Frame k of the list moves between the frame array and slot k of the staging buffer.
__global__ void scatter_frames(u8* frames, const u8* staging, const u32* list) {
  const uint4* src = reinterpret_cast<const uint4*>(staging + u64{blockIdx.x} * kPageSize);
  uint4* dst = reinterpret_cast<uint4*>(frames + u64{list[blockIdx.x]} * kPageSize);
  dst[threadIdx.x] = src[threadIdx.x];
}
__global__ void gather_frames(const u8* frames, u8* staging, const u32* list) {
  const uint4* src = reinterpret_cast<const uint4*>(frames + u64{list[blockIdx.x]} * kPageSize);
  uint4* dst = reinterpret_cast<uint4*>(staging + u64{blockIdx.x} * kPageSize);
  dst[threadIdx.x] = src[threadIdx.x];
}
constexpr u32 kCopyThreads = kPageSize / sizeof(uint4);

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

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class CudaLaneRunner final : public LaneRunner {
 public:
  CudaLaneRunner(int device, u32 lanes_per_warp)
      : device_(device), lanes_per_warp_(lanes_per_warp) {
    if (lanes_per_warp > 32) throw Error("lanes per warp must be 0 (automatic) or 1 to 32");
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (device < 0 || device >= count) {
      throw Error("CUDA device " + std::to_string(device) + " does not exist (" +
                  std::to_string(count) + " present)");
    }
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&st_, cudaStreamNonBlocking), "cudaStreamCreate");
    dcache_.reserve(kDecodeCacheEntries, "cudaMalloc (decode cache)", st_);
    check(cudaMemset(dcache_.p, 0, dcache_.cap * sizeof(u64)), "cudaMemset");
    flags_.reserve(2, "cudaMalloc (stop flags)", st_);
    // How many warps of lanes_kernel the device holds at once (registers permitting).
    int sms = 0, blocks = 0;
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaGetAttribute");
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, lanes_kernel, kThreadsPerBlock, 0),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    resident_warps_ = std::max<u64>(1, u64(sms) * u64(blocks) * (kThreadsPerBlock / 32));
  }

  // Lanes per warp for n lanes: as few as let them all be resident at once (lanes sharing a
  // warp serialise where their paths differ; warps of their own run side by side), at most 32.
  u32 per_warp(u64 n) const {
    if (lanes_per_warp_) return lanes_per_warp_;
    u32 l = 1;
    while (l < 32 && (n + l - 1) / l > resident_warps_) l *= 2;
    return l;
  }
  ~CudaLaneRunner() override {
    cudaSetDevice(device_);  // the members are freed on their device
    cudaStreamSynchronize(st_);
    cudaFreeHost(staging_);
    cudaStreamDestroy(st_);
  }

  const LaneRunnerTimes& times() const override { return times_; }

  std::vector<u32> run_lanes(u8* frames, u64 n_frames, std::span<const u32> host_dirty,
                             std::span<const LaneTable> tables, std::span<const u32> lane_table,
                             std::span<CoreState> states, std::span<const u64> budgets,
                             std::span<RunResult> stops, u32 end_after) override {
    const u64 n = states.size();
    check(cudaSetDevice(device_), "cudaSetDevice");  // this host thread's current device
    auto t = Clock::now();
    upload_frames(frames, n_frames, host_dirty);
    const std::vector<u64> offsets = upload_tables(tables);

    std::vector<PageTableView> views(n);
    std::vector<CoreRecord> lanes(n);
    for (u64 i = 0; i < n; ++i) {
      views[i] = PageTableView{nodes_.p + offsets[lane_table[i]], frames_.p};
      lanes[i].s = states[i];
      lanes[i].budget = budgets[i];
    }
    views_.reserve(n, "cudaMalloc (lane views)", st_);
    lanes_.reserve(n, "cudaMalloc (lanes)", st_);
    check(cudaMemcpyAsync(views_.p, views.data(), n * sizeof(PageTableView), cudaMemcpyHostToDevice,
                          st_),
          "cudaMemcpy (lane views)");
    check(cudaMemcpyAsync(lanes_.p, lanes.data(), n * sizeof(CoreRecord), cudaMemcpyHostToDevice,
                          st_),
          "cudaMemcpy (lanes)");
    check(cudaMemsetAsync(flags_.p, 0, 2 * sizeof(u32), st_), "cudaMemset (stop flags)");
    check(cudaStreamSynchronize(st_), "cudaMemcpy (lanes)");
    times_.transfer += since(t);
    t = Clock::now();
    const u32 l = per_warp(n);
    const u64 warps = (n + l - 1) / l;
    const u32 blocks = static_cast<u32>((warps * 32 + kThreadsPerBlock - 1) / kThreadsPerBlock);
    lanes_kernel<<<blocks, kThreadsPerBlock, 0, st_>>>(
        lanes_.p, views_.p, static_cast<u32>(n), dcache_.p, written_.p, flags_.p, end_after, l);
    check(cudaGetLastError(), "kernel launch (lanes)");
    check(cudaMemcpyAsync(lanes.data(), lanes_.p, n * sizeof(CoreRecord), cudaMemcpyDeviceToHost,
                          st_),
          "cudaMemcpy (lanes)");
    check(cudaStreamSynchronize(st_), "lanes kernel");
    times_.kernel += since(t);
    t = Clock::now();
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
    times_.transfer += since(t);
    return written;
  }

 private:
  u8* staging(u64 frames) {
    if (frames > staging_frames_) {
      cudaFreeHost(staging_);
      staging_ = nullptr;
      staging_frames_ = std::max<u64>(frames + frames / 2, 64);
      check(cudaHostAlloc(&staging_, staging_frames_ * kPageSize, cudaHostAllocDefault),
            "cudaHostAlloc (staging)");
      d_staging_.reserve(staging_frames_ * kPageSize, "cudaMalloc (staging)", st_);
    }
    return staging_;
  }

  void upload_frames(const u8* frames, u64 n_frames, std::span<const u32> host_dirty) {
    const u64 had = valid_frames_;
    if (n_frames > frames_.cap / kPageSize) {
      frames_.reserve(n_frames * kPageSize, "cudaMalloc (guest frames)", st_, had * kPageSize);
      const u64 cap_frames = frames_.cap / kPageSize;
      u8* old = written_.p;
      written_.p = nullptr;
      written_.cap = 0;
      cudaFree(old);
      written_.reserve(cap_frames, "cudaMalloc (written map)", st_);
      check(cudaMemsetAsync(written_.p, 0, written_.cap, st_), "cudaMemset");
    }
    // New frames in one piece; those the host wrote below the old mark through the staging
    // buffer.
    if (n_frames > had) {
      check(cudaMemcpyAsync(frames_.p + had * kPageSize, frames + had * kPageSize,
                            (n_frames - had) * kPageSize, cudaMemcpyHostToDevice, st_),
            "cudaMemcpy (guest frames)");
    }
    std::vector<u32> list;
    for (const u32 f : host_dirty) {
      if (f < had) list.push_back(f);
    }
    valid_frames_ = std::max(had, n_frames);
    move_frames(list, const_cast<u8*>(frames), true);
  }

  // Copies the listed frames host -> device (up) or device -> host.
  void move_frames(const std::vector<u32>& list, u8* frames, bool up) {
    if (list.empty()) {
      check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
      return;
    }
    u8* stage = staging(list.size());
    list_.reserve(list.size(), "cudaMalloc (frame list)", st_);
    check(cudaMemcpyAsync(list_.p, list.data(), list.size() * sizeof(u32), cudaMemcpyHostToDevice,
                          st_),
          "cudaMemcpy (frame list)");
    const u64 bytes = list.size() * kPageSize;
    const u32 count = static_cast<u32>(list.size());
    if (up) {
      for (size_t k = 0; k < list.size(); ++k) {
        std::memcpy(stage + k * kPageSize, frames + u64{list[k]} * kPageSize, kPageSize);
      }
      check(cudaMemcpyAsync(d_staging_.p, stage, bytes, cudaMemcpyHostToDevice, st_),
            "cudaMemcpy (frames up)");
      scatter_frames<<<count, kCopyThreads, 0, st_>>>(frames_.p, d_staging_.p, list_.p);
      check(cudaGetLastError(), "kernel launch (scatter)");
      check(cudaStreamSynchronize(st_), "cudaStreamSynchronize");
    } else {
      gather_frames<<<count, kCopyThreads, 0, st_>>>(frames_.p, d_staging_.p, list_.p);
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

  // Returns each table's offset (in words) in the device node array.
  std::vector<u64> upload_tables(std::span<const LaneTable> tables) {
    std::vector<u64> off(tables.size());
    u64 missing = 0;
    for (const auto& t : tables) {
      if (!table_at_.count(t.version)) missing += t.words;
    }
    if (used_ + missing > nodes_.cap) {
      // Start over with only the tables of this call.
      table_at_.clear();
      used_ = 0;
      u64 all = 0;
      for (const auto& t : tables) all += t.words;
      nodes_.reserve(all, "cudaMalloc (page tables)", st_);
    }
    for (size_t i = 0; i < tables.size(); ++i) {
      const auto it = table_at_.find(tables[i].version);
      if (it != table_at_.end()) {
        off[i] = it->second;
        continue;
      }
      check(cudaMemcpyAsync(nodes_.p + used_, tables[i].nodes, tables[i].words * sizeof(u32),
                            cudaMemcpyHostToDevice, st_),
            "cudaMemcpy (page table)");
      table_at_[tables[i].version] = used_;
      off[i] = used_;
      used_ += tables[i].words;
    }
    return off;
  }

  int device_;
  u32 lanes_per_warp_;  // 0: per_warp() chooses
  u64 resident_warps_ = 1;
  cudaStream_t st_ = nullptr;
  LaneRunnerTimes times_;
  DeviceArray<u8> frames_, written_, d_staging_;
  DeviceArray<u32> nodes_, list_, flags_;
  DeviceArray<u64> dcache_;
  DeviceArray<PageTableView> views_;
  DeviceArray<CoreRecord> lanes_;
  std::unordered_map<u64, u64> table_at_;  // table version -> offset in nodes_
  u64 used_ = 0;                           // words of nodes_ in use
  u64 valid_frames_ = 0;                   // frames of the device array that mirror the host's
  u8* staging_ = nullptr;                  // pinned
  u64 staging_frames_ = 0;
};

}  // namespace

std::unique_ptr<LaneRunner> make_lane_runner(int device, u32 lanes_per_warp) {
  std::string why;
  if (!cuda_available(&why)) throw Error("the CUDA batch backend is not available: " + why);
  return std::make_unique<CudaLaneRunner>(device, lanes_per_warp);
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

}  // namespace kvrm::cuda
