// mmap/munmap/mremap/madvise/mprotect and addressOf. A mapping is handed to
// JS as a MappingHandle owning an external ArrayBuffer over the pages.
#include "mmap.h"

#include <errno.h>
#include <sys/mman.h>

#include <climits>
#include <string>
#include <vector>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace kchan {

Region::~Region() {
  if (owned && addr != nullptr) munmap(addr, maplen);
}

namespace {

const int kConstructToken = 0;

struct Pending {
  const void* token;
  RegionPtr region;
};

size_t RoundUp(size_t n) {
  size_t p = PageSize();
  return (n + p - 1) / p * p;
}

void FinalizeBuffer(napi_env /*env*/, void* /*data*/, void* hint) {
  // Dropping the buffer's reference munmaps if nobody unmapped explicitly.
  delete static_cast<RegionPtr*>(hint);
}

class MappingHandle : public Napi::ObjectWrap<MappingHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "MappingHandle",
        {
            InstanceAccessor<&MappingHandle::GetBuffer>("buffer"),
            InstanceAccessor<&MappingHandle::GetLength>("length"),
            InstanceAccessor<&MappingHandle::GetAddress>("address"),
            InstanceAccessor<&MappingHandle::GetUnmapped>("unmapped"),
            InstanceAccessor<&MappingHandle::GetExternal>("external"),
            InstanceMethod<&MappingHandle::Unmap>("unmap"),
            InstanceMethod<&MappingHandle::UnmapRange>("unmapRange"),
            InstanceMethod<&MappingHandle::Madvise>("madvise"),
            InstanceMethod<&MappingHandle::Mprotect>("mprotect"),
            InstanceMethod<&MappingHandle::Remap>("remap"),
        });
  }

  explicit MappingHandle(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<MappingHandle>(info) {
    Napi::Env env = info.Env();
    Pending* p = nullptr;
    if (info[0].IsExternal())
      p = info[0].As<Napi::External<Pending>>().Data();
    if (p == nullptr || p->token != &kConstructToken)
      ThrowCode(env, "ERR_ILLEGAL_CONSTRUCTOR",
                "Illegal constructor: mappings come from mmap()");
    region_ = p->region;
    EnvData* data = GetEnvData(env);
    napi_value ab;
    auto* hint = new RegionPtr(region_);
    napi_status st =
        data->force_no_external
            ? napi_no_external_buffers_allowed
            : napi_create_external_arraybuffer(env, region_->addr,
                                               region_->length, FinalizeBuffer,
                                               hint, &ab);
    if (st != napi_ok) {
      delete hint;
      if (st == napi_no_external_buffers_allowed) {
        // A copy of a device mapping would silently stop tracking the
        // device, so there is no fallback: report it.
        Napi::Error e = ErrnoError(env, ENOTSUP, "mmap");
        e.Value().Set("message",
                      Napi::String::New(
                          env, "ENOTSUP: external ArrayBuffers are not allowed "
                               "in this runtime (e.g. Electron with the V8 "
                               "memory cage), cannot expose a mapping, mmap"));
        // region_ still owns the pages; the handle's destructor munmaps.
        throw e;
      }
      throw Napi::Error::New(env);  // pending exception from napi
    }
    buffer_ = Napi::Persistent(Napi::ArrayBuffer(env, ab));
  }

  static Napi::Object Wrap(Napi::Env env, RegionPtr region) {
    Pending p{&kConstructToken, std::move(region)};
    return GetEnvData(env)->mapping_ctor.New(
        {Napi::External<Pending>::New(env, &p)});
  }

  const RegionPtr& region() const { return region_; }

 private:
  bool Live() const { return region_ && region_->owned; }

  void RequireLive(Napi::Env env) {
    if (!Live())
      ThrowCode(env, "ERR_INVALID_STATE", "Invalid state: the mapping is unmapped");
  }

  void RequireUnpinned(Napi::Env env, const char* syscall) {
    if (region_->pins.load() > 0) ThrowErrno(env, EBUSY, syscall);
  }

  // Forgets the pages: marks the region as no longer owning them and
  // detaches the ArrayBuffer so every view over it has length 0.
  void Retire() {
    region_->owned = false;
    if (!buffer_.IsEmpty()) {
      Napi::ArrayBuffer ab = buffer_.Value();
      if (!ab.IsDetached()) ab.Detach();
    }
  }

  // Validates (offset, length) against the mapping for madvise/mprotect/
  // unmapRange: offset page-aligned (EINVAL), length > 0, inside the mapping.
  void Range(const Napi::CallbackInfo& info, const char* syscall, size_t* off,
             size_t* len) {
    Napi::Env env = info.Env();
    RequireLive(env);
    *off = static_cast<size_t>(ArgInt(info, 0, "offset", 0, 9007199254740991LL));
    *len = static_cast<size_t>(ArgInt(info, 1, "length", 1, 9007199254740991LL));
    if (*off % PageSize() != 0) ThrowErrno(env, EINVAL, syscall);
    if (*off >= region_->length || *len > region_->length - *off)
      ThrowOutOfRange(env, "length",
                      "<= mapping.length - offset (" +
                          std::to_string(*off >= region_->length
                                             ? 0
                                             : region_->length - *off) +
                          ")",
                      std::to_string(*len));
  }

  Napi::Value GetBuffer(const Napi::CallbackInfo& info) {
    if (buffer_.IsEmpty()) return info.Env().Undefined();
    return buffer_.Value();
  }
  Napi::Value GetLength(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             Live() ? static_cast<double>(region_->length) : 0);
  }
  Napi::Value GetAddress(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(),
                             static_cast<uint64_t>(
                                 reinterpret_cast<uintptr_t>(region_->addr)));
  }
  Napi::Value GetUnmapped(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !Live());
  }
  Napi::Value GetExternal(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), true);
  }

  // unmap(): munmap the whole mapping and detach the buffer. A second call
  // is a no-op.
  Napi::Value Unmap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Live()) return env.Undefined();
    RequireUnpinned(env, "munmap");
    if (munmap(region_->addr, region_->maplen) < 0)
      ThrowErrno(env, errno, "munmap");
    Retire();
    return env.Undefined();
  }

  // unmapRange(offset, length) -> MappingHandle[] for the surviving pieces.
  // The whole old buffer is detached first-class: no JS view can span an
  // unmapped hole. length is rounded up to whole pages, as munmap does.
  Napi::Value UnmapRange(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t off, len;
    Range(info, "munmap", &off, &len);
    RequireUnpinned(env, "munmap");
    size_t end = RoundUp(off + len);
    if (end > region_->maplen) end = region_->maplen;
    if (munmap(region_->addr + off, end - off) < 0)
      ThrowErrno(env, errno, "munmap");
    RegionPtr old = region_;
    Retire();
    std::vector<RegionPtr> pieces;
    if (off > 0) {
      auto r = std::make_shared<Region>();
      r->addr = old->addr;
      r->length = off;
      r->maplen = off;
      r->owned = true;
      pieces.push_back(r);
    }
    if (end < old->maplen) {
      auto r = std::make_shared<Region>();
      r->addr = old->addr + end;
      r->length = old->length - end;
      r->maplen = old->maplen - end;
      r->owned = true;
      pieces.push_back(r);
    }
    Napi::Array out = Napi::Array::New(env, pieces.size());
    for (size_t i = 0; i < pieces.size(); i++)
      out.Set(static_cast<uint32_t>(i), Wrap(env, pieces[i]));
    return out;
  }

  Napi::Value Madvise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t off, len;
    Range(info, "madvise", &off, &len);
    int advice = static_cast<int>(ArgInt(info, 2, "advice", 0, INT_MAX));
    switch (advice) {
      // Advice that keeps the range readable and writable from JS. Others
      // (MADV_HWPOISON, MADV_SOFT_OFFLINE, MADV_GUARD_INSTALL, ...) could
      // make a later JS access fault, so they are refused.
      case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
      case MADV_WILLNEED: case MADV_DONTNEED: case MADV_FREE:
      case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
      case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
      case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
      case MADV_WIPEONFORK: case MADV_KEEPONFORK:
#ifdef MADV_COLD
      case MADV_COLD: case MADV_PAGEOUT:
#endif
        break;
      default:
        ThrowErrno(env, EINVAL, "madvise");
    }
    if (madvise(region_->addr + off, len, advice) < 0)
      ThrowErrno(env, errno, "madvise");
    return env.Undefined();
  }

  Napi::Value Mprotect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t off, len;
    Range(info, "mprotect", &off, &len);
    int prot = static_cast<int>(ArgInt(info, 2, "prot", 0, INT_MAX));
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
      ThrowErrno(env, EINVAL, "mprotect");
    if (mprotect(region_->addr + off, len, prot) < 0)
      ThrowErrno(env, errno, "mprotect");
    return env.Undefined();
  }

  // remap(newLength, mayMove = true) -> new MappingHandle; this one detaches.
  Napi::Value Remap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireLive(env);
    size_t newlen =
        static_cast<size_t>(ArgInt(info, 0, "newLength", 1, 9007199254740991LL));
    bool may_move = true;
    if (!info[1].IsUndefined()) {
      if (!info[1].IsBoolean()) ThrowArgType(env, "mayMove", "of type boolean", info[1]);
      may_move = info[1].As<Napi::Boolean>().Value();
    }
    RequireUnpinned(env, "mremap");
    size_t newmap = RoundUp(newlen);
    void* p = mremap(region_->addr, region_->maplen, newmap,
                     may_move ? MREMAP_MAYMOVE : 0);
    if (p == MAP_FAILED) ThrowErrno(env, errno, "mremap");
    Retire();
    auto r = std::make_shared<Region>();
    r->addr = static_cast<uint8_t*>(p);
    r->length = newlen;
    r->maplen = newmap;
    r->owned = true;
    return Wrap(env, r);
  }

  RegionPtr region_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

