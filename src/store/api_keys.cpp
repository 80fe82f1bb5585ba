// Why an unsalted, fast hash (SHA-256) is the right choice here: salts and slow hashes (bcrypt,
// argon2) exist to make *guessing* low-entropy secrets such as passwords expensive. A pictor key
// carries ~238 random bits, so no dictionary or brute-force attack on a leaked hash can succeed
// whatever the hash speed, and a salt would only stop us from doing what the server must do on
// every request: find the key by an exact index lookup on its hash, in microseconds. (Same design
// as GitHub tokens and most API-key systems.)
#include "store/api_keys.h"

#include <openssl/evp.h>

#include "core/status.h"
#include "store/random.h"

namespace pictor::store {

namespace {
constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kKeyChars = 40;
constexpr size_t kPrefixChars = 8;  // "pk-" + 5
}  // namespace

std::string generate_api_key() {
  std::string key = "pk-";
  // Rejection sampling: 62 * 4 = 248, so bytes >= 248 are dropped and every character is uniform.
  unsigned char buf[64];
  while (key.size() < 3 + kKeyChars) {
    random_bytes(buf, sizeof buf);
    for (unsigned char b : buf) {
      if (b >= 248) continue;
      key += kAlphabet[b % kAlphabet.size()];
      if (key.size() == 3 + kKeyChars) break;
    }
  }
  return key;
}

std::string hash_api_key(std::string_view key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const int ok = EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  PICTOR_ASSERT(ok == 1 && len == 32);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string key_prefix(std::string_view key) { return std::string(key.substr(0, kPrefixChars)); }

Status check_api_key_name(const std::string& name, const std::string& what) {
  if (name.empty()) return invalid_argument(what + " must not be empty");
  if (name.size() > 64) return invalid_argument(what + " is longer than 64 characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return invalid_argument(what + " must not contain control characters");
  if (name.front() == ' ' || name.back() == ' ') return invalid_argument(what + " must not start or end with a space");
  // Names and ids share `pictor keys revoke ID|NAME`: a name must never look like an id.
  if (name.rfind("key_", 0) == 0) return invalid_argument(what + " must not start with \"key_\" (ids do)");
  return Status::ok();
}

}  // namespace pictor::store
