#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace pictor {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

std::string format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

ProgressBar::ProgressBar(std::string label, long total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::ProgressBar(std::string label, long total)
    : ProgressBar(std::move(label), total, stderr_is_terminal()) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) std::fputs("\n", stderr);
}

void ProgressBar::update(long done, const std::string& detail) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  // Redraw at most ~10 times a second, but always draw the last step.
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double frac = total_ > 0 ? double(done) / total_ : 0;
  const int width = 24;
  int filled = int(frac * width + 0.5);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::string eta = done > 0 && done < total_ ? " ETA " + format_duration(elapsed / done * (total_ - done)) : "";
  std::fprintf(stderr, "\r\033[K%s [%s] %ld/%ld %s%s%s%s", label_.c_str(), bar.c_str(), done, total_,
               format_duration(elapsed).c_str(), eta.c_str(), detail.empty() ? "" : "  ",
               detail.c_str());
  std::fflush(stderr);
}

void ProgressBar::finish(const std::string& detail) {
  if (!enabled_ || finished_) return;
  update(total_, detail);
  std::fputs("\n", stderr);
  finished_ = true;
}

}  // namespace pictor