int ArgProt(const Napi::CallbackInfo& info, size_t i, const char* syscall) {
  int prot = static_cast<int>(ArgInt(info, i, "prot", 0, INT_MAX));
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
    ThrowErrno(info.Env(), EINVAL, syscall);
  return prot;
}

Napi::Value Map(const Napi::CallbackInfo& info, int fd, size_t length, int prot,
                int flags, uint64_t offset) {
  void* p = mmap(nullptr, RoundUp(length), prot, flags, fd,
                 static_cast<off_t>(offset));
  if (p == MAP_FAILED) ThrowErrno(info.Env(), errno, "mmap");
  auto r = std::make_shared<Region>();
  r->addr = static_cast<uint8_t*>(p);
  r->length = length;
  r->maplen = RoundUp(length);
  r->owned = true;
  return MappingHandle::Wrap(info.Env(), r);
}

// mmap(fd, length, prot, flags, offset) -> MappingHandle
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  size_t length =
      static_cast<size_t>(ArgInt(info, 1, "length", 1, 9007199254740991LL));
  int prot = ArgProt(info, 2, "mmap");
  int flags = static_cast<int>(ArgInt(info, 3, "flags", 0, INT_MAX));
  uint64_t offset = ArgU64(info, 4, "offset");
  // Without an address argument MAP_FIXED* can only clobber existing
  // mappings (the JS heap among them): refuse.
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ThrowErrno(env, EINVAL, "mmap");
  if (offset % PageSize() != 0 || offset > static_cast<uint64_t>(LLONG_MAX))
    ThrowErrno(env, EINVAL, "mmap");
  return Map(info, fd, length, prot, flags, offset);
}

