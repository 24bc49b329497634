// A generic N-API binding of libtorch: tensors, the ops a transformer encoder
// and its losses need, autograd, in-place optimizer updates and RNG control.
// It knows nothing about any model; all model code lives in TypeScript.
#include <napi.h>
#include <torch/torch.h>
#include <c10/core/CPUAllocator.h>
#include <ATen/CPUGeneratorImpl.h>
#ifdef INBATCH_DISTRIBUTED
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

#include <cstdlib>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// A caching CPU allocator. Inside Node, glibc never raises its mmap threshold
// (something in the process pins it), so every tensor over 128 KiB was a fresh
// mmap whose pages all faulted on first touch: matmuls ran 3-4x slower than in
// Python. Freed blocks are kept in size classes (<= 25% rounding) and reused.
class CachingCpuAllocator final : public c10::Allocator {
 public:
  static constexpr size_t kMinCached = 64 * 1024;
  static constexpr size_t kAlignment = 64;

  // libtorch 2.3 made allocate non-const and added copy_data; Debian's 1.13 has the older interface
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override {
    void* p = instance().take(n);
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#else
  c10::DataPtr allocate(size_t n) const override {
    void* p = instance().take(n);
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  static CachingCpuAllocator& instance() {
    static CachingCpuAllocator* a = new CachingCpuAllocator();  // never destroyed: tensors may outlive statics
    return *a;
  }

  size_t cachedBytes() {
    std::lock_guard<std::mutex> g(mu_);
    return cached_;
  }

  void emptyCache() {
    std::lock_guard<std::mutex> g(mu_);
    freeAllLocked();
  }

 private:
  static size_t sizeClass(size_t n) {
    if (n < kMinCached) return n;
    size_t top = size_t(1) << (63 - __builtin_clzll(n));  // highest power of two <= n
    size_t step = top / 4;
    return (n + step - 1) / step * step;
  }

  void* take(size_t n) {
    if (n == 0) return nullptr;
    size_t size = sizeClass(n);
    if (size >= kMinCached) {
      std::lock_guard<std::mutex> g(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        live_[p] = size;
        return p;
      }
    }
    void* p = nullptr;
    if (posix_memalign(&p, kAlignment, size) != 0 || p == nullptr) {
      emptyCache();
      if (posix_memalign(&p, kAlignment, size) != 0 || p == nullptr) throw std::bad_alloc();
    }
    if (size >= kMinCached) {
      std::lock_guard<std::mutex> g(mu_);
      live_[p] = size;
    }
    return p;
  }

  static void release(void* p) {
    if (p == nullptr) return;
    CachingCpuAllocator& a = instance();
    {
      std::lock_guard<std::mutex> g(a.mu_);
      auto it = a.live_.find(p);
      if (it != a.live_.end()) {
        size_t size = it->second;
        a.live_.erase(it);
        if (size <= a.limit_) {
          // Full: drop everything cached so far. Length-grouped batches come in many shapes, and
          // keeping a block of every shape ever seen grew the cache without bound; after a flush
          // the cache refills with the blocks of the current steps.
          if (a.cached_ + size > a.limit_) a.freeAllLocked();
          a.free_[size].push_back(p);
          a.cached_ += size;
          return;
        }
      }
    }
    std::free(p);
  }

  void freeAllLocked() {
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) std::free(p);
      blocks.clear();
    }
    cached_ = 0;
  }

  CachingCpuAllocator() {
    const char* env = std::getenv("INBATCH_CPU_CACHE_MB");
    limit_ = (env ? std::strtoull(env, nullptr, 10) : 1024ull) * 1024 * 1024;
  }

  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  std::unordered_map<void*, size_t> live_;
  size_t cached_ = 0;
  size_t limit_ = 0;
};

class Tensor : public Napi::ObjectWrap<Tensor> {
 public:
  torch::Tensor value;
  int64_t accounted = 0;

  static Napi::Function Define(Napi::Env env) { return DefineClass(env, "Tensor", {}); }

