#include "hub/sha256.h"

#include <openssl/evp.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace pictor::hub {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  PICTOR_ASSERT(ctx_ != nullptr);
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::reset() { PICTOR_ASSERT(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) == 1); }

void Sha256::update(const void* data, size_t n) {
  PICTOR_ASSERT(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n) == 1);
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  PICTOR_ASSERT(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len) == 1);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
}

Status hash_file(const std::string& path, Sha256& hash, long long bytes) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error("cannot read " + path + ": " + std::strerror(errno));
  std::vector<char> buf(1 << 20);
  long long left = bytes;
  while (bytes < 0 || left > 0) {
    const size_t want = bytes < 0 ? buf.size() : size_t(std::min<long long>(left, (long long)buf.size()));
    const size_t n = std::fread(buf.data(), 1, want, f);
    if (n == 0) break;
    hash.update(buf.data(), n);
    left -= (long long)n;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return io_error("cannot read " + path);
  if (bytes >= 0 && left > 0) return io_error(path + " is shorter than expected");
  return Status::ok();
}

std::string sha256_from_etag(const std::string& etag) {
  std::string s = etag;
  if (s.starts_with("W/")) s = s.substr(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  if (s.size() != 64) return "";
  for (char& c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    c = char(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace pictor::hub
