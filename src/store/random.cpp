#include "store/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>

#include "core/status.h"

namespace pictor::store {

void random_bytes(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(p + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // ENOSYS on very old kernels: fall back to the device
    }
  }
  if (got < n) {
    FILE* f = std::fopen("/dev/urandom", "rb");
    PICTOR_ASSERT(f != nullptr);
    got += std::fread(p + got, 1, n - got, f);
    std::fclose(f);
  }
  PICTOR_ASSERT(got == n);
}

}  // namespace pictor::store
