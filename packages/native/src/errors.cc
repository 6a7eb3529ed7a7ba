#include "errors.h"

#include <string.h>
#include <uv.h>

#include <cstdio>

#include "addon.h"

namespace kchan {

namespace {

// errno values libuv has no name for (uv_err_name() would return
// "Unknown system error N"); the ones a character device can plausibly return.
const char* ExtraErrnoName(int err) {
  switch (err) {
    case EBADFD: return "EBADFD";
    case ENODATA: return "ENODATA";
    case ENOMSG: return "ENOMSG";
    case EOWNERDEAD: return "EOWNERDEAD";
    case EREMOTEIO: return "EREMOTEIO";
    case ESTALE: return "ESTALE";
    case EDQUOT: return "EDQUOT";
    case ETIME: return "ETIME";
    case EUCLEAN: return "EUCLEAN";
    case EKEYREJECTED: return "EKEYREJECTED";
    case ERESTART: return "ERESTART";
    default: return nullptr;
  }
}

}  // namespace

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall,
                       const char* path) {
  std::string code;
  std::string desc;
  const char* uvname = uv_err_name(-err);
  if (uvname != nullptr && strncmp(uvname, "Unknown", 7) != 0) {
    code = uvname;
    desc = uv_strerror(-err);
  } else {
    const char* extra = ExtraErrnoName(err);
    code = extra != nullptr ? extra : "UNKNOWN";
    char buf[128];
    // GNU strerror_r returns the message pointer.
    desc = strerror_r(err, buf, sizeof(buf));
    if (!desc.empty()) desc[0] = static_cast<char>(tolower(desc[0]));
  }
  std::string message = code + ": " + desc + ", " + syscall;
  // As Node's fs: "ENOENT: no such file or directory, open '/dev/kue'".
  if (path != nullptr) message += std::string(" '") + path + "'";
  EnvData* data = GetEnvData(env);
  if (data != nullptr && !data->error_ctor.IsEmpty()) {
    // new KchanError(code, message, { errno, syscall, path })
    Napi::Object opts = Napi::Object::New(env);
    opts.Set("errno", Napi::Number::New(env, -err));
    opts.Set("syscall", Napi::String::New(env, syscall));
    if (path != nullptr) opts.Set("path", Napi::String::New(env, path));
    Napi::Object o = data->error_ctor.New(
        {Napi::String::New(env, code), Napi::String::New(env, message), opts});
    return Napi::Error(env, o);
  }
  Napi::Error e = Napi::Error::New(env, message);
  Napi::Object o = e.Value();
  o.Set("errno", Napi::Number::New(env, -err));
  o.Set("code", Napi::String::New(env, code));
  o.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) o.Set("path", Napi::String::New(env, path));
  return e;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path) {
  throw ErrnoError(env, err, syscall, path);
}

std::string DescribeReceived(Napi::Value v) {
  switch (v.Type()) {
    case napi_undefined: return "Received undefined";
    case napi_null: return "Received null";
    case napi_boolean:
      return std::string("Received type boolean (") +
             (v.As<Napi::Boolean>().Value() ? "true" : "false") + ")";
    case napi_number: {
      std::string s = v.ToString().Utf8Value();
      return "Received type number (" + s + ")";
    }
    case napi_bigint: {
      std::string s = v.ToString().Utf8Value();
      return "Received type bigint (" + s + "n)";
    }
    case napi_string: {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s.size() > 25) s = s.substr(0, 25) + "...";
      return "Received type string ('" + s + "')";
    }
    case napi_symbol: return "Received type symbol";
    case napi_function: return "Received function";
    case napi_object: {
      Napi::Object o = v.As<Napi::Object>();
      Napi::Value ctor = o.Get("constructor");
      if (ctor.IsFunction()) {
        Napi::Value name = ctor.As<Napi::Object>().Get("name");
        if (name.IsString() && !name.As<Napi::String>().Utf8Value().empty())
          return "Received an instance of " + name.As<Napi::String>().Utf8Value();
      }
      return "Received type object";
    }
    default: return "Received an unexpected value";
  }
}

void ThrowArgType(Napi::Env env, const char* name, const char* expected,
                  Napi::Value received) {
  std::string msg = std::string("The \"") + name + "\" argument must be " +
                    expected + ". " + DescribeReceived(received);
  Napi::Error e = Napi::TypeError::New(env, msg);
  e.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw e;
}

void ThrowArgValue(Napi::Env env, const char* name, const std::string& why) {
  std::string msg = std::string("The argument '") + name + "' " + why;
  Napi::Error e = Napi::TypeError::New(env, msg);
  e.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  throw e;
}

void ThrowOutOfRange(Napi::Env env, const char* name, const std::string& range,
                     const std::string& received) {
  std::string msg = std::string("The value of \"") + name +
                    "\" is out of range. It must be " + range +
                    ". Received " + received;
  Napi::Error e = Napi::RangeError::New(env, msg);
  e.Value().Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  throw e;
}

void ThrowCode(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Value().Set("code", Napi::String::New(env, code));
  throw e;
}

}  // namespace kchan
