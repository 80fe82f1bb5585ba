#include "arena/vote_outcome.h"

#include <cmath>
#include <set>

#include "core/utf8.h"

namespace pictor::arena {

using nlohmann::json;

std::string slot_name(int index) { return std::string(1, char('a' + index)); }

int slot_index(std::string_view slot) {
  if (slot.size() != 1 || slot[0] < 'a' || slot[0] >= 'a' + kMaxContestants) return -1;
  return slot[0] - 'a';
}

namespace {

std::string slot_list(int slots) {
  std::string s;
  for (int i = 0; i < slots; ++i) s += (i ? ", \"" : "\"") + slot_name(i) + "\"";
  return s;
}

bool fail(OutcomeError& e, std::string message, std::string param) {
  e = {std::move(message), std::move(param)};
  return false;
}

bool parse_winner(const json& w, int slots, VoteOutcome& out, OutcomeError& error) {
  const std::string hint = "'winner' must be one of " + slot_list(slots) + ", \"tie\" or \"both_bad\"";
  if (!w.is_string()) return fail(error, hint, "winner");
  const std::string v = w.get<std::string>();
  if (v == "tie" || v == "both_bad") {
    out.kind = v;
    out.ranks.assign(size_t(slots), 0);
    out.canonical = {{"winner", v}};
    return true;
  }
  const int i = slot_index(v);
  if (i < 0 || i >= slots) return fail(error, hint + ", not \"" + std::string(utf8_prefix(v, 40)) + "\"", "winner");
  out.kind = "winner";
  out.ranks.assign(size_t(slots), 1);
  out.ranks[size_t(i)] = 0;
  out.canonical = {{"winner", v}};
  return true;
}

bool parse_ranking(const json& r, int slots, VoteOutcome& out, OutcomeError& error) {
  const std::string hint = "'ranking' must be a list of groups of slots, best first, naming each of " +
                           slot_list(slots) + " once, e.g. [[\"c\"], [\"a\", \"d\"], [\"b\"]]";
  if (!r.is_array() || r.empty() || int(r.size()) > slots) return fail(error, hint, "ranking");
  out.ranks.assign(size_t(slots), -1);
  json canonical = json::array();
  for (size_t g = 0; g < r.size(); ++g) {
    const json& group = r[g];
    if (!group.is_array() || group.empty()) return fail(error, hint + " (group " + std::to_string(g + 1) + " is not a non-empty list)", "ranking");
    json cg = json::array();
    for (const json& s : group) {
      const int i = s.is_string() ? slot_index(s.get<std::string>()) : -1;
      if (i < 0 || i >= slots) return fail(error, hint + " (unknown slot in group " + std::to_string(g + 1) + ")", "ranking");
      if (out.ranks[size_t(i)] >= 0) return fail(error, hint + " (slot \"" + slot_name(i) + "\" appears twice)", "ranking");
      out.ranks[size_t(i)] = int(g);
      cg.push_back(slot_name(i));
    }
    canonical.push_back(cg);
  }
  for (int i = 0; i < slots; ++i)
    if (out.ranks[size_t(i)] < 0) return fail(error, hint + " (slot \"" + slot_name(i) + "\" is missing)", "ranking");
  out.kind = "ranking";
  out.canonical = {{"ranking", canonical}};
  return true;
}

}  // namespace

bool parse_vote_outcome(const json& body, int slots, VoteOutcome& out, OutcomeError& error) {
  if (slots < kMinContestants || slots > kMaxContestants) return fail(error, "a battle has 2–4 contestants", "winner");
  if (!body.is_object()) return fail(error, "the vote must be a JSON object with 'winner' or 'ranking'", "winner");
  for (const auto& [key, _] : body.items())
    if (key != "winner" && key != "ranking") return fail(error, "unknown field '" + key.substr(0, 40) + "' in the vote", key.substr(0, 40));
  const bool has_winner = body.contains("winner"), has_ranking = body.contains("ranking");
  if (has_winner == has_ranking)
    return fail(error, "give exactly one of 'winner' or 'ranking'", has_winner ? "ranking" : "winner");
  return has_winner ? parse_winner(body["winner"], slots, out, error) : parse_ranking(body["ranking"], slots, out, error);
}

namespace {

Result<int64_t> parse_ts(const json& j) {
  if (!j.contains("ts")) return int64_t(0);
  const json& t = j["ts"];
  if (!t.is_number() || !std::isfinite(t.get<double>()) || t.get<double>() < 0 || t.get<double>() > 1e16)
    return invalid_argument("'ts' must be a Unix time (seconds, or milliseconds)");
  const double v = t.get<double>();
  return int64_t(v >= 1e11 ? v : v * 1000.0);
}

Status parse_optional_text(const json& j, const char* key, std::string& out) {
  if (!j.contains(key)) return Status::ok();
  if (!j[key].is_string()) return invalid_argument(std::string("'") + key + "' must be a string");
  out = j[key].get<std::string>();
  return Status::ok();
}

}  // namespace

Result<LoggedVote> parse_vote_log_line(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("not a JSON object");
  LoggedVote v;
  auto ts = parse_ts(j);
  if (!ts.is_ok()) return ts.status();
  v.ts_ms = *ts;
  PICTOR_RETURN_IF_ERROR(parse_optional_text(j, "arena", v.arena));
  PICTOR_RETURN_IF_ERROR(parse_optional_text(j, "judge", v.judge));
  PICTOR_RETURN_IF_ERROR(parse_optional_text(j, "category", v.category));
  PICTOR_RETURN_IF_ERROR(parse_optional_text(j, "language", v.language));
  if (v.arena != "text-to-image" && v.arena != "image-edit") return invalid_argument("'arena' must be text-to-image or image-edit");
  if (v.judge != "human" && v.judge != "auto") return invalid_argument("'judge' must be human or auto");
  if (j.contains("weight")) {
    if (!j["weight"].is_number() || !(j["weight"].get<double>() > 0) || j["weight"].get<double>() > 1)
      return invalid_argument("'weight' must be a number in (0, 1]");
    v.weight = j["weight"].get<double>();
  }
  if (j.contains("counted")) {
    if (!j["counted"].is_boolean()) return invalid_argument("'counted' must be true or false");
    v.counted = j["counted"].get<bool>();
  }
  if (j.contains("models")) {
    if (!j["models"].is_array() || !j.contains("ranks") || !j["ranks"].is_array())
      return invalid_argument("'models' and 'ranks' must be lists of the same length");
    const json &m = j["models"], &r = j["ranks"];
    if (m.size() != r.size() || m.size() < size_t(kMinContestants) || m.size() > size_t(kMaxContestants))
      return invalid_argument("'models' and 'ranks' must be lists of the same length, 2–4 entries");
    std::set<std::string> seen;
    for (size_t i = 0; i < m.size(); ++i) {
      if (!m[i].is_string() || m[i].get<std::string>().empty()) return invalid_argument("'models' must hold model names");
      if (!seen.insert(m[i].get<std::string>()).second) return invalid_argument("model '" + m[i].get<std::string>() + "' appears twice");
      if (!r[i].is_number_integer() || r[i].get<int64_t>() < 0 || r[i].get<int64_t>() > 100)
        return invalid_argument("'ranks' must be small non-negative integers");
      v.models.push_back(m[i].get<std::string>());
      v.ranks.push_back(r[i].get<int>());
    }
    return v;
  }
  if (!j.contains("left") || !j.contains("right") || !j.contains("outcome"))
    return invalid_argument("a line needs either 'models' and 'ranks', or 'left', 'right' and 'outcome'");
  if (!j["left"].is_string() || !j["right"].is_string() || j["left"].get<std::string>().empty() ||
      j["right"].get<std::string>().empty())
    return invalid_argument("'left' and 'right' must be model names");
  if (j["left"] == j["right"]) return invalid_argument("'left' and 'right' name the same model");
  const std::string o = j["outcome"].is_string() ? j["outcome"].get<std::string>() : "";
  v.models = {j["left"].get<std::string>(), j["right"].get<std::string>()};
  if (o == "left") v.ranks = {0, 1};
  else if (o == "right") v.ranks = {1, 0};
  else if (o == "tie" || o == "both_bad") v.ranks = {0, 0};
  else return invalid_argument("'outcome' must be left, right, tie or both_bad");
  return v;
}

}  // namespace pictor::arena