  explicit Tensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tensor>(info) {}

  ~Tensor() { release(); }

  void attach(Napi::Env env, torch::Tensor t) {
    value = std::move(t);
    env_ = env;
  }

  // Tells V8 how much native memory this handle keeps alive, so that the garbage
  // collector runs when it should. Only for tensors that no tidy scope will dispose:
  // accounting every activation made V8 run several full collections per training step.
  void track() {
    if (accounted > 0 || !value.defined() || env_ == nullptr) return;
    accounted = static_cast<int64_t>(value.numel() * value.element_size());
    if (accounted > 0) Napi::MemoryManagement::AdjustExternalMemory(env_, accounted);
  }

  void release() {
    if (accounted > 0 && env_ != nullptr) {
      Napi::MemoryManagement::AdjustExternalMemory(env_, -accounted);
    }
    accounted = 0;
    value = torch::Tensor();
  }

 private:
  napi_env env_ = nullptr;
};

// Per-environment state (the main thread and each worker thread that loads the addon):
// the Tensor class of that environment. No JS handle lives in a static.
class InbatchTorch;
Napi::FunctionReference& tensorClass(Napi::Env env);

// An error in how the binding was called (wrong argument), as opposed to one raised by libtorch.
struct BindingError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Napi::Value wrap(Napi::Env env, torch::Tensor t) {
  Napi::Object obj = tensorClass(env).New({});
  Tensor::Unwrap(obj)->attach(env, std::move(t));
  return obj;
}

// The Tensor behind a JS value; throws a TypeError for anything that is not one of ours.
Tensor* handle(const Napi::Value& v) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(tensorClass(v.Env()).Value())) {
    throw Napi::TypeError::New(v.Env(), "expected a Tensor");
  }
  return Tensor::Unwrap(v.As<Napi::Object>());
}

torch::Tensor& unwrap(const Napi::Value& v) {
  Tensor* t = handle(v);
  if (!t->value.defined()) throw Napi::Error::New(v.Env(), "tensor was disposed");
  return t->value;
}

std::vector<int64_t> shapeOf(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected a shape array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

torch::Dtype dtypeOf(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "float64") return torch::kFloat64;
  if (name == "float16") return torch::kFloat16;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "int64") return torch::kInt64;
  if (name == "int32") return torch::kInt32;
  if (name == "bool") return torch::kBool;
  if (name == "uint8") return torch::kUInt8;
  throw BindingError("unknown dtype " + name);
}

std::string dtypeName(torch::Dtype d) {
  switch (d) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kBool: return "bool";
    case torch::kUInt8: return "uint8";
    default: return "other";
  }
}

torch::TensorOptions optionsOf(const Napi::CallbackInfo& info, size_t dtypeArg, size_t deviceArg) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  if (info.Length() > dtypeArg && info[dtypeArg].IsString()) opts = opts.dtype(dtypeOf(info[dtypeArg].As<Napi::String>()));
  if (info.Length() > deviceArg && info[deviceArg].IsString()) opts = opts.device(torch::Device(info[deviceArg].As<Napi::String>().Utf8Value()));
  return opts;
}

double num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
int64_t int64(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
bool flag(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean().Value(); }

// Every binding goes through this, so libtorch errors become JS exceptions; errors of the
// binding itself (a wrong argument) are not reported as libtorch's.
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const BindingError& e) {
    throw Napi::TypeError::New(info.Env(), std::string("inbatch_torch: ") + e.what());
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("libtorch: ") + e.what());
  }
}

#define OP(name) Napi::Value name(const Napi::CallbackInfo& info) { return guarded(info, [&]() -> Napi::Value {
#define END }); }
#define T(i) unwrap(info[i])
#define RET(expr) return wrap(info.Env(), (expr))

// ---- creation and data exchange -------------------------------------------

