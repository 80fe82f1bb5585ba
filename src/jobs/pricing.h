#pragma once
// Price per image by model and quality (USD). Operators override the defaults with a JSON file:
//   {"pictor-mini": {"low": 0.0005, "medium": 0.001, "high": 0.002}, "*": {...}}
// "*" applies to models the table does not name. A job's cost is price × images.
#include <map>
#include <string>

#include "core/status.h"

namespace pictor::jobs {

class PriceTable {
 public:
  PriceTable();  // the documented defaults (docs/server.md)
  static Result<PriceTable> from_json_file(const std::string& path);
  static Result<PriceTable> from_json(const std::string& text);
  // quality: low | medium | high (auto counts as medium).
  double price_per_image(const std::string& model, const std::string& quality) const;

 private:
  std::map<std::string, std::map<std::string, double>> table_;
};

}  // namespace pictor::jobs
