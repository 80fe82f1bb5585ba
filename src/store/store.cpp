// The store's shared pieces: job status names, the clock and random ids.
#include "store/store.h"

#include <chrono>

#include "store/random.h"

namespace pictor::store {

const char* job_status_name(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued: return "queued";
    case JobStatus::kRunning: return "running";
    case JobStatus::kCompleted: return "completed";
    case JobStatus::kFailed: return "failed";
    case JobStatus::kCanceled: return "canceled";
  }
  return "queued";
}

std::optional<JobStatus> parse_job_status(std::string_view s) {
  if (s == "queued") return JobStatus::kQueued;
  if (s == "running") return JobStatus::kRunning;
  if (s == "completed") return JobStatus::kCompleted;
  if (s == "failed") return JobStatus::kFailed;
  if (s == "canceled") return JobStatus::kCanceled;
  return std::nullopt;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string new_id(std::string_view prefix) {
  static const char kHex[] = "0123456789abcdef";
  unsigned char bytes[12];
  random_bytes(bytes, sizeof bytes);
  std::string id(prefix);
  id += '_';
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

}  // namespace pictor::store
