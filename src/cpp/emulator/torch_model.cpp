// The libtorch backend: the only translation unit that includes torch headers.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cstring>
#include <memory>
#include <optional>

#include "assembly.hpp"
#include "model.hpp"
#include "nnn/status.hpp"

namespace nnn::emulator {

namespace {

// libtorch's intra-op thread count is a per-thread setting of the calling
// thread under its OpenMP backend (at::get_num_threads is omp_get_max_threads;
// at::set_num_threads sets the thread's OpenMP and MKL counts, 0.4 us for a
// set and a restore): set it for one forward and put it back, so that a
// caller's own torch (Python's, in the same thread) keeps its setting. Inside
// a caller's OpenMP parallel region libtorch runs serially anyway
// (at::in_parallel_region), so a zone loop on all cores never oversubscribes.
class ThreadsGuard {
 public:
  explicit ThreadsGuard(int n) {
    if (n > 0) {
      const int now = at::get_num_threads();
      if (now != n) {
        at::set_num_threads(n);
        restore_ = now;
      }
    }
  }
  ~ThreadsGuard() {
    if (restore_ > 0) at::set_num_threads(restore_);
  }
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;

 private:
  int restore_ = 0;
};

std::string first_line(const std::string& s) {
  const auto p = s.find('\n');
  return p == std::string::npos ? s : s.substr(0, p);
}

class TorchModel final : public EmulatorModel {
 public:
  TorchModel(torch::jit::Module m, torch::Device dev, std::string path)
      : module_(std::move(m)), device_(dev), path_(std::move(path)) {
    // FusedLinear layers (the bf16 copies) keep their weights in oneDNN's blocked
    // layout from here on (nnn.emulate.model.FusedLinear.pack), instead of oneDNN
    // reordering them on every call: mesa_151_bf16's network part 260 -> 201 us at
    // batch 1, 1.39 -> 1.34 us/zone at batch 1000, results bit for bit. A layer
    // that cannot be packed runs unpacked, with the same results: nothing to report.
    if (device_.is_cpu()) {
      torch::NoGradGuard no_grad;
      for (torch::jit::Module sub : module_.modules()) {
        if (!sub.find_method("pack")) continue;
        try {
          sub.run_method("pack");
        } catch (const std::exception&) {
        }
      }
    }
    // A BurnStepNet (it has forward_parts): libnnn runs the network part in
    // TorchScript and assembles the result in C++ (assembly.hpp), 3-4x faster
    // than its forward; any other model runs its forward. Files scripted since
    // parts_of_trunk_input exists get their trunk input from C++ too
    // (Assembly::trunk_input: one pass instead of TorchScript's seven, whose logs
    // the assembly reuses).
    if (module_.find_method("forward_parts")) {
      trunk_input_ = static_cast<bool>(module_.find_method("parts_of_trunk_input"));
      assembly_.emplace(read_assembly());
      trunk_input_ = trunk_input_ && assembly_->shares_log_abundance();
    }
  }

  int forward(const double* in, int n, int n_in, double* out, int n_out,
              int torch_threads) const override {
    if (n <= 0) return 0;
    ThreadsGuard threads(torch_threads);
    const int used = at::get_num_threads();
    c10::InferenceMode guard;
    if (assembly_) {
      const int n_iso = assembly_->constants().n;
      if (n_in != n_iso + 3 || n_out != n_iso + 3)
        throw Error(Status::EmulatorFile, "model '" + path_ + "' has " + std::to_string(n_iso) +
                                              " isotopes; called with " + std::to_string(n_in) +
                                              " inputs and " + std::to_string(n_out) + " outputs");
      at::Tensor parts;
      std::unique_ptr<double[]> ln_x0;  // uninitialised: trunk_input() writes all of it
      if (trunk_input_) {  // the trunk's input built here, in one pass
        at::Tensor z = torch::empty({n, 3 + 2 * n_iso}, torch::TensorOptions().dtype(torch::kFloat32));
        ln_x0.reset(new double[static_cast<size_t>(n) * n_iso]);
        assembly_->trunk_input(in, n, z.data_ptr<float>(), ln_x0.get());
        if (!device_.is_cpu()) z = z.to(device_);
        parts = run("parts_of_trunk_input", z, n, n_in, n_iso + 4);
      } else {
        parts = run("forward_parts", input(in, n, n_in), n, n_in, n_iso + 4);
      }
      if (parts.scalar_type() != torch::kFloat32) parts = parts.to(torch::kFloat32);
      assembly_->assemble(parts.data_ptr<float>(), in, n, out, ln_x0.get());
      return used;
    }
    at::Tensor y = run("forward", input(in, n, n_in), n, n_in, n_out);
    if (y.scalar_type() != torch::kFloat64) y = y.to(torch::kFloat64);
    std::memcpy(out, y.data_ptr<double>(), sizeof(double) * static_cast<size_t>(n) * n_out);
    return used;
  }

