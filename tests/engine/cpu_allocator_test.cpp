// The caching CPU allocator (engine/cpu_allocator.h): large buffers are reused for the same and
// near sizes, small ones stay with libtorch's default allocator, libtorch's raw scratch buffers
// (raw_allocate / raw_deallocate) of both kinds come back safely, data survives, and the blocks it
// holds never exceed the most it had in use at once.
#include "engine/cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/device.h"

namespace pictor::engine {
namespace {

constexpr int64_t kMiB = 1 << 20;

at::Tensor mib_tensor(int64_t mib) { return torch::empty({mib * kMiB / 4}, torch::kFloat); }

TEST(CachingCpuAllocator, ReusesFreedLargeBlocksAndKeepsWithinItsPeak) {
  set_threads(1);  // installs the allocator, as every engine entry point does
  ASSERT_TRUE(cpu_allocator_stats().installed);
  { auto warm = mib_tensor(24); }
  const auto before = cpu_allocator_stats();
  for (int i = 0; i < 5; ++i) {
    auto t = mib_tensor(24);
    t.fill_(float(i));
    EXPECT_EQ(t.sum().item<double>(), double(i) * 24 * kMiB / 4);
  }
  const auto after = cpu_allocator_stats();
  EXPECT_EQ(after.misses, before.misses) << "the same size is served from the cache";
  EXPECT_EQ(after.hits, before.hits + 5);
  // A slightly smaller request takes the cached block (best fit, at most 1/8 wasted); one half
  // the size does not (a bf16 copy must not sit in its fp32 original's block).
  { auto smaller = mib_tensor(22); }
  EXPECT_EQ(cpu_allocator_stats().misses, after.misses);
  { auto half = mib_tensor(12); }
  EXPECT_EQ(cpu_allocator_stats().misses, after.misses + 1);

  // Sizes that never repeat: the mapped total (in use + cached) stays within the peak in use.
  std::vector<at::Tensor> held;
  for (int64_t mib = 3; mib < 40; mib += 3) {
    held.push_back(mib_tensor(mib));
    if (held.size() > 3) held.erase(held.begin());
    const auto s = cpu_allocator_stats();
    EXPECT_LE(s.in_use_bytes + s.cached_bytes, s.peak_in_use_bytes);
  }
  held.clear();
  EXPECT_GT(cpu_allocator_stats().cached_bytes, 0u);
  release_cached_cpu_memory();
  EXPECT_EQ(cpu_allocator_stats().cached_bytes, 0u);
  { auto again = mib_tensor(24); }  // a miss now, and cached again afterwards
  EXPECT_EQ(cpu_allocator_stats().cached_bytes, size_t(24 * kMiB));
}

TEST(CachingCpuAllocator, SmallTensorsAndRawScratchBuffersOfBothKinds) {
  set_threads(1);
  const auto before = cpu_allocator_stats();
  auto small = torch::arange(1000, torch::kFloat);  // 4 KB: the default allocator's
  EXPECT_EQ(small.sum().item<double>(), 999.0 * 1000 / 2);
  { auto below = mib_tensor(4); }  // under the 8 MiB threshold: the default allocator's too
  EXPECT_EQ(cpu_allocator_stats().misses + cpu_allocator_stats().hits, before.misses + before.hits);
  // libtorch frees raw_allocate()d scratch through raw_deleter(): both sizes must come back.
  c10::Allocator* a = c10::GetCPUAllocator();
  ASSERT_NE(a->raw_deleter(), nullptr);
  void* little = a->raw_allocate(4096);
  void* large = a->raw_allocate(8 * kMiB);
  static_cast<char*>(little)[4095] = 1;
  static_cast<char*>(large)[8 * kMiB - 1] = 1;
  a->raw_deallocate(little);
  a->raw_deallocate(large);
  // An op that makes strided scratch on the way (gelu of a non-contiguous view) runs cleanly.
  // (torch's strided and contiguous gelu kernels differ in the last bits.)
  auto wide = torch::randn({512, 1024});
  auto g = torch::gelu(wide.slice(1, 0, 512));
  EXPECT_LT((g - torch::gelu(wide.slice(1, 0, 512).contiguous())).abs().max().item<float>(), 1e-5);
}

}  // namespace
}  // namespace pictor::engine
