#include "gateway/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "codecs/base64.h"

namespace pictor::gateway {

std::string new_webhook_secret() {
  std::vector<uint8_t> bytes(32);
  if (RAND_bytes(bytes.data(), int(bytes.size())) != 1) throw std::runtime_error("the OS gave no random bytes");
  return "whsec_" + codecs::base64_encode(bytes);
}

Result<std::string> webhook_signature(const std::string& secret, const std::string& id, int64_t timestamp_s,
                                      const std::string& body) {
  std::vector<uint8_t> key;
  if (secret.rfind("whsec_", 0) == 0) {
    auto decoded = codecs::base64_decode(std::string_view(secret).substr(6));
    if (!decoded.is_ok()) return invalid_argument("the webhook secret starts with whsec_ but is not base64");
    key = std::move(*decoded);
  } else {
    key.assign(secret.begin(), secret.end());
  }
  const std::string message = id + "." + std::to_string(timestamp_s) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  return "v1," + codecs::base64_encode(std::span<const uint8_t>(mac, len));
}

}  // namespace pictor::gateway
