#pragma once
// The model catalog: one entry per model the server offers — who made it, what it is, its licence,
// modalities and capabilities. Local models get theirs from their files (family defaults, then any
// `pictor.card.*` keys in the weights' metadata); upstream models from the providers file's
// `catalog` section (which may also amend a local entry). Providers and measured figures are added
// by the server when it renders an entry.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace pictor::gateway {

struct CatalogEntry {
  std::string id;
  std::string display_name;
  std::string organization;
  std::string description;
  std::string release_date;          // "YYYY-MM-DD" or ""
  struct License {
    std::string name;                // "" = not stated
    std::optional<bool> commercial_use;
    std::string url;
  } license;
  std::vector<std::string> input_modalities = {"text"};
  std::vector<std::string> output_modalities = {"image"};
  struct Capabilities {
    bool generations = true, edits = false, mask = false, transparency = false;
    std::vector<std::string> sizes;  // "auto" and/or "WxH"
    std::vector<std::string> qualities = {"low", "medium", "high"};
    std::vector<std::string> output_formats = {"png", "jpeg", "webp"};
    int max_n = 10;
  } capabilities;
  std::string routing;               // "" = the server's default

  // The catalog fields as JSON (without the OpenAI list fields or providers).
  nlohmann::json to_json() const;
  // Overrides fields from a providers-file `catalog` object; unknown keys or wrong types are
  // invalid_argument naming `where.key`.
  Status apply(const nlohmann::json& fields, const std::string& where);
};

// A local model's entry: family defaults plus `pictor.card.*` metadata (display_name, organization,
// description, release_date, license, license_url, commercial_use = "true"|"false").
CatalogEntry local_catalog_entry(const std::string& id, const std::string& family, int native_width, int native_height,
                                 bool supports_edits, const std::map<std::string, std::string>& metadata);
// An upstream-only model's starting entry (then the providers file's catalog fields apply).
CatalogEntry upstream_catalog_entry(const std::string& id);

}  // namespace pictor::gateway
