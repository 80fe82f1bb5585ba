#pragma once
// Engine implementation for pictor-mini weights files.
#include <memory>
#include <string>

#include "engine/engine.h"

namespace pictor::engine {

Result<std::unique_ptr<Engine>> load_pictor_mini_engine(const std::string& path, const LoadOptions& opts);

}  // namespace pictor::engine
