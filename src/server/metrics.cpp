#include "server/metrics.h"

#include <sstream>

namespace pictor::server {

void Metrics::observe_request(const std::string& method, const std::string& route, int status, double seconds) {
  const std::string labels = "method=\"" + method + "\",route=\"" + route + "\",status=\"" + std::to_string(status) + "\"";
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[labels];
  if (status >= 400) ++errors_["status=\"" + std::to_string(status) + "\""];
  Histogram& h = latency_["route=\"" + route + "\""];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::render(const std::string& extra) const {
  std::ostringstream out;
  std::lock_guard<std::mutex> lock(mutex_);
  out << "# HELP pictor_http_requests_total HTTP requests by method, route and status.\n"
      << "# TYPE pictor_http_requests_total counter\n";
  for (const auto& [labels, n] : requests_) out << "pictor_http_requests_total{" << labels << "} " << n << "\n";
  out << "# HELP pictor_http_errors_total HTTP responses with status >= 400.\n"
      << "# TYPE pictor_http_errors_total counter\n";
  for (const auto& [labels, n] : errors_) out << "pictor_http_errors_total{" << labels << "} " << n << "\n";
  out << "# HELP pictor_http_request_duration_seconds Time to produce a response (long-polls included).\n"
      << "# TYPE pictor_http_request_duration_seconds histogram\n";
  for (const auto& [labels, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::ostringstream le;
      le << kBuckets[i];
      out << "pictor_http_request_duration_seconds_bucket{" << labels << ",le=\"" << le.str() << "\"} "
          << h.counts[i] << "\n";
    }
    out << "pictor_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count << "\n"
        << "pictor_http_request_duration_seconds_sum{" << labels << "} " << h.sum << "\n"
        << "pictor_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
  }
  out << extra;
  return out.str();
}

}  // namespace pictor::server
