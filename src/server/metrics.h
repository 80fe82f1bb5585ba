#pragma once
// Prometheus counters and histograms for /metrics (text exposition format 0.0.4).
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace pictor::server {

class Metrics {
 public:
  // route: the route pattern ("/v1/generations/{id}"), not the raw path (bounded label values).
  void observe_request(const std::string& method, const std::string& route, int status, double seconds);
  // Renders everything; `extra` is appended (gauges owned by other layers).
  std::string render(const std::string& extra) const;

  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> requests_;  // label set → count
  std::map<std::string, uint64_t> errors_;    // status class labels → count
  std::map<std::string, Histogram> latency_;  // route label → histogram
};

}  // namespace pictor::server