OP(fromData)
  auto shape = shapeOf(info[1]);
  auto device = info.Length() > 2 && info[2].IsString() ? torch::Device(info[2].As<Napi::String>().Utf8Value()) : torch::Device("cpu");
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  void* data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  torch::Dtype dt;
  switch (arr.TypedArrayType()) {
    case napi_float32_array: dt = torch::kFloat32; break;
    case napi_float64_array: dt = torch::kFloat64; break;
    case napi_bigint64_array: dt = torch::kInt64; break;
    case napi_int32_array: dt = torch::kInt32; break;
    case napi_uint8_array: dt = torch::kUInt8; break;
    case napi_uint16_array: dt = torch::kFloat16; break;  // raw IEEE half bits
    default: throw BindingError("unsupported typed array (Float32, Float64, BigInt64, Int32, Uint8 or Uint16 for float16 bits)");
  }
  int64_t n = 1;
  for (auto s : shape) n *= s;
  if (n != static_cast<int64_t>(arr.ElementLength())) {
    throw BindingError("data length " + std::to_string(arr.ElementLength()) + " does not match shape (" + std::to_string(n) + " elements)");
  }
  RET(torch::from_blob(data, shape, torch::TensorOptions().dtype(dt)).clone().to(device));
END

OP(toData)
  torch::Tensor t = T(0).detach().to(torch::kCPU).contiguous();
  Napi::Env env = info.Env();
  size_t n = static_cast<size_t>(t.numel());
  switch (t.scalar_type()) {
    case torch::kFloat32: {
      auto out = Napi::Float32Array::New(env, n);
      std::memcpy(out.Data(), t.data_ptr<float>(), n * 4);
      return out;
    }
    case torch::kFloat64: {
      auto out = Napi::Float64Array::New(env, n);
      std::memcpy(out.Data(), t.data_ptr<double>(), n * 8);
      return out;
    }
    case torch::kInt64: {
      auto out = Napi::BigInt64Array::New(env, n);
      std::memcpy(out.Data(), t.data_ptr<int64_t>(), n * 8);
      return out;
    }
    case torch::kInt32: {
      auto out = Napi::Int32Array::New(env, n);
      std::memcpy(out.Data(), t.data_ptr<int32_t>(), n * 4);
      return out;
    }
    case torch::kUInt8:
    case torch::kBool: {
      auto out = Napi::Uint8Array::New(env, n);
      std::memcpy(out.Data(), t.data_ptr(), n);
      return out;
    }
    default: {
      auto f = t.to(torch::kFloat32).contiguous();
      auto out = Napi::Float32Array::New(env, n);
      std::memcpy(out.Data(), f.data_ptr<float>(), n * 4);
      return out;
    }
  }
END

OP(item) return Napi::Number::New(info.Env(), T(0).item<double>()); END
OP(zeros) RET(torch::zeros(shapeOf(info[0]), optionsOf(info, 1, 2))); END
OP(ones) RET(torch::ones(shapeOf(info[0]), optionsOf(info, 1, 2))); END
OP(full) RET(torch::full(shapeOf(info[0]), num(info, 1), optionsOf(info, 2, 3))); END
OP(randn) RET(torch::randn(shapeOf(info[0]), optionsOf(info, 1, 2))); END
OP(eye) RET(torch::eye(int64(info, 0), optionsOf(info, 1, 2))); END
OP(arange) RET(torch::arange(int64(info, 0), optionsOf(info, 1, 2))); END

OP(shape)
  auto sizes = T(0).sizes();
  Napi::Array out = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return out;
END
OP(dtype) return Napi::String::New(info.Env(), dtypeName(T(0).scalar_type())); END
OP(device) return Napi::String::New(info.Env(), T(0).device().str()); END
OP(toDtype) RET(T(0).to(dtypeOf(info[1].As<Napi::String>()))); END
OP(toDevice) RET(T(0).to(torch::Device(info[1].As<Napi::String>().Utf8Value()))); END

OP(trackMemory) handle(info[0])->track(); return info.Env().Undefined(); END
OP(dispose) handle(info[0])->release(); return info.Env().Undefined(); END

// ---- autograd ---------------------------------------------------------------

