// Block translation for one engine or lane runner (jit_manager.hpp).
#include "engines/cuda/jit_manager.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "engines/cuda/cuda_check.hpp"
#include "engines/cuda/jit_compiler.hpp"

namespace kvrm::cuda {
namespace {

constexpr u32 kCounters = 1u << 16;  // hot-spot counters (hash-indexed)
constexpr u32 kRingSlots = 4096;     // hot targets the interpreter can report between polls

}  // namespace

JitModule::~JitModule() {
  if (library) cudaLibraryUnload(library);
}

JitManager::JitManager(const JitOptions& options, int device) : o_(options), device_(device) {
  if (o_.mode == JitMode::Off) {
    note_ = "translation is off";
    return;
  }
  if (o_.hot_threshold == 0) throw Error("the translation threshold must be at least 1");
  std::string why;
  if (!jit_compiler_available(&why)) {
    if (o_.mode == JitMode::On) throw Error("block translation is not available: " + why);
    note_ = why;
    return;
  }
  check(cudaMalloc(&d_counts_, kCounters * sizeof(u32)), "cudaMalloc (hot-spot counters)");
  check(cudaMemset(d_counts_, 0, kCounters * sizeof(u32)), "cudaMemset");
  void* m = nullptr;
  const size_t ring_bytes = sizeof(HotRing) + (kRingSlots - 1) * sizeof(u64);
  check(cudaHostAlloc(&m, ring_bytes, cudaHostAllocMapped), "cudaHostAlloc (hot targets)");
  std::memset(m, 0, ring_bytes);
  ring_ = static_cast<HotRing*>(m);
  ring_->capacity = kRingSlots;
  check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&d_ring_), m, 0),
        "cudaHostGetDevicePointer");
  active_ = true;
}

JitManager::~JitManager() {
  wait();
  cudaSetDevice(device_);
  current_.reset();
  cudaFree(d_counts_);
  if (ring_) cudaFreeHost(ring_);
}

InterpHooks JitManager::hooks() const {
  InterpHooks h;
  if (!active_) return h;
  h.counts = d_counts_;
  h.count_mask = kCounters - 1;
  h.ring = d_ring_;
  h.threshold = o_.hot_threshold;
  return h;
}

void JitManager::drain_ring() {
  const u32 head = *static_cast<volatile u32*>(&ring_->head);
  if (head - tail_ > kRingSlots) tail_ = head - kRingSlots;  // overrun: the oldest are lost
  while (tail_ != head) {
    volatile u64& slot = ring_->pc[tail_ & (kRingSlots - 1)];
    const u64 v = slot;
    if (v == 0) break;  // reserved but not written yet: read again next time
    slot = 0;
    ++tail_;
    const u64 pc = v & ~kHotMark;
    if (hot_set_.insert(pc).second) {
      hot_.push_back(pc);
      fresh_hot_ = true;
    }
  }
}

void JitManager::poll(const jit::CodeReader& read, std::span<const u64> also_hot) {
  if (!active_) return;
  drain_ring();
  for (const u64 pc : also_hot) {
    if (hot_set_.insert(pc).second) {
      hot_.push_back(pc);
      fresh_hot_ = true;
    }
  }
  if (compiling_ || !fresh_hot_) return;
  fresh_hot_ = false;
  std::vector<u64> entries;
  for (const u64 pc : hot_) {
    if (!untranslatable_.count(pc)) entries.push_back(pc);
  }
  auto t = std::make_shared<jit::Translation>(jit::translate(entries, read));
  for (const u64 pc : entries) {
    if (!t->has_block(pc)) untranslatable_.insert(pc);
  }
  if (t->blocks.empty()) return;
  if (current_ && current_->translation->sources == t->sources) return;
  start_compile(std::move(t));
}

