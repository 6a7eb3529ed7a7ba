// Test-only helpers, exported as `_testing` (not public API).
//
// startProducer(mapping, slots, count, delayMs = 0) runs a C++ thread that writes
// `count` entries into an SPSC ring laid out in the mapping, so a JS test can
// prove that Atomics on an external (non-shared) ArrayBuffer order and re-read
// memory under V8's optimising compiler:
//
//   offset   0: u32 head   written by the producer (release store)
//   offset  64: u32 tail   written by the consumer (JS Atomics.store)
//   offset 128: slots[slots] of 8 bytes: u32 lo = seq, u32 hi = seq * K
//
// head and tail are free-running; slot index = counter & (slots - 1). The
// producer stores hi before lo with separate 32-bit stores, then publishes
// head with a release store; a reader that loaded head too early, or whose
// loads were hoisted, sees a stale lap or a half-written pair.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "mmap.h"

namespace kchan {

namespace {

constexpr uint32_t kMix = 0x9E3779B1u;
constexpr size_t kHeadOff = 0;
constexpr size_t kTailOff = 64;
constexpr size_t kSlotsOff = 128;

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
    region_ = RegionOf(env, info[0], "mapping");
    if (!region_->owned)
      ThrowCode(env, "ERR_INVALID_STATE", "Invalid state: the mapping is unmapped");
    slots_ = static_cast<uint32_t>(ArgInt(info, 1, "slots", 1, 1 << 20));
    if ((slots_ & (slots_ - 1)) != 0)
      ThrowOutOfRange(env, "slots", "a power of two", std::to_string(slots_));
    count_ = static_cast<uint64_t>(ArgInt(info, 2, "count", 0, 1LL << 40));
    if (region_->length < kSlotsOff + 8ull * slots_)
      ThrowOutOfRange(env, "mapping.length",
                      ">= " + std::to_string(kSlotsOff + 8ull * slots_),
                      std::to_string(region_->length));
    if (!info[3].IsUndefined())
      delay_ms_ = static_cast<int>(ArgInt(info, 3, "delayMs", 0, 60000));
    region_->pins++;
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
    region_->pins--;
    pinned_ = false;
  }

  void Run() {
    uint8_t* base = region_->addr;
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

  RegionPtr region_;
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
  return GetEnvData(info.Env())->producer_ctor.New({info[0], info[1], info[2], info[3]});
}

}  // namespace

void InitTesting(Napi::Env env, Napi::Object testing) {
  Napi::Function ctor = Producer::Define(env);
  GetEnvData(env)->producer_ctor = Napi::Persistent(ctor);
  testing.Set("startProducer", Napi::Function::New(env, StartProducer, "startProducer"));
}

}  // namespace kchan
