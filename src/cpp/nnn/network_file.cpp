// Reader of the nnn network file (format "nnn-network 1", network_data/FORMAT.md).
//
// A file is untrusted input (hand-edited, truncated, damaged): every count is
// checked against the bytes left, every index against the sizes the file
// itself declares, and every byte must be printable ASCII, so a bad file is
// an Error(NetworkFile) naming the file and the line, never a crash later in
// Kinetics and never a message Python cannot decode. A file with a
// "meta data_sha256" line (written by nnn.network.build) must match it.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "format.hpp"
#include "network.hpp"
#include "sha256.hpp"
#include "status.hpp"

namespace nnn {

namespace {

constexpr long kFormatVersion = 1;
// The checksum line: "meta data_sha256 HEX", the sha256 of the file's bytes
// with this one line (and its newline) removed.
const std::string kChecksumLine = "\nmeta data_sha256 ";

class Reader {
 public:
  Reader(const std::string& text, const std::string& path) : text_(text), in_(text), path_(path) {}

  [[noreturn]] void fail(const std::string& what) {
    throw Error(Status::NetworkFile,
                "network file '" + path_ + "' is corrupt (line " + repr(line()) + "): " + what);
  }
  std::string word() {
    std::string w;
    if (!(in_ >> w)) fail("unexpected end of file");
    return w;
  }
  void expect(const std::string& keyword) {
    std::string w = word();
    if (w != keyword) fail("expected '" + keyword + "', found " + quoted(w));
  }
  double real(const char* what) {
    std::string w = word();
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (end == w.c_str() || *end != '\0' || !std::isfinite(v))
      fail(std::string("bad number ") + quoted(w) + " for " + what);
    return v;
  }
  double positive(const char* what) {
    const double v = real(what);
    if (!(v > 0)) fail(std::string(what) + " = " + repr(v) + " must be > 0");
    return v;
  }
  long integer(long lo, long hi, const char* what) {
    std::string w = word();
    char* end = nullptr;
    long v = std::strtol(w.c_str(), &end, 10);
    if (end == w.c_str() || *end != '\0') fail(std::string("bad integer ") + quoted(w) + " for " + what);
    if (v < lo || v > hi)
      fail(std::string(what) + " = " + w + " is out of range [" + repr(lo) + ", " + repr(hi) + "]");
    return v;
  }
  // A count of items of at least `tokens` tokens each: no more than the
  // bytes left can hold (a token and its separator take 2 bytes), so a
  // damaged count fails here instead of allocating gigabytes.
  long count(long lo, long hi, const char* what, long tokens = 1) {
    const long v = integer(lo, hi, what);
    if (v > 0 && v * tokens > remaining() / 2)
      fail(std::string(what) + " = " + repr(v) + " exceeds what the rest of the file can hold");
    return v;
  }
  std::string rest_of_line() {
    std::string s;
    std::getline(in_, s);
    while (!s.empty() && s.back() == '\r') s.pop_back();
    auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b);
  }
  std::vector<double> reals(long n, const char* what) {
    if (n > remaining() / 2) fail(std::string(what) + ": " + repr(n) + " numbers exceed the file");
    std::vector<double> v(static_cast<size_t>(n));
    for (auto& x : v) x = real(what);
    return v;
  }
  bool at_end() {
    std::string w;
    return !(in_ >> w);
  }

 private:
  long offset() {
    const auto p = in_.tellg();
    return p < 0 ? static_cast<long>(text_.size()) : static_cast<long>(p);
  }
  long remaining() { return static_cast<long>(text_.size()) - offset(); }
  long line() {
    const long off = std::min<long>(offset(), static_cast<long>(text_.size()));
    return 1 + static_cast<long>(std::count(text_.begin(), text_.begin() + off, '\n'));
  }

