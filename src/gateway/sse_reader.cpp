#include "gateway/sse_reader.h"

namespace pictor::gateway {

bool SseReader::feed(const char* data, size_t n) {
  buffer_.append(data, n);
  size_t start = 0;
  for (;;) {
    const size_t nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    size_t end = nl;
    if (end > start && buffer_[end - 1] == '\r') --end;
    const bool go_on = line(buffer_.substr(start, end - start));
    start = nl + 1;
    if (!go_on) {
      buffer_.erase(0, start);
      return false;
    }
  }
  buffer_.erase(0, start);
  return true;
}

bool SseReader::line(const std::string& l) {
  if (l.empty()) {  // blank line: dispatch
    if (data_.empty() && event_.empty()) return true;
    if (!data_.empty() && data_.back() == '\n') data_.pop_back();
    const bool go_on = on_event_(event_.empty() ? "message" : event_, data_);
    event_.clear();
    data_.clear();
    return go_on;
  }
  if (l[0] == ':') return true;
  const size_t colon = l.find(':');
  const std::string field = l.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : l.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  if (field == "event") event_ = value;
  else if (field == "data") data_ += value + "\n";
  return true;
}

}  // namespace pictor::gateway
