#include "core/status.h"

namespace pictor {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kCorruptData: return "corrupt_data";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kBusy: return "busy";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kGone: return "gone";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "pictor: internal assertion failed: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

}  // namespace pictor
