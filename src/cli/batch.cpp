// `kvrm batch PROGRAM [ARGS...] --lanes N`: one static AArch64 program run as N independent
// lanes (batch/batch.hpp), with per-lane standard input (--stdin-dir) and arguments
// (--args-file); per-lane stdout, stderr and exit status written to a directory (--out), as JSON
// lines (--json) or summed up one line per lane.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "batch/batch.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "os/elf.hpp"

extern char** environ;

namespace kvrm::cli {

void add_batch_command(CLI::App& app, BatchCliOptions& o) {
  auto* b = app.add_subcommand(
      "batch", "Run a static AArch64 Linux program as N independent lanes over many inputs");
  b->add_option("program", o.program, "The program (static AArch64 ELF)")->required();
  b->add_option("args", o.args,
                "Arguments every lane gets (put them after -- if they start "
                "with '-')");
  b->add_option("--lanes", o.lanes,
                "Number of lanes (default: the number of --stdin-dir files or --args-file lines)")
      ->check(CLI::PositiveNumber);
  b->add_option("--stdin-dir", o.stdin_dir,
                "Lane i reads the i-th regular file of DIR (sorted by name) as its stdin");
  b->add_option("--args-file", o.args_file,
                "Line i holds lane i's extra arguments (split like a shell: quotes, backslash)");
  b->add_option("--out", o.out_dir,
                "Write lane-I.stdout, lane-I.stderr and lane-I.status into this directory");
  b->add_flag("--json", o.json,
              "Print one JSON object per lane (status, output, figures) on stdout");
  b->add_option("--backend", o.backend, "auto (the best available), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  b->add_option("--threads", o.threads, "Host threads (default: one per CPU)")
      ->check(CLI::Range(1u, 4096u));
  b->add_flag("--stats", o.stats, "Print aggregate figures on stderr at the end");
  b->add_option("--max-instructions", o.max_instructions, "Stop each lane after this many");
  b->add_option("--timeout", o.timeout,
                "Stop the whole batch after this many seconds (lanes still running or blocked "
                "end with 124; lanes that ended keep their results)")
      ->check(CLI::NonNegativeNumber);
  b->add_option("--memory-limit", o.memory_limit,
                "Memory one lane may write, e.g. 64M, 1G (default 256M)");
  b->add_option("--slice", o.slice, "Instructions a lane runs per scheduling round")
      ->check(CLI::PositiveNumber);
  b->add_option("--devices", o.devices,
                "GPU backend: the CUDA devices to shard the lanes over, e.g. 0,1 (default: all; "
                "a device named twice runs two shards)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  b->add_option("--launch-end", o.launch_end,
                "GPU backend: end a launch once this fraction of its lanes has stopped for the "
                "host (default 0.5; 1: when all have)")
      ->check(CLI::Range(0.0, 1.0));
  b->add_option("--lane-order", o.lane_order,
                "GPU backend: place lanes on threads by PC (pc, the default) or by number (index)")
      ->check(CLI::IsMember({"pc", "index"}));
  b->add_option("--lanes-per-warp", o.lanes_per_warp,
                "GPU backend: lanes sharing a warp, 1 to 32 (default: as few as let all lanes run "
                "at once)")
      ->check(CLI::Range(1u, 32u));
  add_frame_layout_option(b, o.frame_layout);
  add_jit_options(b, o.jit);
  b->add_flag("--no-progress", o.no_progress, "No progress line (shown when stderr is a TTY)");
  b->add_option("-E", o.set_env, "Set VAR=VALUE in every lane's environment (repeatable)")
      ->allow_extra_args(false);
  b->add_option("-U", o.unset_env, "Remove VAR from the lanes' environment (repeatable)")
      ->allow_extra_args(false);
  b->add_option("--root", o.root, "Host directory the guests see as / (default: /, read-only)")
      ->allow_extra_args(false);
  b->add_option("--rw", o.rw_dirs, "Host directory below which the guests may write (repeatable)")
      ->allow_extra_args(false);
  b->footer(
      "Exit status: 0 when every lane exited with 0, 123 when some lane did not, 1 on bad input,\n"
      "127/126 when the program is missing / not a static AArch64 executable.");
}

namespace {

u64 parse_size(const std::string& s) {
  if (s.empty()) throw Error("--memory-limit: empty size");
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &used);
  } catch (const std::exception&) {
    throw Error("--memory-limit: '" + s + "' is not a size (e.g. 65536, 64K, 256M, 2G)");
  }
  u64 mul = 1;
  const std::string suffix = s.substr(used);
  if (suffix == "K" || suffix == "k") {
    mul = u64{1} << 10;
  } else if (suffix == "M" || suffix == "m") {
    mul = u64{1} << 20;
  } else if (suffix == "G" || suffix == "g") {
    mul = u64{1} << 30;
  } else if (!suffix.empty()) {
    throw Error("--memory-limit: '" + s + "' is not a size (e.g. 65536, 64K, 256M, 2G)");
  }
  if (v == 0 || v > (u64{1} << 40) / mul) throw Error("--memory-limit: '" + s + "' out of range");
  return v * mul;
}

// The regular files of dir, sorted by name (byte order).
std::vector<std::string> list_inputs(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error("--stdin-dir: " + dir + " is not a directory");
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path().filename().string());
  }
  if (ec) throw Error("--stdin-dir: cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (auto& f : files) f = (fs::path(dir) / f).string();
  return files;
}

