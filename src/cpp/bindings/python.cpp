// pybind11 module nnn._core: the engine for Python. The Python-facing API
// (dict compositions, result objects) lives in nnn/network/core.py.
#include <algorithm>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "nnn/burn.hpp"
#include "nnn/defaults.hpp"
#include "nnn/format.hpp"
#include "nnn/kinetics.hpp"
#include "nnn/network.hpp"

namespace py = pybind11;
using nnn::Network;
using nnn::bindings::Array;
// pybind11 holders cannot be shared_ptr<const T>; the module never mutates it
using NetPtr = std::shared_ptr<Network>;

namespace {

void check_len(const Array& a, py::ssize_t n, const char* field) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw nnn::Error(nnn::Status::BadInput, std::string(field) + " has shape " +
                                                std::string(py::str(py::tuple(py::cast(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()))))) +
                                                ", expected (" + nnn::repr(n) + ",)");
}

// Zones of a constant (T, rho) batch: T and rho of shape (n,), X of shape (n, n_species).
py::ssize_t zone_count(const nnn::Network& net, const Array& T, const Array& rho, const Array& X0) {
  const py::ssize_t nz = T.ndim() == 1 ? T.shape(0) : -1;
  if (nz < 0) throw nnn::Error(nnn::Status::BadInput, "T must be a 1-d array");
  check_len(rho, nz, "rho");
  const int n = net.n_species();
  if (X0.ndim() != 2 || X0.shape(0) != nz || X0.shape(1) != n)
    throw nnn::Error(nnn::Status::BadInput, "X must have shape (" + nnn::repr(nz) + ", " + nnn::repr(n) + ")");
  return nz;
}

// rhs and jacobian take molar abundances Y but check them like burn checks
// X = A Y (T, rho finite, > 0 and in range; X finite, >= 0, sum 1): the
// same input never gives NaN here and an error there. `row` >= 0 names the
// state of a 2-d Y.
void check_state(const Network& net, double T, double rho, const double* Y, int row = -1) {
  std::vector<double> X(net.n_species());
  for (int i = 0; i < net.n_species(); ++i) X[i] = Y[i] * net.isotopes[i].A;
  nnn::check_zone(net, T, rho, X.data(), row);
}

py::dict result_dict(const nnn::BurnResult& r) {
  py::dict d;
  Array X({r.n_times, r.n_species});
  std::copy(r.X.begin(), r.X.end(), X.mutable_data());
  d["X"] = X;
  d["eps_nuc"] = Array(r.n_times, r.eps_nuc.data());
  d["eps_nu"] = Array(r.n_times, r.eps_nu.data());
  d["Ye"] = Array(r.n_times, r.Ye.data());
  d["T"] = Array(r.n_times, r.T.data());
  d["eps_nu_thermal"] = Array(r.n_times, r.eps_nu_thermal.data());
  d["n_steps"] = r.n_steps;
  d["n_rejected"] = r.n_rejected;
  d["n_rhs"] = r.n_rhs;
  d["n_jac"] = r.n_jac;
  d["n_lu"] = r.n_lu;
  d["table_clamped"] = r.table_clamped;
  d["mass_drift"] = r.mass_drift;
  d["status"] = static_cast<int>(r.status);
  d["message"] = r.message;
  return d;
}

