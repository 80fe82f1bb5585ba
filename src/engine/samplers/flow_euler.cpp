#include "engine/samplers/flow_euler.h"

#include <torch/torch.h>

namespace pictor::engine {

std::vector<double> flow_timesteps(int steps, double shift) {
  std::vector<double> t(size_t(steps) + 1);
  for (int i = 0; i <= steps; ++i) {
    double u = 1.0 - double(i) / steps;
    t[size_t(i)] = shift * u / (1.0 + (shift - 1.0) * u);
  }
  return t;
}

at::Tensor sample_flow_euler(const std::function<at::Tensor(const at::Tensor&, double)>& velocity,
                             at::Tensor x, const std::vector<double>& times,
                             const std::function<void(int)>& on_step,
                             const std::atomic<bool>* cancel, int start_step,
                             const std::function<void(at::Tensor&, int)>& project) {
  const int steps = int(times.size()) - 1;
  for (int i = start_step; i < steps; ++i) {
    if (cancel && cancel->load()) return {};
    auto v = velocity(x, times[size_t(i)]);
    x = x + (times[size_t(i) + 1] - times[size_t(i)]) * v;
    if (project) project(x, i + 1);
    if (on_step) on_step(i + 1);
  }
  return x;
}

}  // namespace pictor::engine