// Splits a line into words like a POSIX shell without expansions: blanks separate words;
// '...' keeps everything literally; "..." keeps everything but \" \\ \$ \`; \ escapes one char.
std::vector<std::string> split_words(const std::string& line, size_t lineno) {
  std::vector<std::string> words;
  std::string w;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) words.push_back(std::move(w)), w.clear(), in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i >= line.size()) break;  // a trailing backslash is dropped
      w += line[i];
    } else if (c == '\'') {
      const size_t end = line.find('\'', i + 1);
      if (end == std::string::npos)
        throw Error("--args-file line " + std::to_string(lineno) + ": unterminated '");
      w.append(line, i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i >= line.size())
          throw Error("--args-file line " + std::to_string(lineno) + ": unterminated \"");
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && std::strchr("\"\\$`", line[i + 1])) ++i;
        w += line[i];
      }
    } else {
      w += c;
    }
  }
  if (in_word) words.push_back(std::move(w));
  return words;
}

std::vector<std::vector<std::string>> read_args_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("--args-file: cannot read " + path + ": " + std::strerror(errno));
  std::vector<std::vector<std::string>> lines;
  std::string line;
  while (std::getline(f, line)) lines.push_back(split_words(line, lines.size() + 1));
  if (f.bad()) throw Error("--args-file: cannot read " + path);
  return lines;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n;
    u32 cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const unsigned char b = s[i + k];
      if ((b & 0xc0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (const char ch : s) {
    const unsigned char c = ch;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += ch;
        }
    }
  }
  return o + "\"";
}

std::string base64(const std::string& s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const u32 v =
        static_cast<u8>(s[i]) << 16 | static_cast<u8>(s[i + 1]) << 8 | static_cast<u8>(s[i + 2]);
    o += t[v >> 18];
    o += t[(v >> 12) & 63];
    o += t[(v >> 6) & 63];
    o += t[v & 63];
  }
  if (i + 1 == s.size()) {
    const u32 v = static_cast<u8>(s[i]) << 16;
    o += t[v >> 18];
    o += t[(v >> 12) & 63];
    o += "==";
  } else if (i + 2 == s.size()) {
    const u32 v = static_cast<u8>(s[i]) << 16 | static_cast<u8>(s[i + 1]) << 8;
    o += t[v >> 18];
    o += t[(v >> 12) & 63];
    o += t[(v >> 6) & 63];
    o += '=';
  }
  return o;
}

// "stdout": "text" for UTF-8 output, "stdout_base64": "..." for anything else.
std::string json_output(const char* key, const std::string& data) {
  if (valid_utf8(data)) return std::string("\"") + key + "\": " + json_string(data);
  return std::string("\"") + key + "_base64\": \"" + base64(data) + "\"";
}

