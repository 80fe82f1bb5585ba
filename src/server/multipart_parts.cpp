#include "server/multipart_parts.h"

#include <httplib.h>

#include <string>

namespace pictor::server {

bool read_request_body(const httplib::Request& req, const httplib::ContentReader& reader, httplib::Request& full) {
  if (!req.is_multipart_form_data()) {
    return reader([&](const char* data, size_t n) {
      full.body.append(data, n);
      return true;
    });
  }
  // Each part's headers arrive first, then its content in pieces: append them to the last part
  // of that name (names repeat for image[]).
  std::string current;
  return reader(
      [&](const httplib::MultipartFormData& header) {
        current = header.name;
        full.files.emplace(header.name, header);
        return true;
      },
      [&](const char* data, size_t n) {
        auto it = full.files.upper_bound(current);
        if (it == full.files.begin()) return false;
        (--it)->second.content.append(data, n);
        return true;
      });
}

}  // namespace pictor::server
