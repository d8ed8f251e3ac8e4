// Reader of the nnn network file (format "nnn-network 1", network_data/FORMAT.md).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "network.hpp"
#include "sha256.hpp"
#include "status.hpp"

namespace nnn {

namespace {

class Reader {
 public:
  Reader(const std::string& text, const std::string& path) : in_(text), path_(path) {}

  [[noreturn]] void fail(const std::string& what) {
    throw Error(Status::NetworkFile, "network file '" + path_ + "' is corrupt: " + what);
  }
  std::string word() {
    std::string w;
    if (!(in_ >> w)) fail("unexpected end of file");
    return w;
  }
  void expect(const std::string& keyword) {
    std::string w = word();
    if (w != keyword) fail("expected '" + keyword + "', found '" + w + "'");
  }
  double real() {
    std::string w = word();
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (end == w.c_str() || *end != '\0' || !std::isfinite(v)) fail("bad number '" + w + "'");
    return v;
  }
  long integer(long lo, long hi, const char* what) {
    std::string w = word();
    char* end = nullptr;
    long v = std::strtol(w.c_str(), &end, 10);
    if (end == w.c_str() || *end != '\0') fail(std::string("bad integer '") + w + "' for " + what);
    if (v < lo || v > hi) fail(std::string(what) + " = " + w + " out of range");
    return v;
  }
  std::string rest_of_line() {
    std::string s;
    std::getline(in_, s);
    auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b);
  }
  std::vector<double> reals(size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) x = real();
    return v;
  }

 private:
  std::istringstream in_;
  std::string path_;
};

RateKind kind_from(const std::string& k, Reader& r) {
  if (k == "reaclib") return RateKind::ReacLib;
  if (k == "derived") return RateKind::Derived;
  if (k == "tabular") return RateKind::Tabular;
  if (k == "approx") return RateKind::ApproxApPg;  // refined by the approx line
  r.fail("unknown rate kind '" + k + "'");
}

}  // namespace

