#pragma once
// Bytes from the operating system's CSPRNG (getrandom, else /dev/urandom), for ids and API keys.
#include <cstddef>

namespace pictor::store {

// Fills `out` with `n` cryptographically random bytes. Aborts (PICTOR_ASSERT) if the OS has no
// randomness to give: ids and keys must never fall back to something predictable.
void random_bytes(void* out, size_t n);

}  // namespace pictor::store
