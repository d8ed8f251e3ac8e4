// pybind11 module nnn._emulator: the emulator path for Python, kept apart from
// nnn._core so that the engine's module never needs libtorch. The Python face
// (nnn.Emulator, result objects) lives in nnn/emulator.py.
//
// Networks come from nnn._core: a _core.Network is accepted directly (pybind11
// shares registered types between modules built with the same compiler and
// pybind11), so the emulator and Network.burn use the very same object.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "emulator/emulator.hpp"
#include "nnn/burn.hpp"
#include "nnn/network.hpp"

namespace py = pybind11;
namespace em_ns = nnn::emulator;
using nnn::bindings::Array;
using EmPtr = std::shared_ptr<const em_ns::Emulator>;

namespace {

// A holder-friendly non-const wrapper (pybind11 holders cannot hold const T).
struct PyEmulator {
  EmPtr em;
};

py::dict model_dict(const em_ns::ModelInfo& m) {
  py::dict d;
  d["path"] = m.path;
  d["network"] = m.network;
  d["network_hash"] = m.network_hash;
  d["format"] = m.format;
  d["isotopes"] = m.isotopes;
  d["dt"] = m.dt;
  py::dict dom;
  dom["logT"] = py::make_tuple(m.domain.logT[0], m.domain.logT[1]);
  dom["logrho"] = py::make_tuple(m.domain.logrho[0], m.domain.logrho[1]);
  dom["Ye"] = py::make_tuple(m.domain.Ye[0], m.domain.Ye[1]);
  d["domain"] = dom;
  d["meta_json"] = m.meta_json;
  return d;
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

  py::class_<PyEmulator, std::shared_ptr<PyEmulator>>(m, "Emulator")
      .def_static("load", [](std::shared_ptr<nnn::Network> net, std::vector<std::string> paths,
                             const std::string& device) {
             auto e = std::make_shared<PyEmulator>();
             py::gil_scoped_release release;
             e->em = em_ns::Emulator::load(net, paths, device);
             return e;
           }, py::arg("network"), py::arg("paths"), py::arg("device") = "cpu",
           "Load models (files or directories) for a _core.Network")
      .def_property_readonly("network", [](const PyEmulator& e) {
        return std::const_pointer_cast<nnn::Network>(e.em->network_ptr());
      })
      .def_property_readonly("models", [](const PyEmulator& e) {
        py::list l;
        for (int i = 0; i < e.em->n_models(); ++i) l.append(model_dict(e.em->model(i)));
        return l;
      })
      .def("plan", [](const PyEmulator& e, double dt, bool chain_dt, int max_chain_steps, double dt_rtol) {
             em_ns::Config c;
             c.chain_dt = chain_dt;
             c.max_chain_steps = max_chain_steps;
             c.dt_rtol = dt_rtol;
             return e.em->plan(dt, c);
           }, py::arg("dt"), py::arg("chain_dt") = false, py::arg("max_chain_steps") = 1000,
           py::arg("dt_rtol") = 1e-9, "(model index, chain length) used for dt, (-1, 0) if none")
      .def("burn", [](const PyEmulator& e, Array T, Array rho, Array X0, double dt, double rtol,
                      double atol, long max_steps, const std::string& integrator, int n_threads,
                      double sum_tolerance, double negative_tolerance, double dt_rtol, bool chain_dt,
                      int max_chain_steps, int torch_threads, int batch_size) {
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
             em_ns::Config c;
             c.sum_tolerance = sum_tolerance;
             c.negative_tolerance = negative_tolerance;
             c.dt_rtol = dt_rtol;
             c.chain_dt = chain_dt;
             c.max_chain_steps = max_chain_steps;
             c.torch_threads = torch_threads;
             c.batch_size = batch_size;
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
             d["n_steps"] = py::array_t<long>(nz, r.n_steps.data());
             d["status"] = py::array_t<int>(nz, r.status.data());
             d["path"] = py::array_t<int>(nz, r.path.data());
             d["n_emulator_steps"] = py::array_t<int>(nz, r.n_emulator_steps.data());
             py::array_t<bool> clamped(nz);
             for (py::ssize_t z = 0; z < nz; ++z) clamped.mutable_data()[z] = r.table_clamped[z] != 0;
             d["table_clamped"] = clamped;
             d["message"] = r.message;
             return d;
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("dt"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"), py::arg("n_threads"),
           py::arg("sum_tolerance"), py::arg("negative_tolerance"), py::arg("dt_rtol"),
           py::arg("chain_dt"), py::arg("max_chain_steps"), py::arg("torch_threads"),
           py::arg("batch_size"));
}
