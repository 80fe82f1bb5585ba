#include "store/vote_lists.h"

#include <nlohmann/json.hpp>

namespace pictor::store {

std::string encode_vote_models(const std::vector<std::string>& models) { return nlohmann::json(models).dump(); }
std::string encode_vote_ranks(const std::vector<int>& ranks) { return nlohmann::json(ranks).dump(); }

std::vector<std::string> decode_vote_models(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::vector<int> decode_vote_ranks(const std::string& json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  std::vector<int> out;
  if (!j.is_array()) return out;
  for (const auto& e : j)
    if (e.is_number_integer()) out.push_back(e.get<int>());
  return out;
}

}  // namespace pictor::store
