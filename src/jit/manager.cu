// Block translation for one engine or lane runner (manager.hpp).
#include "jit/manager.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "core/cuda_check.hpp"
#include "jit/compiler.hpp"

namespace kvrm::jit {

using cuda::check;
namespace {

constexpr u32 kCounters = 1u << 16;  // hot-spot counters (hash-indexed)
constexpr u32 kRingSlots = 4096;     // hot targets the interpreter can report between polls

}  // namespace

JitModule::~JitModule() {
  if (library) cudaLibraryUnload(library);
}

JitManager::JitManager(const JitOptions& options, int device, u32 frame_shift)
    : o_(options), device_(device), frame_shift_(frame_shift) {
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
  disk_ = open_jit_cache(o_.cache, o_.cache_max_bytes);  // before anything it would leak
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  check(cudaMalloc(&d_counts_, kCounters * sizeof(u32)), "cudaMalloc (hot-spot counters)");
  check(cudaMemset(d_counts_, 0, kCounters * sizeof(u32)), "cudaMemset");
  const size_t ring_bytes = sizeof(HotRing) + (kRingSlots - 1) * sizeof(u64);
  check(cudaMalloc(&d_ring_, ring_bytes), "cudaMalloc (hot targets)");
  check(cudaMemset(d_ring_, 0, ring_bytes), "cudaMemset");
  const u32 capacity = kRingSlots;
  check(cudaMemcpy(&d_ring_->capacity, &capacity, sizeof capacity, cudaMemcpyHostToDevice),
        "cudaMemcpy (hot targets)");
  slots_.resize(kRingSlots);
  translator_ = std::make_unique<Translator>(host_limits());
  active_ = true;
}

JitManager::~JitManager() {
  wait();
  try {
    store_profile();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvrm: the translation profile was not stored: %s\n", e.what());
  }
  cudaSetDevice(device_);
  current_.reset();
  cudaFree(d_counts_);
  cudaFree(d_ring_);
  if (stream_) cudaStreamDestroy(stream_);
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
  u32 head = 0;
  check(cudaMemcpyAsync(&head, &d_ring_->head, sizeof head, cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpy (hot targets)");
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (hot targets)");
  if (head == tail_) return;
  if (head - tail_ > kRingSlots) tail_ = head - kRingSlots;  // overrun: the oldest are lost
  // The slots from tail_ to head, in at most two pieces (the ring wraps).
  const u32 first = tail_ & (kRingSlots - 1);
  const u32 count = head - tail_;
  const u32 a = std::min(count, kRingSlots - first);
  check(cudaMemcpyAsync(slots_.data(), &d_ring_->pc[first], a * sizeof(u64), cudaMemcpyDeviceToHost,
                        stream_),
        "cudaMemcpy (hot targets)");
  if (count > a) {
    check(cudaMemcpyAsync(slots_.data() + a, &d_ring_->pc[0], (count - a) * sizeof(u64),
                          cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpy (hot targets)");
  }
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (hot targets)");
  tail_ = head;
  for (u32 i = 0; i < count; ++i) {
    if (!(slots_[i] & kHotMark)) continue;  // not written yet
    hot_.add(slots_[i] & ~kHotMark);
  }
}

void JitManager::poll(const CodeReader& read, std::span<const u64> also_hot) {
  if (!active_) return;
  drain_ring();
  for (const u64 pc : also_hot) hot_.add(pc);
  if (compiling_) return;
  if (!profile_loaded_) load_profile(read);
  if (profile_.replaying() && replay(read)) return;
  if (!hot_.pending()) return;
  if (profile_.translate_round(hot_, *translator_, read) == 0) return;
  start_compile(translator_->snapshot());
}

std::vector<std::string> JitManager::module_sources(const Translation& t) const {
  const std::string layout = "#define KVRM_JIT_FRAME_SHIFT " + std::to_string(frame_shift_) + "\n";
  std::vector<std::string> sources;
  for (const std::string& s : t.sources) sources.push_back(layout + s);
  return sources;
}

bool JitManager::replay(const CodeReader& read) {
  u32 added = 0;
  stats_.rounds_replayed += profile_.replay(*translator_, read, &added);
  if (added == 0) return false;
  const std::shared_ptr<const Translation> t = translator_->snapshot();
  std::optional<CompiledModule> m;
  try {
    m = find_compiled_module(module_sources(*t), disk_.get());
  } catch (const std::exception&) {
    m.reset();  // compiled as usual below, where errors are reported
  }
  if (!m) {
    start_compile(t);
    return true;
  }
  // Found compiled: ready for installed() now, with no compile in the background.
  compiling_ = t;
  std::lock_guard lock(mu_);
  stale_ = false;
  error_.clear();
  result_ = std::move(m->cubin);
  stats_.modules_from_disk += m->from_disk;
  done_ = true;
  return true;
}

void JitManager::load_profile(const CodeReader& read) {
  if (!disk_ || !has_start_) return;
  profile_loaded_ = true;
  profile_key_ = JitProfile::key(jit_build_key(), frame_shift_, start_, read);
  const std::optional<std::vector<char>> bytes = disk_->get(profile_key_);
  if (!bytes) return;
  if (std::optional<std::vector<JitProfile::Round>> rounds = JitProfile::parse(*bytes)) {
    profile_.load(std::move(*rounds));
  }
}

void JitManager::store_profile() {
  if (!disk_ || !profile_loaded_ || !active_) return;
  if (const std::optional<std::vector<char>> bytes = profile_.to_store()) {
    disk_->put(profile_key_, *bytes);
  }
}

void JitManager::start_compile(std::shared_ptr<const Translation> t) {
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
    CompiledModule m;
    try {
      m = compile_module(module_sources(*t), disk_.get());
      cubin = std::move(m.cubin);
    } catch (const std::exception& e) {
      error = e.what();
    }
    std::lock_guard lock(mu_);
    result_ = std::move(cubin);
    error_ = std::move(error);
    stats_.compile_seconds += m.compile_seconds;
    stats_.link_seconds += m.link_seconds;
    stats_.parts_compiled += m.parts_compiled;
    stats_.parts_from_disk += m.parts_from_disk;
    stats_.modules_from_disk += m.from_disk;
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
    if (worker_.joinable()) worker_.join();
    const std::shared_ptr<const Translation> t = std::move(compiling_);
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

void JitManager::start_over() {
  current_.reset();
  if (compiling_) {
    std::lock_guard lock(mu_);
    stale_ = true;
  }
  translator_ = std::make_unique<Translator>(host_limits());
  // The rounds so far describe a translation that is gone; the profile keeps the longest such
  // (a program that unmaps its code at the end keeps the rounds it ran most with).
  profile_.start_over();
  hot_.retry_all();  // the hot targets are translated again from the code as it is now
}

bool JitManager::invalidate(u64 addr, u64 size) {
  if (!active_) return false;
  const bool hit = current_ && current_->translation->touches(addr, size);
  if (hit || translator_->snapshot_touches(addr, size) ||
      (compiling_ && compiling_->touches(addr, size))) {
    start_over();
  }
  hot_.forget(addr, size);  // targets found untranslatable there may be translatable now
  return hit;
}

bool JitManager::invalidate_frames(std::span<const u32> frames) {
  if (!active_ || frames.empty()) return false;
  const auto touches = [&](const std::vector<std::pair<u64, u32>>& pages) {
    std::vector<u32> mine;
    for (const auto& [va, leaf] : pages) mine.push_back(leaf_frame(leaf));
    std::sort(mine.begin(), mine.end());
    for (const u32 f : frames) {
      if (std::binary_search(mine.begin(), mine.end(), f)) return true;
    }
    return false;
  };
  const bool hit = current_ && touches(current_->translation->pages);
  if (hit || touches(translator_->snapshot()->pages) ||
      (compiling_ && touches(compiling_->pages))) {
    start_over();
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
  if (disk_) s.cache = disk_->dir();
  s.hot_targets = hot_.size();
  if (current_) {
    s.blocks = current_->translation->blocks.size();
    s.instructions = current_->translation->instructions;
  }
  return s;
}

}  // namespace kvrm::jit
