#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace pictor {
namespace {

std::atomic<int> g_min_level{int(LogLevel::kInfo)};
std::mutex g_log_mutex;

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

void set_log_level(LogLevel min_level) { g_min_level = int(min_level); }

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (int(level) < g_min_level.load()) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  std::string line = "{\"ts\":\"";
  line += ts;
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"event\":";
  append_escaped(line, event);
  for (const auto& f : fields) {
    line += ',';
    append_escaped(line, f.key);
    line += ':';
    if (auto* s = std::get_if<std::string>(&f.value)) {
      append_escaped(line, *s);
    } else if (auto* d = std::get_if<double>(&f.value)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6g", std::isfinite(*d) ? *d : 0.0);
      line += buf;
    } else {
      line += std::to_string(std::get<long long>(f.value));
    }
  }
  line += "}\n";
  std::lock_guard<std::mutex> lock(g_log_mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace pictor
