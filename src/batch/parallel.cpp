// ParallelMachine: lanes over one SharedImage, executed by a batch backend.
#include "batch/parallel.hpp"

#include <chrono>
#include <string>

#include "batch/backend.hpp"
#include "batch/thread_pool.hpp"

namespace kvrm::batch {

ParallelMachine::ParallelMachine(ParallelOptions o) : o_(std::move(o)) {
  if (o_.lanes == 0) throw Error("a parallel machine needs at least one lane");
  if (o_.lane_memory_limit < kPageSize)
    throw Error("the lane memory limit must be at least one page (4096 bytes)");
  threads_ = std::make_unique<ThreadPool>(o_.threads);
  backend_ = make_backend(o_.backend, *threads_,
                          {.device_style_cow = o_.device_style_cow,
                           .devices = o_.devices,
                           .frame_shift = o_.frame_shift,
                           .jit = o_.jit});
  pool_ = std::make_unique<FramePool>();
  image_ = std::make_unique<SharedImage>(*pool_);
  if (o_.memory_size) {
    const u64 size = (o_.memory_size + kPageMask) & ~kPageMask;
    image_->pages().map(0, size, kPermRead | kPermWrite | kPermExec);
    image_->publish();
  }
  states_.resize(o_.lanes);
  mems_.reserve(o_.lanes);
  for (u32 i = 0; i < o_.lanes; ++i) {
    mems_.push_back(std::make_unique<LaneMemory>(*pool_,
                                                 LaneLimits{.memory_limit = o_.lane_memory_limit},
                                                 LaneMemory::Mode::Lane, image_.get()));
    mems_.back()->set_frame_class(i);
  }
}

ParallelMachine::~ParallelMachine() {
  mems_.clear();  // before the image and the pool
}

const char* ParallelMachine::backend_name() const { return backend_->name(); }
JitStats ParallelMachine::jit_stats() const { return backend_->jit_stats(); }

void ParallelMachine::check_lane(u32 lane) const {
  if (lane >= states_.size())
    throw Error("lane " + std::to_string(lane) + " out of range (" +
                std::to_string(states_.size()) + " lanes)");
}

void ParallelMachine::check_reg(int n) const {
  if (n < 0 || n > 31) throw Error("register " + std::to_string(n) + " out of range (0-31)");
}

void ParallelMachine::map(u64 addr, u64 size, u8 perms) {
  image_->pages().map(addr, size, perms);
  image_->publish();
  for (auto& m : mems_) {
    if (!m->shadowing()) m->share(image_->pages(), addr, size);
  }
}

void ParallelMachine::unmap(u64 addr, u64 size) {
  for (auto& m : mems_) {
    if (!m->shadowing()) m->unmap(addr, size);
  }
  image_->pages().unmap(addr, size);
  image_->publish();
}

void ParallelMachine::protect(u64 addr, u64 size, u8 perms) {
  image_->pages().protect(addr, size, perms);
  image_->publish();
  for (auto& m : mems_) {
    if (!m->shadowing() && m->is_mapped(addr, size)) m->protect(addr, size, perms);
  }
}

void ParallelMachine::write_memory(u64 addr, const void* src, u64 size) {
  image_->pages().write(addr, src, size);  // in place: lanes that share the pages see it
  const u8* in = static_cast<const u8*>(src);
  for (auto& m : mems_) {
    if (m->shadowing()) continue;
    for (u64 a = addr, left = size; left > 0;) {
      const u64 n = std::min<u64>(left, kPageSize - (a & kPageMask));
      if (m->owns_page(a)) m->write(a, in + (a - addr), n);
      a += n;
      left -= n;
    }
  }
}

void ParallelMachine::read_memory(u32 lane, u64 addr, void* dst, u64 size) const {
  check_lane(lane);
  mems_[lane]->read(addr, dst, size);
}

void ParallelMachine::write_memory(u32 lane, u64 addr, const void* src, u64 size) {
  check_lane(lane);
  mems_[lane]->write(addr, src, size);
}

CoreState ParallelMachine::state(u32 lane) const {
  check_lane(lane);
  return states_[lane];
}

void ParallelMachine::set_state(u32 lane, const CoreState& s) {
  check_lane(lane);
  states_[lane] = s;
}

u64 ParallelMachine::reg(u32 lane, int n) const {
  check_lane(lane);
  check_reg(n);
  return states_[lane].x[n];
}

void ParallelMachine::set_reg(u32 lane, int n, u64 v) {
  check_lane(lane);
  check_reg(n);
  states_[lane].x[n] = v;
}

void ParallelMachine::set_reg_all(int n, u64 v) {
  check_reg(n);
  for (auto& s : states_) s.x[n] = v;
}

u64 ParallelMachine::pc(u32 lane) const {
  check_lane(lane);
  return states_[lane].pc;
}

void ParallelMachine::set_pc(u32 lane, u64 pc) {
  check_lane(lane);
  states_[lane].pc = pc;
}

void ParallelMachine::set_pc_all(u64 pc) {
  for (auto& s : states_) s.pc = pc;
}

ParallelResult ParallelMachine::execute(u64 max_cycles) {
  const auto t0 = std::chrono::steady_clock::now();
  ParallelResult out;
  out.lanes.resize(states_.size());
  if (max_cycles == 0) {
    for (u32 i = 0; i < lanes(); ++i) out.lanes[i].pc = states_[i].pc;
    return out;
  }
  // Run every lane; lanes the backend stopped at a copy-on-write fault get their page copied
  // and run again with what is left of their budget.
  std::vector<u32> active(states_.size());
  for (u32 i = 0; i < lanes(); ++i) active[i] = i;
  while (!active.empty()) {
    std::vector<LaneRef> refs;
    std::vector<u64> budgets;
    for (const u32 i : active) {
      refs.push_back({mems_[i].get(), &states_[i], i});
      budgets.push_back(max_cycles - out.lanes[i].cycles);
    }
    std::vector<RunResult> stops(refs.size());
    backend_->run(refs, budgets, stops);
    std::vector<u32> again;
    for (size_t k = 0; k < active.size(); ++k) {
      const u32 i = active[k];
      const RunResult& r = stops[k];
      LaneRunResult& lr = out.lanes[i];
      lr.cycles += r.cycles;
      lr.signal = r.signal;
      lr.pc = r.pc;
      lr.info = r.info;
      if (r.signal == Signal::Fault && r.info.access == Access::Write &&
          r.info.cause == FaultCause::Permission) {
        const auto c = mems_[i]->resolve_cow(r.info.fault_addr);
        lr.out_of_memory = c == LaneMemory::CowResult::OutOfMemory;
        if (c == LaneMemory::CowResult::Copied) {
          if (lr.cycles < max_cycles) {
            again.push_back(i);
          } else {
            lr.signal = Signal::Checkpoint;
            lr.info = StopInfo{};
          }
        }
      }
    }
    active.swap(again);
  }
  for (const auto& l : out.lanes) out.total_cycles += l.cycles;
  out.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

u64 ParallelMachine::image_bytes() const { return image_->pages().mapped_bytes(); }

u64 ParallelMachine::lane_private_bytes(u32 lane) const {
  check_lane(lane);
  return mems_[lane]->private_bytes();
}

const LaneMemory& ParallelMachine::lane_memory(u32 lane) const {
  check_lane(lane);
  return *mems_[lane];
}

}  // namespace kvrm::batch
