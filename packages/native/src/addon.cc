// Module entry: exports and per-environment state.
#include "addon.h"

namespace kchan {

EnvData* GetEnvData(Napi::Env env) { return env.GetInstanceData<EnvData>(); }

namespace {

// _setErrorClass(KchanError): system-call errors become instances of it.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction())
    throw Napi::TypeError::New(env, "_setErrorClass: expected a class");
  GetEnvData(env)->error_ctor =
      Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvData>(new EnvData());
  exports.Set("_setErrorClass", Napi::Function::New(env, SetErrorClass));
  InitFd(env, exports);
  InitMmap(env, exports);
  InitPoller(env, exports);
  return exports;
}

}  // namespace kchan

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return kchan::Init(env, exports);
}

NODE_API_MODULE(kchan_native, InitModule)
