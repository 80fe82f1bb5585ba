#include "gateway/catalog.h"

#include <set>

namespace pictor::gateway {

using nlohmann::json;

json CatalogEntry::to_json() const {
  json lic = {{"name", license.name.empty() ? json(nullptr) : json(license.name)},
              {"commercial_use", license.commercial_use ? json(*license.commercial_use) : json(nullptr)},
              {"url", license.url.empty() ? json(nullptr) : json(license.url)}};
  auto opt = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {{"name", display_name.empty() ? id : display_name},
          {"organization", opt(organization)},
          {"description", opt(description)},
          {"release_date", opt(release_date)},
          {"license", lic},
          {"modalities", {{"input", input_modalities}, {"output", output_modalities}}},
          {"capabilities",
           {{"generations", capabilities.generations},
            {"edits", capabilities.edits},
            {"mask", capabilities.mask},
            {"transparency", capabilities.transparency},
            {"sizes", capabilities.sizes},
            {"qualities", capabilities.qualities},
            {"output_formats", capabilities.output_formats},
            {"max_n", capabilities.max_n}}}};
}

namespace {

Status bad(const std::string& where, const std::string& what) { return invalid_argument("providers file: " + where + ": " + what); }

Status get_string(const json& j, const char* key, const std::string& where, std::string& out) {
  if (!j.contains(key)) return Status::ok();
  if (!j[key].is_string()) return bad(where + "." + key, "must be a string");
  out = j[key];
  return Status::ok();
}

Status get_strings(const json& j, const char* key, const std::string& where, std::vector<std::string>& out,
                   const std::set<std::string>& allowed = {}) {
  if (!j.contains(key)) return Status::ok();
  if (!j[key].is_array()) return bad(where + "." + key, "must be an array of strings");
  std::vector<std::string> v;
  for (const auto& s : j[key]) {
    if (!s.is_string()) return bad(where + "." + key, "must be an array of strings");
    if (!allowed.empty() && !allowed.count(s.get<std::string>()))
      return bad(where + "." + key, "'" + s.get<std::string>() + "' is not one of the accepted values");
    v.push_back(s);
  }
  out = std::move(v);
  return Status::ok();
}

Status get_bool(const json& j, const char* key, const std::string& where, bool& out) {
  if (!j.contains(key)) return Status::ok();
  if (!j[key].is_boolean()) return bad(where + "." + key, "must be true or false");
  out = j[key];
  return Status::ok();
}

}  // namespace

Status CatalogEntry::apply(const json& f, const std::string& where) {
  static const std::set<std::string> kKeys = {"name", "organization", "description", "release_date", "license",
                                              "modalities", "capabilities", "routing"};
  for (const auto& [k, v] : f.items())
    if (!kKeys.count(k)) return bad(where + "." + k, "unknown key");
  PICTOR_RETURN_IF_ERROR(get_string(f, "name", where, display_name));
  PICTOR_RETURN_IF_ERROR(get_string(f, "organization", where, organization));
  PICTOR_RETURN_IF_ERROR(get_string(f, "description", where, description));
  PICTOR_RETURN_IF_ERROR(get_string(f, "release_date", where, release_date));
  PICTOR_RETURN_IF_ERROR(get_string(f, "routing", where, routing));
  if (!routing.empty() && routing != "price" && routing != "latency") return bad(where + ".routing", "must be price or latency");
  if (f.contains("license")) {
    const json& l = f["license"];
    const std::string w = where + ".license";
    if (!l.is_object()) return bad(w, "must be an object {name, commercial_use, url}");
    for (const auto& [k, v] : l.items())
      if (k != "name" && k != "commercial_use" && k != "url") return bad(w + "." + k, "unknown key");
    PICTOR_RETURN_IF_ERROR(get_string(l, "name", w, license.name));
    PICTOR_RETURN_IF_ERROR(get_string(l, "url", w, license.url));
    if (l.contains("commercial_use")) {
      if (!l["commercial_use"].is_boolean()) return bad(w + ".commercial_use", "must be true or false");
      license.commercial_use = l["commercial_use"].get<bool>();
    }
  }
  if (f.contains("modalities")) {
    const json& m = f["modalities"];
    const std::string w = where + ".modalities";
    if (!m.is_object()) return bad(w, "must be an object {input, output}");
    for (const auto& [k, v] : m.items())
      if (k != "input" && k != "output") return bad(w + "." + k, "unknown key");
    PICTOR_RETURN_IF_ERROR(get_strings(m, "input", w, input_modalities, {"text", "image"}));
    PICTOR_RETURN_IF_ERROR(get_strings(m, "output", w, output_modalities, {"image"}));
  }
  if (f.contains("capabilities")) {
    const json& c = f["capabilities"];
    const std::string w = where + ".capabilities";
    if (!c.is_object()) return bad(w, "must be an object");
    static const std::set<std::string> kCaps = {"generations", "edits", "mask", "transparency", "sizes", "qualities",
                                                "output_formats", "max_n"};
    for (const auto& [k, v] : c.items())
      if (!kCaps.count(k)) return bad(w + "." + k, "unknown key");
    PICTOR_RETURN_IF_ERROR(get_bool(c, "generations", w, capabilities.generations));
    PICTOR_RETURN_IF_ERROR(get_bool(c, "edits", w, capabilities.edits));
    PICTOR_RETURN_IF_ERROR(get_bool(c, "mask", w, capabilities.mask));
    PICTOR_RETURN_IF_ERROR(get_bool(c, "transparency", w, capabilities.transparency));
    PICTOR_RETURN_IF_ERROR(get_strings(c, "sizes", w, capabilities.sizes));
    PICTOR_RETURN_IF_ERROR(get_strings(c, "qualities", w, capabilities.qualities, {"low", "medium", "high", "auto"}));
    PICTOR_RETURN_IF_ERROR(get_strings(c, "output_formats", w, capabilities.output_formats, {"png", "jpeg", "webp"}));
    if (c.contains("max_n")) {
      if (!c["max_n"].is_number_integer() || c["max_n"].get<int>() < 1 || c["max_n"].get<int>() > 10)
        return bad(w + ".max_n", "must be an integer in 1–10");
      capabilities.max_n = c["max_n"];
    }
  }
  return Status::ok();
}

CatalogEntry local_catalog_entry(const std::string& id, const std::string& family, int native_width, int native_height,
                                 bool supports_edits, const std::map<std::string, std::string>& metadata) {
  CatalogEntry e;
  e.id = id;
  e.display_name = id;
  if (family == "pictor-mini") {
    e.organization = "pictor";
    e.description = "pictor's own natively multimodal model (prompt + optional image + optional mask → image), "
                    "trained from scratch on the procedural scenes world: shapes, colours, relations, counts, glyphs.";
  } else if (family == "sd-turbo") {
    e.organization = "Stability AI";
    e.description = "SD-Turbo: Stable Diffusion 2.1 distilled for 1–4 sampler steps.";
    e.license = {"Stability AI Non-Commercial Research Community License", false,
                 "https://huggingface.co/stabilityai/sd-turbo/blob/main/LICENSE.md"};
  } else if (family == "sd-1.x") {
    e.organization = "Runway / CompVis";
    e.description = "Stable Diffusion 1.x (latent diffusion, CLIP ViT-L/14 text encoder).";
    e.license = {"CreativeML OpenRAIL-M", true, "https://huggingface.co/spaces/CompVis/stable-diffusion-license"};
  } else if (family == "sd-2.x") {
    e.organization = "Stability AI";
    e.description = "Stable Diffusion 2.x (latent diffusion, OpenCLIP ViT-H/14 text encoder).";
    e.license = {"CreativeML OpenRAIL++-M", true, "https://huggingface.co/stabilityai/stable-diffusion-2-1/blob/main/LICENSE-MODEL"};
  }
  auto meta = [&](const char* key, std::string& out) {
    auto it = metadata.find(std::string("pictor.card.") + key);
    if (it != metadata.end() && !it->second.empty()) out = it->second;
  };
  meta("display_name", e.display_name);
  meta("organization", e.organization);
  meta("description", e.description);
  meta("release_date", e.release_date);
  meta("license", e.license.name);
  meta("license_url", e.license.url);
  std::string commercial;
  meta("commercial_use", commercial);
  if (commercial == "true") e.license.commercial_use = true;
  if (commercial == "false") e.license.commercial_use = false;
  if (supports_edits) e.input_modalities = {"text", "image"};
  e.capabilities.edits = supports_edits;
  e.capabilities.mask = supports_edits;
  e.capabilities.sizes = {"auto"};
  if (native_width > 0) e.capabilities.sizes.push_back(std::to_string(native_width) + "x" + std::to_string(native_height));
  return e;
}

CatalogEntry upstream_catalog_entry(const std::string& id) {
  CatalogEntry e;
  e.id = id;
  e.display_name = id;
  e.input_modalities = {"text", "image"};
  e.capabilities.edits = true;
  e.capabilities.mask = true;
  e.capabilities.sizes = {"auto"};
  return e;
}

}  // namespace pictor::gateway