  const std::string& text_;
  std::istringstream in_;
  std::string path_;
};

RateKind kind_from(const std::string& k, Reader& r) {
  if (k == "reaclib") return RateKind::ReacLib;
  if (k == "derived") return RateKind::Derived;
  if (k == "tabular") return RateKind::Tabular;
  if (k == "approx") return RateKind::ApproxApPg;  // refined by the approx line
  r.fail("unknown rate kind " + quoted(k));
}

// The format is ASCII text: any other byte is damage, reported with its
// position before the reader quotes it anywhere.
void check_ascii(const std::string& text, const std::string& path) {
  long line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch == '\n') ++line;
    if ((ch >= 0x20 && ch < 0x7f) || ch == '\n' || ch == '\t' || ch == '\r') continue;
    static const char* hex = "0123456789abcdef";
    throw Error(Status::NetworkFile, "network file '" + path + "' is corrupt (line " + repr(line) +
                                         "): byte 0x" + hex[ch >> 4] + hex[ch & 15] + " at offset " +
                                         repr(static_cast<long>(i)) + " is not printable ASCII");
  }
}

// Verifies the data_sha256 line if the file has one (files written before
// the checksum existed have none and load unchecked) and returns the sha256
// of the data: the file's bytes without that line. That is the network's
// identity (Network::sha256, recorded by emulators), so adding a checksum
// line to an older file keeps its identity.
std::string check_checksum(const std::string& text, const std::string& path) {
  const size_t pos = text.find(kChecksumLine);
  if (pos == std::string::npos) return sha256_hex(text);
  auto bad = [&](const std::string& what) {
    throw Error(Status::NetworkFile, "network file '" + path + "' is corrupt: " + what);
  };
  if (text.find(kChecksumLine, pos + 1) != std::string::npos) bad("more than one data_sha256 line");
  const size_t begin = pos + 1, end = text.find('\n', begin);
  if (end == std::string::npos) bad("the data_sha256 line is not terminated");
  std::string recorded = text.substr(begin + kChecksumLine.size() - 1, end - begin - (kChecksumLine.size() - 1));
  while (!recorded.empty() && (recorded.back() == '\r' || recorded.back() == ' ')) recorded.pop_back();
  const std::string actual = sha256_hex(text.substr(0, begin) + text.substr(end + 1));
  if (recorded != actual)
    bad("data_sha256 " + quoted(recorded) + " recorded, " + actual +
        " computed: the file was changed after nnn.network.build wrote it");
  return actual;
}

}  // namespace

