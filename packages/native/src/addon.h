// Per-environment state (one per main thread / worker thread) and the
// Init functions each concern registers its exports with.
#ifndef KCHAN_NATIVE_ADDON_H_
#define KCHAN_NATIVE_ADDON_H_

#include <napi.h>

#include <map>

namespace kchan {

class Poller;
struct RemoteCloser;

struct EnvData {
  Napi::FunctionReference mapping_ctor;
  Napi::FunctionReference poller_ctor;
  // Open pollers by fd, so close(fd) can close them first and a second
  // poller on the same fd is refused (libuv allows one watcher per fd).
  std::multimap<int, Poller*> pollers;
  // Wakes this environment's loop when another thread closes an fd one of
  // its pollers watches (poller.cc). Created with the first poller.
  RemoteCloser* remote = nullptr;
  // The JS KchanError class (errors.ts), set by the loader through
  // _setErrorClass(): ErrnoError() constructs its errors with it.
  Napi::FunctionReference error_ctor;
  // Test hook: behave as if external ArrayBuffers were not allowed.
  bool force_no_external = false;
};

EnvData* GetEnvData(Napi::Env env);

void InitFd(Napi::Env env, Napi::Object exports);
void InitMmap(Napi::Env env, Napi::Object exports);
void InitPoller(Napi::Env env, Napi::Object exports);

// Closes (uv_close) every poller watching fd in this environment, and asks
// the other environments (worker threads) watching fd to do the same on
// their own loops; used by close(fd) so the fd is never closed under an
// active watcher and no wait on it stays pending in any thread.
void ClosePollersForFd(Napi::Env env, int fd);

}  // namespace kchan

#endif  // KCHAN_NATIVE_ADDON_H_
