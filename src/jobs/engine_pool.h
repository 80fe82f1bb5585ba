#pragma once
// EnginePool: the models a server offers, loaded on first use and kept. generate() on one engine is
// serialised (one model's modules are not shared between concurrent sampler loops); different
// models run in parallel when there are several workers.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/engine.h"

namespace pictor::jobs {

class EnginePool {
 public:
  // models: names or paths offered (the first is the default).
  EnginePool(std::vector<std::string> models, engine::LoadOptions load_options);
  const std::vector<std::string>& models() const { return models_; }
  const std::string& default_model() const { return models_.front(); }
  bool offers(const std::string& model) const;

  struct Lease {
    engine::Engine* engine = nullptr;
    std::unique_lock<std::mutex> lock;  // held while generating
  };
  // Loads the model when needed; not_found for a model this pool does not offer.
  Result<Lease> acquire(const std::string& model);
  // Loads every offered model now (readiness); the first error is returned.
  Status preload();
  // Info of a loaded model, else nullptr.
  const engine::ModelInfo* info(const std::string& model);
  bool all_loaded();

 private:
  struct Entry {
    std::unique_ptr<engine::Engine> engine;
    std::mutex run_mutex;
  };
  Result<Entry*> load(const std::string& model);

  std::vector<std::string> models_;
  engine::LoadOptions load_options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>> loaded_;
};

}  // namespace pictor::jobs