  std::string device() const override { return device_.str(); }

  bool has_attr(const std::string& name) const override { return module_.hasattr(name); }

  std::string attr_string(const std::string& name) const override {
    const c10::IValue v = attr(name);
    if (!v.isString()) wrong_type(name, v, "str");
    return v.toStringRef();
  }

  std::vector<std::string> attr_string_list(const std::string& name) const override {
    const c10::IValue v = attr(name);
    std::vector<std::string> out;
    if (!v.isList()) wrong_type(name, v, "List[str]");
    for (const c10::IValue& e : v.toListRef()) {
      if (!e.isString()) wrong_type(name, v, "List[str]");
      out.push_back(e.toStringRef());
    }
    return out;
  }

  std::vector<double> attr_double_list(const std::string& name) const override {
    const c10::IValue v = attr(name);
    std::vector<double> out;
    if (!v.isList()) wrong_type(name, v, "List[float]");
    for (const c10::IValue& e : v.toListRef()) {
      if (e.isDouble()) out.push_back(e.toDouble());
      else if (e.isInt()) out.push_back(static_cast<double>(e.toInt()));
      else wrong_type(name, v, "List[float]");
    }
    return out;
  }

 private:
  // the raw input rows as a tensor on the model's device; float64: the model keeps
  // X0 and Ye0 in double (nnn.emulate.model)
  at::Tensor input(const double* in, int n, int n_in) const {
    at::Tensor x = torch::from_blob(const_cast<double*>(in), {n, n_in},
                                    torch::TensorOptions().dtype(torch::kFloat64));
    return device_.is_cpu() ? x : x.to(device_);
  }

  std::string forward_failed(const char* method, int n, int n_in, const std::string& what) const {
    // TorchScript errors carry the traceback first; the last line is the reason
    std::string s = what;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    const auto p = s.rfind('\n');
    const std::string reason = p == std::string::npos ? s : s.substr(p + 1);
    return "model '" + path_ + "': " + method + " failed on input of shape (" + std::to_string(n) + ", " +
           std::to_string(n_in) + "): " + reason;
  }

  // method(x): its floating-point (n, n_cols) result, contiguous, on the CPU
  at::Tensor run(const char* method, const at::Tensor& x, int n, int n_in, int n_cols) const {
    at::Tensor y;
    try {
      // Module is a handle to shared, immutable-after-load state; running one
      // method from many threads at once is supported by the TorchScript
      // interpreter (every call has its own stack and frames).
      c10::IValue r = const_cast<torch::jit::Module&>(module_).get_method(method)({x});
      if (!r.isTensor())
        throw Error(Status::EmulatorFile, "model '" + path_ + "': " + method + " returned " +
                                              r.tagKind() + ", expected a Tensor");
      y = r.toTensor();
    } catch (const Error&) {
      throw;
    } catch (const c10::Error& e) {
      throw Error(Status::EmulatorFile, forward_failed(method, n, n_in, e.what_without_backtrace()));
    } catch (const std::exception& e) {  // torch::jit::JITException and friends
      throw Error(Status::EmulatorFile, forward_failed(method, n, n_in, e.what()));
    }
    if (y.dim() != 2 || y.size(0) != n || y.size(1) != n_cols)
      throw Error(Status::EmulatorFile, "model '" + path_ + "': " + method + " returned shape " +
                                            c10::str(y.sizes()) + ", expected (" + std::to_string(n) +
                                            ", " + std::to_string(n_cols) + ")");
    if (!y.is_floating_point())
      throw Error(Status::EmulatorFile, "model '" + path_ + "': " + method + " returned " +
                                            std::string(c10::toString(y.scalar_type())) +
                                            ", expected a floating-point tensor");
    if (!y.is_cpu()) y = y.cpu();
    return y.contiguous();
  }

