// The run-time compiler of translated guest code (compiler.hpp): NVRTC and nvJitLink through
// dlopen, kvrm's headers and device library from inside kvrm itself, a per-process cache and
// the translation cache on disk (cache.hpp).
#include "jit/compiler.hpp"

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/error.hpp"
#include "jit/files.hpp"

namespace kvrm::jit {
namespace {

// The two libraries' entry points kvrm uses (their C ABI; handles are opaque).
using Handle = void*;
struct Api {
  int (*nvrtcCreateProgram)(Handle*, const char*, const char*, int, const char* const*,
                            const char* const*);
  int (*nvrtcCompileProgram)(Handle, int, const char* const*);
  int (*nvrtcGetProgramLogSize)(Handle, size_t*);
  int (*nvrtcGetProgramLog)(Handle, char*);
  int (*nvrtcGetCUBINSize)(Handle, size_t*);
  int (*nvrtcGetCUBIN)(Handle, char*);
  int (*nvrtcDestroyProgram)(Handle*);
  const char* (*nvrtcGetErrorString)(int);
  int (*nvJitLinkCreate)(Handle*, unsigned, const char**);
  int (*nvJitLinkDestroy)(Handle*);
  int (*nvJitLinkAddData)(Handle, int, const void*, size_t, const char*);
  int (*nvJitLinkComplete)(Handle);
  int (*nvJitLinkGetLinkedCubinSize)(Handle, size_t*);
  int (*nvJitLinkGetLinkedCubin)(Handle, void*);
  int (*nvJitLinkGetErrorLogSize)(Handle, size_t*);
  int (*nvJitLinkGetErrorLog)(Handle, char*);
  // Optional (their versions, for the cache's keys): null where a library lacks them.
  int (*nvrtcVersion)(int*, int*);
  int (*nvJitLinkVersion)(unsigned*, unsigned*);
};
constexpr int kInputCubin = 1;    // NVJITLINK_INPUT_CUBIN
constexpr int kInputLibrary = 6;  // NVJITLINK_INPUT_LIBRARY (an archive of host objects)

// Opens the first of `names` that loads (by name, then in the CUDA toolkit's folders).
void* open_first(std::initializer_list<const char*> names, std::string& tried) {
  std::vector<std::string> dirs;
  if (const char* home = std::getenv("CUDA_HOME")) dirs.push_back(std::string(home) + "/lib64/");
  dirs.push_back("/usr/local/cuda/lib64/");
  dirs.push_back("/usr/local/cuda/lib/");
  for (const char* n : names) {
    if (void* h = dlopen(n, RTLD_NOW | RTLD_GLOBAL)) return h;
    for (const auto& d : dirs) {
      if (void* h = dlopen((d + n).c_str(), RTLD_NOW | RTLD_GLOBAL)) return h;
    }
    if (!tried.empty()) tried += ", ";
    tried += n;
  }
  return nullptr;
}

struct Loaded {
  Api api{};
  std::string error;  // empty when loaded
};

const Loaded& loaded() {
  static const Loaded l = [] {
    Loaded r;
    std::string tried;
    // NVRTC loads its builtins library by name: load it first from wherever it is found.
    open_first({"libnvrtc-builtins.so.13.0", "libnvrtc-builtins.so"}, tried);
    tried.clear();
    void* rtc = open_first({"libnvrtc.so.13", "libnvrtc.so"}, tried);
    if (!rtc) {
      r.error = "the CUDA run-time compiler (NVRTC) is not installed (looked for " + tried + ")";
      return r;
    }
    tried.clear();
    void* link = open_first({"libnvJitLink.so.13", "libnvJitLink.so"}, tried);
    if (!link) {
      r.error = "the CUDA run-time linker (nvJitLink) is not installed (looked for " + tried + ")";
      return r;
    }
    bool ok = true;
    const auto sym = [&](void* lib, const char* name, auto& fn) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn) {
        ok = false;
        r.error = std::string("the CUDA run-time compiler lacks ") + name;
      }
    };
    Api& a = r.api;
    sym(rtc, "nvrtcCreateProgram", a.nvrtcCreateProgram);
    sym(rtc, "nvrtcCompileProgram", a.nvrtcCompileProgram);
    sym(rtc, "nvrtcGetProgramLogSize", a.nvrtcGetProgramLogSize);
    sym(rtc, "nvrtcGetProgramLog", a.nvrtcGetProgramLog);
    sym(rtc, "nvrtcGetCUBINSize", a.nvrtcGetCUBINSize);
    sym(rtc, "nvrtcGetCUBIN", a.nvrtcGetCUBIN);
    sym(rtc, "nvrtcDestroyProgram", a.nvrtcDestroyProgram);
    sym(rtc, "nvrtcGetErrorString", a.nvrtcGetErrorString);
    sym(link, "nvJitLinkCreate", a.nvJitLinkCreate);
    sym(link, "nvJitLinkDestroy", a.nvJitLinkDestroy);
    sym(link, "nvJitLinkAddData", a.nvJitLinkAddData);
    sym(link, "nvJitLinkComplete", a.nvJitLinkComplete);
    sym(link, "nvJitLinkGetLinkedCubinSize", a.nvJitLinkGetLinkedCubinSize);
    sym(link, "nvJitLinkGetLinkedCubin", a.nvJitLinkGetLinkedCubin);
    sym(link, "nvJitLinkGetErrorLogSize", a.nvJitLinkGetErrorLogSize);
    sym(link, "nvJitLinkGetErrorLog", a.nvJitLinkGetErrorLog);
    a.nvrtcVersion = reinterpret_cast<decltype(a.nvrtcVersion)>(dlsym(rtc, "nvrtcVersion"));
    a.nvJitLinkVersion =
        reinterpret_cast<decltype(a.nvJitLinkVersion)>(dlsym(link, "nvJitLinkVersion"));
    if (!ok) r.api = Api{};
    return r;
  }();
  return l;
}