// Per-zone results of the batches: arrays with a leading zone axis and a time
// axis. A zone that failed reports its initial state at every time (X0, its
// Ye, its starting T, no energy), as the C ABI does: never garbage or zeros.
py::dict batch_dict(const nnn::Network& net, const std::vector<nnn::BurnResult>& rs, py::ssize_t nt,
                    py::ssize_t n, const double* X0, const std::vector<double>& T0) {
  const py::ssize_t nz = static_cast<py::ssize_t>(rs.size());
  Array X({nz, nt, n}), en({nz, nt}), enu({nz, nt}), ye({nz, nt}), T({nz, nt}), enu_th({nz, nt});
  py::array_t<long> steps(nz);
  py::array_t<int> status(nz);
  py::array_t<bool> clamped(nz);
  Array drift(nz);
  std::vector<std::string> messages(nz);
  for (py::ssize_t z = 0; z < nz; ++z) {
    const auto& r = rs[z];
    const bool have = r.eps_nuc.size() == static_cast<size_t>(nt) && r.T.size() == static_cast<size_t>(nt);
    double* xo = X.mutable_data() + z * nt * n;
    const bool ok = r.status == nnn::Status::Ok && have && r.X.size() == static_cast<size_t>(nt * n);
    const double* x0 = X0 + z * n;
    if (ok) std::copy(r.X.begin(), r.X.end(), xo);
    else for (py::ssize_t k = 0; k < nt; ++k) std::copy(x0, x0 + n, xo + k * n);
    const double ye0 = ok ? 0.0 : nnn::electron_fraction(net, x0);
    for (py::ssize_t k = 0; k < nt; ++k) {
      en.mutable_data()[z * nt + k] = ok ? r.eps_nuc[k] : 0.0;
      enu.mutable_data()[z * nt + k] = ok ? r.eps_nu[k] : 0.0;
      ye.mutable_data()[z * nt + k] = ok ? r.Ye[k] : ye0;
      T.mutable_data()[z * nt + k] = ok ? r.T[k] : T0[z];
      enu_th.mutable_data()[z * nt + k] = ok ? r.eps_nu_thermal[k] : 0.0;
    }
    steps.mutable_data()[z] = r.n_steps;
    status.mutable_data()[z] = static_cast<int>(r.status);
    clamped.mutable_data()[z] = r.table_clamped;
    drift.mutable_data()[z] = r.mass_drift;
    messages[z] = r.message;
  }
  py::dict d;
  d["X"] = X;
  d["eps_nuc"] = en;
  d["eps_nu"] = enu;
  d["Ye"] = ye;
  d["T"] = T;
  d["eps_nu_thermal"] = enu_th;
  d["n_steps"] = steps;
  d["status"] = status;
  d["table_clamped"] = clamped;
  d["mass_drift"] = drift;
  d["message"] = messages;
  return d;
}

// A history from 1-d arrays t (s), T (K), rho (g/cm^3).
nnn::History history_of(const Array& t, const Array& T, const Array& rho) {
  for (auto [a, name] : {std::pair{&t, "history t"}, {&T, "history T"}, {&rho, "history rho"}})
    if (a->ndim() != 1) throw nnn::Error(nnn::Status::BadInput, std::string(name) + " must be a 1-d array");
  return nnn::History(std::vector<double>(t.data(), t.data() + t.shape(0)),
                      std::vector<double>(T.data(), T.data() + T.shape(0)),
                      std::vector<double>(rho.data(), rho.data() + rho.shape(0)));
}

}  // namespace

// physics.cpp: the stellar EOS and thermal neutrino losses
void register_physics(py::module_& m);

