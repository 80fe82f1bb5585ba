#include "hub/transfer_progress.h"

#include <cstdio>

#include "core/progress.h"

namespace pictor::hub {

std::string format_bytes(long long b) {
  char buf[32];
  if (b < 1000) std::snprintf(buf, sizeof buf, "%lld B", b);
  else if (b < 1000 * 1000) std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
  else if (b < 1000LL * 1000 * 1000) std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  return buf;
}

TransferProgress::TransferProgress(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

TransferProgress::~TransferProgress() {
  if (enabled_ && !finished_ && first_ >= 0) std::fputs("\n", stderr);  // keep an error on its own line
}

void TransferProgress::update(long long done, long long total) {
  if (first_ < 0) first_ = done;
  done_ = done;
  total_ = total;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // At most ~10 redraws a second: a fast disk would otherwise spend its time on the terminal.
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != total) return;
  last_draw_ = now;
  draw(done, total, "");
}

void TransferProgress::finish(const std::string& note) {
  if (!enabled_ || finished_) return;
  draw(done_, total_, note);
  std::fputs("\n", stderr);
  finished_ = true;
}

void TransferProgress::draw(long long done, long long total, const std::string& note) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const long long fresh = done - (first_ < 0 ? 0 : first_);
  const double rate = elapsed > 0 ? fresh / elapsed : 0;
  std::string line = label_ + "  " + format_bytes(done);
  if (total >= 0) line += " / " + format_bytes(total);
  if (note.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %.1f MB/s", rate / 1e6);
    line += buf;
    if (total > done && rate > 0) line += "  ETA " + format_duration(double(total - done) / rate);
  } else {
    line += "  " + note;
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

}  // namespace pictor::hub
