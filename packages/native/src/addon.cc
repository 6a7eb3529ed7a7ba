// Module entry: exports and per-environment state.
#include "addon.h"

namespace kchan {

EnvData* GetEnvData(Napi::Env env) { return env.GetInstanceData<EnvData>(); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<EnvData>(new EnvData());
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
