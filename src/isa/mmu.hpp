// Guest memory as instruction semantics see it, on host and device alike: a 48-bit virtual
// address space of 4 KiB pages, translated through a three-level radix table whose leaves carry
// read/write/execute permissions. Every access is checked; a failed check records a fault in
// StopInfo and returns false, and the instruction then stops with Signal::Fault.
#pragma once

#include "isa/hd.hpp"
#include "isa/state.hpp"

namespace kvrm {

constexpr int kPageBits = 12;
constexpr u64 kPageSize = u64{1} << kPageBits;
constexpr u64 kPageMask = kPageSize - 1;
constexpr int kVaBits = 48;
constexpr int kLevelBits = 12;  // 12 + 12 + 12 index bits + 12 offset bits = 48
constexpr u32 kNodeEntries = 1u << kLevelBits;

enum Perm : u8 { kPermNone = 0, kPermRead = 1, kPermWrite = 2, kPermExec = 4 };

// Leaf entry layout: frame index in bits 31..8, kLeafPresent, permissions in bits 2..0.
constexpr u32 kLeafPresent = 0x80;
KVRM_HD constexpr u32 leaf_frame(u32 leaf) { return leaf >> 8; }
KVRM_HD constexpr u8 leaf_perms(u32 leaf) { return static_cast<u8>(leaf & 7); }
KVRM_HD constexpr u32 make_leaf(u32 frame, u8 perms) { return (frame << 8) | kLeafPresent | perms; }

// Where a frame's bytes lie in the frame memory a page table's leaves index. Linear (shift 0:
// the host, the single-core engines): frame f is the kPageSize bytes at f * kPageSize.
// Interleaved (shift s in 1..kMaxFrameShift: the CUDA batch engine's device copy of the frames):
// frames come in groups of 2^s, and the 8-byte word w of a group's member j lies at
// (w * 2^s + j) * 8 from the group's start. Lanes of a warp whose private copies of a page are
// the members of one group then touch adjacent words where they touch the same guest address:
// one coalesced access instead of one per lane (docs/ARCHITECTURE.md, Batch engine).
constexpr u64 kFrameWordBytes = 8;
constexpr u32 kMaxFrameShift = 5;
// Offset of frame f's first byte from the frame memory's start.
KVRM_HD constexpr u64 frame_start(u32 f, u32 shift) {
  return (u64{f >> shift} << (kPageBits + shift)) + u64{f & ((1u << shift) - 1)} * kFrameWordBytes;
}
// Offset of byte `off` (< kPageSize) of a frame from the frame's first byte.
KVRM_HD constexpr u64 frame_byte(u64 off, u32 shift) {
  return ((off & ~(kFrameWordBytes - 1)) << shift) + (off & (kFrameWordBytes - 1));
}
// Bytes of frame memory that hold frames [0, frames): whole groups.
KVRM_HD constexpr u64 frame_memory_bytes(u64 frames, u32 shift) {
  const u64 group = u64{1} << shift;
  return (frames + group - 1) / group * group * kPageSize;
}
// True when the n bytes from byte `off` of a frame on are contiguous in memory (and in the page).
KVRM_HD constexpr bool frame_contiguous(u64 off, u64 n, u32 shift) {
  return shift ? (off & (kFrameWordBytes - 1)) + n <= kFrameWordBytes : off + n <= kPageSize;
}
// Calls run(offset from the frame's first byte, bytes done so far, k) for each contiguous run of
// the n bytes (off + n <= kPageSize) from byte `off` of a frame on.
template <class Run>
KVRM_HD void frame_runs(u64 off, u64 n, u32 shift, Run&& run) {
  for (u64 done = 0; done < n;) {
    const u64 left = n - done;
    const u64 word_left = kFrameWordBytes - (off & (kFrameWordBytes - 1));
    const u64 k = shift && word_left < left ? word_left : left;
    run(frame_byte(off, shift), done, k);
    done += k, off += k;
  }
}
// Copies n bytes (off + n <= kPageSize) between a frame, from its byte `off` on, and plain memory.
KVRM_HD void frame_read(const u8* frame, u64 off, u8* dst, u64 n, u32 shift) {
  frame_runs(off, n, shift, [&](u64 at, u64 done, u64 k) { memcpy(dst + done, frame + at, k); });
}
KVRM_HD void frame_write(u8* frame, u64 off, const u8* src, u64 n, u32 shift) {
  frame_runs(off, n, shift, [&](u64 at, u64 done, u64 k) { memcpy(frame + at, src + done, k); });
}

// A plain view of a page table: valid on whichever side (host or device) the pointers belong to.
// Node 0 is the root; an interior entry holds the index of the next node (0 = absent). `shift`
// is the frames' layout (frame_start).
struct PageTableView {
  const u32* nodes = nullptr;
  u8* frames = nullptr;
  u32 shift = 0;

