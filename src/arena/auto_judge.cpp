#include "arena/auto_judge.h"

#include <algorithm>

#include "arena/axes/prompt_set.h"
#include "codecs/codecs.h"
#include "world/prompt_check.h"
#include "world/prompt_parser.h"

namespace pictor::arena {

using nlohmann::json;

Result<std::optional<std::vector<int>>> judge_ranks(const std::string& prompt, const std::vector<Image>& images) {
  auto parsed = world::parse_prompt(prompt);
  if (!parsed.is_ok()) return parsed.status();
  if (!parsed->in_world) return std::optional<std::vector<int>>();
  std::vector<double> merit;
  for (const Image& img : images) {
    const auto check = world::check_prompt(img, *parsed);
    merit.push_back(check.score + (check.all_hold ? 1.0 : 0.0));
  }
  std::vector<int> ranks(images.size(), 0);
  for (size_t i = 0; i < images.size(); ++i)
    for (size_t j = 0; j < images.size(); ++j)
      if (merit[j] > merit[i] + 1e-9) ++ranks[i];
  // Dense ranks (0, 1, 2 …) as a ranking's groups.
  std::vector<int> distinct(ranks);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (int& r : ranks) r = int(std::lower_bound(distinct.begin(), distinct.end(), r) - distinct.begin());
  return std::optional<std::vector<int>>(ranks);
}

json ranking_body(const std::vector<int>& ranks) {
  const int groups = ranks.empty() ? 0 : *std::max_element(ranks.begin(), ranks.end()) + 1;
  json ranking = json::array();
  for (int g = 0; g < groups; ++g) {
    json group = json::array();
    for (size_t i = 0; i < ranks.size(); ++i)
      if (ranks[i] == g) group.push_back(slot_name(int(i)));
    ranking.push_back(group);
  }
  return {{"ranking", ranking}};
}

namespace {

constexpr const char* kJudgeVoter = "judge:auto";

// Waits for the battle, ranks its images and votes. Returns false when the judge abstained.
Result<bool> judge_one(ArenaService& arena, const std::string& battle_id) {
  auto view = arena.get_battle(battle_id, kJudgeVoter, /*admin=*/true, 600'000);
  if (!view.is_ok()) return view.status();
  if (view->vote) return false;
  if (!view->all_ready()) return unavailable("battle " + battle_id + " has a slot that could not be drawn");
  std::vector<Image> images;
  for (const auto& c : view->battle.contestants) {
    auto bytes = arena.store().get_media_data(c.media_id);
    if (!bytes.is_ok()) return bytes.status();
    auto img = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
    if (!img.is_ok()) return img.status();
    images.push_back(std::move(*img));
  }
  auto ranks = judge_ranks(view->prompt.text, images);
  if (!ranks.is_ok()) return ranks.status();
  if (!ranks->has_value()) return false;
  VoteRequest req;
  req.battle_id = battle_id;
  req.outcome = ranking_body(**ranks);
  req.voter_id = kJudgeVoter;
  req.judge = "auto";
  req.admin = true;
  ArenaError err;
  auto voted = arena.vote(req, err);
  if (!voted.is_ok()) return voted.status();
  return true;
}

void count(JudgeSummary& s, const Result<bool>& r) {
  if (!r.is_ok()) ++s.failed;
  else if (r.value()) ++s.judged;
  else ++s.abstained;
}

}  // namespace

Result<JudgeSummary> judge_pending(ArenaService& arena, const JudgeProgress& progress) {
  store::ArenaBattleQuery q;
  q.judge = "auto";
  q.unvoted_only = true;
  q.not_expired_at_ms = store::now_ms();
  q.limit = 100000;
  auto battles = arena.store().list_arena_battles(q);
  if (!battles.is_ok()) return battles.status();
  JudgeSummary s;
  int done = 0;
  for (const auto& b : *battles) {
    count(s, judge_one(arena, b.id));
    if (progress) progress(++done, int(battles->size()));
  }
  return s;
}

Result<JudgeSummary> seed_auto_battles(ArenaService& arena, int battles, int contestants, const JudgeProgress& progress) {
  std::vector<std::string> prompts;
  for (const auto& p : builtin_prompts()) {
    if (p.arena != "text-to-image") continue;
    auto parsed = world::parse_prompt(p.text);
    if (parsed.is_ok() && parsed->in_world) prompts.push_back(p.text);
  }
  if (prompts.empty()) return internal_error("no built-in prompt is of the scenes world");
  // Submit every battle first (the job queue runs them back to back), then judge in order.
  std::vector<std::string> ids;
  JudgeSummary s;
  for (int i = 0; i < battles; ++i) {
    BattleRequest req;
    req.arena = "text-to-image";
    req.prompt = prompts[size_t(i) % prompts.size()];
    req.prompt_source = "seed";
    req.contestants = contestants;
    req.judge = "auto";
    req.voter_id = kJudgeVoter;
    ArenaError err;
    auto view = arena.create_battle(req, err);
    if (!view.is_ok()) {
      if (view.status().code() == StatusCode::kBusy && !ids.empty()) {
        // The queue is full: judge what is queued, then go on.
        for (const auto& id : ids) count(s, judge_one(arena, id));
        ids.clear();
        --i;
        continue;
      }
      return view.status();
    }
    ids.push_back(view->battle.id);
  }
  int done = s.judged + s.abstained + s.failed;
  for (const auto& id : ids) {
    count(s, judge_one(arena, id));
    if (progress) progress(++done, battles);
  }
  return s;
}

}  // namespace pictor::arena
