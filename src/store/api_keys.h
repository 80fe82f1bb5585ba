#pragma once
// API keys: generated once, shown once, stored only as a hash (docs/store.md).
#include <string>
#include <string_view>

#include "core/status.h"

namespace pictor::store {

// "pk-" + 40 characters from [A-Za-z0-9], drawn from the OS's CSPRNG without bias (~238 bits).
std::string generate_api_key();
// Lower-case hex SHA-256 of the key: what the store keeps and looks keys up by.
std::string hash_api_key(std::string_view key);
// The key's first characters ("pk-" + 5), safe to show in listings and logs.
std::string key_prefix(std::string_view key);
// A key's name: 1–64 characters, no control characters, no leading or trailing space, and not
// starting with "key_" (ids do, and `pictor keys revoke ID|NAME` takes either). `what` names the
// field in the message ("--name" for the CLI, "'name'" for the API).
Status check_api_key_name(const std::string& name, const std::string& what = "name");

}  // namespace pictor::store
