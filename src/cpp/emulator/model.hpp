// The inference backend behind an interface, so that only torch_model.cpp
// includes the (slow to compile) libtorch headers. Without libtorch the build
// links torch_model_stub.cpp, whose loader fails with a clear message.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace nnn::emulator {

// One loaded model: forward(x[n, n_in]) -> y[n, n_out], row-major, in double
// (the module gets float64 inputs; a float32 output is widened),
// plus the module's attributes (TorchScript attributes set in Python, read
// here without any JSON: see nnn.emulate.model.BurnStepNet).
// forward is const and may be called by any number of threads at once; it
// throws nnn::Error(Status::EmulatorFile) if the module raises or its output
// is not a floating-point tensor of shape (n, n_out).
class EmulatorModel {
 public:
  virtual ~EmulatorModel() = default;
  // torch_threads > 0: libtorch intra-op threads for this call in the calling
  // thread (set, and restored afterwards, only when it differs); 0: as is.
  // Returns the intra-op thread count the call ran with.
  virtual int forward(const double* in, int n, int n_in, double* out, int n_out,
                      int torch_threads) const = 0;
  virtual std::string device() const = 0;

  // Module attributes. has_attr: present at all; the typed getters throw
  // nnn::Error(Status::EmulatorFile) naming the attribute when it is absent
  // or of another type.
  virtual bool has_attr(const std::string& name) const = 0;
  virtual std::string attr_string(const std::string& name) const = 0;
  virtual std::vector<std::string> attr_string_list(const std::string& name) const = 0;
  virtual std::vector<double> attr_double_list(const std::string& name) const = 0;
};

// True when libnnn was built with libtorch.
bool have_libtorch();
// "libtorch 2.x.y" or "built without libtorch".
std::string backend_version();

// Loads a TorchScript file; *meta_json receives its extra file nnn_meta.json
// ("" if absent), passed through unparsed. device: "cpu" or "cuda[:k]"
// (inputs and outputs stay in host memory; the copies are done here).
// Throws nnn::Error(Status::EmulatorFile) naming the file and the problem.
std::unique_ptr<EmulatorModel> load_torch_model(const std::string& path, std::string* meta_json,
                                                const std::string& device = "cpu");

}  // namespace nnn::emulator
