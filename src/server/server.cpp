#include "server/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "arena/arena_service.h"
#include "arena/voter_token.h"
#include "gateway/provider_config.h"
#include "gateway/url_fetch.h"
#include "gateway/webhook_signature.h"
#include "server/context.h"
#include "server/web_data.h"
#include "server/web_html.h"
#include "store/data_dir.h"

namespace pictor::server {

namespace fs = std::filesystem;

namespace {

// The webhook signing secret: the operator's environment variable, else <data-dir>/webhook.secret
// (made on first use), so that it survives restarts and receivers keep verifying.
// On a shared store every node must sign alike: the secret then lives in the database.
Result<std::string> webhook_secret(const ServerOptions& opts, const std::string& dir, store::Store& st) {
  if (!opts.webhook_secret_env.empty()) {
    if (const char* v = std::getenv(opts.webhook_secret_env.c_str()); v && *v) return std::string(v);
  }
  if (store::is_postgresql_location(opts.store))
    return st.get_or_create_setting("webhook.secret", gateway::new_webhook_secret());
  return store::load_or_create_secret_file(dir + "/webhook.secret", "a webhook secret", gateway::new_webhook_secret);
}

// Voter and battle tokens signed on one node are checked on another: one secret per store.
Result<std::string> arena_secret(const ServerOptions& opts, const std::string& dir, store::Store& st) {
  if (store::is_postgresql_location(opts.store)) return st.get_or_create_setting("arena.secret", arena::new_arena_secret());
  return arena::load_or_create_secret(dir + "/arena.secret");
}

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

class ServerImpl final : public Server {
 public:
  Status init(const ServerOptions& opts) {
    ctx_.options = opts;
    if (opts.no_auth && !is_loopback(opts.host))
      return invalid_argument("--no-auth is only allowed when listening on loopback (127.0.0.1 or ::1), not " + opts.host);
    std::string dir = opts.data_dir.empty() ? store::default_data_dir() : opts.data_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("cannot create data directory " + dir + ": " + ec.message());
    ctx_.options.data_dir = dir;
    const bool shared = store::is_postgresql_location(opts.store);
    if (opts.workers == 0 && !shared)
      return invalid_argument("--workers 0 (an API-only node) needs a shared store: --store postgresql://…");
    if (!opts.listen && !shared) return invalid_argument("pictor worker needs a shared store: --store postgresql://…");
    // One SQLite file, one process that runs its jobs. A shared store coordinates its nodes itself.
    if (!shared) PICTOR_RETURN_IF_ERROR(lock_.acquire(dir));
    auto st = store::open_store(opts.store.empty() ? store::sqlite_path(dir) : opts.store);
    if (!st.is_ok()) return st.status();
    store_ = std::move(*st);

    jobs::JobManagerOptions jopts;
    jopts.workers = opts.workers;
    jopts.shared_queue = shared;
    jopts.lease_ms = opts.lease_ms;
    jopts.max_queue_depth = opts.max_queue;
    jopts.media_ttl_ms = opts.media_ttl_s * 1000;
    jopts.preload = opts.preload && opts.workers > 0;
    if (!opts.prices_file.empty()) {
      auto prices = jobs::PriceTable::from_json_file(opts.prices_file);
      if (!prices.is_ok()) return prices.status();
      jopts.prices = *prices;
    }
    // Set on every node, also where no sender runs: the node that finishes a job writes the body
    // that another node's sender posts (a shared store).
    jopts.webhook_payload = [](const store::JobRecord& rec, const std::string& event, const std::string& delivery_id,
                               const std::string& base) {
      jobs::JobView view;
      view.record = rec;
      nlohmann::json data = job_json(view, base);
      data.erase("webhook");
      return nlohmann::json{{"id", delivery_id}, {"type", event}, {"created_at", store::now_ms() / 1000}, {"data", data}}.dump();
    };
    if (!opts.webhook_allow.empty()) {
      auto secret = webhook_secret(opts, dir, *store_);
      if (!secret.is_ok()) return secret.status();
      jopts.webhooks.policy.allow = opts.webhook_allow;
      jopts.webhooks.policy.timeout_s = opts.webhook_timeout_s;
      jopts.webhooks.secret = *secret;
      jopts.webhooks.first_retry_s = opts.webhook_retry_s;
      jopts.webhooks.give_up_after_s = opts.webhook_give_up_h * 3600;
      ctx_.limits.webhook_url_allowed = [policy = jopts.webhooks.policy](const std::string& url) {
        return gateway::check_url_allowed(url, policy);
      };
    }
    engine::LoadOptions lopts;
    lopts.threads = opts.engine_threads;
    lopts.dtype = opts.dtype;
    engines_ = std::make_unique<jobs::EnginePool>(opts.models, lopts);
    gateway::ProvidersFile providers;
    if (!opts.providers_file.empty()) {
      auto f = gateway::load_providers_file(opts.providers_file, [](const char* name) { return std::getenv(name); });
      if (!f.is_ok()) return f.status();
      providers = std::move(*f);
      for (const auto& [id, fields] : providers.catalog) {  // refuse a bad catalog now, not per request
        gateway::CatalogEntry probe;
        PICTOR_RETURN_IF_ERROR(probe.apply(fields, "catalog." + id));
      }
    }
    ctx_.catalog_overrides = providers.catalog;
    gateway::LocalProvider local;
    local.offers = [this](const std::string& m) { return engines_->offers(m); };
    local.price = [prices = jopts.prices](const std::string& m, const std::string& q) { return prices.price_per_image(m, q); };
    local.models = engines_->models();
    local.max_concurrency = opts.workers;
    router_ = std::make_unique<gateway::Router>(std::move(providers), std::move(local));
    jopts.router = router_.get();
    jobs_ = std::make_unique<jobs::JobManager>(*store_, *engines_, jopts);
    auth_ = std::make_unique<Authenticator>(*store_, opts.no_auth, opts.rate_limit_per_minute);

    ctx_.store = store_.get();
    ctx_.jobs = jobs_.get();
    ctx_.router = router_.get();
    ctx_.auth = auth_.get();
    ctx_.started_at_ms = store::now_ms();
    ctx_.limits.default_model = engines_->default_model();
    ctx_.limits.model_exists = [this](const std::string& m) { return router_->offers(m); };
    ctx_.limits.provider_offers = [this](const std::string& m, const std::string& p) {
      gateway::RoutePrefs prefs;
      prefs.provider = p;
      return router_->plan(m, prefs).is_ok();
    };
    if (!opts.fetch_allow.empty()) {
      gateway::FetchPolicy policy;
      policy.allow = opts.fetch_allow;
      policy.max_bytes = opts.fetch_max_bytes;
      policy.timeout_s = opts.fetch_timeout_s;
      ctx_.limits.fetch_url = [policy](const std::string& url) { return gateway::fetch_url(url, policy); };
    }
    ctx_.limits.model_sizes = [this](const std::string& m) { return catalog_entry(ctx_, m).capabilities.sizes; };
    ctx_.limits.max_output_pixels = opts.max_output_pixels;
    ctx_.limits.max_input_pixels = opts.max_input_pixels;
    if (opts.listen) setup_http();
    PICTOR_RETURN_IF_ERROR(jobs_->start());
    if (!opts.listen) {
      log_event(LogLevel::kInfo, "worker.started", {{"workers", opts.workers}, {"store", store::redact_store_location(opts.store)}});
      return Status::ok();
    }

    arena::ArenaOptions aopts;
    aopts.pool_size = opts.arena_pool;
    aopts.min_vote_ms = opts.arena_min_vote_ms;
    aopts.daily_counted_votes = opts.arena_daily_votes;
    aopts.prompt_repeat_cap = opts.arena_repeat_cap;
    aopts.battle_ttl_ms = opts.arena_battle_ttl_s * 1000;
    if (shared) aopts.sync_ms = 2000;  // votes taken by other nodes reach this node's boards
    auto secret = arena_secret(opts, dir, *store_);
    if (!secret.is_ok()) return secret.status();
    aopts.secret = *secret;
    arena_ = std::make_unique<arena::ArenaService>(*store_, *jobs_, aopts);
    PICTOR_RETURN_IF_ERROR(arena_->start());
    ctx_.arena = arena_.get();

    port_ = opts.port == 0 ? http_.bind_to_any_port(opts.host) : (http_.bind_to_port(opts.host, opts.port) ? opts.port : -1);
    if (port_ < 0) return io_error("cannot listen on " + opts.host + ":" + std::to_string(opts.port) + " (in use or not permitted)");
    // cpp-httplib 0.11 listens with a backlog of 5: hundreds of clients connecting at once then
    // lose SYNs and wait seconds for retransmits. Listening again on the bound socket raises it.
    if (listen_fd_ >= 0) ::listen(listen_fd_, 4096);
    log_event(LogLevel::kInfo, "server.listening",
              {{"host", opts.host}, {"port", port_}, {"data_dir", dir}, {"auth", opts.no_auth ? "off" : "api keys"},
               {"store", shared ? store::redact_store_location(opts.store) : "sqlite"}});
    return Status::ok();
  }

