// pybind11 module nnn._emulator: the emulator path for Python, kept apart from
// nnn._core so that the engine's module never needs libtorch. The Python face
// (nnn.Emulator, result objects) lives in nnn/emulate/runtime.py.
//
// Networks come from nnn._core: a _core.Network is accepted directly (pybind11
// shares registered types between modules built with the same compiler and
// pybind11), so the emulator and Network.burn use the very same object.
#include <limits>
#include <optional>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "emulator/assembly.hpp"
#include "emulator/emulator.hpp"
#include "nnn/burn.hpp"
#include "nnn/network.hpp"

namespace py = pybind11;
namespace em_ns = nnn::emulator;
using nnn::bindings::Array;
using EmPtr = std::shared_ptr<const em_ns::Runtime>;

namespace {

// A holder-friendly non-const wrapper (pybind11 holders cannot hold const T).
struct PyRuntime {
  EmPtr em;
};

py::dict info_dict(const em_ns::ModelInfo& m) {
  py::dict d;
  d["path"] = m.path;
  d["network"] = m.network;
  d["network_hash"] = m.network_hash;
  d["format"] = m.format;
  d["isotopes"] = m.isotopes;
  py::dict dom;
  dom["logT"] = py::make_tuple(m.domain.logT[0], m.domain.logT[1]);
  dom["logrho"] = py::make_tuple(m.domain.logrho[0], m.domain.logrho[1]);
  dom["Ye"] = py::make_tuple(m.domain.Ye[0], m.domain.Ye[1]);
  dom["logdt"] = py::make_tuple(m.domain.logdt[0], m.domain.logdt[1]);
  d["domain"] = dom;
  d["meta_json"] = m.meta_json;
  return d;
}

// Config <-> dict: the field names are the Python keyword names.
py::dict config_dict(const em_ns::Config& c) {
  py::dict d;
  d["sum_tolerance"] = c.sum_tolerance;
  d["negative_tolerance"] = c.negative_tolerance;
  d["max_error"] = c.max_error;
  d["max_dye"] = c.max_dye;
  d["check_energy"] = c.check_energy;
  d["energy_rtol"] = c.energy_rtol;
  d["energy_dx"] = c.energy_dx;
  d["check_dye"] = c.check_dye;
  d["dye_safety"] = c.dye_safety;
  d["dye_atol"] = c.dye_atol;
  d["threads"] = c.torch_threads;
  d["batch_size"] = c.batch_size;
  return d;
}

// A Python setting's value of the C++ field's type, or BadInput naming the setting and the
// value as Python prints it: pybind's own cast error names neither, and int(3.9) or
// bool(2) would pass on something the user did not ask for.
[[noreturn]] void bad_setting(const std::string& k, py::handle v, const char* want) {
  throw nnn::Error(nnn::Status::BadInput, "emulator setting " + k + " = " +
                                              std::string(py::repr(v)) + " is invalid: expected " + want);
}

// Python's bool and numpy's bool_ (which the numbers ABCs do not count as numbers, unlike
// bool); numbers.Real and numbers.Integral take numpy's scalar types as well. The type
// objects are looked up once: config_from runs on every burn call.
struct SettingTypes {
  py::object numpy_bool, real, integral;
};
const SettingTypes& setting_types() {
  static const SettingTypes* t = new SettingTypes{  // leaked on purpose, as `err` below
      py::module_::import("numpy").attr("bool_"), py::module_::import("numbers").attr("Real"),
      py::module_::import("numbers").attr("Integral")};
  return *t;
}

bool is_bool(py::handle v) { return PyBool_Check(v.ptr()) || py::isinstance(v, setting_types().numpy_bool); }

double number_setting(const std::string& k, py::handle v) {
  if (is_bool(v) || !py::isinstance(v, setting_types().real)) bad_setting(k, v, "a number");
  return py::float_(v.attr("__float__")());
}

bool bool_setting(const std::string& k, py::handle v) {
  if (!is_bool(v)) bad_setting(k, v, "True or False");
  return PyObject_IsTrue(v.ptr()) == 1;
}

int int_setting(const std::string& k, py::handle v) {
  if (is_bool(v) || !py::isinstance(v, setting_types().integral)) bad_setting(k, v, "an integer");
  const long long i = py::int_(v.attr("__index__")()).cast<long long>();
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
    bad_setting(k, v, "an integer of C int's range");
  return static_cast<int>(i);
}

em_ns::Config config_from(const py::dict& d) {
  em_ns::Config c;
  for (auto item : d) {
    const std::string k = py::str(item.first);
    py::handle v = item.second;
    if (k == "sum_tolerance") c.sum_tolerance = number_setting(k, v);
    else if (k == "negative_tolerance") c.negative_tolerance = number_setting(k, v);
    else if (k == "max_error") c.max_error = number_setting(k, v);
    else if (k == "max_dye") c.max_dye = number_setting(k, v);
    else if (k == "check_energy") c.check_energy = bool_setting(k, v);
    else if (k == "energy_rtol") c.energy_rtol = number_setting(k, v);
    else if (k == "energy_dx") c.energy_dx = number_setting(k, v);
    else if (k == "check_dye") c.check_dye = bool_setting(k, v);
    else if (k == "dye_safety") c.dye_safety = number_setting(k, v);
    else if (k == "dye_atol") c.dye_atol = number_setting(k, v);
    else if (k == "threads") c.torch_threads = int_setting(k, v);
    else if (k == "batch_size") c.batch_size = int_setting(k, v);
    else throw nnn::Error(nnn::Status::BadInput, "unknown emulator setting '" + k + "'");
  }
  return c;
}

}  // namespace

