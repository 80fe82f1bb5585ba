#pragma once
// Renderings shared by routes_models.cpp and routes_providers.cpp (see catalog_view.cpp).
#include <nlohmann/json.hpp>

#include <set>

#include "server/context.h"

namespace pictor::server {

// One row of the providers table: provider, kind, price $/image, latency p50/p95 s, error rate,
// availability, measured cost, circuit, concurrency, input and output modalities.
nlohmann::json provider_row_json(const gateway::Router::Row& row, const gateway::CatalogEntry& entry);

// The OpenAI model object plus the catalog fields, price per quality (the cheapest provider's) and
// measured latency; `full` adds each provider's row with its measured figures (GET /v1/models/{id}).
nlohmann::json model_json(ServerContext& ctx, const std::string& name, bool full);

}  // namespace pictor::server
