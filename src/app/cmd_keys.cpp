// pictor keys: create, list and revoke the API keys that `pictor serve` accepts. Keys live in the
// store (<data dir>/pictor.db) as SHA-256 hashes; the key itself is printed once, at creation.
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "store/api_keys.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace pictor::app {

namespace {

struct KeysFlags {
  std::string data_dir;  // "" = store::default_data_dir()
  std::string store;     // "" = the data directory's SQLite file; postgresql://… = a shared store
  std::string name;
  int rate_limit = 0;
  bool admin = false;
  bool json = false;
  std::string target;  // revoke: id or name
};

// Where the keys live, for messages.
std::string db_path(const KeysFlags& f) {
  if (!f.store.empty()) return store::redact_store_location(f.store);
  return store::sqlite_path(f.data_dir.empty() ? store::default_data_dir() : f.data_dir);
}

// Opens the store; `create` = false leaves a missing store missing (reading commands never create).
Result<std::unique_ptr<store::Store>> open_store(const KeysFlags& f, bool create) {
  if (!f.store.empty()) return store::open_store(f.store);
  const std::string path = db_path(f);
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) return std::unique_ptr<store::Store>();
  return store::open_sqlite_store(path);
}

Status check_name(const std::string& name) { return store::check_api_key_name(name, "--name"); }

std::string utc(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int run_create(const KeysFlags& f) {
  if (Status s = check_name(f.name); !s.is_ok()) return fail(s);
  auto st = open_store(f, /*create=*/true);
  if (!st.is_ok()) return fail(st.status());
  const std::string key = store::generate_api_key();
  store::ApiKeyRecord rec;
  rec.id = store::new_id("key");
  rec.name = f.name;
  rec.prefix = store::key_prefix(key);
  rec.hash = store::hash_api_key(key);
  rec.created_at_ms = store::now_ms();
  rec.rate_limit_per_minute = f.rate_limit;
  rec.admin = f.admin;
  if (Status s = (*st)->insert_api_key(rec); !s.is_ok()) return fail(s);
  std::printf("%s\n", key.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "created %sAPI key '%s' (%s) in %s\n", f.admin ? "admin " : "", rec.name.c_str(), rec.id.c_str(),
               db_path(f).c_str());
  std::fprintf(stderr, "save the key now: only its hash is stored, it cannot be shown again\n");
  return 0;
}

int run_list(const KeysFlags& f) {
  auto st = open_store(f, /*create=*/false);
  if (!st.is_ok()) return fail(st.status());
  std::vector<store::ApiKeyRecord> keys;
  if (*st) {
    auto r = (*st)->list_api_keys();
    if (!r.is_ok()) return fail(r.status());
    keys = std::move(*r);
  }
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& k : keys)
      out.push_back({{"id", k.id},
                     {"name", k.name},
                     {"prefix", k.prefix},
                     {"created_at", k.created_at_ms / 1000},
                     {"revoked_at", k.revoked_at_ms ? nlohmann::json(k.revoked_at_ms / 1000) : nlohmann::json()},
                     {"status", k.revoked_at_ms ? "revoked" : "active"},
                     {"rate_limit_per_minute", k.rate_limit_per_minute},
                     {"admin", k.admin}});
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  if (keys.empty()) {
    std::fprintf(stderr, "no API keys in %s (create one with: pictor keys create --name NAME)\n", db_path(f).c_str());
    return 0;
  }
  std::printf("%-28s  %-20s  %-12s  %-19s  %-8s  %s\n", "ID", "NAME", "PREFIX", "CREATED (UTC)", "STATUS",
              "RATE/MIN");
  for (const auto& k : keys) {
    const std::string rate = k.rate_limit_per_minute ? std::to_string(k.rate_limit_per_minute) : "default";
    std::printf("%-28s  %-20s  %-12s  %-19s  %-8s  %s\n", k.id.c_str(), k.name.c_str(), (k.prefix + "...").c_str(),
                utc(k.created_at_ms).c_str(), k.revoked_at_ms ? "revoked" : "active", rate.c_str());
  }
  return 0;
}

int run_revoke(const KeysFlags& f) {
  auto st = open_store(f, /*create=*/false);
  if (!st.is_ok()) return fail(st.status());
  if (!*st) return fail(not_found("no API key '" + f.target + "' (there is no store at " + db_path(f) + ")"));
  auto keys = (*st)->list_api_keys();
  if (!keys.is_ok()) return fail(keys.status());
  const store::ApiKeyRecord* before = nullptr;
  for (const auto& k : *keys)
    if (k.id == f.target || (!before && k.name == f.target)) before = &k;
  if (Status s = (*st)->revoke_api_key(f.target, store::now_ms()); !s.is_ok()) return fail(s);
  if (before && before->revoked_at_ms)
    std::printf("API key '%s' (%s) was already revoked on %s UTC\n", before->name.c_str(), before->id.c_str(),
                utc(before->revoked_at_ms).c_str());
  else if (before)
    std::printf("revoked API key '%s' (%s)\n", before->name.c_str(), before->id.c_str());
  else
    std::printf("revoked API key %s\n", f.target.c_str());
  return 0;
}

}  // namespace

Command add_keys_command(CLI::App& root) {
  auto flags = std::make_shared<KeysFlags>();
  auto* cmd = root.add_subcommand("keys", "create, list and revoke API keys for `pictor serve`");
  cmd->require_subcommand(1);
  const std::string store_help = "postgresql://… : the shared store of a scale-out deployment (default: the data directory's SQLite file)";
  const std::string dir_help = "data directory holding pictor.db (default: $PICTOR_DATA_DIR, else "
                               "$XDG_DATA_HOME/pictor, else ~/.local/share/pictor)";

  auto* create = cmd->add_subcommand("create", "create a key and print it once");
  create->add_option("--name", flags->name, "a unique name for the key (who or what uses it)")->required();
  create->add_option("--rate-limit", flags->rate_limit, "requests per minute; 0 = the server's default")
      ->check(CLI::NonNegativeNumber);
  create->add_flag("--admin", flags->admin, "give the key the admin scope (arena moderation, key management)");
  create->add_option("--data-dir", flags->data_dir, dir_help);
  create->add_option("--store", flags->store, store_help);

  auto* list = cmd->add_subcommand("list", "list keys (never the keys themselves: only their prefixes)");
  list->add_flag("--json", flags->json, "print a JSON array");
  list->add_option("--data-dir", flags->data_dir, dir_help);
  list->add_option("--store", flags->store, store_help);

  auto* revoke = cmd->add_subcommand("revoke", "revoke a key by id or name; the server refuses it from then on");
  revoke->add_option("key", flags->target, "the key's id (key_…) or name")->required();
  revoke->add_option("--data-dir", flags->data_dir, dir_help);
  revoke->add_option("--store", flags->store, store_help);

  return {cmd, [flags, create, list, revoke] {
            if (create->parsed()) return run_create(*flags);
            if (list->parsed()) return run_list(*flags);
            if (revoke->parsed()) return run_revoke(*flags);
            return 2;
          }};
}

}  // namespace pictor::app
