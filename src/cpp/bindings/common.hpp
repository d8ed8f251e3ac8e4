// Shared by the two pybind11 modules (python.cpp: nnn._core, emulator.cpp:
// nnn._emulator), which must turn engine errors and burn settings into the
// same Python objects.
#pragma once

#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "nnn/burn.hpp"
#include "nnn/status.hpp"

namespace nnn::bindings {

namespace py = pybind11;
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Bad input is a ValueError; any other failure is nnn.NnnError(message, status code).
inline void set_python_error(const nnn::Error& e, PyObject* nnn_error) {
  if (e.status() == nnn::Status::BadInput) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } else {
    py::tuple args = py::make_tuple(e.what(), static_cast<int>(e.status()));
    PyErr_SetObject(nnn_error, args.ptr());
  }
}

inline nnn::BurnOptions burn_options(double rtol, double atol, long max_steps, const std::string& integrator) {
  nnn::BurnOptions o;
  o.rtol = rtol;
  o.atol = atol;
  o.max_steps = max_steps;
  o.integrator = integrator;
  return o;
}

}  // namespace nnn::bindings
