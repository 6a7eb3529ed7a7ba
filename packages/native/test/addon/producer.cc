// Test-only addon (built only in the workspace, never published; see
// test/addon/binding.gyp and scripts/build-native.mjs): startProducer.
//
// startProducer(buffer, slots, count, delayMs = 0) runs a C++ thread that writes
// `count` entries into an SPSC ring laid out in `buffer` (an ArrayBuffer over
// a mapping of the production addon, e.g. mmapAnonymous(...).buffer), so a JS
// test can prove that Atomics on an external (non-shared) ArrayBuffer order
// and re-read memory under V8's optimising compiler:
//
//   offset   0: u32 head   written by the producer (release store)
//   offset  64: u32 tail   written by the consumer (JS Atomics.store)
//   offset 128: slots[slots] of 8 bytes: u32 lo = seq, u32 hi = seq * K
//
// head and tail are free-running; slot index = counter & (slots - 1). The
// producer stores hi before lo with separate 32-bit stores, then publishes
// head with a release store; a reader that loaded head too early, or whose
// loads were hoisted, sees a stale lap or a half-written pair.
//
// This addon cannot pin the other addon's mapping: the producer holds a
// reference to the ArrayBuffer (so it is not collected), and the caller must
// not unmap it before join()/stop() return.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <napi.h>

#include <string>

namespace kchan_testing {

namespace {

constexpr uint32_t kMix = 0x9E3779B1u;
constexpr size_t kHeadOff = 0;
constexpr size_t kTailOff = 64;
constexpr size_t kSlotsOff = 128;

int64_t Int(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = info[i];
  if (!v.IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != static_cast<int64_t>(d))
    throw Napi::RangeError::New(info.Env(), std::string(name) + " out of range");
  return static_cast<int64_t>(d);
}

class Producer : public Napi::ObjectWrap<Producer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Producer",
                       {
                           InstanceMethod<&Producer::Join>("join"),
                           InstanceMethod<&Producer::Stop>("stop"),
                           InstanceAccessor<&Producer::GetProduced>("produced"),
                           InstanceAccessor<&Producer::GetFullSpins>("fullSpins"),
                       });
  }

  explicit Producer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Producer>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArrayBuffer())
      throw Napi::TypeError::New(env, "buffer must be an ArrayBuffer");
    Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
    base_ = static_cast<uint8_t*>(buffer.Data());
    size_t length = buffer.ByteLength();
    slots_ = static_cast<uint32_t>(Int(info, 1, "slots", 1, 1 << 20));
    if ((slots_ & (slots_ - 1)) != 0)
      throw Napi::RangeError::New(env, "slots must be a power of two");
    count_ = static_cast<uint64_t>(Int(info, 2, "count", 0, 1LL << 40));
    if (base_ == nullptr || length < kSlotsOff + 8ull * slots_)
      throw Napi::RangeError::New(env, "buffer.byteLength must be >= " +
                                           std::to_string(kSlotsOff + 8ull * slots_));
    if (!info[3].IsUndefined())
      delay_ms_ = static_cast<int>(Int(info, 3, "delayMs", 0, 60000));
    buffer_ = Napi::Persistent(buffer);
    pinned_ = true;
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    env_ = env;
    thread_ = std::thread(&Producer::Run, this);
  }

  ~Producer() override { Finish(true, true); }

 private:
  static void CleanupHook(void* arg) {
    static_cast<Producer*>(arg)->Finish(false, true);
  }

  // Joins the thread (asking it to stop first if `stop`) and unpins.
  void Finish(bool remove_hook, bool stop) {
    if (!pinned_) return;
    if (stop) stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (remove_hook) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    if (remove_hook) buffer_.Reset();
    pinned_ = false;
  }

  void Run() {
    uint8_t* base = base_;
    // The mapping is page-aligned, so these u32 are naturally aligned and
    // std::atomic_ref-equivalent access through __atomic builtins is sound.
    uint32_t* head = reinterpret_cast<uint32_t*>(base + kHeadOff);
    uint32_t* tail = reinterpret_cast<uint32_t*>(base + kTailOff);
    uint32_t* slots = reinterpret_cast<uint32_t*>(base + kSlotsOff);
    for (int waited = 0; waited < delay_ms_; waited++) {
      if (stop_.load(std::memory_order_relaxed)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    uint32_t h = __atomic_load_n(head, __ATOMIC_RELAXED);
    uint32_t mask = slots_ - 1;
    for (uint64_t seq = 0; seq < count_; seq++) {
      unsigned spins = 0;
      // Full: wait for the consumer. Pairs with the JS Atomics.store(tail).
      while (h - __atomic_load_n(tail, __ATOMIC_ACQUIRE) >= slots_) {
        if (stop_.load(std::memory_order_relaxed)) return;
        full_spins_.fetch_add(1, std::memory_order_relaxed);
        if (++spins > 64) sched_yield();
      }
      uint32_t* slot = slots + 2 * (h & mask);
      uint32_t lo = static_cast<uint32_t>(seq);
      __atomic_store_n(slot + 1, lo * kMix, __ATOMIC_RELAXED);
      __atomic_store_n(slot, lo, __ATOMIC_RELAXED);
      h++;
      // Publish: pairs with the JS Atomics.load(head).
      __atomic_store_n(head, h, __ATOMIC_RELEASE);
      produced_.store(seq + 1, std::memory_order_relaxed);
    }
  }

  // Waits for all entries to be written (the consumer must keep up).
  Napi::Value Join(const Napi::CallbackInfo& info) {
    Finish(true, false);
    return GetProduced(info);
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Finish(true, true);
    return GetProduced(info);
  }

  Napi::Value GetProduced(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(produced_.load()));
  }
  Napi::Value GetFullSpins(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(full_spins_.load()));
  }

  uint8_t* base_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  uint32_t slots_ = 0;
  uint64_t count_ = 0;
  int delay_ms_ = 0;
  bool pinned_ = false;
  napi_env env_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> produced_{0};
  std::atomic<uint64_t> full_spins_{0};
};

Napi::Value StartProducer(const Napi::CallbackInfo& info) {
  auto* ctor = info.Env().GetInstanceData<Napi::FunctionReference>();
  return ctor->New({info[0], info[1], info[2], info[3]});
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(Producer::Define(env))));
  exports.Set("startProducer", Napi::Function::New(env, StartProducer, "startProducer"));
  return exports;
}

}  // namespace kchan_testing

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return kchan_testing::Init(env, exports);
}

NODE_API_MODULE(kchan_native_testing, InitModule)
