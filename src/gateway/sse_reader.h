#pragma once
// Incremental reader of a text/event-stream body: feed it bytes as they arrive, get whole events
// ("event:" name and the "data:" lines joined). Comments (": …") and unknown fields are skipped.
#include <functional>
#include <string>

namespace pictor::gateway {

class SseReader {
 public:
  // Returns false to stop reading (the caller closes the connection).
  using OnEvent = std::function<bool(const std::string& event, const std::string& data)>;
  explicit SseReader(OnEvent on_event) : on_event_(std::move(on_event)) {}
  // false when on_event asked to stop.
  bool feed(const char* data, size_t n);

 private:
  bool line(const std::string& l);
  OnEvent on_event_;
  std::string buffer_, event_, data_;
};

}  // namespace pictor::gateway
