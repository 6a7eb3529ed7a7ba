// Poller: a uv_poll_t watcher on an fd, on the loop of the calling
// environment (napi_get_uv_event_loop, so worker threads get their own loop).
//
// Lifetime rules (the bugs serialport/usb hit):
//  * The uv_poll_t lives in a heap block freed by the uv_close callback, never
//    inside the JS-owned object, so closing from inside a callback or from a
//    GC finalizer cannot free memory libuv still uses.
//  * While started, the JS object holds a strong self-reference so it cannot
//    be collected with a live watcher; stop()/close() drop it. Nothing else
//    roots it: the callback is held through the object, not by a persistent
//    reference (which would root the object through the callback's closure).
//  * An environment cleanup hook closes the handle when a worker exits, so
//    the loop closes without open handles.
//  * close(fd) from any thread settles the waits on fd in every thread: a
//    process-wide registry (fd -> environment, poller id) lets the closing
//    thread wake each other environment's loop (one unref'd uv_async_t per
//    environment), which then closes those pollers as a local close(fd)
//    would. Pollers are named by id, not fd, so a number reused by a later
//    open() in between is left alone.
//  * Events are reported as Linux poll(2) bits. libuv folds EPOLLERR into a
//    UV_EBADF status and EPOLLHUP into "readable", so after every wakeup the
//    exact revents are read with poll(fd, 0 timeout). POLLERR, POLLHUP and
//    POLLNVAL are terminal: the watcher stops itself before the callback.
#include <errno.h>
#include <poll.h>
#include <uv.h>

#include <mutex>
#include <vector>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace kchan {

namespace {

struct PollBlock {
  uv_poll_t handle;
  Poller* owner;
};

constexpr int kRequestable = POLLIN | POLLPRI | POLLOUT | POLLRDHUP;

}  // namespace

// One per environment that has created a poller; freed by uv_close.
struct RemoteCloser {
  uv_async_t async;
  napi_env env;
  std::vector<uint64_t> ids;  // pollers closed from another thread; g_mu
};

namespace {

struct Registration {
  RemoteCloser* remote;
  uint64_t id;
};

// Guards g_registry, g_next_id and every RemoteCloser::ids.
std::mutex g_mu;
std::multimap<int, Registration> g_registry;
uint64_t g_next_id = 0;

void OnRemoteClose(uv_async_t* handle);
void CloseRemoteIds(RemoteCloser* remote);

void RemoteCleanupHook(void* arg) {
  auto* remote = static_cast<RemoteCloser*>(arg);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (auto it = g_registry.begin(); it != g_registry.end();) {
      if (it->second.remote == remote) it = g_registry.erase(it);
      else ++it;
    }
  }
  EnvData* data = GetEnvData(remote->env);
  if (data != nullptr) data->remote = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&remote->async), [](uv_handle_t* h) {
    delete static_cast<RemoteCloser*>(h->data);
  });
}

