// Memory mappings exposed to JS as external ArrayBuffers.
#ifndef KCHAN_NATIVE_MMAP_H_
#define KCHAN_NATIVE_MMAP_H_

#include <napi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace kchan {

// One mapped range. Whoever drops the last reference to a Region that still
// owns its pages munmaps them: that is the external ArrayBuffer's finalizer
// (JS views may outlive the Mapping object), the Mapping itself, or a native
// user that pinned it. Explicit unmap/unmapRange/remap clear `owned` after
// munmap/mremap and detach the ArrayBuffer, so JS can never reach the pages
// again and nothing munmaps them twice.
struct Region {
  uint8_t* addr = nullptr;
  size_t length = 0;  // bytes visible to JS (the requested length)
  size_t maplen = 0;  // page-rounded length actually mapped
  bool owned = false;
  // Native users (the test producer thread); unmap is refused while > 0.
  std::atomic<int> pins{0};
  ~Region();
};
using RegionPtr = std::shared_ptr<Region>;

// Returns the Region behind a Mapping handle, or throws TypeError.
RegionPtr RegionOf(Napi::Env env, Napi::Value v, const char* name);

}  // namespace kchan

#endif  // KCHAN_NATIVE_MMAP_H_
