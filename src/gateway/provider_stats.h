#pragma once
// Measured figures per provider and model over a rolling window of the latest attempts: latency
// p50/p95 of successful requests (as the gateway's client measured them), error rate (failed
// attempts), availability (requests the provider finally served), measured cost per image.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace pictor::gateway {

struct StatsSnapshot {
  int window = 0;                 // attempts in the window
  double p50_s = -1, p95_s = -1;  // -1 = no successful request yet
  double error_rate = 0;          // failed attempts / attempts in the window
  double availability = -1;       // served requests / requests routed here; -1 = none yet
  double cost_per_image = -1;     // -1 = no image yet
  uint64_t attempts_total = 0, failures_total = 0, requests_total = 0, served_total = 0, images_total = 0;
  double cost_total = 0;
};

class ProviderStats {
 public:
  explicit ProviderStats(size_t window = 200) : window_(window) {}
  void record_attempt(bool ok, double seconds, int images, double cost_usd);
  // One request's outcome on this provider (after its retries here).
  void record_request(bool served);
  StatsSnapshot snapshot() const;

 private:
  struct Attempt {
    bool ok;
    double seconds;
    int images;
    double cost;
  };
  size_t window_;
  mutable std::mutex mutex_;
  std::deque<Attempt> attempts_;
  std::deque<bool> requests_;
  StatsSnapshot totals_;
};

}  // namespace pictor::gateway