std::shared_ptr<const Network> Network::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(Status::NetworkFile, "cannot open network file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();

  auto net = std::make_shared<Network>();
  net->path = path;
  net->sha256 = sha256_hex(text);
  Reader r(text, path);

  r.expect("nnn-network");
  long version = r.integer(0, 1000, "format version");
  if (version != 1)
    r.fail("format version " + std::to_string(version) + " is not supported (this engine reads 1)");
  r.expect("name");
  net->name = r.word();

  std::string w = r.word();
  while (w == "meta") {
    std::string key = r.word();
    net->meta.emplace_back(key, r.rest_of_line());
    w = r.word();
  }
  if (w != "constants") r.fail("expected 'constants', found '" + w + "'");
  long nc = r.integer(1, 100, "number of constants");
  std::map<std::string, double> c;
  for (long i = 0; i < nc; ++i) {
    std::string key = r.word();
    c[key] = r.real();
  }
  for (const char* key : {"N_A", "MeV2erg", "m_u_C18", "m_u_MeV", "q_e", "hbar", "k"})
    if (!c.count(key)) r.fail(std::string("constant ") + key + " missing");
  net->constants = {c["N_A"], c["MeV2erg"], c["m_u_C18"], c["m_u_MeV"], c["q_e"], c["hbar"], c["k"]};

  r.expect("isotopes");
  const long n = r.integer(1, 100000, "number of isotopes");
  for (long i = 0; i < n; ++i) {
    Isotope iso;
    iso.name = r.word();
    iso.A = static_cast<int>(r.integer(1, 1000, "A"));
    iso.Z = static_cast<int>(r.integer(0, 200, "Z"));
    iso.mass_MeV = r.real();
    iso.dm_MeV = r.real();
    if (iso.name == "n") net->neutron = static_cast<int>(i);
    net->isotopes.push_back(iso);
  }

  r.expect("partition_functions");
  const long npf = r.integer(0, 100000, "number of partition functions");
  for (long i = 0; i < npf; ++i) {
    r.expect("pf");
    PartitionFunction pf;
    pf.nucleus = r.word();
    pf.k = static_cast<int>(r.integer(1, 5, "spline order"));
    long nt = r.integer(2 * pf.k + 2, 100000, "number of knots");
    pf.knots = r.reals(nt);
    pf.coefs = r.reals(nt - pf.k - 1);
    net->partition_functions.push_back(std::move(pf));
  }

  r.expect("rates");
  const long nr = r.integer(1, 10000000, "number of rates");
  std::map<std::array<double, 4>, int> pair_index;
  for (long i = 0; i < nr; ++i) {
    r.expect("rate");
    if (r.integer(0, nr - 1, "rate index") != i) r.fail("rates out of order");
    Rate rate;
    rate.kind = kind_from(r.word(), r);
    rate.in_network = r.integer(0, 1, "in_network") == 1;
    rate.label = r.word();
    if (rate.in_network) {
      Term& t = rate.term;
      r.expect("reactants");
      long nre = r.integer(1, 10, "number of reactants");
      for (long j = 0; j < nre; ++j) {
        t.species.push_back(static_cast<int>(r.integer(0, n - 1, "reactant")));
        t.coef.push_back(-r.real());
      }
      r.expect("products");
      long npr = r.integer(0, 10, "number of products");
      for (long j = 0; j < npr; ++j) {
        t.species.push_back(static_cast<int>(r.integer(0, n - 1, "product")));
        t.coef.push_back(r.real());
      }
      r.expect("ydot");
      t.prefactor = r.real();
      t.dens_exp = static_cast<int>(r.integer(0, 10, "dens_exp"));
      t.ye_weight = r.integer(0, 1, "ye_weight") == 1;
      long ny = r.integer(0, 10, "number of ydot factors");
      for (long j = 0; j < ny; ++j) {
        t.y_species.push_back(static_cast<int>(r.integer(0, n - 1, "ydot species")));
        t.y_power.push_back(static_cast<int>(r.integer(1, 10, "ydot power")));
      }
      net->network_rates.push_back(static_cast<int>(i));
    }
    r.expect("screen");
    long ns = r.integer(0, 10, "number of screening pairs");
    for (long j = 0; j < ns; ++j) {
      std::array<double, 4> key{r.real(), r.real(), r.real(), r.real()};
      auto it = pair_index.find(key);
      if (it == pair_index.end()) {
        it = pair_index.emplace(key, static_cast<int>(net->screen_pairs.size())).first;
        net->screen_pairs.push_back({key[0], key[1], key[2], key[3]});
      }
      rate.screen.push_back(it->second);
    }
    if (rate.kind == RateKind::ReacLib || rate.kind == RateKind::Derived) {
      r.expect("sets");
      long nsets = r.integer(1, 1000, "number of sets");
      for (long j = 0; j < nsets; ++j) {
        std::array<double, 7> a;
        for (auto& x : a) x = r.real();
        rate.sets.push_back(a);
      }
      if (rate.kind == RateKind::Derived) {
        r.expect("pf_terms");
        long np = r.integer(0, 10, "number of pf terms");
        for (long j = 0; j < np; ++j) {
          int idx = static_cast<int>(r.integer(0, npf - 1, "partition function index"));
          int sign = static_cast<int>(r.integer(-1, 1, "pf sign"));
          rate.pf_terms.emplace_back(idx, sign);
        }
      }
    } else if (rate.kind == RateKind::Tabular) {
      r.expect("table");
      WeakTable t;
      long nrho = r.integer(2, 100000, "table rhoY points");
      long nt = r.integer(2, 100000, "table T points");
      t.log_rhoy = r.reals(nrho);
      t.log_T = r.reals(nt);
      t.log_rate = r.reals(nrho * nt);
      t.log_nu = r.reals(nrho * nt);
      if (!std::is_sorted(t.log_rhoy.begin(), t.log_rhoy.end()) ||
          !std::is_sorted(t.log_T.begin(), t.log_T.end()))
        r.fail("table grid of " + rate.label + " is not increasing");
      rate.table = static_cast<int>(net->tables.size());
      net->tables.push_back(std::move(t));
    } else {
      r.expect("approx");
      std::string type = r.word();
      rate.is_reverse = r.integer(0, 1, "is_reverse") == 1;
      r.integer(-1, n - 1, "neutron index");
      int nchild;
      if (type == "ap_pg") {
        rate.kind = RateKind::ApproxApPg;
        nchild = 7;
      } else if (type == "nn_g") {
        rate.kind = RateKind::ApproxNnG;
        nchild = 4;
        if (net->neutron < 0) r.fail("nn_g rate " + rate.label + " without neutrons");
      } else {
        r.fail("unknown approximation '" + type + "'");
      }
      for (int j = 0; j < nchild; ++j)
        rate.children.push_back(static_cast<int>(r.integer(-1, i - 1, "child rate")));
    }
    net->rates.push_back(std::move(rate));
  }
  r.expect("end");
  net->lu = SparseLU(net->n_species(), net->jacobian_pattern());
  return net;
}

int Network::index_of(const std::string& isotope) const {
  for (size_t i = 0; i < isotopes.size(); ++i)
    if (isotopes[i].name == isotope) return static_cast<int>(i);
  return -1;
}

std::vector<std::vector<int>> Network::jacobian_pattern() const {
  const int n = n_species();
  std::vector<std::set<int>> rows(n);
  for (int ri : network_rates) {
    const Term& t = rates[ri].term;
    for (int s : t.species) {
      for (int j : t.y_species) rows[s].insert(j);
      if (rates[ri].kind == RateKind::ApproxNnG) rows[s].insert(neutron);  // exact Jacobian
    }
  }
  std::vector<std::vector<int>> out(n);
  for (int i = 0; i < n; ++i) out[i].assign(rows[i].begin(), rows[i].end());
  return out;
}

const char* status_name(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::BadInput: return "bad input";
    case Status::NetworkFile: return "network file error";
    case Status::IntegratorFailed: return "integrator failed";
    case Status::EmulatorFile: return "emulator file error";
    case Status::Internal: return "internal error";
  }
  return "unknown status";
}

}  // namespace nnn