PYBIND11_MODULE(_core, m) {
  m.doc() = "nnn reaction-network engine (C++)";
  static py::exception<nnn::Error> nnn_error(m, "NnnError", PyExc_RuntimeError);
  // args = (message, status code); str() is the message alone, so a CLI or
  // log prints one clean line, not a tuple
  nnn_error.attr("__str__") = py::cpp_function(
      [](py::object self) {
        py::tuple a = self.attr("args");
        return a.empty() ? py::str("") : py::str(a[0]);
      },
      py::is_method(nnn_error));
  nnn_error.attr("status") = py::module_::import("builtins").attr("property")(py::cpp_function(
      [](py::object self) -> py::object {
        py::tuple a = self.attr("args");
        return a.size() > 1 ? py::object(a[1]) : py::none();
      }));
  nnn_error.attr("__doc__") = "An engine failure other than bad input: args = (message, status code), "
                              "str() the message, .status the code (2 network file, 3 integrator, "
                              "4 emulator file, 5 internal).";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nnn::Error& e) {
      nnn::bindings::set_python_error(e, nnn_error.ptr());
    }
  });
  register_physics(m);

  // The engine's defaults (src/cpp/nnn/defaults.hpp), the one definition
  // nnn.network.core and the docs read.
  py::dict defaults;
  defaults["rtol"] = nnn::kDefaultRtol;
  defaults["atol"] = nnn::kDefaultAtol;
  defaults["max_steps"] = nnn::kDefaultMaxSteps;
  defaults["integrator"] = std::string(nnn::kDefaultIntegrator);
  m.attr("DEFAULTS") = defaults;
  // The temperatures a burn accepts (K): the ReacLib fits' range (kinetics.hpp)
  m.attr("T_RANGE") = py::make_tuple(nnn::kReacLibTMin, nnn::kReacLibTMax);
  m.def("check_options", [](double rtol, double atol, long max_steps, const std::string& integrator) {
          nnn::check_options(nnn::bindings::burn_options(rtol, atol, max_steps, integrator));
        }, py::arg("rtol"), py::arg("atol"), py::arg("max_steps") = nnn::kDefaultMaxSteps,
        py::arg("integrator") = std::string(nnn::kDefaultIntegrator),
        "ValueError naming the first invalid burn option (the engine's own check), else None");
  m.def("check_dt", &nnn::check_dt, py::arg("dt"),
        "ValueError naming dt (s) unless it is finite and > 0 (the engine's own check), else None");

  py::class_<Network, NetPtr>(m, "Network")
      .def_static("load", [](const std::string& path) {
             return std::const_pointer_cast<Network>(Network::load(path));
           }, py::arg("path"), "Load a network file")
      .def_readonly("name", &Network::name)
      .def_readonly("path", &Network::path)
      .def_readonly("sha256", &Network::sha256)
      .def_property_readonly("meta", [](const Network& n) {
        py::dict d;
        for (auto& [k, v] : n.meta) d[py::str(k)] = v;
        return d;
      })
      .def_property_readonly("isotopes", [](const Network& n) {
        std::vector<std::string> v;
        for (auto& i : n.isotopes) v.push_back(i.name);
        return v;
      })
      .def_property_readonly("A", [](const Network& n) {
        std::vector<int> v;
        for (auto& i : n.isotopes) v.push_back(i.A);
        return py::array(py::cast(v));
      })
      .def_property_readonly("Z", [](const Network& n) {
        std::vector<int> v;
        for (auto& i : n.isotopes) v.push_back(i.Z);
        return py::array(py::cast(v));
      })
      .def_property_readonly("mass_excess_MeV", [](const Network& n) {
        std::vector<double> v;
        for (auto& i : n.isotopes) v.push_back(i.dm_MeV);
        return Array(v.size(), v.data());
      })
      .def_property_readonly("n_rates", [](const Network& n) { return n.network_rates.size(); })
      .def_property_readonly("lu_nonzeros", [](const Network& n) { return n.lu.nonzeros(); })
      // the pattern the LU starts from (diagonal included) and its elimination order
      // (benchmarks/network_scaling.py reports the fill lu_nonzeros / jacobian_nonzeros)
      .def_property_readonly("jacobian_nonzeros", [](const Network& n) {
        long nnz = 0;
        const auto pattern = n.jacobian_pattern();
        for (int i = 0; i < n.n_species(); ++i)
          nnz += static_cast<long>(pattern[i].size()) +
                 !std::binary_search(pattern[i].begin(), pattern[i].end(), i);
        return nnz;
      })
      .def_property_readonly("lu_order", [](const Network& n) { return py::array(py::cast(n.lu.order())); })
      .def("rhs", [](const NetPtr& net, double T, double rho, Array Y) -> py::tuple {
             // Y of shape (n,) or (m, n): m states evaluated in order with one
             // rate cache, as during a burn (tests the screening interpolant)
             const py::ssize_t n = net->n_species();
             if (Y.ndim() == 2 && Y.shape(1) == n) {
               for (py::ssize_t r = 0; r < Y.shape(0); ++r) check_state(*net, T, rho, Y.data(r, 0), static_cast<int>(r));
               nnn::Kinetics kin(*net, T, rho);
               Array out({Y.shape(0), n}), enu(Y.shape(0));
               for (py::ssize_t r = 0; r < Y.shape(0); ++r) {
                 kin.update(Y.data(r, 0));
                 kin.ydot(Y.data(r, 0), out.mutable_data(r, 0), enu.mutable_data(r));
               }
               return py::make_tuple(out, enu);
             }
             check_len(Y, n, "Y");
             check_state(*net, T, rho, Y.data());
             nnn::Kinetics kin(*net, T, rho);
             kin.update(Y.data());
             Array out(n);
             double enu = 0;
             kin.ydot(Y.data(), out.mutable_data(), &enu);
             return py::make_tuple(out, py::float_(enu));
           }, py::arg("T"), py::arg("rho"), py::arg("Y"),
           "dY/dt (1/s) and eps_nu (erg/g/s) at molar abundances Y")
      .def("jacobian", [](const NetPtr& net, double T, double rho, Array Y, bool exact) {
             check_len(Y, net->n_species(), "Y");
             check_state(*net, T, rho, Y.data());
             const int n = net->n_species();
             nnn::Kinetics kin(*net, T, rho);
             kin.update(Y.data());
             Array J({n, n});
             std::fill(J.mutable_data(), J.mutable_data() + n * n, 0.0);
             kin.add_jacobian(Y.data(), J.mutable_data(), 1.0, exact);
             return J;
           }, py::arg("T"), py::arg("rho"), py::arg("Y"), py::arg("exact") = false,
           "d(dY/dt)/dY at molar abundances Y (exact: include the Y_n dependence of nn_g rates)")
      .def("burn", [](const NetPtr& net, double T, double rho, Array X0, std::vector<double> times,
                      double rtol, double atol, long max_steps, const std::string& integrator) {
             check_len(X0, net->n_species(), "X");
             nnn::BurnResult r;
             {
               py::gil_scoped_release release;
               r = nnn::burn(*net, T, rho, X0.data(), times, nnn::bindings::burn_options(rtol, atol, max_steps, integrator));
             }
             return result_dict(r);
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"))
      .def("burn_batch", [](const NetPtr& net, Array T, Array rho, Array X0, std::vector<double> times,
                            double rtol, double atol, long max_steps, const std::string& integrator,
                            int n_threads) {
             const py::ssize_t nz = zone_count(*net, T, rho, X0);
             const int n = net->n_species();
             std::vector<nnn::BurnResult> rs;
             {
               py::gil_scoped_release release;
               rs = nnn::burn_batch(*net, static_cast<int>(nz), T.data(), rho.data(), X0.data(), times,
                                    nnn::bindings::burn_options(rtol, atol, max_steps, integrator), n_threads);
             }
             return batch_dict(*net, rs, static_cast<py::ssize_t>(times.size()), n, X0.data(),
                               std::vector<double>(T.data(), T.data() + nz));
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"), py::arg("n_threads"))
      // burn modes (docs/burn_modes.md): a prescribed history, self-heating at constant rho
      .def("burn_history", [](const NetPtr& net, Array t, Array T, Array rho, Array X0,
                              std::vector<double> times, double rtol, double atol, long max_steps,
                              const std::string& integrator) {
             check_len(X0, net->n_species(), "X");
             const nnn::History h = history_of(t, T, rho);
             nnn::BurnResult r;
             {
               py::gil_scoped_release release;
               r = nnn::burn_history(*net, h, X0.data(), times,
                                     nnn::bindings::burn_options(rtol, atol, max_steps, integrator));
             }
             return result_dict(r);
           }, py::arg("t"), py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"),
           py::arg("rtol"), py::arg("atol"), py::arg("max_steps"), py::arg("integrator"))
      .def("burn_self_heating", [](const NetPtr& net, double T, double rho, Array X0,
                                   std::vector<double> times, double rtol, double atol, long max_steps,
                                   const std::string& integrator, bool thermal_neutrinos) {
             check_len(X0, net->n_species(), "X");
             nnn::BurnOptions o = nnn::bindings::burn_options(rtol, atol, max_steps, integrator);
             o.thermal_neutrinos = thermal_neutrinos;
             nnn::BurnResult r;
             {
               py::gil_scoped_release release;
               r = nnn::burn_self_heating(*net, T, rho, X0.data(), times, o);
             }
             return result_dict(r);
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"), py::arg("thermal_neutrinos"))
      .def("burn_batch_history", [](const NetPtr& net, Array t, Array T, Array rho, Array X0,
                                    std::vector<double> times, double rtol, double atol, long max_steps,
                                    const std::string& integrator, int n_threads) {
             // t, T, rho: (n_samples,) shared by every zone, or (n_zones, n_samples)
             const int n = net->n_species();
             if (X0.ndim() != 2 || X0.shape(1) != n)
               throw nnn::Error(nnn::Status::BadInput, "X must have shape (n_zones, " + std::to_string(n) + ")");
             const py::ssize_t nz = X0.shape(0);
             std::vector<nnn::History> hs;
             if (t.ndim() == 2) {
               for (auto [a, name] : {std::pair{&T, "T"}, {&rho, "rho"}})
                 if (a->ndim() != 2 || a->shape(0) != t.shape(0) || a->shape(1) != t.shape(1))
                   throw nnn::Error(nnn::Status::BadInput, std::string("history ") + name + " must have the shape of t");
               if (t.shape(0) != nz)
                 throw nnn::Error(nnn::Status::BadInput, "history t has " + std::to_string(t.shape(0)) +
                                                             " rows, expected one per zone (" + std::to_string(nz) + ")");
               const py::ssize_t ns = t.shape(1);
               for (py::ssize_t z = 0; z < nz; ++z) {
                 try {
                   hs.emplace_back(std::vector<double>(t.data(z, 0), t.data(z, 0) + ns),
                                   std::vector<double>(T.data(z, 0), T.data(z, 0) + ns),
                                   std::vector<double>(rho.data(z, 0), rho.data(z, 0) + ns));
                 } catch (const nnn::Error& e) {
                   throw nnn::Error(e.status(), std::string(e.what()) + " (zone " + std::to_string(z) + ")");
                 }
               }
             } else {
               hs.push_back(history_of(t, T, rho));
             }
             std::vector<nnn::BurnResult> rs;
             {
               py::gil_scoped_release release;
               rs = nnn::burn_batch_history(*net, static_cast<int>(nz), hs, X0.data(), times,
                                            nnn::bindings::burn_options(rtol, atol, max_steps, integrator),
                                            n_threads);
             }
             std::vector<double> T0(nz);  // each zone's starting T, from its history
             for (py::ssize_t z = 0; z < nz; ++z) {
               double rho0;
               hs[hs.size() == 1 ? 0 : z].at(0.0, T0[z], rho0);
             }
             return batch_dict(*net, rs, static_cast<py::ssize_t>(times.size()), n, X0.data(), T0);
           }, py::arg("t"), py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"),
           py::arg("rtol"), py::arg("atol"), py::arg("max_steps"), py::arg("integrator"),
           py::arg("n_threads"))
      .def("burn_batch_self_heating", [](const NetPtr& net, Array T, Array rho, Array X0,
                                         std::vector<double> times, double rtol, double atol,
                                         long max_steps, const std::string& integrator,
                                         bool thermal_neutrinos, int n_threads) {
             const py::ssize_t nz = zone_count(*net, T, rho, X0);
             const int n = net->n_species();
             nnn::BurnOptions o = nnn::bindings::burn_options(rtol, atol, max_steps, integrator);
             o.thermal_neutrinos = thermal_neutrinos;
             std::vector<nnn::BurnResult> rs;
             {
               py::gil_scoped_release release;
               rs = nnn::burn_batch_self_heating(*net, static_cast<int>(nz), T.data(), rho.data(),
                                                 X0.data(), times, o, n_threads);
             }
             return batch_dict(*net, rs, static_cast<py::ssize_t>(times.size()), n, X0.data(),
                               std::vector<double>(T.data(), T.data() + nz));
           }, py::arg("T"), py::arg("rho"), py::arg("X"), py::arg("times"), py::arg("rtol"),
           py::arg("atol"), py::arg("max_steps"), py::arg("integrator"),
           py::arg("thermal_neutrinos"), py::arg("n_threads"));
}
