// Errors shaped like Node's fs errors, and argument-validation errors shaped
// like Node's ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
#ifndef KCHAN_NATIVE_ERRORS_H_
#define KCHAN_NATIVE_ERRORS_H_

#include <napi.h>

#include <string>

namespace kchan {

// A Node-style system error: message "EINVAL: invalid argument, ioctl",
// err.code = "EINVAL", err.errno = -22, err.syscall = "ioctl".
// `err` is a positive errno value. With `path` (calls on a path, like
// open): "ENOENT: no such file or directory, open '/dev/kue'" and err.path.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const char* path = nullptr);

// Throws ErrnoError (a C++ exception; node-addon-api turns it into a JS throw).
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall,
                             const char* path = nullptr);

// TypeError with code ERR_INVALID_ARG_TYPE.
[[noreturn]] void ThrowArgType(Napi::Env env, const char* name,
                               const char* expected, Napi::Value received);

// TypeError with code ERR_INVALID_ARG_VALUE.
[[noreturn]] void ThrowArgValue(Napi::Env env, const char* name,
                                const std::string& why);

// RangeError with code ERR_OUT_OF_RANGE.
[[noreturn]] void ThrowOutOfRange(Napi::Env env, const char* name,
                                  const std::string& range,
                                  const std::string& received);

// Error with a custom code and no errno (e.g. ERR_ILLEGAL_CONSTRUCTOR).
[[noreturn]] void ThrowCode(Napi::Env env, const char* code,
                            const std::string& message);

// Describes a JS value the way Node's error messages do ("type string ('x')").
std::string DescribeReceived(Napi::Value v);

}  // namespace kchan

#endif  // KCHAN_NATIVE_ERRORS_H_