const Api& api() {
  const Loaded& l = loaded();
  if (!l.error.empty()) throw Error("cannot translate guest code: " + l.error);
  return l.api;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// NVRTC's options: kvrm's (the module header among them: files.hpp), then those in
// KVRM_JIT_NVRTC_OPTIONS (separated by spaces), which come later and so win where they conflict.
const std::vector<const char*>& nvrtc_options() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> w = {
        std::string("-arch=") + jit_arch(),
        "-rdc=true",
        "-std=c++20",
        "-default-device",
        "-DNDEBUG",
        std::string("-DKVRM_JIT_MODULE=\"") + jit_files().module_header + "\""};
    if (const char* extra = std::getenv("KVRM_JIT_NVRTC_OPTIONS")) {
      std::istringstream in(extra);
      for (std::string word; in >> word;) w.push_back(word);
    }
    return w;
  }();
  static const std::vector<const char*> pointers = [] {
    std::vector<const char*> p;
    for (const auto& w : words) p.push_back(w.c_str());
    return p;
  }();
  return pointers;
}

// What both libraries hand out in two calls, its size and then its bytes (a log, a cubin).
template <class Buffer, class SizeFn, class GetFn>
Buffer fetch(Handle h, SizeFn size_of, GetFn get) {
  size_t n = 0;
  size_of(h, &n);
  Buffer b(n, '\0');
  if (n) get(h, b.data());
  return b;
}

std::vector<char> nvrtc_compile(const Api& a, const std::string& source) {
  const JitFiles& files = jit_files();
  std::vector<const char*> names, texts;
  for (size_t i = 0; i < files.header_count; ++i) {
    names.push_back(files.headers[i].name);
    texts.push_back(files.headers[i].text);
  }
  Handle prog = nullptr;
  if (int e = a.nvrtcCreateProgram(&prog, source.c_str(), "kvrm_translated.cu",
                                   static_cast<int>(names.size()), texts.data(), names.data())) {
    throw Error(std::string("NVRTC: cannot create the program: ") + a.nvrtcGetErrorString(e));
  }
  const std::vector<const char*>& opts = nvrtc_options();
  const int e = a.nvrtcCompileProgram(prog, static_cast<int>(opts.size()), opts.data());
  if (e != 0) {
    std::string log = fetch<std::string>(prog, a.nvrtcGetProgramLogSize, a.nvrtcGetProgramLog);
    a.nvrtcDestroyProgram(&prog);
    if (log.size() > 4000) log.resize(4000);
    throw Error(std::string("NVRTC failed on translated code: ") + a.nvrtcGetErrorString(e) + "\n" +
                log);
  }
  std::vector<char> cubin = fetch<std::vector<char>>(prog, a.nvrtcGetCUBINSize, a.nvrtcGetCUBIN);
  a.nvrtcDestroyProgram(&prog);
  return cubin;
}

