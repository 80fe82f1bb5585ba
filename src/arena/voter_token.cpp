#include "arena/voter_token.h"

#include <fcntl.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "store/data_dir.h"
#include "store/random.h"
#include "store/store.h"

namespace pictor::arena {

std::string new_arena_secret() {
  unsigned char bytes[32];
  store::random_bytes(bytes, sizeof bytes);
  std::string secret;
  for (unsigned char b : bytes) {
    secret += "0123456789abcdef"[b >> 4];
    secret += "0123456789abcdef"[b & 15];
  }
  return secret;
}

Result<std::string> load_or_create_secret(const std::string& path) {
  return store::load_or_create_secret_file(path, "an arena secret", new_arena_secret);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string new_voter_token(const std::string& secret) {
  const std::string id = store::new_id("anon");
  return "v1." + id + "." + hmac_sha256_hex(secret, "voter:" + id);
}

std::optional<std::string> verify_voter_token(const std::string& secret, std::string_view token) {
  if (token.size() > 200 || token.substr(0, 3) != "v1.") return std::nullopt;
  const size_t dot = token.find('.', 3);
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string id(token.substr(3, dot - 3));
  const std::string mac(token.substr(dot + 1));
  if (id.rfind("anon_", 0) != 0) return std::nullopt;
  const std::string want = hmac_sha256_hex(secret, "voter:" + id);
  if (mac.size() != want.size() || CRYPTO_memcmp(mac.data(), want.data(), want.size()) != 0) return std::nullopt;
  return id;
}

std::string voter_pseudonym(const std::string& secret, std::string_view voter_id) {
  return "voter_" + hmac_sha256_hex(secret, "pseudonym:" + std::string(voter_id)).substr(0, 16);
}

}  // namespace pictor::arena