  int port() const override { return port_; }

  void run() override {
    if (!ctx_.options.listen) {  // a worker: runs jobs until stop()
      std::unique_lock<std::mutex> lock(worker_mu_);
      worker_cv_.wait(lock, [&] { return stop_requested_.load(); });
      jobs_->shutdown(std::chrono::milliseconds(int64_t(ctx_.options.shutdown_grace_s * 1000)));
      log_event(LogLevel::kInfo, "worker.stopped");
      return;
    }
    // A stop() that came before the listener was running was a no-op for cpp-httplib (a SIGTERM
    // right after the "serving" line): once it runs, honour it.
    std::thread late_stop([this] {
      while (!http_.is_running() && !listen_returned_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (stop_requested_) http_.stop();
    });
    http_.listen_after_bind();
    listen_returned_ = true;
    late_stop.join();
    arena_->stop();
    // Listener closed: finish what is running (or re-queue it), then stop the workers.
    jobs_->shutdown(std::chrono::milliseconds(int64_t(ctx_.options.shutdown_grace_s * 1000)));
    log_event(LogLevel::kInfo, "server.stopped");
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(worker_mu_);
      stop_requested_ = true;
    }
    worker_cv_.notify_all();
    jobs_->drain();  // open long-polls and streams answer now instead of holding the listener
    if (ctx_.options.listen) http_.stop();
  }

