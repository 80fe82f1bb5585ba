#pragma once
// API keys: generated once, shown once, stored only as a hash (docs/store.md).
#include <string>
#include <string_view>

namespace pictor::store {

// "pk-" + 40 characters from [A-Za-z0-9], drawn from the OS's CSPRNG without bias (~238 bits).
std::string generate_api_key();
// Lower-case hex SHA-256 of the key: what the store keeps and looks keys up by.
std::string hash_api_key(std::string_view key);
// The key's first characters ("pk-" + 5), safe to show in listings and logs.
std::string key_prefix(std::string_view key);

}  // namespace pictor::store
