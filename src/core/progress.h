#pragma once
// ProgressBar: one line on a terminal (steps, rate, ETA), silent when stderr is not a TTY
// (or when disabled), so piped output stays clean.
#include <chrono>
#include <string>

namespace pictor {

class ProgressBar {
 public:
  ProgressBar(std::string label, long total, bool enabled);
  ProgressBar(std::string label, long total);  // enabled iff stderr is a terminal
  ~ProgressBar();
  void update(long done, const std::string& detail = "");
  void finish(const std::string& detail = "");
  bool enabled() const { return enabled_; }

 private:
  std::string label_;
  long total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

bool stderr_is_terminal();
// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace pictor
