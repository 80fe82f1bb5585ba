#pragma once
// The files under web/static/, embedded in the binary at build time by embed_web.cmake (so a
// server needs no files beside it and loads nothing from elsewhere).
#include <cstddef>
#include <vector>

namespace pictor::server::web {

struct EmbeddedFile {
  const char* name;             // path under web/static/: "pictor.css"
  const unsigned char* data;
  size_t size;
  const char* hash;             // first 12 hex digits of its SHA-256 (cache busting)
};

const std::vector<EmbeddedFile>& embedded_files();

}  // namespace pictor::server::web