  KVRM_HD u8* frame(u32 f) const { return frames + frame_start(f, shift); }

  KVRM_HD u32 leaf(u64 va) const {
    if (va >> kVaBits) return 0;
    const u64 vpn = va >> kPageBits;
    const u32 n1 = nodes[(vpn >> (2 * kLevelBits)) & (kNodeEntries - 1)];
    if (n1 == 0) return 0;
    const u32 n2 = nodes[u64{n1} * kNodeEntries + ((vpn >> kLevelBits) & (kNodeEntries - 1))];
    if (n2 == 0) return 0;
    return nodes[u64{n2} * kNodeEntries + (vpn & (kNodeEntries - 1))];
  }
};

// In translated guest code (compiled at run time, src/jit/; KVRM_MMU_SIDE_EXIT) an
// access has no slow path at all: a hit in the one-entry cache (in registers) or in the Tlb
// (probed inline) is the whole access, and anything else (a Tlb miss, an unaligned or
// page-crossing access, a fault) fails without recording anything, which leaves the translated
// region at that instruction with nothing of it done; the engine's interpreter then runs the
// instruction with the full slow path and reports a real fault as such. So translated code makes no
// call for memory and keeps guest registers in machine registers across every access. kvrm's own
// kernels and the host keep the slow paths inline. The host tests compile translated code with
// KVRM_JIT_HOST_SIDE_EXIT, so that CI runs the side exits too.
#if defined(__CUDACC_RTC__) || defined(KVRM_JIT_HOST_SIDE_EXIT)
#define KVRM_MMU_SIDE_EXIT 1
#else
#define KVRM_MMU_SIDE_EXIT 0
#endif

KVRM_HD constexpr u8 perm_for(Access a) {
  return a == Access::Read ? kPermRead : a == Access::Write ? kPermWrite : kPermExec;
}

// A second-level translation cache: direct-mapped sets of one entry per access kind, filled by
// page-table walks. A hit is one 16-byte load instead of a walk's three dependent ones (lanes'
// tables rarely stay in the GPU's caches). A lane's lives in its thread's local memory; a
// single core's, larger (a program's data spans hundreds of pages, and every miss in translated
// code leaves it for the interpreter), in device memory. On the host a walk hits the CPU's
// caches and the engines go without one.
struct alignas(16) TlbEntry {
  u64 tag;  // the page's guest address (low kPageBits clear; ~0 for none)
  u8* base;
};
constexpr u32 kTlbSets = 64;        // a lane's (local memory)
constexpr u32 kCoreTlbSets = 1024;  // a single core's (device memory)
// A Tlb of kTlbSets sets, for a thread's local memory.
struct Tlb {
  TlbEntry entry[kTlbSets * 3];
};

// Checked guest memory access with a one-entry translation cache per access kind (and, where
// the engine provides one, a Tlb behind it). An Mmu is built by an engine for one run; mappings
// may only change between runs (or after flush()).
struct Mmu {
  PageTableView pt;
  StopInfo* stop = nullptr;
  // The page cached per Access kind: its guest address (low kPageBits clear; ~0 for none, which
  // no masked address equals) and the host address of its first byte.
  u64 tag[3] = {~u64{0}, ~u64{0}, ~u64{0}};
  u8* base[3] = {nullptr, nullptr, nullptr};
  // When set, written[frame] = 1 for every frame a write translation resolves to (an engine
  // that must copy back what the guest wrote, e.g. the CUDA batch backend). Frames are marked
  // when a walk finds them, so `written` and the Tlb must start afresh together.
  u8* written = nullptr;
  // Optional second-level cache (use_tlb()): 3 entries per set, set s's for access kind k at
  // tlb[3 * s + k].
  TlbEntry* tlb = nullptr;
  u32 tlb_mask = 0;  // its sets - 1

  // Takes `sets` (a power of two) sets of entries at t as the Tlb; flush() clears them.
  KVRM_HD void use_tlb(TlbEntry* t, u32 sets) {
    tlb = t;
    tlb_mask = sets - 1;
  }
  KVRM_HD void use_tlb(Tlb& t) { use_tlb(t.entry, kTlbSets); }

  KVRM_HD void flush() {
    tag[0] = tag[1] = tag[2] = ~u64{0};
    if (tlb) {
      for (u32 i = 0; i < 3 * (tlb_mask + 1); ++i) tlb[i].tag = ~u64{0};
    }
  }