OP(setRequiresGrad) T(0).requires_grad_(flag(info, 1)); return info.Env().Undefined(); END
OP(requiresGrad) return Napi::Boolean::New(info.Env(), T(0).requires_grad()); END
OP(grad)
  torch::Tensor g = T(0).grad();
  if (!g.defined()) return info.Env().Null();
  RET(g);
END
OP(clearGrad)
  torch::Tensor& t = T(0);
  if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
  return info.Env().Undefined();
END
OP(backward) T(0).backward(); return info.Env().Undefined(); END
OP(detach) RET(T(0).detach()); END
OP(setGradEnabled) torch::autograd::GradMode::set_enabled(flag(info, 0)); return info.Env().Undefined(); END
OP(isGradEnabled) return Napi::Boolean::New(info.Env(), torch::autograd::GradMode::is_enabled()); END

// ---- elementwise and reductions ---------------------------------------------

OP(add) RET(T(0) + T(1)); END
OP(sub) RET(T(0) - T(1)); END
OP(mul) RET(T(0) * T(1)); END
OP(div) RET(T(0) / T(1)); END
OP(addScalar) RET(T(0) + num(info, 1)); END
OP(mulScalar) RET(T(0) * num(info, 1)); END
OP(pow) RET(T(0).pow(num(info, 1))); END
OP(sqrt) RET(T(0).sqrt()); END
OP(tanh) RET(T(0).tanh()); END
OP(gelu) RET(torch::gelu(T(0))); END  // exact erf form, as BERT
OP(relu) RET(torch::relu(T(0))); END
OP(softmax) RET(torch::softmax(T(0), int64(info, 1))); END
OP(logSoftmax) RET(torch::log_softmax(T(0), int64(info, 1))); END
OP(clampMin) RET(T(0).clamp_min(num(info, 1))); END

OP(sum)
  if (info.Length() < 2 || info[1].IsUndefined() || info[1].IsNull()) RET(T(0).sum());
  RET(T(0).sum(shapeOf(info[1]), flag(info, 2)));
END
OP(mean)
  if (info.Length() < 2 || info[1].IsUndefined() || info[1].IsNull()) RET(T(0).mean());
  RET(T(0).mean(shapeOf(info[1]), flag(info, 2)));
END
OP(argmax) RET(T(0).argmax(int64(info, 1), flag(info, 2))); END
OP(abs) RET(T(0).abs()); END
OP(maxAll) RET(T(0).max()); END
OP(topk)
  auto r = torch::topk(T(0), int64(info, 1), int64(info, 2), true, true);
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, wrap(info.Env(), std::get<0>(r)));
  out.Set(1u, wrap(info.Env(), std::get<1>(r)));
  return out;
END

// ---- shape ------------------------------------------------------------------

OP(reshape) RET(T(0).reshape(shapeOf(info[1]))); END
OP(transpose) RET(T(0).transpose(int64(info, 1), int64(info, 2))); END
OP(permute) RET(T(0).permute(shapeOf(info[1]))); END
OP(contiguous) RET(T(0).contiguous()); END
OP(unsqueeze) RET(T(0).unsqueeze(int64(info, 1))); END
OP(select) RET(T(0).select(int64(info, 1), int64(info, 2))); END
OP(narrow) RET(T(0).narrow(int64(info, 1), int64(info, 2), int64(info, 3))); END
OP(indexSelect) RET(T(0).index_select(int64(info, 1), T(2))); END
OP(cat)
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<torch::Tensor> parts;
  for (uint32_t i = 0; i < a.Length(); ++i) parts.push_back(unwrap(a.Get(i)));
  RET(torch::cat(parts, int64(info, 1)));
END
OP(clone) RET(T(0).clone()); END

// ---- neural network pieces --------------------------------------------------

OP(matmul) RET(torch::matmul(T(0), T(1))); END
OP(linear)
  if (info.Length() > 2 && info[2].IsObject()) RET(torch::linear(T(0), T(1), T(2)));
  RET(torch::linear(T(0), T(1)));