void JitManager::start_compile(std::shared_ptr<const jit::Translation> t) {
  compiling_ = t;
  {
    std::lock_guard lock(mu_);
    done_ = false;
    stale_ = false;
    result_.clear();
    error_.clear();
  }
  worker_ = std::thread([this, t] {
    std::vector<char> cubin;
    std::string error;
    double compile = 0, link = 0;
    try {
      CompiledModule m = compile_module(t->sources);
      cubin = std::move(m.cubin);
      compile = m.compile_seconds;
      link = m.link_seconds;
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard lock(mu_);
    result_ = std::move(cubin);
    error_ = std::move(error);
    stats_.compile_seconds += compile;
    stats_.link_seconds += link;
    done_ = true;
  });
}

bool JitManager::update_ready() const {
  if (!compiling_) return false;
  std::lock_guard lock(mu_);
  return done_;
}

void JitManager::wait() {
  if (worker_.joinable()) worker_.join();
}

void JitManager::fail(const std::string& why) {
  if (o_.mode == JitMode::On) throw Error("block translation failed: " + why);
  if (active_) {
    std::fprintf(stderr, "kvrm: block translation stopped, the interpreter goes on: %s\n",
                 why.c_str());
  }
  active_ = false;
  note_ = why;
  current_.reset();
}

std::shared_ptr<JitModule> JitManager::installed() {
  if (!active_) return nullptr;
  if (compiling_ && update_ready()) {
    worker_.join();
    const std::shared_ptr<const jit::Translation> t = std::move(compiling_);
    compiling_.reset();
    if (!error_.empty()) {
      fail(error_);
      return nullptr;
    }
    if (!stale_) {
      try {
        auto m = std::make_shared<JitModule>();
        check(cudaLibraryLoadData(&m->library, result_.data(), nullptr, nullptr, 0, nullptr,
                                  nullptr, 0),
              "cudaLibraryLoadData (translated code)");
        cudaKernel_t k = nullptr;
        check(cudaLibraryGetKernel(&k, m->library, "kvrm_jit_single_kernel"),
              "cudaLibraryGetKernel");
        m->single = reinterpret_cast<const void*>(k);
        check(cudaLibraryGetKernel(&k, m->library, "kvrm_jit_lanes_kernel"),
              "cudaLibraryGetKernel");
        m->lanes = reinterpret_cast<const void*>(k);
        check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&m->lanes_blocks_per_sm, m->lanes, 128,
                                                            0),
              "cudaOccupancyMaxActiveBlocksPerMultiprocessor (translated code)");
        m->translation = t;
        current_ = std::move(m);
        ++stats_.compiles;
      } catch (const Error& e) {
        fail(e.what());
        return nullptr;
      }
    }
    result_.clear();
  }
  return current_;
}

bool JitManager::invalidate(u64 addr, u64 size) {
  if (!active_) return false;
  bool hit = false;
  if (current_ && current_->translation->touches(addr, size)) {
    current_.reset();
    hit = true;
    fresh_hot_ = true;
  }
  if (compiling_ && compiling_->touches(addr, size)) {
    std::lock_guard lock(mu_);
    stale_ = true;
    fresh_hot_ = true;
  }
  // Targets found untranslatable there may be translatable now.
  const u64 first = addr & ~kPageMask, last = addr + size;
  for (auto it = untranslatable_.lower_bound(first); it != untranslatable_.end() && *it < last;) {
    it = untranslatable_.erase(it);
    fresh_hot_ = true;
  }
  return hit;
}

bool JitManager::invalidate_frames(std::span<const u32> frames) {
  if (!active_ || frames.empty()) return false;
  const auto touches = [&](const jit::Translation& t) {
    std::vector<u32> mine;
    for (const auto& [va, leaf] : t.pages) mine.push_back(leaf_frame(leaf));
    std::sort(mine.begin(), mine.end());
    for (const u32 f : frames) {
      if (std::binary_search(mine.begin(), mine.end(), f)) return true;
    }
    return false;
  };
  bool hit = false;
  if (current_ && touches(*current_->translation)) {
    current_.reset();
    hit = true;
    fresh_hot_ = true;
  }
  if (compiling_ && touches(*compiling_)) {
    std::lock_guard lock(mu_);
    stale_ = true;
    fresh_hot_ = true;
  }
  return hit;
}

JitStats JitManager::stats() const {
  JitStats s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
  }
  s.active = active_;
  s.note = note_;
  s.hot_targets = hot_.size();
  if (current_) {
    s.blocks = current_->translation->blocks.size();
    s.instructions = current_->translation->instructions;
  }
  return s;
}

}  // namespace kvrm::cuda