  KVRM_HD bool fault(u64 va, Access a, FaultCause c) {
    stop->fault_addr = va;
    stop->access = a;
    stop->cause = c;
    return false;
  }

  // Pointer to the first byte of the frame holding va's page (bytes at frame_byte() from it), or
  // nullptr after recording a fault.
  KVRM_HD u8* page(u64 va, Access a) {
    const u64 page_va = va & ~kPageMask;
    const int k = static_cast<int>(a);
    if (tag[k] == page_va) return base[k];
    if (tlb && tlb_hit(va, 1, a)) return base[k];
    const u32 e = pt.leaf(va);
    if (!(e & kLeafPresent)) {
      fault(va, a, FaultCause::Unmapped);
      return nullptr;
    }
    if (!(leaf_perms(e) & perm_for(a))) {
      fault(va, a, FaultCause::Permission);
      return nullptr;
    }
    if (a == Access::Write && written) written[leaf_frame(e)] = 1;
    tag[k] = page_va;
    base[k] = pt.frame(leaf_frame(e));
    if (tlb) tlb[3 * tlb_set(va) + k] = {page_va, base[k]};
    return base[k];
  }

  // The Tlb set of va's page.
  KVRM_HD u32 tlb_set(u64 va) const { return static_cast<u32>(va >> kPageBits) & tlb_mask; }
  // The page of an access of `size` bytes at va that is aligned to its size, from the Tlb (which
  // must be there), which then fills the one-entry cache; false on a miss. One masked compare
  // checks both the page and the alignment (size 1: the page alone).
  KVRM_HD bool tlb_hit(u64 va, u64 size, Access a) {
    const int k = static_cast<int>(a);
    const TlbEntry e = tlb[3 * tlb_set(va) + k];  // one 16-byte load
    if ((va & (~kPageMask | (size - 1))) != e.tag) return false;
    tag[k] = va & ~kPageMask;
    base[k] = e.base;
    return true;
  }

  // Checks that [va, va+size) is accessible without touching it (size <= kPageSize).
  KVRM_HD bool probe(u64 va, u64 size, Access a) {
#if KVRM_MMU_SIDE_EXIT
    const bool one_page = ((va & kPageMask) + size) <= kPageSize;
    return one_page && ((va & ~kPageMask) == tag[static_cast<int>(a)] || tlb_hit(va, 1, a));
#else
    return probe_pages(va, size, a);
#endif
  }
  KVRM_HD bool probe_pages(u64 va, u64 size, Access a) {
    if (!page(va, a)) return false;
    const u64 last = va + size - 1;  // va < 2^48 here, so this cannot wrap
    if ((last >> kPageBits) != (va >> kPageBits) && !page(last & ~kPageMask, a)) return false;
    return true;
  }

  KVRM_HD bool aligned(u64 va, u64 size, Access a) {
#if KVRM_MMU_SIDE_EXIT
    (void)a;
    return (va & (size - 1)) == 0;  // the interpreter reports the fault
#else
    return (va & (size - 1)) == 0 ? true : fault(va, a, FaultCause::Alignment);
#endif
  }

  // Reads or writes n bytes (n <= kPageSize) at va: all of it or, on a fault, none of it.
  KVRM_HD bool read_bytes(u64 va, u8* dst, u64 n) {
    const u64 off = va & kPageMask;
    u8* p = page(va, Access::Read);
    if (!p) return false;
    if (off + n <= kPageSize) {
      frame_read(p, off, dst, n, pt.shift);
      return true;
    }
    const u64 first = kPageSize - off;
    u8* q = page(va + first, Access::Read);
    if (!q) return false;
    frame_read(p, off, dst, first, pt.shift);
    frame_read(q, 0, dst + first, n - first, pt.shift);
    return true;
  }
  KVRM_HD bool write_bytes(u64 va, const u8* src, u64 n) {
    const u64 off = va & kPageMask;
    u8* p = page(va, Access::Write);
    if (!p) return false;
    if (off + n <= kPageSize) {
      frame_write(p, off, src, n, pt.shift);
      return true;
    }
    const u64 first = kPageSize - off;
    u8* q = page(va + first, Access::Write);
    if (!q) return false;
    frame_write(p, off, src, first, pt.shift);
    frame_write(q, 0, src + first, n - first, pt.shift);
    return true;
  }

