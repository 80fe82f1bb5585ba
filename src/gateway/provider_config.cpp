#include "gateway/provider_config.h"

#include <fstream>
#include <set>
#include <sstream>

namespace pictor::gateway {

using nlohmann::json;

const char* provider_kind_name(ProviderKind kind) {
  switch (kind) {
    case ProviderKind::kLocal: return "local";
    case ProviderKind::kOpenAI: return "openai";
    case ProviderKind::kOpenAICompatible: return "openai-compatible";
    case ProviderKind::kPictor: return "pictor";
  }
  return "?";
}

double PriceSchedule::price(const std::string& quality, const std::string& size) const {
  const std::string q = quality == "auto" || quality.empty() ? "medium" : quality;
  if (auto s = by_size.find(size); s != by_size.end())
    if (auto p = s->second.find(q); p != s->second.end()) return p->second;
  if (auto p = by_quality.find(q); p != by_quality.end()) return p->second;
  return -1;
}

json PriceSchedule::to_json() const {
  json j = json::object();
  for (const auto& [q, p] : by_quality) j[q] = p;
  for (const auto& [size, row] : by_size) j[size] = row;
  return j;
}

namespace {

Status bad(const std::string& where, const std::string& what) {
  return invalid_argument("providers file: " + where + ": " + what);
}

Status check_keys(const json& obj, const std::string& where, const std::set<std::string>& known) {
  for (const auto& [k, v] : obj.items())
    if (!known.count(k)) return bad(where.empty() ? k : where + "." + k, "unknown key");
  return Status::ok();
}

bool is_quality(const std::string& q) { return q == "low" || q == "medium" || q == "high"; }

bool is_size(const std::string& s) {
  const auto x = s.find('x');
  if (x == std::string::npos || x == 0 || x + 1 == s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != x && !std::isdigit((unsigned char)s[i])) return false;
  return true;
}

Status parse_quality_prices(const json& j, const std::string& where, std::map<std::string, double>& out) {
  if (!j.is_object()) return bad(where, "must be an object of quality → $ per image");
  for (const auto& [q, p] : j.items()) {
    if (!is_quality(q)) return bad(where + "." + q, "quality must be low, medium or high");
    if (!p.is_number() || p.get<double>() < 0) return bad(where + "." + q, "price must be a number ≥ 0 ($ per image)");
    out[q] = p.get<double>();
  }
  return Status::ok();
}

Status parse_prices(const json& j, const std::string& where, PriceSchedule& out) {
  if (!j.is_object()) return bad(where, "must be an object");
  for (const auto& [k, v] : j.items()) {
    if (is_quality(k)) {
      if (!v.is_number() || v.get<double>() < 0) return bad(where + "." + k, "price must be a number ≥ 0 ($ per image)");
      out.by_quality[k] = v.get<double>();
    } else if (is_size(k)) {
      PICTOR_RETURN_IF_ERROR(parse_quality_prices(v, where + "." + k, out.by_size[k]));
    } else {
      return bad(where + "." + k, "expected low, medium, high or a size such as 1024x1024");
    }
  }
  return Status::ok();
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

Result<ProviderConfig> parse_provider(const json& j, const std::string& where, const EnvLookup& env) {
  if (!j.is_object()) return bad(where, "must be an object");
  PICTOR_RETURN_IF_ERROR(check_keys(j, where, {"name", "kind", "base_url", "api_key_env", "models", "prices", "priority",
                                               "timeout_s", "max_concurrency"}));
  ProviderConfig p;
  if (!j.contains("name") || !j["name"].is_string() || !valid_name(j["name"].get<std::string>()))
    return bad(where + ".name", "required: letters, digits, '-', '_' or '.', at most 64");
  p.name = j["name"];
  if (p.name == "local") return bad(where + ".name", "'local' is pictor's own engines; pick another name");
  const std::string kind = j.value("kind", "");
  if (kind == "openai") p.kind = ProviderKind::kOpenAI;
  else if (kind == "openai-compatible") p.kind = ProviderKind::kOpenAICompatible;
  else if (kind == "pictor") p.kind = ProviderKind::kPictor;
  else return bad(where + ".kind", "must be openai, openai-compatible or pictor");
  if (!j.contains("base_url") || !j["base_url"].is_string()) return bad(where + ".base_url", "required (\"https://host/v1\")");
  p.base_url = j["base_url"];
  while (!p.base_url.empty() && p.base_url.back() == '/') p.base_url.pop_back();
  if (p.base_url.rfind("http://", 0) != 0 && p.base_url.rfind("https://", 0) != 0)
    return bad(where + ".base_url", "must start with http:// or https://");
  if (j.contains("api_key_env")) {
    if (!j["api_key_env"].is_string()) return bad(where + ".api_key_env", "must be the name of an environment variable");
    p.api_key_env = j["api_key_env"];
    const char* key = p.api_key_env.empty() ? nullptr : env(p.api_key_env.c_str());
    if (!key || !*key)
      return bad(where + ".api_key_env", "the environment variable " + p.api_key_env + " is not set (the key is read from it)");
    p.api_key = key;
  }
  if (!j.contains("models") || !j["models"].is_object() || j["models"].empty())
    return bad(where + ".models", "required: an object of model id → the upstream's model name");
  for (const auto& [id, upstream] : j["models"].items()) {
    if (!valid_name(id)) return bad(where + ".models." + id, "model ids use letters, digits, '-', '_' or '.'");
    if (!upstream.is_string() || upstream.get<std::string>().empty())
      return bad(where + ".models." + id, "must be the upstream's model name");
    p.models[id] = upstream;
  }
  if (j.contains("prices")) PICTOR_RETURN_IF_ERROR(parse_prices(j["prices"], where + ".prices", p.prices));
  if (j.contains("priority")) {
    if (!j["priority"].is_number_integer()) return bad(where + ".priority", "must be an integer");
    p.priority = j["priority"];
  }
  if (j.contains("timeout_s")) {
    if (!j["timeout_s"].is_number() || j["timeout_s"].get<double>() <= 0 || j["timeout_s"].get<double>() > 3600)
      return bad(where + ".timeout_s", "must be a number of seconds in (0, 3600]");
    p.timeout_s = j["timeout_s"];
  }
  if (j.contains("max_concurrency")) {
    if (!j["max_concurrency"].is_number_integer() || j["max_concurrency"].get<int>() < 1 || j["max_concurrency"].get<int>() > 1024)
      return bad(where + ".max_concurrency", "must be an integer in 1–1024");
    p.max_concurrency = j["max_concurrency"];
  }
  return p;
}

Status parse_number(const json& obj, const char* key, const std::string& where, double lo, double hi, double& out) {
  if (!obj.contains(key)) return Status::ok();
  const json& v = obj[key];
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi)
    return bad(where + "." + key, "must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  out = v.get<double>();
  return Status::ok();
}

}  // namespace

Result<ProvidersFile> parse_providers(const std::string& text, const EnvLookup& env) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("providers file: not a JSON object");
  PICTOR_RETURN_IF_ERROR(check_keys(j, "", {"providers", "routing", "catalog", "retry", "circuit_breaker"}));
  ProvidersFile f;
  if (!j.contains("providers") || !j["providers"].is_array()) return bad("providers", "required: an array");
  std::set<std::string> names;
  for (size_t i = 0; i < j["providers"].size(); ++i) {
    const std::string where = "providers[" + std::to_string(i) + "]";
    auto p = parse_provider(j["providers"][i], where, env);
    if (!p.is_ok()) return p.status();
    if (!names.insert(p->name).second) return bad(where + ".name", "'" + p->name + "' is named twice");
    f.providers.push_back(std::move(*p));
  }
  if (j.contains("routing")) {
    if (!j["routing"].is_string() || (j["routing"] != "price" && j["routing"] != "latency"))
      return bad("routing", "must be price or latency");
    f.routing = j["routing"];
  }
  if (j.contains("catalog")) {
    if (!j["catalog"].is_object()) return bad("catalog", "must be an object of model id → catalog fields");
    for (const auto& [id, entry] : j["catalog"].items()) {
      if (!entry.is_object()) return bad("catalog." + id, "must be an object");
      f.catalog[id] = entry;
    }
  }
  if (j.contains("retry")) {
    const json& r = j["retry"];
    if (!r.is_object()) return bad("retry", "must be an object");
    PICTOR_RETURN_IF_ERROR(check_keys(r, "retry", {"max_attempts", "base_delay_ms", "max_delay_ms", "max_retry_after_s"}));
    double v = f.retry.max_attempts;
    PICTOR_RETURN_IF_ERROR(parse_number(r, "max_attempts", "retry", 1, 10, v));
    f.retry.max_attempts = int(v);
    v = f.retry.base_delay_ms;
    PICTOR_RETURN_IF_ERROR(parse_number(r, "base_delay_ms", "retry", 0, 60000, v));
    f.retry.base_delay_ms = int(v);
    v = f.retry.max_delay_ms;
    PICTOR_RETURN_IF_ERROR(parse_number(r, "max_delay_ms", "retry", 0, 600000, v));
    f.retry.max_delay_ms = int(v);
    PICTOR_RETURN_IF_ERROR(parse_number(r, "max_retry_after_s", "retry", 0, 3600, f.retry.max_retry_after_s));
  }
  if (j.contains("circuit_breaker")) {
    const json& c = j["circuit_breaker"];
    if (!c.is_object()) return bad("circuit_breaker", "must be an object");
    PICTOR_RETURN_IF_ERROR(check_keys(c, "circuit_breaker", {"failure_threshold", "cooldown_s"}));
    double v = f.circuit.failure_threshold;
    PICTOR_RETURN_IF_ERROR(parse_number(c, "failure_threshold", "circuit_breaker", 1, 1000, v));
    f.circuit.failure_threshold = int(v);
    PICTOR_RETURN_IF_ERROR(parse_number(c, "cooldown_s", "circuit_breaker", 0, 86400, f.circuit.cooldown_s));
  }
  return f;
}

Result<ProvidersFile> load_providers_file(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return io_error("cannot read the providers file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto f = parse_providers(ss.str(), env);
  if (!f.is_ok()) return Status(f.status().code(), path + ": " + f.status().message());
  return f;
}

}  // namespace pictor::gateway
