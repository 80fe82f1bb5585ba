#pragma once
// Engine implementation for pictor-mini weights files.
#include <memory>
#include <string>

#include "engine/engine.h"

namespace pictor::engine {

Result<std::unique_ptr<Engine>> load_pictor_mini_engine(const std::string& path, const LoadOptions& opts);

}  // namespace pictor::engine

#include "engine/models/pictor_mini_file.h"

namespace pictor::engine {
// Wraps an in-memory model (e.g. the EMA weights during training) as an Engine.
std::unique_ptr<Engine> make_pictor_mini_engine(PictorMiniFile file, const LoadOptions& opts,
                                                const std::string& path);
}  // namespace pictor::engine