  // BurnStepNet's constants (nnn.emulate.model), each checked for its type
  AssemblyConstants read_assembly() const {
    auto tensor = [&](const char* name, int64_t size) {
      const c10::IValue v = attr(name);
      if (!v.isTensor()) wrong_type(name, v, "Tensor");
      const at::Tensor t = v.toTensor().detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1});
      if (size >= 0 && t.numel() != size)
        throw Error(Status::EmulatorFile, "model '" + path_ + "': attribute '" + name + "' has " +
                                              std::to_string(t.numel()) + " elements, expected " +
                                              std::to_string(size));
      return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
    };
    auto number = [&](const char* name) {
      const c10::IValue v = attr(name);
      if (!v.isDouble() && !v.isInt()) wrong_type(name, v, "float");
      return v.isDouble() ? v.toDouble() : static_cast<double>(v.toInt());
    };
    AssemblyConstants c;
    const c10::IValue n_iso = attr("n_iso");
    if (!n_iso.isInt()) wrong_type("n_iso", n_iso, "int");
    c.n = static_cast<int>(n_iso.toInt());
    c.skip = tensor("skip", c.n);
    c.zeta = tensor("zeta", c.n);
    c.q = tensor("q", c.n);
    c.log_floor = tensor("log_floor", 1)[0];
    const std::vector<double> scales = tensor("scales", 3);
    c.dye_scale = scales[0];
    c.eps_nuc_scale = scales[1];
    c.eps_nu_scale = scales[2];
    c.dye_max = tensor("dye_max", 1)[0];
    c.ye_lo = number("zlo");
    c.ye_hi = number("zhi");
    c.lam_max = number("lam_max");
    c.n_tilt = static_cast<int>(number("n_tilt"));
    const c10::IValue e = attr("eps_from_composition");
    if (!e.isBool()) wrong_type("eps_from_composition", e, "bool");
    c.eps_from_composition = e.toBool();
    // the ablation without the Ye tilt (nnn.train's ye_tilt=False) is scored in Python only:
    // the assembly below always tilts, and a stellar code needs the charge it conserves
    if (module_.hasattr("ye_tilt")) {
      const c10::IValue t = module_.attr("ye_tilt");
      if (!t.isBool()) wrong_type("ye_tilt", t, "bool");
      if (!t.toBool())
        throw Error(Status::EmulatorFile, "model '" + path_ +
                                              "': attribute 'ye_tilt' is False (a training ablation "
                                              "without the Ye tilt, for Python evaluation only); "
                                              "libnnn runs models whose composition is tilted to "
                                              "the predicted Ye");
    }
    if (trunk_input_) {
      c.in_center = tensor("in_center", 3);
      c.in_half = tensor("in_half", 3);
    }
    return c;
  }

  c10::IValue attr(const std::string& name) const {
    if (!module_.hasattr(name))
      throw Error(Status::EmulatorFile, "model '" + path_ + "' has no attribute '" + name + "'");
    return module_.attr(name);
  }

  [[noreturn]] void wrong_type(const std::string& name, const c10::IValue& v, const char* want) const {
    throw Error(Status::EmulatorFile, "model '" + path_ + "': attribute '" + name + "' is " +
                                          v.type()->str() + ", expected " + want);
  }

  torch::jit::Module module_;
  torch::Device device_;
  std::string path_;
  std::optional<Assembly> assembly_;  // set for a BurnStepNet
  bool trunk_input_ = false;          // it has parts_of_trunk_input
};

}  // namespace

bool have_libtorch() { return true; }

std::string backend_version() { return std::string("libtorch ") + TORCH_VERSION; }

std::unique_ptr<EmulatorModel> load_torch_model(const std::string& path, std::string* meta_json,
                                                const std::string& device) {
  torch::Device dev(torch::kCPU);
  try {
    dev = torch::Device(device);
  } catch (const c10::Error& e) {
    throw Error(Status::BadInput, "device = '" + device + "' is invalid: " + first_line(e.what_without_backtrace()));
  }
  if (dev.is_cuda() && !torch::cuda::is_available())
    throw Error(Status::BadInput, "device = '" + device + "' but libtorch sees no CUDA device");
  torch::jit::ExtraFilesMap extra{{"nnn_meta.json", ""}};
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, dev, extra);
  } catch (const c10::Error& e) {
    throw Error(Status::EmulatorFile, "'" + path + "' is not a readable TorchScript model file: " +
                                          first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(Status::EmulatorFile, "'" + path + "' is not a readable TorchScript model file: " +
                                          first_line(e.what()));
  }
  m.eval();
  if (meta_json) *meta_json = extra["nnn_meta.json"];  // passed through, never parsed here
  if (!m.find_method("forward"))
    throw Error(Status::EmulatorFile, "'" + path + "' has no forward method");
  return std::make_unique<TorchModel>(std::move(m), dev, path);
}

}  // namespace nnn::emulator