END
OP(embedding) RET(torch::embedding(T(0), T(1))); END
OP(layerNorm) RET(torch::layer_norm(T(0), shapeOf(info[1]), T(2), T(3), num(info, 4))); END
OP(dropout) RET(torch::dropout(T(0), num(info, 1), flag(info, 2))); END
OP(normalize)
  // x / max(||x||_2, eps) along dim, as torch.nn.functional.normalize
  auto& x = T(0);
  int64_t dim = int64(info, 1);
  double eps = num(info, 2);
  RET(x / x.norm(2, {dim}, true).clamp_min(eps).expand_as(x));
END
OP(crossEntropy) RET(torch::nll_loss(torch::log_softmax(T(0), 1), T(1))); END
OP(norm) RET(T(0).norm()); END

// ---- in-place updates (optimizers, initialisation) -----------------------------

OP(mulScalar_) torch::NoGradGuard g; T(0).mul_(num(info, 1)); return info.Env().Undefined(); END
OP(add_) torch::NoGradGuard g; T(0).add_(T(1), num(info, 2)); return info.Env().Undefined(); END
OP(addcmul_) torch::NoGradGuard g; T(0).addcmul_(T(1), T(2), num(info, 3)); return info.Env().Undefined(); END
OP(addcdiv_) torch::NoGradGuard g; T(0).addcdiv_(T(1), T(2), num(info, 3)); return info.Env().Undefined(); END
OP(copy_) torch::NoGradGuard g; T(0).copy_(T(1)); return info.Env().Undefined(); END
OP(indexCopy_) torch::NoGradGuard g; T(0).index_copy_(int64(info, 1), T(2), T(3)); return info.Env().Undefined(); END
OP(fill_) torch::NoGradGuard g; T(0).fill_(num(info, 1)); return info.Env().Undefined(); END
OP(normal_) torch::NoGradGuard g; T(0).normal_(num(info, 1), num(info, 2)); return info.Env().Undefined(); END

// ---- runtime ------------------------------------------------------------------

OP(manualSeed) torch::manual_seed(static_cast<uint64_t>(int64(info, 0))); return info.Env().Undefined(); END
// A device's default generator state (dropout masks, normal_): saved and restored to replay the same
// masks. CUDA kernels draw from the CUDA generator of their device (seed + Philox offset), not the CPU's.
at::Generator generatorOf(const Napi::CallbackInfo& info, size_t deviceArg) {
  std::string device = info.Length() > deviceArg && info[deviceArg].IsString() ? info[deviceArg].As<Napi::String>().Utf8Value() : "cpu";
  return at::globalContext().defaultGenerator(torch::Device(device));
}
OP(rngState)
  auto gen = generatorOf(info, 0);
  std::lock_guard<std::mutex> lock(gen.mutex());
  RET(gen.get_state());
END
OP(setRngState)
  auto gen = generatorOf(info, 1);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(0));
  return info.Env().Undefined();
END
OP(setNumThreads) torch::set_num_threads(static_cast<int>(int64(info, 0))); return info.Env().Undefined(); END
OP(getNumThreads) return Napi::Number::New(info.Env(), torch::get_num_threads()); END
OP(cudaIsAvailable) return Napi::Boolean::New(info.Env(), torch::cuda::is_available()); END
OP(version) return Napi::String::New(info.Env(), TORCH_VERSION); END

OP(emptyCache) CachingCpuAllocator::instance().emptyCache(); return info.Env().Undefined(); END
OP(cachedBytes) return Napi::Number::New(info.Env(), static_cast<double>(CachingCpuAllocator::instance().cachedBytes())); END

// ---- collectives (torch.distributed's c10d: a TCPStore rendezvous and ProcessGroupGloo, or
// ProcessGroupNCCL when built against a CUDA libtorch with USE_C10D_NCCL) -------
// Generic: all-reduce, all-gather, broadcast, barrier over tensors. Calls block until every rank
// has joined, or fail after the group's timeout.