std::vector<char> link(const Api& a, const std::vector<std::vector<char>>& objects) {
  const std::string arch = std::string("-arch=") + jit_arch();
  const char* opts[] = {arch.c_str()};
  Handle h = nullptr;
  if (a.nvJitLinkCreate(&h, 1, opts) != 0) throw Error("nvJitLink: cannot create a linker");
  const JitFiles& files = jit_files();
  int e = 0;
  for (size_t i = 0; i < objects.size() && e == 0; ++i) {
    const std::string name = "translated_" + std::to_string(i);
    e = a.nvJitLinkAddData(h, kInputCubin, objects[i].data(), objects[i].size(), name.c_str());
  }
  if (e == 0) {
    e = a.nvJitLinkAddData(h, kInputLibrary, files.device_library, files.device_library_size,
                           "kvrm_device");
  }
  if (e == 0) e = a.nvJitLinkComplete(h);
  if (e != 0) {
    const std::string log =
        fetch<std::string>(h, a.nvJitLinkGetErrorLogSize, a.nvJitLinkGetErrorLog);
    a.nvJitLinkDestroy(&h);
    throw Error("nvJitLink failed to link translated code (error " + std::to_string(e) +
                "): " + log);
  }
  std::vector<char> out =
      fetch<std::vector<char>>(h, a.nvJitLinkGetLinkedCubinSize, a.nvJitLinkGetLinkedCubin);
  a.nvJitLinkDestroy(&h);
  return out;
}

// With KVRM_JIT_DUMP=DIR, every module compiled goes to DIR as module-N-part-K.cu (the
// translator's sources) and module-N.cubin (linked): for reading what translation produced
// (e.g. the size of each region's code). A directory that cannot be written to is reported once
// on stderr; compiling goes on. Called with the compiler's lock held.
void dump(const std::vector<std::string>& sources, const std::vector<char>& cubin) {
  const char* dir = std::getenv("KVRM_JIT_DUMP");
  static unsigned module = 0;
  static bool warned = false;
  if (!dir || !*dir) return;
  const std::string base = std::string(dir) + "/module-" + std::to_string(++module);
  bool ok = true;
  const auto put = [&ok](const std::string& path, const char* data, size_t size) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ok = ok && f && std::fwrite(data, 1, size, f) == size;
    if (f) ok = std::fclose(f) == 0 && ok;
  };
  for (size_t k = 0; k < sources.size(); ++k)
    put(base + "-part-" + std::to_string(k + 1) + ".cu", sources[k].data(), sources[k].size());
  put(base + ".cubin", cubin.data(), cubin.size());
  if (!ok && !warned) {
    warned = true;
    std::fprintf(stderr, "kvrm: KVRM_JIT_DUMP: cannot write translated modules to %s\n", dir);
  }
}

}  // namespace

bool jit_compiler_available(std::string* why) {
  const Loaded& l = loaded();
  if (why) *why = l.error;
  return l.error.empty();
}

const char* jit_arch() { return KVRM_JIT_ARCH; }

const CacheKey& jit_build_key() {
  static const CacheKey key = [] {
    Sha256 h;
    h.field("kvrm translated code");
    h.field(u64{JitDiskCache::kFormatVersion});
    const JitFiles& files = jit_files();
    h.field(u64{files.header_count});
    for (size_t i = 0; i < files.header_count; ++i) {
      h.field(files.headers[i].name);
      h.field(files.headers[i].text);
    }
    h.field(std::string_view(reinterpret_cast<const char*>(files.device_library),
                             files.device_library_size));
    h.field(jit_arch());
    for (const char* o : nvrtc_options()) h.field(o);
    // Another compiler may compile the same source differently.
    const Api& a = loaded().api;
    int major = 0, minor = 0;
    if (a.nvrtcVersion) a.nvrtcVersion(&major, &minor);
    h.field(u64(major)).field(u64(minor));
    unsigned lmajor = 0, lminor = 0;
    if (a.nvJitLinkVersion) a.nvJitLinkVersion(&lmajor, &lminor);
    h.field(u64{lmajor}).field(u64{lminor});
    return h.finish();
  }();
  return key;
}

