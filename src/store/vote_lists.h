#pragma once
// A vote's models and ranks are stored as JSON arrays (arena_votes.models_json / ranks_json) by
// every backend; these read and write them. The columns are written by the store only, so a
// parse failure means a damaged row: it reads as an empty list.
#include <string>
#include <vector>

namespace pictor::store {

std::string encode_vote_models(const std::vector<std::string>& models);
std::string encode_vote_ranks(const std::vector<int>& ranks);
std::vector<std::string> decode_vote_models(const std::string& json);
std::vector<int> decode_vote_ranks(const std::string& json);

}  // namespace pictor::store