 private:
  void setup_http() {
    const int threads = std::max(8, ctx_.options.http_threads);
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
    http_.set_payload_max_length(size_t(ctx_.options.max_body_bytes));
    http_.set_read_timeout(30, 0);
    http_.set_write_timeout(30, 0);
    // Without it a response written in two pieces (headers, then body) waits out the client's
    // delayed ACK: ~40 ms per request on loopback.
    http_.set_tcp_nodelay(true);
    // Idle keep-alive connections hold a worker until this passes, also at shutdown: keep it short.
    http_.set_keep_alive_timeout(5);
    http_.set_keep_alive_max_count(100000);  // the default (5) makes busy clients reconnect constantly
    http_.set_socket_options([this](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd_ = sock;  // the last one set up is the listener (bind tries addresses in turn)
    });
    http_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      begin_request(req);
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Unrouted requests and transport errors (413, 400 …) still get an envelope and a request id.
    http_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.has_header("x-request-id")) res.set_header("x-request-id", current_request_id());
      if (!res.body.empty()) return;
      // A person asking for a page that does not exist gets a page, not JSON.
      if (res.status == 404 && req.method == "GET" && req.path.rfind("/v1/", 0) != 0 &&
          req.get_header_value("Accept").find("text/html") != std::string::npos) {
        web::send_not_found(res, "No page at " + req.path, "There is nothing at this address on this server.");
        ctx_.metrics.observe_request(req.method, "unrouted", res.status, 0);
        return;
      }
      ApiError e;
      e.http_status = res.status;
      if (res.status == 404) {
        e.message = "Unknown route: " + req.method + " " + req.path;
        e.code = "unknown_route";
      } else if (res.status == 413) {
        e.message = "The request body is larger than this server's limit of " + std::to_string(ctx_.options.max_body_bytes) + " bytes";
        e.code = "body_too_large";
      } else {
        e.message = "HTTP " + std::to_string(res.status);
        if (res.status >= 500) e.type = "server_error";
      }
      send_error(res, e);
      ctx_.metrics.observe_request(req.method, "unrouted", res.status, 0);
    });
    http_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = std::string("internal error: ") + e.what();
      } catch (...) {
      }
      send_error(res, ApiError{500, what, "server_error", "", "internal_error"});
    });
    register_image_routes(http_, ctx_);
    register_generation_routes(http_, ctx_);
    register_media_routes(http_, ctx_);
    register_model_routes(http_, ctx_);
    register_usage_routes(http_, ctx_);
    register_ops_routes(http_, ctx_);
    register_arena_routes(http_, ctx_);
    register_provider_routes(http_, ctx_);
    register_key_routes(http_, ctx_);
    web::register_model_pages(http_, ctx_);
    web::register_board_pages(http_, ctx_);
    web::register_app_pages(http_, ctx_);
  }

  ServerContext ctx_;
  store::DataDirLock lock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<jobs::EnginePool> engines_;
  std::unique_ptr<gateway::Router> router_;  // before jobs_: outlives it
  std::unique_ptr<jobs::JobManager> jobs_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<arena::ArenaService> arena_;  // after jobs_: destroyed before it
  httplib::Server http_;
  int port_ = -1;
  int listen_fd_ = -1;
  std::atomic<bool> stop_requested_{false}, listen_returned_{false};
  std::mutex worker_mu_;
  std::condition_variable worker_cv_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::create(const ServerOptions& options) {
  auto s = std::make_unique<ServerImpl>();
  PICTOR_RETURN_IF_ERROR(s->init(options));
  return std::unique_ptr<Server>(std::move(s));
}

}  // namespace pictor::server