#ifdef INBATCH_DISTRIBUTED
// libtorch 2.0 split the process group into a dispatcher (ProcessGroup) and its backends: since then
// ProcessGroupGloo/NCCL derive from c10d::Backend, which carries the same collective methods.
#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif
std::vector<c10::intrusive_ptr<CollectiveGroup>>& processGroups(Napi::Env env);

CollectiveGroup& group(const Napi::CallbackInfo& info) {
  auto& groups = processGroups(info.Env());
  int64_t id = int64(info, 0);
  if (id < 0 || id >= static_cast<int64_t>(groups.size()) || !groups[id]) throw BindingError("no such process group (destroyed?)");
  return *groups[id];
}

OP(initProcessGroup)
  std::string addr = info[0].As<Napi::String>().Utf8Value();
  int port = static_cast<int>(int64(info, 1)), rank = static_cast<int>(int64(info, 2)), world = static_cast<int>(int64(info, 3));
  auto timeout = std::chrono::milliseconds(int64(info, 4));
  if (rank < 0 || world < 1 || rank >= world) throw BindingError("rank must be in [0, world size)");
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(port);
  so.isServer = rank == 0;
  so.numWorkers = world;
  so.waitWorkers = true;
  so.timeout = timeout;
  std::string backend = info.Length() > 5 && info[5].IsString() ? info[5].As<Napi::String>().Utf8Value() : "gloo";
  if (backend != "gloo" && backend != "nccl") throw BindingError("backend must be gloo or nccl");
#ifndef USE_C10D_NCCL
  if (backend == "nccl") throw BindingError("this build has no NCCL: build the addon against a CUDA libtorch (see the README)");
#endif
  // a store file (every rank on this machine) needs no listening socket; otherwise rank 0 serves a TCPStore
  std::string storeFile = info.Length() > 6 && info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
  c10::intrusive_ptr<c10d::Store> store;
  if (!storeFile.empty()) {
    auto fileStore = c10::make_intrusive<c10d::FileStore>(storeFile, world);
    fileStore->setTimeout(timeout);
    store = fileStore;
  } else {
    store = c10::make_intrusive<c10d::TCPStore>(addr, so);
  }
  auto& groups = processGroups(info.Env());
#ifdef USE_C10D_NCCL
  if (backend == "nccl") {
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    groups.push_back(c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, opts));
    return Napi::Number::New(info.Env(), static_cast<double>(groups.size() - 1));
  }
#endif
  auto opts = c10d::ProcessGroupGloo::Options::create();
  opts->timeout = timeout;
  opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(addr == "localhost" ? "127.0.0.1" : addr));
  groups.push_back(c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, opts));
  return Napi::Number::New(info.Env(), static_cast<double>(groups.size() - 1));
END
OP(allReduce)
  std::vector<torch::Tensor> t = {T(1)};
  group(info).allreduce(t)->wait();
  return info.Env().Undefined();
END
OP(allGather)
  torch::Tensor& local = T(1);
  auto& g = group(info);
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < g.getSize(); ++r) out[0].push_back(torch::empty_like(local));
  std::vector<torch::Tensor> in = {local.contiguous()};
  g.allgather(out, in)->wait();
  RET(torch::cat(out[0], 0));
END
OP(broadcast)
  std::vector<torch::Tensor> t = {T(1)};
  c10d::BroadcastOptions o;
  o.rootRank = static_cast<int>(int64(info, 2));
  group(info).broadcast(t, o)->wait();
  return info.Env().Undefined();
END
OP(barrier)
  // a barrier as a one-element all-reduce on the group's device (given: NCCL needs a CUDA tensor)
  std::string device = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu";
  std::vector<torch::Tensor> t = {torch::zeros({1}, torch::TensorOptions().device(torch::Device(device)))};
  group(info).allreduce(t)->wait();
  return info.Env().Undefined();
END
OP(destroyProcessGroup)
  auto& groups = processGroups(info.Env());
  int64_t id = int64(info, 0);
  if (id >= 0 && id < static_cast<int64_t>(groups.size())) groups[id].reset();
  return info.Env().Undefined();
