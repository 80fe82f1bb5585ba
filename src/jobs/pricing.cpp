#include "jobs/pricing.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace pictor::jobs {

// Defaults: pictor-mini costs a fraction of a cent (about 1/10 of gpt-image-1-mini's low price);
// real SD models cost more because each image takes seconds of CPU rather than fractions.
PriceTable::PriceTable()
    : table_{{"pictor-mini", {{"low", 0.0005}, {"medium", 0.001}, {"high", 0.002}}},
             {"*", {{"low", 0.002}, {"medium", 0.004}, {"high", 0.008}}}} {}

Result<PriceTable> PriceTable::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return invalid_argument(std::string("price table is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return invalid_argument("price table must be a JSON object of models");
  PriceTable t;
  for (auto& [model, qualities] : j.items()) {
    if (!qualities.is_object()) return invalid_argument("price table: \"" + model + "\" must be an object of qualities");
    auto& row = t.table_[model];
    for (auto& [q, price] : qualities.items()) {
      if (q != "low" && q != "medium" && q != "high")
        return invalid_argument("price table: \"" + model + "\" has unknown quality \"" + q + "\" (low, medium, high)");
      if (!price.is_number() || price.get<double>() < 0)
        return invalid_argument("price table: \"" + model + "." + q + "\" must be a non-negative number");
      row[q] = price.get<double>();
    }
  }
  return t;
}

Result<PriceTable> PriceTable::from_json_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return io_error("cannot read price table " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return from_json(ss.str());
}

double PriceTable::price_per_image(const std::string& model, const std::string& quality) const {
  const std::string q = (quality == "low" || quality == "high") ? quality : "medium";
  for (const std::string& key : {model, std::string("*")}) {
    auto it = table_.find(key);
    if (it == table_.end()) continue;
    auto p = it->second.find(q);
    if (p != it->second.end()) return p->second;
  }
  return 0.0;
}

}  // namespace pictor::jobs
