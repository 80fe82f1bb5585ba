#pragma once
// Loading and saving a torch::nn::Module by its registered names (the checkpoint's own keys).
// Loading is strict: every missing, unexpected and mis-shaped tensor is reported in one error.
#include <torch/nn/module.h>

#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine {

// Copies tensors named `prefix + parameter name` from `file` into `module` (converting dtype).
// Tensors in the file that start with `prefix` but match no parameter are "unexpected".
// Parameters named in `growable_rows` may have fewer rows in the file than in the model (a
// vocabulary that grew): the file's rows fill the first rows, the rest keep their values.
Status load_module_strict(torch::nn::Module& module, const weights::SafetensorsFile& file,
                          const std::string& prefix = "",
                          const std::set<std::string>& growable_rows = {});

// The one-line report of a strict load: header, then up to 8 names per list
// ("2 missing (a, b); 1 wrong shape (c (file [3], model [4]));"), as corrupt_data.
Status tensor_mismatch_error(const std::string& header, const std::vector<std::string>& missing,
                             const std::vector<std::string>& unexpected, const std::vector<std::string>& misshaped);

// Adds every parameter and buffer of `module` as `prefix + name` in `dtype` (kFloat or kBFloat16).
void add_module_tensors(const torch::nn::Module& module, weights::SafetensorsWriter& writer,
                        c10::ScalarType dtype, const std::string& prefix = "");

// Tensor <-> safetensors helpers. `info` data is copied.
at::Tensor tensor_from_info(const weights::TensorInfo& info);
void add_tensor(weights::SafetensorsWriter& writer, const std::string& name, const at::Tensor& t);

}  // namespace pictor::engine
