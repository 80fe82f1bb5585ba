#pragma once
// One progress line per downloaded file (bytes, total, MB/s, ETA) on a terminal, nothing when
// disabled (stderr piped): the conventions of core/progress.h, counted in bytes. Torch-free.
#include <chrono>
#include <string>

namespace pictor::hub {

class TransferProgress {
 public:
  TransferProgress(std::string label, bool enabled);
  ~TransferProgress();
  // done includes bytes resumed from an earlier run; the rate counts only this run's bytes.
  void update(long long done, long long total);
  // Ends the line with a note ("done", "up to date", "resumed at 812 MB").
  void finish(const std::string& note);

 private:
  void draw(long long done, long long total, const std::string& note);

  std::string label_;
  bool enabled_;
  bool finished_ = false;
  long long first_ = -1;  // `done` at the first update: the resumed offset
  long long done_ = 0, total_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "512 B", "1.5 kB", "812.3 MB", "2.58 GB" (decimal units, as the hub shows sizes).
std::string format_bytes(long long bytes);

}  // namespace pictor::hub
