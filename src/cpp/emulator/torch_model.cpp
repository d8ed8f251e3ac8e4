// The libtorch backend: the only translation unit that includes torch headers.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <cstring>

#include "model.hpp"
#include "nnn/status.hpp"

namespace nnn::emulator {

namespace {

std::string first_line(const std::string& s) {
  const auto p = s.find('\n');
  return p == std::string::npos ? s : s.substr(0, p);
}

class TorchModel final : public EmulatorModel {
 public:
  TorchModel(torch::jit::Module m, torch::Device dev, std::string path)
      : module_(std::move(m)), device_(dev), path_(std::move(path)) {}

  void forward(const float* in, int n, int n_in, float* out, int n_out,
               int torch_threads) const override {
    if (n <= 0) return;
    if (torch_threads > 0 && at::get_num_threads() != torch_threads) at::set_num_threads(torch_threads);
    c10::InferenceMode guard;
    at::Tensor x = torch::from_blob(const_cast<float*>(in), {n, n_in},
                                    torch::TensorOptions().dtype(torch::kFloat32));
    if (!device_.is_cpu()) x = x.to(device_);
    at::Tensor y;
    try {
      // Module is a handle to shared, immutable-after-load state; running one
      // method from many threads at once is supported by the TorchScript
      // interpreter (every call has its own stack and frames).
      std::vector<c10::IValue> args{x};
      c10::IValue r = const_cast<torch::jit::Module&>(module_).forward(std::move(args));
      if (!r.isTensor())
        throw Error(Status::EmulatorFile, "model '" + path_ + "': forward returned " +
                                              r.tagKind() + ", expected a Tensor");
      y = r.toTensor();
    } catch (const Error&) {
      throw;
    } catch (const c10::Error& e) {
      throw Error(Status::EmulatorFile, forward_failed(n, n_in, e.what_without_backtrace()));
    } catch (const std::exception& e) {  // torch::jit::JITException and friends
      throw Error(Status::EmulatorFile, forward_failed(n, n_in, e.what()));
    }
    if (y.dim() != 2 || y.size(0) != n || y.size(1) != n_out)
      throw Error(Status::EmulatorFile, "model '" + path_ + "': forward returned shape " +
                                            c10::str(y.sizes()) + ", expected (" + std::to_string(n) +
                                            ", " + std::to_string(n_out) + ")");
    if (y.scalar_type() != torch::kFloat32) y = y.to(torch::kFloat32);
    if (!y.is_cpu()) y = y.cpu();
    y = y.contiguous();
    std::memcpy(out, y.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n) * n_out);
  }

  std::string device() const override { return device_.str(); }

 private:
  std::string forward_failed(int n, int n_in, const std::string& what) const {
    // TorchScript errors carry the traceback first; the last line is the reason
    std::string s = what;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    const auto p = s.rfind('\n');
    const std::string reason = p == std::string::npos ? s : s.substr(p + 1);
    return "model '" + path_ + "': forward failed on input of shape (" + std::to_string(n) + ", " +
           std::to_string(n_in) + "): " + reason;
  }

  torch::jit::Module module_;
  torch::Device device_;
  std::string path_;
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
  if (meta_json) *meta_json = extra["nnn_meta.json"];
  if (!m.find_method("forward"))
    throw Error(Status::EmulatorFile, "'" + path + "' has no forward method");
  return std::make_unique<TorchModel>(std::move(m), dev, path);
}

}  // namespace nnn::emulator
