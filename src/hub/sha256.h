#pragma once
// Incremental SHA-256 (OpenSSL EVP) for checking downloads against the hub's LFS hashes.
// Torch-free.
#include <cstddef>
#include <string>

#include "core/status.h"

namespace pictor::hub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void reset();
  void update(const void* data, size_t n);
  // Lowercase hex of everything given since the last reset; ends the computation (reset to reuse).
  std::string hex();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept out of the header
};

// Feeds the first `bytes` bytes of a file into `hash` (the whole file when bytes < 0).
Status hash_file(const std::string& path, Sha256& hash, long long bytes = -1);
// The SHA-256 hex digest an ETag-like header names: `"<64 hex>"` or `W/"<64 hex>"`, lowercased;
// "" when it is something else (git blob SHA-1s of small files, CDN MD5s).
std::string sha256_from_etag(const std::string& etag);

}  // namespace pictor::hub