PYBIND11_MODULE(_emulator, m) {
  m.doc() = "nnn emulator path (C++ / libtorch)";
  // nnn.NnnError lives in nnn._core; raise the same class from here
  py::object nnn_error = py::module_::import("nnn._core").attr("NnnError");
  static py::object* err = new py::object(nnn_error);  // leaked on purpose: lives as long as the process
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nnn::Error& e) {
      nnn::bindings::set_python_error(e, err->ptr());
    }
  });

  m.def("has_libtorch", &em_ns::have_libtorch, "True if nnn was built with libtorch");
  m.def("backend_version", &em_ns::backend_version);
  m.attr("FORMAT") = em_ns::kFormat;
  m.attr("META_NAME") = em_ns::kMetaName;
  m.def("default_config", []() { return config_dict(em_ns::Config{}); },
        "The emulator settings' defaults (one definition: nnn::emulator::Config)");
  m.def("check_config", [](const py::dict& d) {
          const em_ns::Config c = config_from(d);
          em_ns::check_config(c, "threads");  // Python's name of torch_threads
          return config_dict(c);  // as libnnn holds them: 1 -> 1.0, numpy scalars -> Python's
        },
        "The settings as libnnn holds them, or ValueError naming the first invalid one");
  m.def("ye_tilt", [](Array zeta, Array logp, Array ye_t, double lam_max, int n_tilt, std::optional<bool> grouped) {
        // libnnn's Ye tilt (src/cpp/emulator/assembly.cpp), for tests against
        // BurnStepNet.tilt: one multiplier per row of logp (rows, n)
        const auto z = zeta.unchecked<1>();
        const auto lp = logp.unchecked<2>();
        const auto yt = ye_t.unchecked<1>();
        if (lp.shape(1) != z.shape(0) || lp.shape(0) != yt.shape(0))
          throw py::value_error("ye_tilt: logp must be (len(ye_t), len(zeta))");
        em_ns::AssemblyConstants c;
        c.n = static_cast<int>(z.shape(0));
        c.zeta.assign(z.data(0), z.data(0) + c.n);
        c.lam_max = lam_max;
        c.n_tilt = n_tilt;
        std::vector<double> lam(yt.shape(0));
        const auto how = !grouped ? em_ns::TiltSums::Auto
                                  : *grouped ? em_ns::TiltSums::Groups : em_ns::TiltSums::Isotopes;
        const em_ns::Assembly a(std::move(c), how);
        for (py::ssize_t r = 0; r < yt.shape(0); ++r) lam[r] = a.ye_tilt(lp.data(r, 0), yt(r));
        return py::array_t<double>(lam.size(), lam.data());
      }, py::arg("zeta"), py::arg("logp"), py::arg("ye_t"), py::arg("lam_max"), py::arg("n_tilt"),
      py::arg("grouped") = py::none(),
      "libnnn's Ye tilt multipliers (tests); grouped: sum over the groups of one Z/A "
      "(True), over the isotopes (False) or as assemble() does (None)");
  py::dict paths;
  paths["emulator"] = static_cast<int>(em_ns::Path::Emulator);
  paths["domain"] = static_cast<int>(em_ns::Path::FallbackDomain);
  paths["dt"] = static_cast<int>(em_ns::Path::FallbackDt);
  paths["sanity"] = static_cast<int>(em_ns::Path::FallbackSanity);
  paths["energy"] = static_cast<int>(em_ns::Path::FallbackEnergy);
  paths["dye"] = static_cast<int>(em_ns::Path::FallbackYe);
  paths["error"] = static_cast<int>(em_ns::Path::FallbackError);
  paths["model"] = static_cast<int>(em_ns::Path::FallbackModel);
  paths["ye_change"] = static_cast<int>(em_ns::Path::FallbackYeChange);
  m.attr("PATH_CODES") = paths;

  py::class_<PyRuntime, std::shared_ptr<PyRuntime>>(m, "Runtime")
      .def_static("load", [](std::shared_ptr<nnn::Network> net, const std::string& path,
                             const std::string& device) {
             auto e = std::make_shared<PyRuntime>();
             py::gil_scoped_release release;
             e->em = em_ns::Runtime::load(net, path, device);
             return e;
           }, py::arg("network"), py::arg("path"), py::arg("device") = "cpu",
           "Load a model file for a _core.Network")
      .def_property_readonly("network", [](const PyRuntime& e) {
        return std::const_pointer_cast<nnn::Network>(e.em->network_ptr());
      })
      .def_property_readonly("info", [](const PyRuntime& e) { return info_dict(e.em->info()); })
      .def("dye_rate_bound", [](const PyRuntime& e, double T, double rho, Array X) {
             const nnn::Network& net = e.em->network();
             if (X.ndim() != 1 || X.shape(0) != net.n_species())
               throw nnn::Error(nnn::Status::BadInput, "X must have shape (" + std::to_string(net.n_species()) + ",)");
             nnn::check_zone(net, T, rho, X.data());
             return e.em->dye_rate_bound(T, rho, X.data());
           }, py::arg("T"), py::arg("rho"), py::arg("X"),
           "Rate (1/s) of the |dYe| bound at (T, rho, X): sum over weak rates of |dZ| k prod (1/A)^p")
      .def("burn", [](const PyRuntime& e, Array T, Array rho, Array X0, double dt, double rtol,
                      double atol, long max_steps, const std::string& integrator, int n_threads,
                      const py::dict& config) {
             const nnn::Network& net = e.em->network();
             if (T.ndim() != 1) throw nnn::Error(nnn::Status::BadInput, "T must be a 1-d array");
             const py::ssize_t nz = T.shape(0);
             const int n = net.n_species();
             if (rho.ndim() != 1 || rho.shape(0) != nz)
               throw nnn::Error(nnn::Status::BadInput, "rho must have shape (" + std::to_string(nz) + ",)");
             if (X0.ndim() != 2 || X0.shape(0) != nz || X0.shape(1) != n)
               throw nnn::Error(nnn::Status::BadInput, "X must have shape (" + std::to_string(nz) + ", " +
                                                           std::to_string(n) + ")");
             const nnn::BurnOptions o = nnn::bindings::burn_options(rtol, atol, max_steps, integrator);
             const em_ns::Config c = config_from(config);
             em_ns::ZoneResults r;
             {
               py::gil_scoped_release release;
               r = e.em->burn(static_cast<int>(nz), T.data(), rho.data(), X0.data(), dt, o, c, n_threads);
             }
             Array X({nz, static_cast<py::ssize_t>(n)});
             std::copy(r.X.begin(), r.X.end(), X.mutable_data());
             py::dict d;
             d["X"] = X;
             d["eps_nuc"] = Array(nz, r.eps_nuc.data());
             d["eps_nu"] = Array(nz, r.eps_nu.data());
             d["Ye"] = Array(nz, r.Ye.data());
             d["err"] = Array(nz, r.err.data());
             d["n_steps"] = py::array_t<long>(nz, r.n_steps.data());
             d["status"] = py::array_t<int>(nz, r.status.data());
             d["path"] = py::array_t<int>(nz, r.path.data());
             py::array_t<bool> clamped(nz);
             for (py::ssize_t z = 0; z < nz; ++z) clamped.mutable_data()[z] = r.table_clamped[z] != 0;
             d["table_clamped"] = clamped;
             d["message"] = r.message;
             d["model_error"] = r.model_error;
             d["inference_threads"] = r.inference_threads;
             return d;
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("dt"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"), py::arg("n_threads"),
           py::arg("config"));
}