  // Reads or writes a T at va. The hit in the translation cache for an access within one page is
  // the whole inlined fast path; everything else (a miss, a page crossing, a fault) goes the slow
  // way through page().
  template <class T>
  KVRM_HD bool read(u64 va, T& out) {
    const int k = static_cast<int>(Access::Read);
    const u64 off = va & kPageMask;
#if KVRM_MMU_SIDE_EXIT
    // Accesses are at most 8 bytes wide here, so an aligned one never leaves a word of an
    // interleaved frame.
    static_assert(sizeof(T) <= kFrameWordBytes);
    if ((va & (~kPageMask | (sizeof(T) - 1))) != tag[k] && !tlb_hit(va, sizeof(T), Access::Read))
      return false;  // leave for the interpreter
    const u8* p = base[k] + frame_byte(off, pt.shift);
    KVRM_ASSUME_GLOBAL(p);  // frames are device memory: no alias of the state
    out = load_le_aligned<T>(p);
    return true;
#else
    if ((va & ~kPageMask) == tag[k] && frame_contiguous(off, sizeof(T), pt.shift)) {
      out = load_le<T>(base[k] + frame_byte(off, pt.shift));
      return true;
    }
    return read_slow(va, out);
#endif
  }
  template <class T>
  KVRM_HD bool read_slow(u64 va, T& out) {
    const u64 off = va & kPageMask;
    if (frame_contiguous(off, sizeof(T), pt.shift)) {
      const u8* p = page(va, Access::Read);
      if (!p) return false;
      out = load_le<T>(p + frame_byte(off, pt.shift));
      return true;
    }
    u8 tmp[sizeof(T)];
    if (!read_bytes(va, tmp, sizeof(T))) return false;
    out = load_le<T>(tmp);
    return true;
  }

  template <class T>
  KVRM_HD bool write(u64 va, T v) {
    const int k = static_cast<int>(Access::Write);
    const u64 off = va & kPageMask;
#if KVRM_MMU_SIDE_EXIT
    static_assert(sizeof(T) <= kFrameWordBytes);
    if ((va & (~kPageMask | (sizeof(T) - 1))) != tag[k] && !tlb_hit(va, sizeof(T), Access::Write))
      return false;  // leave for the interpreter
    u8* p = base[k] + frame_byte(off, pt.shift);
    KVRM_ASSUME_GLOBAL(p);
    store_le_aligned<T>(p, v);
    return true;
#else
    if ((va & ~kPageMask) == tag[k] && frame_contiguous(off, sizeof(T), pt.shift)) {
      store_le<T>(base[k] + frame_byte(off, pt.shift), v);
      return true;
    }
    return write_slow(va, v);
#endif
  }
  template <class T>
  KVRM_HD bool write_slow(u64 va, T v) {
    const u64 off = va & kPageMask;
    if (frame_contiguous(off, sizeof(T), pt.shift)) {
      u8* p = page(va, Access::Write);
      if (!p) return false;
      store_le<T>(p + frame_byte(off, pt.shift), v);
      return true;
    }
    u8 tmp[sizeof(T)];
    store_le<T>(tmp, v);
    return write_bytes(va, tmp, sizeof(T));
  }

  // Reads `size` bytes (1, 2, 4 or 8) zero-extended to 64 bits.
  KVRM_HD bool read_sized(u64 va, int size, u64& out) {
    switch (size) {
      case 1: {
        u8 v;
        if (!read(va, v)) return false;
        out = v;
        return true;
      }
      case 2: {
        u16 v;
        if (!read(va, v)) return false;
        out = v;
        return true;
      }
      case 4: {
        u32 v;
        if (!read(va, v)) return false;
        out = v;
        return true;
      }
      default: return read(va, out);
    }
  }
  KVRM_HD bool write_sized(u64 va, int size, u64 v) {
    switch (size) {
      case 1: return write(va, static_cast<u8>(v));
      case 2: return write(va, static_cast<u16>(v));
      case 4: return write(va, static_cast<u32>(v));
      default: return write(va, v);
    }
  }

  // Fetches the instruction word at pc (which must be 4-byte aligned and executable). The hit in
  // the fetch translation cache is the whole inlined path; the rest is fetch_miss().
  KVRM_HD bool fetch(u64 pc, u32& insn) {
    const int k = static_cast<int>(Access::Fetch);
    if ((pc & (~kPageMask | 3)) == tag[k]) {  // this page, and aligned
      insn = load_le_aligned<u32>(base[k] + frame_byte(pc & kPageMask, pt.shift));
      return true;
    }
    return fetch_miss(pc, insn);
  }
  KVRM_HD bool fetch_miss(u64 pc, u32& insn) {
    if (pc & 3) return fault(pc, Access::Fetch, FaultCause::Alignment);
    const u8* p = page(pc, Access::Fetch);
    if (!p) return false;
    insn = load_le_aligned<u32>(p + frame_byte(pc & kPageMask, pt.shift));
    return true;
  }
};

}  // namespace kvrm
