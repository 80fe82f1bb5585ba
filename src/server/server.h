#pragma once
// `pictor serve`: the OpenAI-compatible images API, the async generations gateway, media,
// usage, models and operations endpoints on one HTTP listener (cpp-httplib), backed by the
// SQLite store and the jobs layer. See docs/server.md.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                        // 0 = any free port (printed)
  std::string data_dir;                   // "" = store::default_data_dir()
  // Where jobs, media, keys, usage and votes live: "" = <data_dir>/pictor.db (SQLite, one node);
  // postgresql://… = a database many nodes share (docs/scale-out.md): jobs then go through the
  // store's shared queue and signing secrets are kept in the database.
  std::string store;
  bool listen = true;                     // false: `pictor worker` (runs jobs, serves nothing)
  int64_t lease_ms = 15000;               // shared queue: a claimed job's lease
  bool no_auth = false;                   // only allowed on loopback
  std::vector<std::string> models = {"pictor-mini"};
  int workers = 1;                        // 0 only with a shared store: an API-only node
  int max_queue = 64;
  int rate_limit_per_minute = 600;        // per key; 0 = no limit
  int64_t max_body_bytes = 64LL << 20;
  int64_t max_output_pixels = 2048LL * 2048;
  int64_t max_input_pixels = 16'000'000;
  int64_t media_ttl_s = 24 * 3600;        // 0 = keep forever
  std::string prices_file;                // "" = defaults
  std::string providers_file;             // "" = local engines only (docs/providers.md)
  std::vector<std::string> fetch_allow;   // hosts input.images URLs may name; empty = no fetching
  int64_t fetch_max_bytes = 20LL << 20;
  double fetch_timeout_s = 10;
  // Webhooks (docs/server.md): hosts a job's webhook.url may name; empty = webhooks refused.
  std::vector<std::string> webhook_allow;
  double webhook_timeout_s = 10;          // per try
  double webhook_retry_s = 5;             // first retry delay (doubling, at most an hour apart)
  double webhook_give_up_h = 24;          // no try this long after the job ended
  std::string webhook_secret_env = "PICTOR_WEBHOOK_SECRET";  // else <data-dir>/webhook.secret
  int http_threads = 512;                 // connections served at once (long-polls hold one each)
  int engine_threads = 0;
  std::string dtype = "auto";
  double shutdown_grace_s = 30;
  bool preload = true;                    // load models before reporting ready
  // The arena (docs/arena.md).
  int arena_pool = 2;                     // ready battles kept per arena; 0 = none
  int64_t arena_min_vote_ms = 2000;       // faster votes are stored, not counted
  int arena_votes_per_minute = 30;        // per voter and per key (votes, and battles likewise)
  int arena_anonymous_per_minute = 60;    // per address, for voters without a key
  int arena_daily_votes = 500;            // counted votes per voter per UTC day
  int arena_repeat_cap = 25;              // counted votes per prompt before its weight falls
  int64_t arena_battle_ttl_s = 24 * 3600;
};

class Server {
 public:
  // Opens the store (taking the data directory's lock), starts the job workers (re-queueing what
  // an earlier process left unfinished) and binds the listener.
  static Result<std::unique_ptr<Server>> create(const ServerOptions& options);
  virtual ~Server() = default;
  virtual int port() const = 0;
  // Serves until stop(); then finishes or re-queues running jobs (grace period) and returns.
  virtual void run() = 0;
  // Thread-safe and signal-safe to call from another thread: stops accepting connections.
  virtual void stop() = 0;
};

}  // namespace pictor::server
