#include "engine/module_io.h"

#include <torch/torch.h>

#include <set>
#include <sstream>

namespace pictor::engine {

namespace {

c10::ScalarType to_scalar_type(weights::DType d) {
  switch (d) {
    case weights::DType::kF32: return torch::kFloat;
    case weights::DType::kF16: return torch::kHalf;
    case weights::DType::kBF16: return torch::kBFloat16;
    case weights::DType::kF64: return torch::kDouble;
    case weights::DType::kI64: return torch::kLong;
    case weights::DType::kI32: return torch::kInt;
    case weights::DType::kI16: return torch::kShort;
    case weights::DType::kI8: return torch::kChar;
    case weights::DType::kU8: return torch::kByte;
    case weights::DType::kBool: return torch::kBool;
  }
  return torch::kFloat;
}

weights::DType to_dtype(c10::ScalarType t) {
  switch (t) {
    case torch::kFloat: return weights::DType::kF32;
    case torch::kHalf: return weights::DType::kF16;
    case torch::kBFloat16: return weights::DType::kBF16;
    case torch::kDouble: return weights::DType::kF64;
    case torch::kLong: return weights::DType::kI64;
    case torch::kInt: return weights::DType::kI32;
    case torch::kShort: return weights::DType::kI16;
    case torch::kChar: return weights::DType::kI8;
    case torch::kByte: return weights::DType::kU8;
    case torch::kBool: return weights::DType::kBool;
    default: throw std::runtime_error("unsupported tensor dtype for safetensors");
  }
}

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << "]";
  return o.str();
}

}  // namespace

at::Tensor tensor_from_info(const weights::TensorInfo& info) {
  // from_blob does not own the mmap'd bytes: clone so the tensor outlives the file.
  return torch::from_blob(const_cast<uint8_t*>(info.data), info.shape,
                          torch::TensorOptions().dtype(to_scalar_type(info.dtype)))
      .clone();
}

void add_tensor(weights::SafetensorsWriter& writer, const std::string& name, const at::Tensor& t) {
  auto c = t.detach().to(torch::kCPU).contiguous();
  std::vector<int64_t> shape(c.sizes().begin(), c.sizes().end());
  writer.add(name, to_dtype(c.scalar_type()), shape,
             std::span<const uint8_t>(static_cast<const uint8_t*>(c.data_ptr()), c.nbytes()));
}

Status load_module_strict(torch::nn::Module& module, const weights::SafetensorsFile& file,
                          const std::string& prefix, const std::set<std::string>& growable_rows) {
  std::vector<std::string> missing, misshaped;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  auto load_one = [&](const std::string& name, at::Tensor& target) {
    const std::string key = prefix + name;
    const weights::TensorInfo* info = file.find(key);
    if (!info) { missing.push_back(key); return; }
    used.insert(key);
    const auto& fs = info->shape;
    if (growable_rows.count(name) && fs.size() == size_t(target.dim()) && !fs.empty() &&
        fs[0] <= target.size(0) && at::IntArrayRef(fs).slice(1) == target.sizes().slice(1)) {
      target.slice(0, 0, fs[0]).copy_(tensor_from_info(*info).to(target.dtype()));
      return;
    }
    if (at::IntArrayRef(info->shape) != target.sizes()) {
      misshaped.push_back(key + " (file " + shape_str(info->shape) + ", model " +
                          shape_str(target.sizes()) + ")");
      return;
    }
    target.copy_(tensor_from_info(*info).to(target.dtype()));
  };
  for (auto& p : module.named_parameters(true)) load_one(p.key(), p.value());
  for (auto& b : module.named_buffers(true)) load_one(b.key(), b.value());
  std::vector<std::string> unexpected;
  for (const auto& t : file.tensors())
    if (t.name.rfind(prefix, 0) == 0 && !used.count(t.name)) unexpected.push_back(t.name);
  if (missing.empty() && misshaped.empty() && unexpected.empty()) return Status::ok();

  return tensor_mismatch_error("weights in " + file.path() + " do not match the model:", missing, unexpected,
                               misshaped);
}

Status tensor_mismatch_error(const std::string& header, const std::vector<std::string>& missing,
                             const std::vector<std::string>& unexpected, const std::vector<std::string>& misshaped) {
  std::ostringstream msg;
  msg << header;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    msg << " " << v.size() << " " << what << " (";
    for (size_t i = 0; i < v.size() && i < 8; ++i) msg << (i ? ", " : "") << v[i];
    if (v.size() > 8) msg << ", …";
    msg << ");";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("wrong shape", misshaped);
  return corrupt_data(msg.str());
}

void add_module_tensors(const torch::nn::Module& module, weights::SafetensorsWriter& writer,
                        c10::ScalarType dtype, const std::string& prefix) {
  for (const auto& p : module.named_parameters(true))
    add_tensor(writer, prefix + p.key(), p.value().to(dtype));
  for (const auto& b : module.named_buffers(true))
    add_tensor(writer, prefix + b.key(), b.value());
}

}  // namespace pictor::engine
