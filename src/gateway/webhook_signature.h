#pragma once
// Webhook signatures in the Standard Webhooks scheme (https://www.standardwebhooks.com), which
// OpenAI's webhooks also use, so receivers can verify with an existing library:
//   webhook-id: <delivery id>   webhook-timestamp: <Unix seconds>
//   webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>
// A secret "whsec_<base64>" means the decoded bytes are the key; any other text is the key itself.
#include <cstdint>
#include <string>

#include "core/status.h"

namespace pictor::gateway {

// "whsec_" + base64 of 32 random bytes (the OS's CSPRNG).
std::string new_webhook_secret();

// "v1,<base64 signature>"; invalid_argument for a "whsec_" secret that is not base64.
Result<std::string> webhook_signature(const std::string& secret, const std::string& id, int64_t timestamp_s,
                                      const std::string& body);

}  // namespace pictor::gateway
