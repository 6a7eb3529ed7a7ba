// Per-environment state (one per main thread / worker thread) and the
// Init functions each concern registers its exports with.
#ifndef KCHAN_NATIVE_ADDON_H_
#define KCHAN_NATIVE_ADDON_H_

#include <functional>

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

// close(fd) with its pollers: closes (uv_close) every poller watching fd in
// this environment and asks the other environments (worker threads)
// watching fd to do the same on their own loops, so the fd is never closed
// under an active watcher; then runs close_fd (the close(2), returning 0 or
// an errno); then settles with EBADF the waits that were pending on this
// thread's pollers, so no wait on fd stays pending in any thread. The
// callbacks run after close(2): whatever they do with the fd number (close
// it again, open a file that reuses it) cannot reach the file closed here.
// Returns close_fd's result.
int ClosePollersForFd(Napi::Env env, int fd, const std::function<int()>& close_fd);

}  // namespace kchan

#endif  // KCHAN_NATIVE_ADDON_H_