END
#endif
// The kernel sends `signal` to this process when its parent dies (PR_SET_PDEATHSIG), even while a
// collective blocks the thread: a worker never outlives its launcher. Returns the parent's pid then.
OP(setParentDeathSignal)
  int sig = static_cast<int>(int64(info, 0));
  if (prctl(PR_SET_PDEATHSIG, sig) != 0) throw BindingError("prctl(PR_SET_PDEATHSIG) failed");
  return Napi::Number::New(info.Env(), static_cast<double>(getppid()));
END
OP(ncclAvailable)
#if defined(INBATCH_DISTRIBUTED) && defined(USE_C10D_NCCL)
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
END
OP(distributedAvailable)
#ifdef INBATCH_DISTRIBUTED
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
END

#undef OP
#undef END

class InbatchTorch : public Napi::Addon<InbatchTorch> {
 public:
  Napi::FunctionReference tensor;
#ifdef INBATCH_DISTRIBUTED
  std::vector<c10::intrusive_ptr<CollectiveGroup>> groups;
#endif

  InbatchTorch(Napi::Env env, Napi::Object exports) {
    static std::once_flag allocator;  // process-wide, whichever thread loads the addon first
    std::call_once(allocator, [] {
      if (!std::getenv("INBATCH_NO_CPU_CACHE")) c10::SetCPUAllocator(&CachingCpuAllocator::instance(), /*priority=*/1);
    });
    Napi::Function fn = Tensor::Define(env);
    tensor = Napi::Persistent(fn);
    exports.Set("Tensor", fn);
#define REG(name) exports.Set(#name, Napi::Function::New(env, name, #name))
    REG(fromData); REG(toData); REG(item); REG(zeros); REG(ones); REG(full); REG(randn); REG(eye); REG(arange);
    REG(shape); REG(dtype); REG(device); REG(toDtype); REG(toDevice); REG(dispose); REG(trackMemory);
    REG(setRequiresGrad); REG(requiresGrad); REG(grad); REG(clearGrad); REG(backward); REG(detach);
    REG(setGradEnabled); REG(isGradEnabled);
    REG(add); REG(sub); REG(mul); REG(div); REG(addScalar); REG(mulScalar); REG(pow); REG(sqrt); REG(tanh);
    REG(gelu); REG(relu); REG(softmax); REG(logSoftmax); REG(clampMin);
    REG(sum); REG(mean); REG(argmax); REG(topk); REG(abs); REG(maxAll);
    REG(reshape); REG(transpose); REG(permute); REG(contiguous); REG(unsqueeze); REG(select); REG(narrow);
    REG(indexSelect); REG(cat); REG(clone);
    REG(matmul); REG(linear); REG(embedding); REG(layerNorm); REG(dropout); REG(normalize); REG(crossEntropy); REG(norm);
    REG(mulScalar_); REG(add_); REG(addcmul_); REG(addcdiv_); REG(copy_); REG(indexCopy_); REG(fill_); REG(normal_);
    REG(emptyCache); REG(cachedBytes); REG(distributedAvailable); REG(ncclAvailable); REG(setParentDeathSignal);
#ifdef INBATCH_DISTRIBUTED
    REG(initProcessGroup); REG(allReduce); REG(allGather); REG(broadcast); REG(barrier); REG(destroyProcessGroup);
#endif
    REG(manualSeed); REG(rngState); REG(setRngState); REG(setNumThreads); REG(getNumThreads); REG(cudaIsAvailable); REG(version);
#undef REG
  }
};

Napi::FunctionReference& tensorClass(Napi::Env env) { return env.GetInstanceData<InbatchTorch>()->tensor; }
#ifdef INBATCH_DISTRIBUTED
std::vector<c10::intrusive_ptr<CollectiveGroup>>& processGroups(Napi::Env env) { return env.GetInstanceData<InbatchTorch>()->groups; }
#endif

}  // namespace

NODE_API_ADDON(InbatchTorch)
