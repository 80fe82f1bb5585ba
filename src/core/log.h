#pragma once
// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-26T13:30:00.123Z","level":"info","event":"job.completed","job":"gen_…","run_s":0.61}
// Values are strings or numbers; the server and the jobs layer log every request and job event.
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace pictor {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct LogField {
  std::string_view key;
  std::variant<std::string, double, long long> value;
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value((long long)v) {}
  LogField(std::string_view k, long v) : key(k), value((long long)v) {}
  LogField(std::string_view k, long long v) : key(k), value(v) {}
};

void set_log_level(LogLevel min_level);  // default: info
void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace pictor
