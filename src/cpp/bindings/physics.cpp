// pybind11 registration of the physics layer (stellar EOS, thermal neutrino
// losses) in nnn._core: plain functions returning dicts, for tests, tools and
// the Python reference of the self-heating burn.
#include <cmath>

#include <pybind11/pybind11.h>

#include "nnn/eos.hpp"
#include "nnn/thermal_neutrinos.hpp"

namespace py = pybind11;

namespace {

py::dict jet_dict(const nnn::FermiDiracJet& j) {
  py::dict d;
  d["F"] = j.F;
  d["dF_deta"] = j.dF_deta;
  d["dF_dbeta"] = j.dF_dbeta;
  d["d2F_deta2"] = j.d2F_deta2;
  d["d2F_detadbeta"] = j.d2F_detadbeta;
  d["d2F_dbeta2"] = j.d2F_dbeta2;
  return d;
}

}  // namespace

void register_physics(py::module_& m) {
  m.def(
      "stellar_eos",
      [](double T, double rho, double abar, double ye, double eta_guess) {
        const nnn::EosResult r = nnn::stellar_eos(T, rho, abar, ye, eta_guess);
        py::dict d;
        d["p"] = r.p;
        d["e"] = r.e;
        d["cv"] = r.cv;
        d["dcv_dT"] = r.dcv_dT;
        d["p_ion"] = r.p_ion;
        d["p_rad"] = r.p_rad;
        d["p_ele"] = r.p_ele;
        d["e_ion"] = r.e_ion;
        d["e_rad"] = r.e_rad;
        d["e_ele"] = r.e_ele;
        d["cv_ion"] = r.cv_ion;
        d["cv_rad"] = r.cv_rad;
        d["cv_ele"] = r.cv_ele;
        d["eta"] = r.eta;
        d["n_ele"] = r.n_ele;
        d["n_pos"] = r.n_pos;
        d["dp_dT"] = r.dp_dT;
        d["newton_iterations"] = r.newton_iterations;
        return d;
      },
      py::arg("T"), py::arg("rho"), py::arg("abar"), py::arg("ye"), py::arg("eta_guess") = std::nan(""),
      "Stellar EOS (ions + radiation + e-/e+), as pynucastro.eos.StellarEOS: T in K, rho in g/cm^3, "
      "abar = 1/sum Y_i, ye = sum Z_i Y_i. Returns p (erg/cm^3), e (erg/g), cv (erg/g/K), dcv_dT, "
      "their ion/rad/ele parts, eta, n_ele, n_pos (1/cm^3), dp_dT. eta_guess (optional) starts the "
      "Newton iteration for eta. Bad input raises ValueError.");
  m.def(
      "thermal_neutrino_loss",
      [](double T, double rho, double abar, double zbar) {
        const nnn::ThermalNeutrinoLoss r = nnn::thermal_neutrino_loss(T, rho, abar, zbar);
        py::dict d;
        d["total"] = r.total;
        d["pair"] = r.pair;
        d["photo"] = r.photo;
        d["plasma"] = r.plasma;
        d["brem"] = r.brem;
        d["recomb"] = r.recomb;
        d["dtotal_dT"] = r.dtotal_dT;
        return d;
      },
      py::arg("T"), py::arg("rho"), py::arg("abar"), py::arg("zbar"),
      "Thermal neutrino losses (erg/g/s) of Itoh et al. 1996, as pynucastro.neutrino_cooling.sneut5: "
      "total, pair, photo, plasma, brem, recomb and dtotal_dT (erg/g/s/K).");
  m.def(
      "fermi_dirac_integrals",
      [](double eta, double beta) {
        const auto f = nnn::fermi_dirac_integrals(eta, beta);
        py::dict d;
        d[py::float_(0.5)] = jet_dict(f[0]);
        d[py::float_(1.5)] = jet_dict(f[1]);
        d[py::float_(2.5)] = jet_dict(f[2]);
        return d;
      },
      py::arg("eta"), py::arg("beta"),
      "Generalised Fermi-Dirac integrals F_k(eta, beta) for k = 0.5, 1.5, 2.5 with first and second "
      "partials, by the quadrature of the EOS.");
}
