#pragma once
// Voter identities that are not API keys: web voters get a signed anonymous cookie (HMAC-SHA256
// with the server's arena secret), and exports name voters only by a keyed pseudonym.
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pictor::arena {

// Reads the secret from `path`, or creates it (32 random bytes, hex, mode 0600).
Result<std::string> load_or_create_secret(const std::string& path);
// 64 random hex characters (a new arena secret; nodes on one shared store keep it there).
std::string new_arena_secret();

std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// "v1.<voter id>.<hex HMAC>": a new anonymous voter id ("anon_…") signed with `secret`.
std::string new_voter_token(const std::string& secret);
// The voter id of a token signed with `secret`; nullopt for anything else (forged, truncated).
std::optional<std::string> verify_voter_token(const std::string& secret, std::string_view token);
// A stable pseudonym for exports: "voter_" + 16 hex of HMAC(secret, "pseudonym:" + id).
std::string voter_pseudonym(const std::string& secret, std::string_view voter_id);

}  // namespace pictor::arena
