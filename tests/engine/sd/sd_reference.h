#pragma once
// Helpers for the SD golden tests: reference tensors from tests/fixtures/sd-tiny-A/reference and
// the README's component tolerance, max|c - ref| <= 1e-4 * max(1, max|ref|).
#include <gtest/gtest.h>
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "engine/module_io.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine::sd::testing {

inline std::string fixture(const std::string& rel) {
  return std::string(PICTOR_TEST_FIXTURES) + "/sd-tiny-A/" + rel;
}

// A tensor from reference/inputs.safetensors or reference/refs_float32.safetensors.
inline at::Tensor reference_tensor(const std::string& file, const std::string& name) {
  auto f = weights::SafetensorsFile::open(fixture("reference/" + file));
  EXPECT_TRUE(f.is_ok()) << f.status().message();
  if (!f.is_ok()) return {};
  const auto* info = (*f)->find(name);
  EXPECT_NE(info, nullptr) << name;
  return info ? tensor_from_info(*info) : at::Tensor();
}
inline at::Tensor input(const std::string& name) { return reference_tensor("inputs.safetensors", name); }
inline at::Tensor ref(const std::string& name) { return reference_tensor("refs_float32.safetensors", name); }

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Checks `got` against `want` within rel * max(1, max|want|) and prints the measured error.
inline void expect_close(const at::Tensor& got, const at::Tensor& want, const std::string& what,
                         double rel = 1e-4) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double ref_max = want.abs().max().item<double>();
  const double err = max_abs_diff(got, want);
  const double tol = rel * std::max(1.0, ref_max);
  std::printf("  %-36s max|diff| %.3g (tolerance %.3g, max|ref| %.3g)\n", what.c_str(), err, tol, ref_max);
  EXPECT_LE(err, tol) << what;
}

inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("pictor-sd-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::create_directories(dir);
  return dir;
}

// Copies a safetensors file, dropping the tensor `drop` and giving `reshape` the shape `shape`
// (zero-filled), to make a broken checkpoint.
inline void write_broken_copy(const std::string& src, const std::string& dst, const std::string& drop,
                              const std::string& reshape, std::vector<int64_t> shape) {
  auto f = weights::SafetensorsFile::open(src);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  weights::SafetensorsWriter w;
  for (const auto& t : (*f)->tensors()) {
    if (t.name == drop) continue;
    if (t.name == reshape) {
      add_tensor(w, t.name, at::zeros(shape));
      continue;
    }
    w.add(t.name, t.dtype, t.shape, std::span<const uint8_t>(t.data, t.nbytes));
  }
  ASSERT_TRUE(w.write(dst).is_ok());
}

}  // namespace pictor::engine::sd::testing
