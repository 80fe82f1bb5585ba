// pictor serve: the OpenAI-compatible images API and the async generations gateway
// (docs/server.md). SIGTERM / SIGINT stop accepting, let running jobs finish (grace period) or
// re-queue them, and exit 0.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <thread>

#include "app/cli_util.h"
#include "app/commands.h"
#include "server/server.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace pictor::app {

namespace {

int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  if (write(g_signal_pipe[1], &b, 1) < 0) {
  }
}

struct ServeArgs {
  server::ServerOptions opts;
  std::vector<std::string> models;
  double max_body_mb = 64;
  double media_ttl_hours = 24;
  double fetch_max_mb = 20;
  double lease_s = 15;
};

int run_serve(ServeArgs& a) {
  if (!a.models.empty()) a.opts.models = a.models;
  a.opts.max_body_bytes = int64_t(a.max_body_mb * 1024 * 1024);
  a.opts.media_ttl_s = int64_t(a.media_ttl_hours * 3600);
  a.opts.fetch_max_bytes = int64_t(a.fetch_max_mb * 1024 * 1024);
  a.opts.lease_ms = int64_t(a.lease_s * 1000);
  // SIGTERM/SIGINT: the handler only writes a byte to a pipe (async-signal-safe); a watcher
  // thread reads it and stops the server. (Masking is not enough: libraries start threads of
  // their own before this point, and the kernel may deliver the signal to any of them.)
  if (pipe(g_signal_pipe) != 0) return fail(io_error("cannot create the signal pipe"));
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto srv = server::Server::create(a.opts);
  if (!srv.is_ok()) return fail(srv.status());
  server::Server* s = srv->get();
  const std::string where = a.opts.store.empty()
                                ? (a.opts.data_dir.empty() ? store::default_data_dir() : a.opts.data_dir)
                                : store::redact_store_location(a.opts.store);
  if (a.opts.listen)
    std::printf("pictor: serving http://%s:%d (data: %s, auth: %s, workers: %d)\n", a.opts.host.c_str(), s->port(),
                where.c_str(), a.opts.no_auth ? "off" : "API keys", a.opts.workers);
  else
    std::printf("pictor: worker running jobs from %s (workers: %d)\n", where.c_str(), a.opts.workers);
  std::fflush(stdout);
  std::thread signals([s] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // woken by run() returning
    std::fprintf(stderr, "pictor: %s received, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    s->stop();
  });
  s->run();
  // run() returned: after stop() (signal thread done) or because the listener failed.
  const unsigned char zero = 0;
  if (write(g_signal_pipe[1], &zero, 1) < 0) {
  }
  signals.join();
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& root) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = root.add_subcommand("serve", "serve the OpenAI-compatible images API and the generations gateway");
  auto& o = a->opts;
  cmd->add_option("--host", o.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "port (0 = pick a free one and print it)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--data-dir", o.data_dir, "where jobs, media, keys and usage are stored (default: $PICTOR_DATA_DIR, "
                                             "else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor)");
  cmd->add_flag("--no-auth", o.no_auth, "accept requests without an API key (loopback addresses only)");
  cmd->add_option("--model", a->models, "model to serve, by name or path (repeatable; the first is the default)");
  cmd->add_option("--store", o.store, "postgresql://user@host:port/db: a database many API nodes and workers share "
                                      "(docs/scale-out.md); default: SQLite in the data directory");
  cmd->add_option("--workers", o.workers, "jobs generated at once (0 = an API-only node; needs --store postgresql://…)")
      ->check(CLI::Range(0, 64))->capture_default_str();
  cmd->add_option("--lease-s", a->lease_s, "shared store: seconds a job's lease lasts unrenewed (a dead node's jobs "
                                           "run elsewhere after this)")->check(CLI::Range(0.2, 3600.0))->capture_default_str();
  cmd->add_option("--max-queue", o.max_queue, "queued jobs beyond this are refused with 429")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--rate-limit", o.rate_limit_per_minute, "requests per minute per API key (0 = no limit; keys may set their own)")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  cmd->add_option("--max-body-mb", a->max_body_mb, "largest request body accepted")->check(CLI::Range(0.01, 4096.0))->capture_default_str();
  cmd->add_option("--max-pixels", o.max_output_pixels, "largest output image (width x height)")->check(CLI::Range(256, 16 << 20))->capture_default_str();
  cmd->add_option("--max-input-pixels", o.max_input_pixels, "largest input image accepted (decompression-bomb cap)")
      ->check(CLI::Range(256, 1 << 30))->capture_default_str();
  cmd->add_option("--media-ttl-hours", a->media_ttl_hours, "stored outputs expire after this (0 = never)")->check(CLI::Range(0.0, 1e6))->capture_default_str();
  cmd->add_option("--prices", o.prices_file, "JSON price table per model and quality (docs/server.md)");
  cmd->add_option("--fetch-allow", o.fetch_allow, "host (or IP, or *.domain) whose http(s) image URLs input.images may name "
                                                  "(repeatable; private and loopback addresses only when the address is listed)");
  cmd->add_option("--fetch-max-mb", a->fetch_max_mb, "largest image fetched from a URL")->check(CLI::Range(0.001, 1024.0))->capture_default_str();
  cmd->add_option("--fetch-timeout", o.fetch_timeout_s, "seconds a URL fetch may take, redirects included")
      ->check(CLI::Range(0.1, 600.0))->capture_default_str();
  cmd->add_option("--webhook-allow", o.webhook_allow, "host (or IP, or *.domain) a job's webhook.url may name (repeatable; "
                                                      "private and loopback addresses only when the address is listed; none = webhooks refused)");
  cmd->add_option("--webhook-timeout", o.webhook_timeout_s, "seconds one webhook try may take")->check(CLI::Range(0.1, 120.0))->capture_default_str();
  cmd->add_option("--webhook-retry-s", o.webhook_retry_s, "seconds before the first webhook retry (doubling, at most an hour apart)")
      ->check(CLI::Range(0.01, 3600.0))->capture_default_str();
  cmd->add_option("--webhook-give-up-h", o.webhook_give_up_h, "hours after a job ends when its webhook stops being retried")
      ->check(CLI::Range(0.0001, 24.0 * 30))->capture_default_str();
  cmd->add_option("--webhook-secret-env", o.webhook_secret_env, "environment variable holding the webhook signing secret "
                                                                "(unset: <data-dir>/webhook.secret, made on first use)")->capture_default_str();
  cmd->add_option("--providers", o.providers_file, "JSON file of upstream providers (OpenAI, OpenAI-compatible, pictor) "
                                                    "offered beside the local engines (docs/providers.md)");
  cmd->add_option("--http-threads", o.http_threads, "connections served at once (each long-poll holds one)")->check(CLI::Range(8, 100000))->capture_default_str();
  cmd->add_option("--threads", o.engine_threads, "CPU threads per generation (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_option("--dtype", o.dtype, "auto | fp32 | bf16")->check(CLI::IsMember({"auto", "fp32", "bf16"}))->capture_default_str();
  cmd->add_option("--arena-pool", o.arena_pool, "arena: ready battles kept per arena so voters need not wait (0 = none)")
      ->check(CLI::Range(0, 100))->capture_default_str();
  cmd->add_option("--arena-min-vote-ms", o.arena_min_vote_ms, "arena: votes faster than this after the images were shown are stored, not counted")
      ->check(CLI::Range(int64_t(0), int64_t(600000)))->capture_default_str();
  cmd->add_option("--arena-votes-per-minute", o.arena_votes_per_minute, "arena: votes (and battles) per voter and per key (0 = no limit)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->add_option("--arena-anonymous-per-minute", o.arena_anonymous_per_minute, "arena: requests per address from voters without a key (0 = no limit)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->add_option("--arena-daily-votes", o.arena_daily_votes, "arena: counted votes per voter per UTC day (0 = no cap)")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  cmd->add_option("--arena-battle-ttl-s", o.arena_battle_ttl_s, "arena: seconds a battle can be voted on")
      ->check(CLI::Range(int64_t(1), int64_t(365) * 86400))->capture_default_str();
  cmd->add_option("--arena-repeat-cap", o.arena_repeat_cap, "arena: counted votes per prompt before its weight falls as cap/n (0 = off)")
      ->check(CLI::Range(0, 1000000))->capture_default_str();
  cmd->add_option("--shutdown-grace", o.shutdown_grace_s, "seconds running jobs get to finish on SIGTERM before they are re-queued")
      ->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  return {cmd, [a] { return run_serve(*a); }};
}

Command add_worker_command(CLI::App& root) {
  auto a = std::make_shared<ServeArgs>();
  a->opts.listen = false;
  auto* cmd = root.add_subcommand("worker", "run jobs from a shared PostgreSQL store (no HTTP): scale-out beside "
                                            "`pictor serve --store` nodes (docs/scale-out.md)");
  auto& o = a->opts;
  cmd->add_option("--store", o.store, "postgresql://user@host:port/db, the database the API nodes use")->required();
  cmd->add_option("--workers", o.workers, "jobs generated at once")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--model", a->models, "model to run, by name or path (repeatable; every node should offer the same)");
  cmd->add_option("--data-dir", o.data_dir, "where models are looked up (default: $PICTOR_DATA_DIR, "
                                             "else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor)");
  cmd->add_option("--threads", o.engine_threads, "CPU threads per generation (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_option("--dtype", o.dtype, "auto | fp32 | bf16")->check(CLI::IsMember({"auto", "fp32", "bf16"}))->capture_default_str();
  cmd->add_option("--lease-s", a->lease_s, "seconds a claimed job's lease lasts unrenewed")->check(CLI::Range(0.2, 3600.0))->capture_default_str();
  cmd->add_option("--media-ttl-hours", a->media_ttl_hours, "stored outputs expire after this (0 = never)")->check(CLI::Range(0.0, 1e6))->capture_default_str();
  cmd->add_option("--prices", o.prices_file, "JSON price table per model and quality (docs/server.md)");
  cmd->add_option("--providers", o.providers_file, "JSON file of upstream providers (docs/providers.md)");
  cmd->add_option("--shutdown-grace", o.shutdown_grace_s, "seconds running jobs get to finish on SIGTERM before they are re-queued")
      ->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  return {cmd, [a] { return run_serve(*a); }};
}

}  // namespace pictor::app
