#pragma once
// Renderings shared by routes_models.cpp and routes_providers.cpp (see catalog_view.cpp).
#include <nlohmann/json.hpp>

#include <set>

#include "server/context.h"

namespace pictor::server {

// One row of the providers table: provider, kind, price $/image, latency p50/p95 s, error rate,
// availability, measured cost, circuit, concurrency, input and output modalities.
nlohmann::json provider_row_json(const gateway::Router::Row& row, const gateway::CatalogEntry& entry);

}  // namespace pictor::server
