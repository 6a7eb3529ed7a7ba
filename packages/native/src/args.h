// Argument validation shared by every export. All helpers throw (as C++
// exceptions that node-addon-api rethrows in JS) instead of returning errors,
// so a bad argument can never reach a syscall.
#ifndef KCHAN_NATIVE_ARGS_H_
#define KCHAN_NATIVE_ARGS_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace kchan {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

// A file descriptor: integer in [0, INT32_MAX].
int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name);

// An integer number in [min, max] (both within the safe-integer range).
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name,
               int64_t min, int64_t max);

// An unsigned 64-bit value given as a number (safe integer >= 0) or a bigint.
uint64_t ArgU64(const Napi::CallbackInfo& info, size_t i, const char* name);

// A byte range of caller memory: an ArrayBuffer or any ArrayBufferView
// (TypedArray, DataView, Buffer), honouring the view's offset and length.
struct Bytes {
  uint8_t* data;
  size_t length;
};
bool IsBytes(Napi::Value v);
Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name);
Bytes ValueBytes(Napi::Env env, Napi::Value v, const char* name);

// Page size of the running kernel.
size_t PageSize();

}  // namespace kchan

#endif  // KCHAN_NATIVE_ARGS_H_
