// File-descriptor syscalls: open, close, read, write, ioctl, pipe2,
// memfd_create. Every failure throws a Node-style errno error naming the
// syscall; arguments are validated before any syscall is made.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace kchan {

namespace {

std::string ArgPath(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsString()) ThrowArgType(info.Env(), name, "of type string", v);
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos)
    ThrowArgValue(info.Env(), name,
                  "must be a string without null bytes. " + DescribeReceived(v));
  return s;
}

// open(path, flags, mode = 0) -> fd
Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string path = ArgPath(info, 0, "path");
  int flags = static_cast<int>(ArgInt(info, 1, "flags", 0, INT_MAX));
  unsigned mode = 0;
  if (!info[2].IsUndefined())
    mode = static_cast<unsigned>(ArgInt(info, 2, "mode", 0, 07777));
  int fd;
  do {
    fd = open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) ThrowErrno(info.Env(), errno, "open", path.c_str());
  return Napi::Number::New(info.Env(), fd);
}

// close(fd). Pollers on fd are closed first, their pending waits settled
// (EBADF) after close(2).
Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0, "fd");
  // Refuse fds that are not open before touching pollers, so a stale number
  // reports EBADF instead of silently closing an unrelated watcher state.
  if (fcntl(fd, F_GETFD) < 0) ThrowErrno(info.Env(), errno, "close");
  int err = ClosePollersForFd(info.Env(), fd, [fd]() {
    // Linux releases the fd even when close() reports EINTR: never retry.
    return close(fd) < 0 && errno != EINTR ? errno : 0;
  });
  if (err != 0) ThrowErrno(info.Env(), err, "close");
  return info.Env().Undefined();
}

// read(fd, view) -> bytes read (0 at end of file). EAGAIN throws.
Napi::Value Read(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0, "fd");
  Bytes b = ArgBytes(info, 1, "buffer");
  ssize_t n;
  do {
    n = read(fd, b.data, b.length);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(info.Env(), errno, "read");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// write(fd, view) -> bytes written. EAGAIN throws.
Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0, "fd");
  Bytes b = ArgBytes(info, 1, "buffer");
  ssize_t n;
  do {
    n = write(fd, b.data, b.length);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(info.Env(), errno, "write");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// ioctl(fd, request, arg) -> return value of ioctl(2).
// arg: undefined/null (0), a number/bigint (passed as unsigned long), or
// caller memory (pointer to its first byte; the kernel's writes land there).
Napi::Value Ioctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  unsigned long request =
      static_cast<unsigned long>(ArgInt(info, 1, "request", 0, UINT32_MAX));
  unsigned dir = _IOC_DIR(request);
  size_t size = _IOC_SIZE(request);
  unsigned long arg = 0;
  Napi::Value a = info[2];
  if (a.IsUndefined() || a.IsNull()) {
    arg = 0;
  } else if (IsBytes(a)) {
    Bytes b = ValueBytes(env, a, "arg");
    // The request encodes how many bytes the kernel copies: a smaller buffer
    // would let the kernel write past it into the JS heap.
    if (dir != _IOC_NONE && b.length < size)
      ThrowOutOfRange(env, "arg.byteLength",
                      ">= " + std::to_string(size) + " (the size encoded in request)",
                      std::to_string(b.length));
    arg = reinterpret_cast<unsigned long>(b.data);
  } else if (a.IsNumber() || a.IsBigInt()) {
    // A number as the target of a kernel write (_IOR/_IOWR) would be a raw
    // pointer into this process: refuse it, only buffers may be written to.
    if ((dir & _IOC_READ) && size > 0)
      ThrowArgType(env, "arg",
                   "an ArrayBuffer or ArrayBufferView for a request the kernel "
                   "writes to (_IOR/_IOWR)",
                   a);
    arg = static_cast<unsigned long>(ArgU64(info, 2, "arg"));
  } else {
    ThrowArgType(env, "arg",
                 "of type number or bigint, an ArrayBuffer, an ArrayBufferView, "
                 "null or undefined",
                 a);
  }
  int r = ioctl(fd, request, arg);
  if (r < 0) ThrowErrno(env, errno, "ioctl");
  return Napi::Number::New(env, r);
}

// pipe2(flags) -> [readFd, writeFd]
Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  int flags = 0;
  if (!info[0].IsUndefined())
    flags = static_cast<int>(ArgInt(info, 0, "flags", 0, INT_MAX));
  int fds[2];
  if (pipe2(fds, flags) < 0) ThrowErrno(info.Env(), errno, "pipe2");
  Napi::Array r = Napi::Array::New(info.Env(), 2);
  r.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  r.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return r;
}

// memfdCreate(name, flags) -> fd
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  std::string name = ArgPath(info, 0, "name");
  unsigned flags = 0;
  if (!info[1].IsUndefined())
    flags = static_cast<unsigned>(ArgInt(info, 1, "flags", 0, UINT32_MAX));
  int fd = memfd_create(name.c_str(), flags);
  if (fd < 0) ThrowErrno(info.Env(), errno, "memfd_create");
  return Napi::Number::New(info.Env(), fd);
}

void SetConst(Napi::Env env, Napi::Object o, const char* name, double v) {
  o.Set(name, Napi::Number::New(env, v));
}

}  // namespace

void InitFd(Napi::Env env, Napi::Object exports) {
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("ioctl", Napi::Function::New(env, Ioctl, "ioctl"));
  exports.Set("pipe2", Napi::Function::New(env, Pipe2, "pipe2"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));

  Napi::Object c = Napi::Object::New(env);
  SetConst(env, c, "O_RDONLY", O_RDONLY);
  SetConst(env, c, "O_WRONLY", O_WRONLY);
  SetConst(env, c, "O_RDWR", O_RDWR);
  SetConst(env, c, "O_NONBLOCK", O_NONBLOCK);
  SetConst(env, c, "O_CLOEXEC", O_CLOEXEC);
  SetConst(env, c, "O_CREAT", O_CREAT);
  SetConst(env, c, "O_EXCL", O_EXCL);
  SetConst(env, c, "O_TRUNC", O_TRUNC);
  SetConst(env, c, "O_APPEND", O_APPEND);
  SetConst(env, c, "O_NOCTTY", O_NOCTTY);
  SetConst(env, c, "MFD_CLOEXEC", MFD_CLOEXEC);
  SetConst(env, c, "MFD_ALLOW_SEALING", MFD_ALLOW_SEALING);
  SetConst(env, c, "POLLIN", POLLIN);
  SetConst(env, c, "POLLPRI", POLLPRI);
  SetConst(env, c, "POLLOUT", POLLOUT);
  SetConst(env, c, "POLLERR", POLLERR);
  SetConst(env, c, "POLLHUP", POLLHUP);
  SetConst(env, c, "POLLNVAL", POLLNVAL);
  SetConst(env, c, "POLLRDHUP", POLLRDHUP);
  SetConst(env, c, "FIONREAD", FIONREAD);
  SetConst(env, c, "PAGE_SIZE", static_cast<double>(PageSize()));
  exports.Set("constants", c);
}

}  // namespace kchan
