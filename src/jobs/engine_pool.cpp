#include "jobs/engine_pool.h"

#include <algorithm>

#include "core/log.h"

namespace pictor::jobs {

EnginePool::EnginePool(std::vector<std::string> models, engine::LoadOptions load_options)
    : models_(std::move(models)), load_options_(std::move(load_options)) {
  if (models_.empty()) models_.push_back("pictor-mini");
}

bool EnginePool::offers(const std::string& model) const {
  return std::find(models_.begin(), models_.end(), model) != models_.end();
}

Result<EnginePool::Entry*> EnginePool::load(const std::string& model) {
  if (!offers(model)) return not_found("model \"" + model + "\" is not served here");
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = loaded_.find(model);
  if (it != loaded_.end()) return it->second.get();
  auto engine = engine::Engine::load(model, load_options_);
  if (!engine.is_ok()) return engine.status();
  auto entry = std::make_unique<Entry>();
  entry->engine = std::move(*engine);
  log_event(LogLevel::kInfo, "model.loaded",
            {{"model", model}, {"path", entry->engine->info().path},
             {"load_s", entry->engine->info().load_seconds}});
  Entry* raw = entry.get();
  loaded_[model] = std::move(entry);
  return raw;
}

Result<EnginePool::Lease> EnginePool::acquire(const std::string& model) {
  auto entry = load(model);
  if (!entry.is_ok()) return entry.status();
  Lease lease;
  lease.engine = (*entry)->engine.get();
  lease.lock = std::unique_lock<std::mutex>((*entry)->run_mutex);
  return lease;
}

Status EnginePool::preload() {
  for (const auto& m : models_) {
    auto e = load(m);
    if (!e.is_ok()) return e.status();
  }
  return Status::ok();
}

const engine::ModelInfo* EnginePool::info(const std::string& model) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = loaded_.find(model);
  return it == loaded_.end() ? nullptr : &it->second->engine->info();
}

bool EnginePool::all_loaded() {
  std::lock_guard<std::mutex> lock(mutex_);
  return loaded_.size() == models_.size();
}

}  // namespace pictor::jobs