RemoteCloser* GetRemoteCloser(Napi::Env env, uv_loop_t* loop) {
  EnvData* data = GetEnvData(env);
  if (data->remote != nullptr) return data->remote;
  auto* remote = new RemoteCloser();
  int r = uv_async_init(loop, &remote->async, OnRemoteClose);
  if (r < 0) {
    delete remote;
    ThrowErrno(env, -r, "uv_async_init");
  }
  remote->async.data = remote;
  remote->env = env;
  // Never keeps the loop alive: started pollers do, when someone waits.
  uv_unref(reinterpret_cast<uv_handle_t*>(&remote->async));
  napi_add_env_cleanup_hook(env, RemoteCleanupHook, remote);
  data->remote = remote;
  return remote;
}

}  // namespace

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {
                           InstanceMethod<&Poller::Start>("start"),
                           InstanceMethod<&Poller::Stop>("stop"),
                           InstanceMethod<&Poller::Close>("close"),
                           InstanceMethod<&Poller::RefHandle>("ref"),
                           InstanceMethod<&Poller::UnrefHandle>("unref"),
                           InstanceMethod<&Poller::HasRef>("hasRef"),
                           InstanceAccessor<&Poller::GetFd>("fd"),
                           InstanceAccessor<&Poller::GetActive>("active"),
                           InstanceAccessor<&Poller::GetClosed>("closed"),
                       });
  }

  // new Poller(fd, callback(err, revents))
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    Napi::Env env = info.Env();
    fd_ = ArgFd(info, 0, "fd");
    if (!info[1].IsFunction())
      ThrowArgType(env, "callback", "of type function", info[1]);
    EnvData* data = GetEnvData(env);
    // libuv supports one watcher per fd and loop.
    if (data->pollers.count(fd_) > 0) ThrowErrno(env, EEXIST, "uv_poll_init");
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
      throw Napi::Error::New(env, "napi_get_uv_event_loop failed");
    RemoteCloser* remote = GetRemoteCloser(env, loop);
    auto* block = new PollBlock();
    int r = uv_poll_init(loop, &block->handle, fd_);
    if (r < 0) {
      delete block;  // never registered with the loop
      ThrowErrno(env, -r, "uv_poll_init");
    }
    block->owner = this;
    block->handle.data = block;
    block_ = block;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      id_ = ++g_next_id;
      g_registry.emplace(fd_, Registration{remote, id_});
    }
    env_ = env;
    // The callback lives as long as this object does, held by the object
    // itself (a hidden, read-only property) and weakly here. A strong
    // reference here would be a GC root, and callbacks close over their
    // poller (the TS Poller and the kept watchers of waitReadable() do): every
    // poller ever made, closed or not, would stay in the heap.
    Napi::Function fn = info[1].As<Napi::Function>();
    info.This().As<Napi::Object>().DefineProperty(
        Napi::PropertyDescriptor::Value("kchanPollerCallback", fn, napi_default));
    callback_ = Napi::Weak(fn);
    async_ = std::make_unique<Napi::AsyncContext>(env, "kchan.Poller");
    data->pollers.emplace(fd_, this);
    napi_add_env_cleanup_hook(env, CleanupHook, this);
  }

  ~Poller() override {
    // Collected: not active (active pollers hold a self-reference).
    CloseHandle(true);
  }

  // Closes the uv handle (idempotent). from_env_cleanup/destructor paths must
  // not touch JS.
  void CloseHandle(bool remove_hook) {
    if (block_ == nullptr) return;
    if (remove_hook) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    EnvData* data = GetEnvData(env_);
    if (data != nullptr) {
      auto range = data->pollers.equal_range(fd_);
      for (auto it = range.first; it != range.second; ++it) {
        if (it->second == this) {
          data->pollers.erase(it);
          break;
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(g_mu);
      auto range = g_registry.equal_range(fd_);
      for (auto it = range.first; it != range.second; ++it) {
        if (it->second.id == id_) {
          g_registry.erase(it);
          break;
        }
      }
    }
    block_->owner = nullptr;
    uv_poll_stop(&block_->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&block_->handle), [](uv_handle_t* h) {
      delete static_cast<PollBlock*>(h->data);
    });
    block_ = nullptr;
  }

  // Called from JS-capable contexts: also drops the self-reference.
  void CloseFromJs() {
    if (block_ == nullptr) return;
    SetActive(false);
    CloseHandle(true);
  }

  // The poller's name in g_registry (unique in the process).
  uint64_t id() const { return id_; }

  // close(fd) under this poller: close the watcher and, if it was started
  // (someone is waiting on it), settle that wait with EBADF, as a POLLNVAL
  // would: a wait on a closed fd could never complete otherwise.
  // In two steps when this thread closes the fd (ClosePollersForFd): the
  // watcher before close(2), the callback after it.
  void CloseForFdClose(Napi::Env env) {
    if (block_ == nullptr) return;
    Napi::HandleScope scope(env);
    Napi::Object self = Value();  // keeps the object alive during the call
    if (DetachForFdClose()) SettleClosed(env, self);
  }

  // Closes the watcher; returns whether a wait was pending on it.
  bool DetachForFdClose() {
    if (block_ == nullptr) return false;
    bool waiting = active_;
    CloseFromJs();
    return waiting;
  }

  // Settles the wait DetachForFdClose() found pending: EBADF, as a POLLNVAL.
  void SettleClosed(Napi::Env env, Napi::Object self) {
    CallBack(env, self, ErrnoError(env, EBADF, "poll").Value(), 0);
  }

 private:
  static void CleanupHook(void* arg) {
    // The environment is going away (e.g. worker exit): close the handle so
    // the loop can close. The hook is consumed by running, don't remove it.
    static_cast<Poller*>(arg)->CloseHandle(false);
  }

  static void OnPoll(uv_poll_t* handle, int status, int uvevents) {
    auto* block = static_cast<PollBlock*>(handle->data);
    if (block->owner == nullptr) return;
    // A libuv callback: no C++ exception may leave it (std::terminate).
    // node-addon-api throws one when a napi call fails, e.g. while a
    // worker's environment is being torn down; no JS can run then anyway.
    try {
      block->owner->Dispatch(status, uvevents);
    } catch (const Napi::Error&) {
    }
  }

  void SetActive(bool active) {
    if (active == active_) return;
    active_ = active;
    if (active) Ref(); else Unref();
  }

  void Dispatch(int status, int /*uvevents*/) {
    // Exact readiness: what the kernel reports right now for our fd.
    struct pollfd p = {fd_, static_cast<short>(events_ | POLLERR | POLLHUP), 0};
    int revents = 0;
    int pr;
    do {
      pr = poll(&p, 1, 0);
    } while (pr < 0 && errno == EINTR);
    if (pr > 0) revents = p.revents;
    int err = 0;
    if (revents & POLLNVAL) {
      err = EBADF;
    } else if (status < 0 && !(revents & POLLERR)) {
      err = -status;
    }
    revents &= events_ | POLLERR | POLLHUP;
    if (err == 0 && revents == 0) return;  // readiness went away: wait again
    bool terminal = err != 0 || (revents & (POLLERR | POLLHUP));

    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    Napi::Object self = Value();  // keeps the object alive during the call
    if (terminal) {
      if (block_ != nullptr) uv_poll_stop(&block_->handle);
      SetActive(false);
    }
    Napi::Value e = err != 0 ? ErrnoError(env, err, "poll").Value() : env.Null();
    CallBack(env, self, e, revents);
  }

  void CallBack(Napi::Env env, Napi::Object self, Napi::Value e, int revents) {
    napi_value argv[2] = {e, Napi::Number::New(env, revents)};
    napi_value result;
    // Raw napi_make_callback: when the callback throws, rethrow it as an
    // uncaught exception (as for any Node callback). When the thread is
    // being terminated (process.exit() in a worker) there is no exception
    // to report, and node-addon-api's C++ wrapper would abort the process
    // trying to build one, so it is not used here.
    napi_status st = napi_make_callback(env, static_cast<napi_async_context>(*async_), self,
                                        callback_.Value(), 2, argv, &result);
    if (st != napi_ok) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
        napi_value ex;
        if (napi_get_and_clear_last_exception(env, &ex) == napi_ok)
          napi_fatal_exception(env, ex);
      }
    }
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int events = POLLIN;
    if (!info[0].IsUndefined())
      events = static_cast<int>(ArgInt(info, 0, "events", 1, kRequestable));
    if (events & ~kRequestable)
      ThrowOutOfRange(env, "events",
                      "a combination of POLLIN, POLLPRI, POLLOUT and POLLRDHUP",
                      std::to_string(events));
    if (block_ == nullptr)
      ThrowCode(env, "ERR_INVALID_STATE", "Invalid state: the poller is closed");
    int uv = 0;
    if (events & POLLIN) uv |= UV_READABLE;
    if (events & POLLOUT) uv |= UV_WRITABLE;
    if (events & POLLPRI) uv |= UV_PRIORITIZED;
    if (events & POLLRDHUP) uv |= UV_DISCONNECT;
    int r = uv_poll_start(&block_->handle, uv, OnPoll);
    if (r < 0) ThrowErrno(env, -r, "uv_poll_start");
    events_ = events;
    SetActive(true);
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (block_ != nullptr) uv_poll_stop(&block_->handle);
    SetActive(false);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseFromJs();
    return info.Env().Undefined();
  }

  Napi::Value RefHandle(const Napi::CallbackInfo& info) {
    if (block_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&block_->handle));
    return info.This();
  }

  Napi::Value UnrefHandle(const Napi::CallbackInfo& info) {
    if (block_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&block_->handle));
    return info.This();
  }

  Napi::Value HasRef(const Napi::CallbackInfo& info) {
    bool r = block_ != nullptr &&
             uv_has_ref(reinterpret_cast<uv_handle_t*>(&block_->handle));
    return Napi::Boolean::New(info.Env(), r);
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), fd_);
  }
  Napi::Value GetActive(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), active_);
  }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), block_ == nullptr);
  }

  int fd_ = -1;
  uint64_t id_ = 0;  // in g_registry while the handle is open
  int events_ = 0;
  bool active_ = false;
  PollBlock* block_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> async_;
};

