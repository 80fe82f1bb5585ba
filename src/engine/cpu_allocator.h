#pragma once
// A caching allocator for libtorch's large CPU buffers (engine-internal).
//
// Why: a denoising step allocates and frees the same activation sizes (21–84 MB at 512²) every
// layer. glibc serves blocks over 32 MB with a fresh mmap and unmaps them on free, so each one
// is page-faulted and zeroed by the kernel again (measured A/B, same build: SD UNet step
// 4.2–4.8 → 3.9–4.3 s, TAESD decode 0.65–0.83 → 0.51–0.54 s; docs/benchmarks.md). Here freed
// large blocks (8 MiB and more) are kept and handed out again for the same or a slightly smaller
// (rounded) size, in transparent huge pages where the kernel allows them.
//
// Memory bound: the blocks the allocator holds (in use + cached) never exceed the most it ever
// had in use at once; a request that does not fit evicts cached blocks first. So peak RSS does not
// grow, and a process whose working set shrinks keeps at most its earlier peak mapped.
#include <cstddef>

namespace pictor::engine {

// Installs the allocator as libtorch's CPU allocator (once; later calls do nothing). Blocks under
// 8 MiB stay with libtorch's default allocator. Set PICTOR_CPU_ALLOCATOR=default to opt out.
void install_caching_cpu_allocator();

// Unmaps every cached block. For after a phase whose buffers will not come back in the same sizes
// (loading a model: the fp32 copies freed by a cast to bf16), so that they do not stay resident.
void release_cached_cpu_memory();

struct CpuAllocatorStats {
  size_t in_use_bytes = 0;  // large blocks held by tensors
  size_t cached_bytes = 0;  // large blocks freed and kept for reuse
  size_t peak_in_use_bytes = 0;
  size_t hits = 0, misses = 0;  // large requests served from the cache / by a new mapping
  bool installed = false;
};
CpuAllocatorStats cpu_allocator_stats();

}  // namespace pictor::engine