std::shared_ptr<const Network> Network::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(Status::NetworkFile, "cannot open network file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  check_ascii(text, path);
  const std::string data_sha256 = check_checksum(text, path);

  auto net = std::make_shared<Network>();
  net->path = path;
  net->sha256 = data_sha256;
  Reader r(text, path);

  r.expect("nnn-network");
  long version = r.integer(0, 1000, "format version");
  if (version != kFormatVersion)
    r.fail("format version " + repr(version) + " is not supported (this engine reads " +
           repr(kFormatVersion) + ")");
  r.expect("name");
  net->name = r.word();

  std::string w = r.word();
  while (w == "meta") {
    std::string key = r.word();
    net->meta.emplace_back(key, r.rest_of_line());
    w = r.word();
  }
  if (w != "constants") r.fail("expected 'constants', found " + quoted(w));
  long nc = r.count(1, 100, "number of constants", 2);
  std::map<std::string, double> c;
  for (long i = 0; i < nc; ++i) {
    std::string key = r.word();
    c[key] = r.positive("constant");
  }
  for (const char* key : {"N_A", "MeV2erg", "m_u_C18", "m_u_MeV", "q_e", "hbar", "k"})
    if (!c.count(key)) r.fail(std::string("constant ") + key + " missing");
  net->constants = {c["N_A"], c["MeV2erg"], c["m_u_C18"], c["m_u_MeV"], c["q_e"], c["hbar"], c["k"]};

  r.expect("isotopes");
  const long n = r.count(1, 100000, "number of isotopes", 5);
  std::set<std::string> names;
  std::vector<Isotope> isotopes;
  for (long i = 0; i < n; ++i) {
    Isotope iso;
    iso.name = r.word();
    iso.A = static_cast<int>(r.integer(1, 1000, "A"));
    iso.Z = static_cast<int>(r.integer(0, iso.A, "Z"));
    iso.mass_MeV = r.positive("isotope mass");
    iso.dm_MeV = r.real("mass excess");
    if (!names.insert(iso.name).second) r.fail("isotope " + quoted(iso.name) + " is listed twice");
    if (iso.name == "n") net->neutron = static_cast<int>(i);
    isotopes.push_back(iso);
  }
  net->set_isotopes(std::move(isotopes));

  r.expect("partition_functions");
  const long npf = r.count(0, 100000, "number of partition functions", 6);
  for (long i = 0; i < npf; ++i) {
    r.expect("pf");
    PartitionFunction pf;
    pf.nucleus = r.word();
    pf.k = static_cast<int>(r.integer(1, 5, "spline order"));
    long nt = r.count(2 * pf.k + 2, 100000, "number of knots", 2);
    pf.knots = r.reals(nt, "spline knot");
    pf.coefs = r.reals(nt - pf.k - 1, "spline coefficient");
    // log_pf's de Boor recursion divides by knot differences: they must not
    // decrease, and the last interval of the domain must not be empty
    const size_t nco = pf.coefs.size();
    if (!std::is_sorted(pf.knots.begin(), pf.knots.end()) || !(pf.knots[nco - 1] < pf.knots[nco]))
      r.fail("knots of the partition function of " + quoted(pf.nucleus) + " are not increasing");
    net->partition_functions.push_back(std::move(pf));
  }

  r.expect("rates");
  const long nr = r.count(1, 10000000, "number of rates", 6);
  std::map<std::array<double, 4>, int> pair_index;
  for (long i = 0; i < nr; ++i) {
    r.expect("rate");
    if (r.integer(0, nr - 1, "rate index") != i) r.fail("rates out of order (expected rate " + repr(i) + ")");
    Rate rate;
    rate.kind = kind_from(r.word(), r);
    rate.in_network = r.integer(0, 1, "in_network") == 1;
    rate.label = r.word();
    const std::string of = " of rate " + repr(i) + " " + quoted(rate.label);
    if (rate.in_network) {
      Term& t = rate.term;
      r.expect("reactants");
      long nre = r.integer(1, 10, "number of reactants");
      for (long j = 0; j < nre; ++j) {
        t.species.push_back(static_cast<int>(r.integer(0, n - 1, "reactant")));
        t.coef.push_back(-r.positive("reactant count"));
      }
      r.expect("products");
      long npr = r.integer(0, 10, "number of products");
      for (long j = 0; j < npr; ++j) {
        t.species.push_back(static_cast<int>(r.integer(0, n - 1, "product")));
        t.coef.push_back(r.positive("product count"));
      }
      r.expect("ydot");
      t.prefactor = r.positive("ydot prefactor");
      t.dens_exp = static_cast<int>(r.integer(0, 10, "dens_exp"));
      t.ye_weight = r.integer(0, 1, "ye_weight") == 1;
      long ny = r.integer(0, 10, "number of ydot factors");
      for (long j = 0; j < ny; ++j) {
        t.y_species.push_back(static_cast<int>(r.integer(0, n - 1, "ydot species")));
        t.y_power.push_back(static_cast<int>(r.integer(1, 10, "ydot power")));
      }
      // a tabulated weak rate is a decay or capture of one nucleus: its flux
      // and neutrino loss are per that nucleus (Kinetics reads y_species[0])
      if (rate.kind == RateKind::Tabular && !(ny == 1 && t.y_power[0] == 1))
        r.fail("tabular rate" + of + " has " + repr(ny) + " ydot factors (must be one, of power 1)");
      net->network_rates.push_back(static_cast<int>(i));
    }
    r.expect("screen");
    long ns = r.integer(0, 10, "number of screening pairs");
    for (long j = 0; j < ns; ++j) {
      // Z1 A1 Z2 A2 of two charged nuclei (screening divides by A and Z)
      std::array<double, 4> key{r.positive("screening Z1"), r.positive("screening A1"),
                                r.positive("screening Z2"), r.positive("screening A2")};
      auto it = pair_index.find(key);
      if (it == pair_index.end()) {
        it = pair_index.emplace(key, static_cast<int>(net->screen_pairs.size())).first;
        net->screen_pairs.push_back({key[0], key[1], key[2], key[3]});
      }
      rate.screen.push_back(it->second);
    }
    if (rate.kind == RateKind::ReacLib || rate.kind == RateKind::Derived) {
      r.expect("sets");
      long nsets = r.count(1, 1000, "number of sets", 7);
      for (long j = 0; j < nsets; ++j) {
        std::array<double, 7> a;
        for (auto& x : a) x = r.real("ReacLib coefficient");
        rate.sets.push_back(a);
      }
      if (rate.kind == RateKind::Derived) {
        r.expect("pf_terms");
        long np = r.integer(0, 10, "number of pf terms");
        if (np > 0 && npf == 0) r.fail("pf_terms" + of + " but the file has no partition functions");
        for (long j = 0; j < np; ++j) {
          int idx = static_cast<int>(r.integer(0, npf - 1, "partition function index"));
          int sign = static_cast<int>(r.integer(-1, 1, "pf sign"));
          rate.pf_terms.emplace_back(idx, sign);
        }
      }
    } else if (rate.kind == RateKind::Tabular) {
      r.expect("table");
      WeakTable t;
      long nrho = r.count(2, 100000, "table rhoY points");
      long nt = r.count(2, 100000, "table T points");
      if (nrho * nt > 1000000000L) r.fail("table" + of + " of " + repr(nrho) + " x " + repr(nt) + " points is too large");
      t.log_rhoy = r.reals(nrho, "table log10 rhoY");
      t.log_T = r.reals(nt, "table log10 T");
      t.log_rate = r.reals(nrho * nt, "table log10 rate");
      t.log_nu = r.reals(nrho * nt, "table log10 neutrino loss");
      // interpolation divides by grid differences: strictly increasing
      auto increasing = [](const std::vector<double>& g) {
        return std::adjacent_find(g.begin(), g.end(), std::greater_equal<double>()) == g.end();
      };
      if (!increasing(t.log_rhoy) || !increasing(t.log_T))
        r.fail("table grid" + of + " is not strictly increasing");
      rate.table = static_cast<int>(net->tables.size());
      net->tables.push_back(std::move(t));
    } else {
      r.expect("approx");
      std::string type = r.word();
      rate.is_reverse = r.integer(0, 1, "is_reverse") == 1;
      const long neutron = r.integer(-1, n - 1, "neutron index");
      if (neutron != net->neutron)
        r.fail("neutron index " + repr(neutron) + of + " is not the index of 'n' (" + repr(net->neutron) + ")");
      int nchild;
      std::vector<bool> optional;
      if (type == "ap_pg") {
        rate.kind = RateKind::ApproxApPg;
        nchild = 7;
        optional = {false, false, false, false, true, false, false};  // X(p,Y)C may be absent
      } else if (type == "nn_g") {
        rate.kind = RateKind::ApproxNnG;
        nchild = 4;
        optional.assign(4, false);
        if (net->neutron < 0) r.fail("nn_g rate " + quoted(rate.label) + " without neutrons");
      } else {
        r.fail("unknown approximation " + quoted(type));
      }
      // children are evaluated before their parent (file order)
      for (int j = 0; j < nchild; ++j) {
        const int child = static_cast<int>(r.integer(-1, i - 1, "child rate"));
        if (child < 0 && !optional[j])
          r.fail("child " + repr(j) + of + " is absent (-1) but the " + type + " approximation needs it");
        rate.children.push_back(child);
      }
    }
    net->rates.push_back(std::move(rate));
  }
  r.expect("end");
  if (!r.at_end()) r.fail("text after 'end'");
  net->lu = SparseLU(net->n_species(), net->jacobian_pattern());
  net->set_jacobian_positions();
  net->set_flux_layout();
  return net;
}