// mmapAnonymous(length, prot, flags = MAP_PRIVATE) -> MappingHandle
Napi::Value MmapAnonymous(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t length =
      static_cast<size_t>(ArgInt(info, 0, "length", 1, 9007199254740991LL));
  int prot = ArgProt(info, 1, "mmap");
  int flags = MAP_PRIVATE;
  if (!info[2].IsUndefined())
    flags = static_cast<int>(ArgInt(info, 2, "flags", 0, INT_MAX));
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ThrowErrno(env, EINVAL, "mmap");
  return Map(info, -1, length, prot, flags | MAP_ANONYMOUS, 0);
}

// addressOf(view) -> bigint address of the view's first byte.
Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  Bytes b = ArgBytes(info, 0, "view");
  return Napi::BigInt::New(
      info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(b.data)));
}

Napi::Value SetForceNoExternal(const Napi::CallbackInfo& info) {
  GetEnvData(info.Env())->force_no_external = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

void SetConst(Napi::Env env, Napi::Object o, const char* name, double v) {
  o.Set(name, Napi::Number::New(env, v));
}

}  // namespace

RegionPtr RegionOf(Napi::Env env, Napi::Value v, const char* name) {
  EnvData* data = GetEnvData(env);
  if (!v.IsObject() ||
      !v.As<Napi::Object>().InstanceOf(data->mapping_ctor.Value()))
    ThrowArgType(env, name, "a Mapping", v);
  return MappingHandle::Unwrap(v.As<Napi::Object>())->region();
}