namespace {

// On the loop of an environment whose pollers another thread's close(fd)
// named: close them as a close(fd) in this thread would.
void OnRemoteClose(uv_async_t* handle) {
  // As OnPoll: no C++ exception may leave a libuv callback.
  try {
    CloseRemoteIds(static_cast<RemoteCloser*>(handle->data));
  } catch (const Napi::Error&) {
  }
}

void CloseRemoteIds(RemoteCloser* remote) {
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    ids.swap(remote->ids);
  }
  Napi::Env env(remote->env);
  EnvData* data = GetEnvData(env);
  if (data == nullptr) return;
  for (uint64_t id : ids) {
    // Looked up again for each id: a callback may close or open pollers.
    Poller* found = nullptr;
    for (auto& entry : data->pollers) {
      if (entry.second->id() == id) {
        found = entry.second;
        break;
      }
    }
    if (found != nullptr) found->CloseForFdClose(env);
  }
}

}  // namespace

int ClosePollersForFd(Napi::Env env, int fd, const std::function<int()>& close_fd) {
  EnvData* data = GetEnvData(env);
  // Other threads first, while the fd is still open: their pollers are
  // named now, and closed on their own loops.
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto range = g_registry.equal_range(fd);
    for (auto it = range.first; it != range.second; ++it) {
      RemoteCloser* remote = it->second.remote;
      if (remote == data->remote) continue;
      remote->ids.push_back(it->second.id);
      uv_async_send(&remote->async);
    }
  }
  // This thread's: watchers closed now, callbacks after close(2).
  Napi::HandleScope scope(env);
  std::vector<std::pair<Poller*, Napi::Object>> found;
  auto range = data->pollers.equal_range(fd);
  for (auto it = range.first; it != range.second; ++it)
    found.emplace_back(it->second, it->second->Value());  // alive until settled
  std::vector<std::pair<Poller*, Napi::Object>> waiting;
  for (auto& [p, self] : found)
    if (p->DetachForFdClose()) waiting.emplace_back(p, self);  // erases itself from the map
  int err = close_fd();
  for (auto& [p, self] : waiting) p->SettleClosed(env, self);
  return err;
}

void InitPoller(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Poller::Define(env);
  GetEnvData(env)->poller_ctor = Napi::Persistent(ctor);
  exports.Set("Poller", ctor);
}

}  // namespace kchan