std::string json_line(u32 lane, const batch::LaneResult& r) {
  std::ostringstream s;
  s << "{\"lane\": " << lane << ", \"status\": " << r.exit_status << ", \"end\": \""
    << batch::lane_end_name(r.end) << "\", \"signal\": " << r.signal
    << ", \"instructions\": " << r.instructions << ", \"syscalls\": " << r.syscalls
    << ", \"peak_memory\": " << r.peak_memory << ", " << json_output("stdout", r.stdout_data)
    << ", " << json_output("stderr", r.stderr_data)
    << ", \"description\": " << json_string(r.description) << "}\n";
  return s.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error("--out: cannot write " + path + ": " + std::strerror(errno));
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f) throw Error("--out: cannot write " + path);
}

}  // namespace

int run_batch_command(BatchCliOptions& o) {
  if (!o.out_dir.empty() && o.json) throw Error("batch: --out and --json exclude each other");
  batch::BatchOptions bo;
  bo.program = o.program;
  bo.args = o.args;
  bo.env = guest_environment(o.set_env, o.unset_env);
  bo.backend = o.backend;
  bo.threads = o.threads;
  bo.max_instructions = o.max_instructions;
  bo.timeout_seconds = o.timeout;
  bo.lane_memory_limit = parse_size(o.memory_limit);
  if (o.slice) bo.slice_instructions = o.slice;
  bo.devices = o.devices;
  if (o.launch_end >= 0) bo.launch_end_fraction = o.launch_end;
  bo.order_by_pc = o.lane_order == "pc";
  bo.lanes_per_warp = o.lanes_per_warp;
  bo.frame_shift = frame_shift(o.frame_layout);
  bo.jit = jit_options(o.jit);
  bo.sandbox.root = o.root;
  bo.sandbox.rw_dirs = o.rw_dirs;

  // How many lanes, and what each one gets.
  std::vector<std::string> inputs;
  std::vector<std::vector<std::string>> extra;
  if (!o.stdin_dir.empty()) inputs = list_inputs(o.stdin_dir);
  if (!o.args_file.empty()) extra = read_args_file(o.args_file);
  u64 lanes = o.lanes;
  if (lanes == 0) {
    if (!o.stdin_dir.empty() && !o.args_file.empty() && inputs.size() != extra.size())
      throw Error("batch: --stdin-dir has " + std::to_string(inputs.size()) + " files but " +
                  "--args-file has " + std::to_string(extra.size()) +
                  " lines; say how many lanes with --lanes");
    lanes = !o.stdin_dir.empty() ? inputs.size() : extra.size();
    if (o.stdin_dir.empty() && o.args_file.empty())
      throw Error("batch: say how many lanes (--lanes N, or --stdin-dir / --args-file)");
    if (lanes == 0)
      throw Error(std::string("batch: ") + (o.stdin_dir.empty() ? "--args-file" : "--stdin-dir") +
                  " gives no lanes (it is empty)");
  }
  if (!o.stdin_dir.empty() && inputs.size() < lanes)
    throw Error("batch: --stdin-dir " + o.stdin_dir + " has " + std::to_string(inputs.size()) +
                " files for " + std::to_string(lanes) + " lanes");
  if (!o.args_file.empty() && extra.size() < lanes)
    throw Error("batch: --args-file " + o.args_file + " has " + std::to_string(extra.size()) +
                " lines for " + std::to_string(lanes) + " lanes");
  bo.lanes.resize(lanes);
  for (u64 i = 0; i < lanes; ++i) {
    if (!inputs.empty()) bo.lanes[i].stdin_path = inputs[i];
    if (!extra.empty()) bo.lanes[i].args = std::move(extra[i]);
  }

  if (!o.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.out_dir, ec);
    if (ec || !std::filesystem::is_directory(o.out_dir))
      throw Error("--out: cannot create directory " + o.out_dir +
                  (ec ? ": " + ec.message() : std::string()));
  }

  // Results go out as lanes end: into their own files under --out at once, otherwise (JSON
  // lines, the summary) in lane order, lanes that end early waiting for the ones before.
  std::map<u32, batch::LaneResult> waiting;
  u32 next_out = 0;
  bool all_zero = true;
  auto emit = [&](u32 lane, const batch::LaneResult& r) {
    if (r.exit_status != 0) all_zero = false;
    if (!o.out_dir.empty()) {
      const std::string base = o.out_dir + "/lane-" + std::to_string(lane);
      write_file(base + ".stdout", r.stdout_data);
      write_file(base + ".stderr", r.stderr_data);
      write_file(base + ".status", std::to_string(r.exit_status) + "\n");
    } else if (o.json) {
      const std::string line = json_line(lane, r);
      std::fwrite(line.data(), 1, line.size(), stdout);
    } else {
      std::printf("lane %u: status %d, %llu instructions, %zu+%zu bytes out/err: %s\n", lane,
                  r.exit_status, static_cast<unsigned long long>(r.instructions),
                  r.stdout_data.size(), r.stderr_data.size(), r.description.c_str());
    }
  };
  const bool progress = !o.no_progress && isatty(STDERR_FILENO);
  bool progress_shown = false;
  bo.on_lane_done = [&](u32 lane, batch::LaneResult& r) {
    const bool in_order = o.out_dir.empty();
    if (in_order && lane != next_out) {
      waiting.emplace(lane, std::move(r));
      return;
    }
    emit(lane, r);
    r.stdout_data.clear();
    r.stdout_data.shrink_to_fit();
    r.stderr_data.clear();
    r.stderr_data.shrink_to_fit();
    if (!in_order) return;
    ++next_out;
    for (auto it = waiting.begin(); it != waiting.end() && it->first == next_out;) {
      emit(it->first, it->second);
      it = waiting.erase(it);
      ++next_out;
    }
  };
  if (progress) {
    bo.on_progress = [&](const batch::BatchProgress& p) {
      std::fprintf(stderr,
                   "\r\033[Kkvrm batch: %u/%u lanes done, %u running, %.3g G instructions, "
                   "%.3g M IPS, %.1f s",
                   p.done, p.lanes, p.running, p.instructions / 1e9,
                   p.seconds > 0 ? p.instructions / p.seconds / 1e6 : 0.0, p.seconds);
      std::fflush(stderr);
      progress_shown = true;
    };
  }

  batch::BatchResult res;
  try {
    res = batch::run_batch(std::move(bo));
  } catch (const os::ExecError& e) {
    std::fprintf(stderr, "kvrm: %s\n", e.what());
    return e.status();
  }
  if (progress_shown) std::fprintf(stderr, "\r\033[K");
  std::fflush(stdout);

  if (o.stats) {
    const auto& s = res.stats;
    u32 counts[8] = {};
    for (const auto& r : res.lanes) ++counts[static_cast<int>(r.end)];
    std::fprintf(stderr,
                 "kvrm: batch: %u lanes on %s (%s schedule, %u threads): %llu instructions in "
                 "%.3f s, %.0f IPS aggregate; %llu syscalls, %llu rounds, %llu pages copied on "
                 "write, %u lanes resident at most, %.1f MiB of lane pages at most, %.1f MiB "
                 "image\n",
                 s.lanes, s.backend.c_str(), s.schedule.c_str(), s.threads,
                 static_cast<unsigned long long>(s.instructions), s.seconds, s.ips,
                 static_cast<unsigned long long>(s.syscalls),
                 static_cast<unsigned long long>(s.rounds),
                 static_cast<unsigned long long>(s.cow_copies), s.peak_resident_lanes,
                 s.peak_pool_bytes / 1048576.0, s.image_bytes / 1048576.0);
    std::string ends;
    for (int e = 0; e < 8; ++e) {
      if (!counts[e]) continue;
      ends += (ends.empty() ? "" : ", ") + std::to_string(counts[e]) + " " +
              batch::lane_end_name(static_cast<batch::LaneEnd>(e));
    }
    std::fprintf(stderr, "kvrm: batch: lanes %s\n", ends.c_str());
    if (s.schedule == "phased") {
      std::fprintf(stderr,
                   "kvrm: batch: %.3f s executing (%.3f s in launches, %.3f s moving data), "
                   "%.3f s servicing on the host\n",
                   s.execute_seconds, s.kernel_seconds, s.transfer_seconds, s.service_seconds);
    }
    if (s.backend == "cuda") {
      std::fprintf(stderr, "kvrm: batch: %s; %.3f s translating on the host\n",
                   describe_jit(s.jit).c_str(), s.jit_seconds);
    }
  }
  return all_zero ? 0 : 123;
}

}  // namespace kvrm::cli
