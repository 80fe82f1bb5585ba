#pragma once
// Euler sampler for rectified flow: x_t = (1 − t)·x0 + t·ε, the model predicts v = ε − x0, and
// dx/dt = v, so integrating from t = 1 (noise) to t = 0 (image) takes steps of −Δt·v.
#include <ATen/core/Tensor.h>

#include <atomic>
#include <functional>
#include <vector>

namespace pictor::engine {

// Times from 1 to 0 (steps + 1 values). shift > 1 spends more steps at high noise (SD3-style).
std::vector<double> flow_timesteps(int steps, double shift = 1.0);

// velocity(x [N, C, H, W], t) → v [N, C, H, W]. on_step(step) after each step (1-based).
// Returns x at t = 0, or an undefined tensor when `cancel` was raised between steps.
// start_step > 0 skips the first steps (image-to-image starts from a partly noised input).
// project(x, step), if given, may rewrite x (now at times[step]) after each step: inpainting
// puts the known area back on its own path there.
at::Tensor sample_flow_euler(const std::function<at::Tensor(const at::Tensor&, double)>& velocity,
                             at::Tensor x, const std::vector<double>& times,
                             const std::function<void(int)>& on_step,
                             const std::atomic<bool>* cancel, int start_step = 0,
                             const std::function<void(at::Tensor&, int)>& project = {});

}  // namespace pictor::engine
