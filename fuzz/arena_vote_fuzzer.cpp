// The arena's vote parsers: the body of POST /v1/arena/battles/{id}/vote (through the same
// parse_json_body as the route, for battles of 2, 3 and 4 contestants) and a line of a vote log
// (`pictor arena replay`, GET /v1/arena/votes?format=jsonl).
#include <httplib.h>

#include "arena/vote_outcome.h"
#include "fuzz_check.h"
#include "server/request_parse.h"

using namespace pictor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  httplib::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  nlohmann::json body;
  server::ApiError err;
  if (!server::parse_json_body(req, body, err)) {
    fuzz::check_client_error(err);
  } else {
    for (int slots = arena::kMinContestants; slots <= arena::kMaxContestants; ++slots) {
      arena::VoteOutcome out;
      arena::OutcomeError bad;
      if (!arena::parse_vote_outcome(body, slots, out, bad)) {
        // What ArenaService::vote hands the route (arena_error maps invalid_argument to 400).
        fuzz::check_client_error(server::error_from_status(invalid_argument(bad.message), bad.param));
        continue;
      }
      fuzz::check(int(out.ranks.size()) == slots, "one rank per slot");
      for (int r : out.ranks) fuzz::check(r >= 0 && r < slots, "rank out of range");
      (void)out.canonical.dump();  // stored as JSON; throws on strings JSON cannot hold
    }
  }
  auto line = arena::parse_vote_log_line(fuzz::as_text(data, size));
  if (line.is_ok()) {
    fuzz::check(line->models.size() == line->ranks.size(), "models and ranks differ in length");
    fuzz::check(line->weight > 0 && line->weight <= 1, "weight out of (0, 1]");
  }
  return 0;
}