void InitMmap(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = MappingHandle::Define(env);
  GetEnvData(env)->mapping_ctor = Napi::Persistent(ctor);
  exports.Set("MappingHandle", ctor);
  exports.Set("mmap", Napi::Function::New(env, Mmap, "mmap"));
  exports.Set("mmapAnonymous", Napi::Function::New(env, MmapAnonymous, "mmapAnonymous"));
  exports.Set("addressOf", Napi::Function::New(env, AddressOf, "addressOf"));
  exports.Set("_setForceNoExternal",
              Napi::Function::New(env, SetForceNoExternal, "_setForceNoExternal"));

  Napi::Object c = exports.Get("constants").As<Napi::Object>();
  SetConst(env, c, "PROT_NONE", PROT_NONE);
  SetConst(env, c, "PROT_READ", PROT_READ);
  SetConst(env, c, "PROT_WRITE", PROT_WRITE);
  SetConst(env, c, "PROT_EXEC", PROT_EXEC);
  SetConst(env, c, "MAP_SHARED", MAP_SHARED);
  SetConst(env, c, "MAP_PRIVATE", MAP_PRIVATE);
  SetConst(env, c, "MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE);
  SetConst(env, c, "MAP_ANONYMOUS", MAP_ANONYMOUS);
  SetConst(env, c, "MAP_POPULATE", MAP_POPULATE);
  SetConst(env, c, "MAP_NORESERVE", MAP_NORESERVE);
  SetConst(env, c, "MAP_LOCKED", MAP_LOCKED);
  SetConst(env, c, "MREMAP_MAYMOVE", MREMAP_MAYMOVE);
  SetConst(env, c, "MADV_NORMAL", MADV_NORMAL);
  SetConst(env, c, "MADV_RANDOM", MADV_RANDOM);
  SetConst(env, c, "MADV_SEQUENTIAL", MADV_SEQUENTIAL);
  SetConst(env, c, "MADV_WILLNEED", MADV_WILLNEED);
  SetConst(env, c, "MADV_DONTNEED", MADV_DONTNEED);
  SetConst(env, c, "MADV_FREE", MADV_FREE);
  SetConst(env, c, "MADV_REMOVE", MADV_REMOVE);
  SetConst(env, c, "MADV_DONTFORK", MADV_DONTFORK);
  SetConst(env, c, "MADV_DOFORK", MADV_DOFORK);
  SetConst(env, c, "MADV_MERGEABLE", MADV_MERGEABLE);
  SetConst(env, c, "MADV_UNMERGEABLE", MADV_UNMERGEABLE);
  SetConst(env, c, "MADV_HUGEPAGE", MADV_HUGEPAGE);
  SetConst(env, c, "MADV_NOHUGEPAGE", MADV_NOHUGEPAGE);
  SetConst(env, c, "MADV_DONTDUMP", MADV_DONTDUMP);
  SetConst(env, c, "MADV_DODUMP", MADV_DODUMP);
  SetConst(env, c, "MADV_WIPEONFORK", MADV_WIPEONFORK);
  SetConst(env, c, "MADV_KEEPONFORK", MADV_KEEPONFORK);
#ifdef MADV_COLD
  SetConst(env, c, "MADV_COLD", MADV_COLD);
  SetConst(env, c, "MADV_PAGEOUT", MADV_PAGEOUT);
#endif
}

}  // namespace kchan