namespace {

CacheKey part_key(const std::string& source) {
  return Sha256().field("part").update(jit_build_key().data(), 32).field(source).finish();
}

CacheKey module_key(const std::vector<std::string>& sources) {
  Sha256 h;
  h.field("module").update(jit_build_key().data(), 32).field(u64{sources.size()});
  for (const auto& s : sources) h.field(s);
  return h.finish();
}

// The compiler's per-process caches: linked modules by their sources, objects by their part.
struct ProcessCache {
  std::mutex mu;
  std::unordered_map<std::string, std::vector<char>> modules;
  std::unordered_map<std::string, std::vector<char>> objects;
};
ProcessCache& process_cache() {
  static ProcessCache c;
  return c;
}

std::string joined(const std::vector<std::string>& sources) {
  std::string key;
  for (const auto& src : sources) {
    key += src;
    key += '\0';
  }
  return key;
}

}  // namespace

void forget_compiled_modules() {
  ProcessCache& pc = process_cache();
  std::lock_guard lock(pc.mu);
  pc.modules.clear();
  pc.objects.clear();
}

std::optional<CompiledModule> find_compiled_module(const std::vector<std::string>& sources,
                                                   JitDiskCache* disk) {
  ProcessCache& pc = process_cache();
  const std::string key = joined(sources);
  {
    std::lock_guard lock(pc.mu);
    const auto it = pc.modules.find(key);
    if (it != pc.modules.end()) {
      CompiledModule m;
      m.cubin = it->second;
      m.cached = true;
      return m;
    }
  }
  if (!disk) return std::nullopt;
  std::optional<std::vector<char>> cubin = disk->get(module_key(sources));
  if (!cubin) return std::nullopt;
  CompiledModule m;
  m.cubin = std::move(*cubin);
  m.from_disk = true;
  std::lock_guard lock(pc.mu);
  pc.modules.emplace(key, m.cubin);
  return m;
}

CompiledModule compile_module(const std::vector<std::string>& sources, JitDiskCache* disk) {
  if (std::optional<CompiledModule> found = find_compiled_module(sources, disk)) return *found;
  ProcessCache& pc = process_cache();
  CompiledModule m;
  auto t = std::chrono::steady_clock::now();
  // Parts compiled before (a translation that grew keeps its earlier parts; a run before left
  // them on disk) are not again.
  std::vector<std::vector<char>> objects(sources.size());
  std::vector<size_t> todo;
  {
    std::lock_guard lock(pc.mu);
    for (size_t i = 0; i < sources.size(); ++i) {
      const auto it = pc.objects.find(sources[i]);
      if (it != pc.objects.end()) {
        objects[i] = it->second;
      } else {
        todo.push_back(i);
      }
    }
  }
  if (disk) {
    std::erase_if(todo, [&](size_t i) {
      std::optional<std::vector<char>> o = disk->get(part_key(sources[i]));
      if (!o) return false;
      objects[i] = std::move(*o);
      ++m.parts_from_disk;
      return true;
    });
  }
  // Only what was not found needs the compiler (and NVRTC loaded at all).
  const Api& a = api();
  std::vector<std::string> errors(sources.size());
  const auto one = [&](size_t i) {
    try {
      objects[i] = nvrtc_compile(a, sources[i]);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 1; k < todo.size(); ++k) threads.emplace_back(one, todo[k]);
  if (!todo.empty()) one(todo[0]);
  for (auto& th : threads) th.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw Error(e);
  }
  m.parts_compiled = todo.size();
  if (disk) {
    for (const size_t i : todo) disk->put(part_key(sources[i]), objects[i]);
  }
  {
    std::lock_guard lock(pc.mu);
    for (size_t i = 0; i < sources.size(); ++i) pc.objects.emplace(sources[i], objects[i]);
  }
  m.compile_seconds = todo.empty() ? 0 : seconds_since(t);
  t = std::chrono::steady_clock::now();
  m.cubin = link(a, objects);
  m.link_seconds = seconds_since(t);
  if (disk) disk->put(module_key(sources), m.cubin);
  std::lock_guard lock(pc.mu);
  dump(sources, m.cubin);
  pc.modules.emplace(joined(sources), m.cubin);
  return m;
}

}  // namespace kvrm::jit
