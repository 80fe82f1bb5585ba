#pragma once
// Status / Result<T>: expected failures (bad input, not found, busy) travel as values, never as
// exceptions (DESIGN.md §5). Exceptions stay inside the engine and are caught at its boundary.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pictor {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (HTTP 400, CLI exit 2)
  kNotFound,         // a named thing does not exist (404)
  kCorruptData,      // a file or blob is malformed (weights, images)
  kUnsupported,      // well-formed but not something pictor handles
  kIoError,          // the OS refused a read or write
  kCancelled,        // the caller asked to stop
  kBusy,             // queue full / rate limited (429)
  kConflict,         // the request contradicts stored state, e.g. a reused Idempotency-Key (422)
  kUnavailable,      // not serving right now: shutting down, model not loaded yet (503)
  kGone,             // existed, but no longer usable: an expired arena battle (410)
  kInternal,         // a bug or an unexpected engine failure
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status corrupt_data(std::string m) { return {StatusCode::kCorruptData, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status gone(std::string m) { return {StatusCode::kGone, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}
  bool is_ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void assert_fail(const char* expr, const char* file, int line);

}  // namespace pictor

// Invariants only: never for user input.
#define PICTOR_ASSERT(expr) \
  ((expr) ? (void)0 : ::pictor::assert_fail(#expr, __FILE__, __LINE__))

#define PICTOR_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::pictor::Status _st = (expr);             \
    if (!_st.is_ok()) return _st;              \
  } while (0)
