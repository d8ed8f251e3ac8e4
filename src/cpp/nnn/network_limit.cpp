#include "network_limit.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "format.hpp"

namespace nnn {

double electron_fraction_of_molar(const Network& net, const double* Y) {
  double zy = 0, ay = 0;
  for (int i = 0; i < net.n_species(); ++i) {
    zy += net.Z[i] * Y[i];
    ay += net.A[i] * Y[i];
  }
  return zy / ay;
}

namespace {
// Below this change of Ye (and this close to the floor) nothing is named.
constexpr double kYeMargin = 1e-3;
}  // namespace

std::string network_limit_note(const Network& net, double ye0, const double* Y) {
  const int n = net.n_species();
  double floor = 1;
  std::string name;
  int z_max = 0;
  for (const Isotope& s : net.isotopes) z_max = std::max(z_max, s.Z);
  std::vector<int> max_A(z_max + 1, 0);  // per Z: the network's most neutron-rich isotope
  for (const Isotope& s : net.isotopes) {
    const double za = static_cast<double>(s.Z) / s.A;
    if (s.A >= 40 && za < floor) {
      floor = za;
      name = s.name;
    }
    max_A[s.Z] = std::max(max_A[s.Z], s.A);  // Z >= 0: checked by the loader
  }
  const double ye = electron_fraction_of_molar(net, Y);
  if (!name.empty() && ye < floor + kYeMargin)
    return "; Ye = " + repr(ye) + " has reached " + repr(floor) + " (" + name +
           "), the lowest Z/A of the network's nuclei with A >= 40: beyond it the network holds "
           "further captured electrons only in free neutrons, past its physics (use a network with "
           "more neutron-rich iron-group nuclei, or a shorter dt)";
  if (!(ye < ye0 - kYeMargin)) return "";
  std::vector<std::pair<double, int>> edge;  // (X, species) on the neutron-rich edge
  double x_edge = 0, sum_x = 0;
  for (int i = 0; i < n; ++i) {
    const Isotope& s = net.isotopes[i];
    const double x = std::max(Y[i], 0.0) * s.A;
    sum_x += x;
    if (s.A >= 40 && s.A == max_A[s.Z]) {
      edge.emplace_back(x, i);
      x_edge += x;
    }
  }
  if (!(x_edge >= 0.5 * sum_x)) return "";
  std::sort(edge.rbegin(), edge.rend());
  auto frac = [](double x) {  // a mass fraction, to 3 digits (context, not a value to reuse)
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    return std::string(buf);
  };
  std::string top;
  for (size_t k = 0; k < edge.size() && k < 3; ++k)
    top += (k ? ", " : "") + net.isotopes[edge[k].second].name + " " + frac(edge[k].first / sum_x);
  return "; electron captures have taken Ye from " + repr(ye0) + " to " + repr(ye) + " and " +
         frac(x_edge / sum_x) + " of the mass sits in the most neutron-rich isotope of its element "
         "that the network has (" + top + "): the composition is at the network's neutron-rich "
         "edge, past its physics (use a network with more neutron-rich nuclei, or a shorter dt)";
}

bool captured_past_network_limit(const Network& net, double ye0, const double* Y) {
  return electron_fraction_of_molar(net, Y) < ye0 - kYeMargin &&
         !network_limit_note(net, ye0, Y).empty();
}

}  // namespace nnn
