#include "args.h"

#include <unistd.h>

#include <climits>
#include <cmath>
#include <string>

#include "errors.h"

namespace kchan {

namespace {

std::string NumStr(double d) {
  char buf[64];
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

}  // namespace

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name,
               int64_t min, int64_t max) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (!v.IsNumber()) ThrowArgType(env, name, "of type number", v);
  double d = v.As<Napi::Number>().DoubleValue();
  std::string range = ">= " + std::to_string(min) + " && <= " + std::to_string(max);
  if (!std::isfinite(d) || std::trunc(d) != d)
    ThrowOutOfRange(env, name, "an integer", NumStr(d));
  if (d < static_cast<double>(min) || d > static_cast<double>(max))
    ThrowOutOfRange(env, name, range, NumStr(d));
  return static_cast<int64_t>(d);
}

int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return static_cast<int>(ArgInt(info, i, name, 0, INT_MAX));
}

uint64_t ArgU64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  if (v.IsBigInt()) {
    bool lossless = false;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless)
      ThrowOutOfRange(env, name, ">= 0n && <= 18446744073709551615n",
                      v.ToString().Utf8Value() + "n");
    return r;
  }
  if (!v.IsNumber()) ThrowArgType(env, name, "of type number or bigint", v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d)
    ThrowOutOfRange(env, name, "an integer", NumStr(d));
  if (d < 0 || d > kMaxSafeInteger)
    ThrowOutOfRange(env, name, ">= 0 && <= 9007199254740991 (use a bigint beyond)",
                    NumStr(d));
  return static_cast<uint64_t>(d);
}

bool IsBytes(Napi::Value v) {
  return v.IsArrayBuffer() || v.IsTypedArray() || v.IsDataView();
}

Bytes ValueBytes(Napi::Env env, Napi::Value v, const char* name) {
  if (v.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
    return {static_cast<uint8_t*>(ab.Data()), ab.ByteLength()};
  }
  if (v.IsTypedArray()) {
    // napi_get_typedarray_info returns the data pointer already adjusted by
    // byteOffset; length is in elements.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &type, &length,
                                                       &data, &ab, &offset),
                         Bytes{});
    size_t elem = Napi::TypedArray(env, v).ElementSize();
    return {static_cast<uint8_t*>(data), length * elem};
  }
  if (v.IsDataView()) {
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t offset = 0;
    NAPI_THROW_IF_FAILED(env, napi_get_dataview_info(env, v, &length, &data,
                                                     &ab, &offset),
                         Bytes{});
    return {static_cast<uint8_t*>(data), length};
  }
  ThrowArgType(env, name, "an instance of ArrayBuffer, TypedArray or DataView", v);
}

Bytes ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return ValueBytes(info.Env(), info[i], name);
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace kchan
