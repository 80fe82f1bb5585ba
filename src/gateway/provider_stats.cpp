#include "gateway/provider_stats.h"

#include <algorithm>
#include <vector>

namespace pictor::gateway {

void ProviderStats::record_attempt(bool ok, double seconds, int images, double cost_usd) {
  std::lock_guard<std::mutex> lock(mutex_);
  attempts_.push_back({ok, seconds, images, cost_usd});
  if (attempts_.size() > window_) attempts_.pop_front();
  ++totals_.attempts_total;
  if (!ok) ++totals_.failures_total;
  if (ok) {
    totals_.images_total += uint64_t(images);
    totals_.cost_total += cost_usd;
  }
}

void ProviderStats::record_request(bool served) {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.push_back(served);
  if (requests_.size() > window_) requests_.pop_front();
  ++totals_.requests_total;
  if (served) ++totals_.served_total;
}

namespace {
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  size_t rank = size_t(q * double(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}
}  // namespace

StatsSnapshot ProviderStats::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StatsSnapshot s = totals_;
  s.window = int(attempts_.size());
  std::vector<double> lat;
  int failed = 0, images = 0;
  double cost = 0;
  for (const auto& a : attempts_) {
    if (a.ok) {
      lat.push_back(a.seconds);
      images += a.images;
      cost += a.cost;
    } else {
      ++failed;
    }
  }
  if (!lat.empty()) {
    s.p50_s = quantile(lat, 0.5);
    s.p95_s = quantile(lat, 0.95);
  }
  s.error_rate = attempts_.empty() ? 0 : double(failed) / double(attempts_.size());
  if (!requests_.empty()) s.availability = double(std::count(requests_.begin(), requests_.end(), true)) / double(requests_.size());
  if (images > 0) s.cost_per_image = cost / images;
  return s;
}

}  // namespace pictor::gateway