void Network::set_isotopes(std::vector<Isotope> list) {
  isotopes = std::move(list);
  A.clear();
  Z.clear();
  for (const Isotope& iso : isotopes) {
    A.push_back(iso.A);
    Z.push_back(iso.Z);
  }
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

namespace {

// A rate's change of Y per unit flux: (species, coefficient) by species, a
// species listed twice (reactant and product) summed, zeros dropped.
std::vector<std::pair<int, double>> stoichiometry(const Term& t) {
  std::map<int, double> c;
  for (size_t q = 0; q < t.species.size(); ++q) c[t.species[q]] += t.coef[q];
  std::vector<std::pair<int, double>> v;
  for (const auto& [sp, x] : c)
    if (x != 0.0) v.emplace_back(sp, x);
  return v;
}

}  // namespace

void Network::set_reactions(FluxLayout& L, const std::vector<int>& slot) const {
  // Why: the sum over terms is the larger half of dY/dt's cost, and nearly
  // every rate has a reverse with the opposite stoichiometry; f_fwd - f_rev
  // taken once per reaction halves the terms (and near equilibrium it is the
  // accurate order of the subtraction).
  const size_t nm = network_rates.size();
  const int n = n_species();
  std::map<std::vector<std::pair<int, double>>, int> index;  // oriented stoichiometry -> reaction
  std::vector<std::vector<std::pair<int, double>>> reaction_st;
  std::vector<std::vector<std::pair<int, double>>> members;  // (slot, sign) per reaction
  for (size_t m = 0; m < nm; ++m) {
    auto st = stoichiometry(rates[network_rates[m]].term);
    auto neg = st;
    for (auto& e : neg) e.second = -e.second;
    auto it = index.find(st);
    double sign = 1;
    if (it == index.end() && (it = index.find(neg)) != index.end()) sign = -1;
    if (it == index.end()) {
      it = index.emplace(st, static_cast<int>(reaction_st.size())).first;
      reaction_st.push_back(st);
      members.emplace_back();
    }
    members[it->second].emplace_back(slot[m], sign);
  }
  // forward-reverse pairs first (members +1, -1 at 2r, 2r + 1): the flux
  // pass takes them without a loop or a sign
  const size_t nr = reaction_st.size();
  auto is_pair = [&](size_t r) { return members[r].size() == 2 && members[r][1].second == -1.0; };
  std::vector<size_t> order;
  for (size_t r = 0; r < nr; ++r)
    if (is_pair(r)) order.push_back(r);
  L.n_reaction_pairs = static_cast<int>(order.size());
  for (size_t r = 0; r < nr; ++r)
    if (!is_pair(r)) order.push_back(r);
  std::vector<std::vector<std::pair<int, double>>> st_sorted(nr), members_sorted(nr);
  for (size_t r = 0; r < nr; ++r) {
    st_sorted[r] = std::move(reaction_st[order[r]]);
    members_sorted[r] = std::move(members[order[r]]);
  }
  reaction_st = std::move(st_sorted);
  members = std::move(members_sorted);
  L.reaction_begin.assign(1, 0);
  for (size_t r = 0; r < nr; ++r) {
    for (const auto& [s, sign] : members[r]) {
      L.reaction_slot.push_back(s);
      L.reaction_sign.push_back(sign);
    }
    L.reaction_begin.push_back(static_cast<int>(L.reaction_slot.size()));
  }
  L.net_begin.assign(static_cast<size_t>(n) + 1, 0);
  for (size_t r = 0; r < nr; ++r)
    for (const auto& e : reaction_st[r]) ++L.net_begin[e.first + 1];
  for (int i = 0; i < n; ++i) L.net_begin[i + 1] += L.net_begin[i];
  L.net_reaction.resize(static_cast<size_t>(L.net_begin[n]));
  L.net_coef.resize(static_cast<size_t>(L.net_begin[n]));
  std::vector<int> next(L.net_begin.begin(), L.net_begin.end() - 1);
  for (size_t r = 0; r < nr; ++r)
    for (const auto& [sp, coef] : reaction_st[r]) {
      const int k = next[sp]++;
      L.net_reaction[k] = static_cast<int>(r);
      L.net_coef[k] = coef;
    }
}

void Network::set_flux_layout() {
  FluxLayout L;
  const size_t nm = network_rates.size();
  const int n = n_species();
  // rates grouped by their number of factors (mesa_80: 193 with one, 406 with
  // two, 8 with three, 3 with four): padded to the longest, as before, the
  // flux loop ran a run-time trip count and multiplied most fluxes by 1
  // (grouped: mesa_80 burns 1.18-1.25x faster)
  std::vector<std::vector<int>> members;  // network rates m of each group
  for (size_t m = 0; m < nm; ++m) {
    const Rate& rate = rates[network_rates[m]];
    const Term& t = rate.term;
    int nf = 0;  // the factors of the flux: y_species[q] repeated y_power[q] times
    for (int p : t.y_power) nf += p;
    auto g = std::find_if(L.groups.begin(), L.groups.end(),
                          [nf](const FluxLayout::Group& x) { return x.n_fac == nf; });
    if (g == L.groups.end()) {
      L.groups.emplace_back();
      L.groups.back().n_fac = nf;
      members.emplace_back();
      g = L.groups.end() - 1;
    }
    members[g - L.groups.begin()].push_back(static_cast<int>(m));
    g->evaluator.push_back(network_rates[m]);
    g->ye_weight.push_back(t.ye_weight ? 1 : 0);
    for (size_t q = 0; q < t.y_species.size(); ++q)
      for (int p = 0; p < t.y_power[q]; ++p) g->sp.push_back(t.y_species[q]);
  }
  // flux slots in group order, so that the flux loop stores contiguously
  std::vector<int> slot(nm);
  for (size_t k = 0; k < L.groups.size(); ++k) {
    L.groups[k].first_slot = static_cast<int>(L.slot_rate.size());
    for (int m : members[k]) {
      slot[m] = static_cast<int>(L.slot_rate.size());
      L.slot_rate.push_back(m);
    }
  }
  set_reactions(L, slot);
  L.fac_begin.push_back(0);
  L.rate_species_begin.push_back(0);
  for (size_t m = 0; m < nm; ++m) {
    const Rate& rate = rates[network_rates[m]];
    const Term& t = rate.term;
    L.fac_species.insert(L.fac_species.end(), t.y_species.begin(), t.y_species.end());
    L.fac_power.insert(L.fac_power.end(), t.y_power.begin(), t.y_power.end());
    L.fac_begin.push_back(static_cast<int>(L.fac_species.size()));
    L.rate_species.insert(L.rate_species.end(), t.species.begin(), t.species.end());
    L.rate_coef.insert(L.rate_coef.end(), t.coef.begin(), t.coef.end());
    L.rate_species_begin.push_back(static_cast<int>(L.rate_species.size()));
    L.nng.push_back(rate.kind == RateKind::ApproxNnG ? 1 : 0);
  }
  flux_layout = std::move(L);
}

void Network::set_jacobian_positions() {
  // The integrators' Jacobian is accumulated packed (one value per LU
  // entry) instead of in a dense n x n array: on fe_bi_2000 (1957 species,
  // a 30 MB dense matrix) each term of the dense scatter was a cache miss.
  std::vector<std::pair<int, int>> terms;  // (row, column) in Kinetics' order
  jac_begin.assign(1, 0);
  for (int ri : network_rates) {
    const Term& t = rates[ri].term;
    if (rates[ri].kind == RateKind::ApproxNnG)
      for (int s : t.species) terms.emplace_back(s, neutron);
    for (int j : t.y_species)
      for (int s : t.species) terms.emplace_back(s, j);
    jac_begin.push_back(static_cast<int>(terms.size()));
  }
  jac_pos = lu.entry_indices(terms);
  for (size_t k = 0; k < terms.size(); ++k)
    if (jac_pos[k] < 0)  // jacobian_pattern() holds every term
      throw Error(Status::Internal, "Jacobian term (" + repr(terms[k].first) + ", " +
                                        repr(terms[k].second) + ") outside the LU pattern");
}

}  // namespace nnn
