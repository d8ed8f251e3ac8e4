#include "emulator.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "json.hpp"
#include "nnn/status.hpp"

namespace nnn::emulator {

namespace fs = std::filesystem;

const char* path_name(Path p) {
  switch (p) {
    case Path::Emulator: return "emulator";
    case Path::FallbackDomain: return "fallback: outside the training domain";
    case Path::FallbackDt: return "fallback: dt not trained";
    case Path::FallbackSanity: return "fallback: emulator output failed the sanity check";
  }
  return "?";
}

namespace {

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

[[noreturn]] void file_error(const std::string& msg) { throw Error(Status::EmulatorFile, msg); }

std::string list(const std::vector<std::string>& v, size_t max = 8) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s + "]";
}

const json::Value& member(const json::Value& obj, const std::string& key, json::Value::Type type,
                          const std::string& where) {
  const json::Value* v = obj.find(key);
  if (!v) file_error(where + ": nnn_meta.json has no '" + key + "'");
  if (v->type != type)
    file_error(where + ": nnn_meta.json '" + key + "' is " + json::type_name(v->type) + ", expected " +
               json::type_name(type));
  return *v;
}

void interval(const json::Value& domain, const std::string& key, double out[2], const std::string& where) {
  const json::Value& a = member(domain, key, json::Value::Type::Array, where);
  if (a.array.size() != 2 || !a.array[0].is_number() || !a.array[1].is_number() ||
      !std::isfinite(a.array[0].number) || !std::isfinite(a.array[1].number) ||
      a.array[0].number > a.array[1].number)
    file_error(where + ": nnn_meta.json domain '" + key + "' must be [lo, hi] with finite lo <= hi");
  out[0] = a.array[0].number;
  out[1] = a.array[1].number;
}

ModelInfo parse_meta(const std::string& path, const std::string& text) {
  const std::string where = "model '" + path + "'";
  if (text.empty())
    file_error(where + " has no nnn_meta.json: not an nnn emulator file (export it with nnn.emulate.model.export)");
  json::Value meta;
  try {
    meta = json::parse(text);
  } catch (const std::exception& e) {
    file_error(where + ": nnn_meta.json is not valid JSON (" + e.what() + ")");
  }
  if (!meta.is_object()) file_error(where + ": nnn_meta.json is not a JSON object");
  ModelInfo info;
  info.path = path;
  info.meta_json = text;
  info.format = member(meta, "format", json::Value::Type::String, where).string;
  if (info.format != kFormat)
    file_error(where + " has format '" + info.format + "', expected '" + kFormat + "'");
  info.network = member(meta, "network", json::Value::Type::String, where).string;
  info.network_hash = member(meta, "network_hash", json::Value::Type::String, where).string;
  for (const auto& v : member(meta, "isotopes", json::Value::Type::Array, where).array) {
    if (!v.is_string()) file_error(where + ": nnn_meta.json 'isotopes' must be a list of strings");
    info.isotopes.push_back(v.string);
  }
  info.dt = member(meta, "dt", json::Value::Type::Number, where).number;
  if (!(std::isfinite(info.dt) && info.dt > 0))
    file_error(where + ": nnn_meta.json dt = " + fmt(info.dt) + " must be finite and > 0");
  const json::Value& dom = member(meta, "domain", json::Value::Type::Object, where);
  interval(dom, "logT", info.domain.logT, where);
  interval(dom, "logrho", info.domain.logrho, where);
  interval(dom, "Ye", info.domain.Ye, where);
  return info;
}

void check_network(const ModelInfo& m, const Network& net) {
  const std::string where = "model '" + m.path + "'";
  std::vector<std::string> iso;
  for (const auto& i : net.isotopes) iso.push_back(i.name);
  if (iso != m.isotopes) {
    std::string detail;
    const std::set<std::string> a(m.isotopes.begin(), m.isotopes.end()), b(iso.begin(), iso.end());
    if (a == b && m.isotopes.size() == iso.size()) {
      size_t k = 0;
      while (k < iso.size() && iso[k] == m.isotopes[k]) ++k;
      detail = "same isotopes in a different order (position " + std::to_string(k) + ": model '" +
               m.isotopes[k] + "', network '" + iso[k] + "')";
    } else {
      std::vector<std::string> only_m, only_n;
      for (const auto& s : m.isotopes) if (!b.count(s)) only_m.push_back(s);
      for (const auto& s : iso) if (!a.count(s)) only_n.push_back(s);
      detail = "only in the model: " + list(only_m) + ", only in the network: " + list(only_n);
    }
    file_error(where + " was trained on network '" + m.network + "' (" + std::to_string(m.isotopes.size()) +
               " isotopes) and cannot be used with network '" + net.name + "' (" +
               std::to_string(iso.size()) + " isotopes): " + detail);
  }
  if (m.network_hash != net.sha256)
    file_error(where + " was trained on network '" + m.network + "' with file hash " + m.network_hash +
               ", but the loaded network '" + net.name + "' (" + net.path + ") has hash " + net.sha256 +
               ": the network file changed since training; retrain or load the original file");
}

std::vector<std::string> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  if (paths.empty()) file_error("no emulator model path given");
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".pt" && fs::is_regular_file(e.path(), ec)) found.push_back(e.path().string());
      if (found.empty()) file_error("no *.pt emulator model files in directory '" + p + "'");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      file_error("emulator model '" + p + "' does not exist (give a .pt file or a directory of them)");
    }
  }
  return files;
}

// Closed interval with a round-off slack: Ye of an N = Z composition computes
// to 0.5 +- 1 ulp, and domains are often [.., 0.5].
constexpr double kDomainSlack = 1e-10;
bool inside(double v, const double iv[2]) { return v >= iv[0] - kDomainSlack && v <= iv[1] + kDomainSlack; }

}  // namespace

std::vector<std::string> split_paths(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(':', start);
    const std::string part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!part.empty()) out.push_back(part);
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

std::shared_ptr<const Emulator> Emulator::load(std::shared_ptr<const Network> net,
                                               const std::vector<std::string>& paths,
                                               const std::string& device) {
  if (!net) throw Error(Status::BadInput, "network is NULL");
  auto em = std::shared_ptr<Emulator>(new Emulator());
  em->net_ = net;
  const int n_iso = net->n_species();
  for (const auto& file : expand(paths)) {
    std::string meta;
    Model m;
    m.net = load_torch_model(file, &meta, device);
    m.info = parse_meta(file, meta);
    check_network(m.info, *net);
    for (const auto& other : em->models_)
      if (std::abs(other.info.dt - m.info.dt) <= 1e-9 * m.info.dt)
        file_error("models '" + other.info.path + "' and '" + file + "' both have dt = " + fmt(m.info.dt) +
                   " s: give one model per dt");
    // probe: one zone in the middle of the domain checks the in/out widths
    std::vector<float> x(2 + n_iso, 1.0f / n_iso), y(n_iso + 2);
    x[0] = static_cast<float>(0.5 * (m.info.domain.logT[0] + m.info.domain.logT[1]));
    x[1] = static_cast<float>(0.5 * (m.info.domain.logrho[0] + m.info.domain.logrho[1]));
    m.net->forward(x.data(), 1, 2 + n_iso, y.data(), n_iso + 2, 0);
    em->models_.push_back(std::move(m));
  }
  std::sort(em->models_.begin(), em->models_.end(),
            [](const Model& a, const Model& b) { return a.info.dt < b.info.dt; });
  return em;
}

std::pair<int, int> Emulator::plan(double dt, const Config& cfg) const {
  for (int i = 0; i < n_models(); ++i)
    if (std::abs(dt - models_[i].info.dt) <= cfg.dt_rtol * models_[i].info.dt) return {i, 1};
  if (!cfg.chain_dt) return {-1, 0};
  for (int i = n_models() - 1; i >= 0; --i) {
    const double r = dt / models_[i].info.dt;
    if (r < 1 || r > cfg.max_chain_steps + 0.5) continue;
    const double k = std::round(r);
    if (std::abs(r - k) <= cfg.dt_rtol * r) return {i, static_cast<int>(k)};
  }
  return {-1, 0};
}

ZoneResults Emulator::burn(int n_zones, const double* T, const double* rho, const double* X0, double dt,
                           const BurnOptions& opt, const Config& cfg, int n_threads) const {
  if (n_zones < 0) throw Error(Status::BadInput, "n_zones = " + std::to_string(n_zones) + " must be >= 0");
  const Network& net = *net_;
  const int n = net.n_species();
  check_times({dt});
  for (int z = 0; z < n_zones; ++z) check_zone(net, T[z], rho[z], X0 + static_cast<size_t>(z) * n, z);
  if (!(cfg.sum_tolerance > 0) || !(cfg.negative_tolerance >= 0) || !(cfg.dt_rtol >= 0) ||
      cfg.max_chain_steps < 1 || cfg.batch_size < 1)
    throw Error(Status::BadInput, "emulator config is invalid: sum_tolerance = " + fmt(cfg.sum_tolerance) +
                                      " (> 0), negative_tolerance = " + fmt(cfg.negative_tolerance) +
                                      " (>= 0), dt_rtol = " + fmt(cfg.dt_rtol) + " (>= 0), max_chain_steps = " +
                                      std::to_string(cfg.max_chain_steps) + " (>= 1), batch_size = " +
                                      std::to_string(cfg.batch_size) + " (>= 1)");

  ZoneResults R;
  R.n_zones = n_zones;
  R.n_species = n;
  const size_t nx = static_cast<size_t>(n_zones) * n;
  R.X.assign(nx, 0.0);
  R.eps_nuc.assign(n_zones, 0.0);
  R.eps_nu.assign(n_zones, 0.0);
  R.Ye.assign(n_zones, 0.0);
  R.path.assign(n_zones, static_cast<int>(Path::Emulator));
  R.status.assign(n_zones, 0);
  R.n_steps.assign(n_zones, 0);
  R.n_emulator_steps.assign(n_zones, 0);
  R.table_clamped.assign(n_zones, 0);
  R.message.assign(n_zones, std::string());

  const auto [im, k_steps] = plan(dt, cfg);
  std::vector<int> active;  // zones still on the emulator path
  if (im < 0) {
    std::fill(R.path.begin(), R.path.end(), static_cast<int>(Path::FallbackDt));
  } else {
    const Model& M = models_[im];
    const Domain& D = M.info.domain;
    // current composition (normalised) in R.X
    for (int z = 0; z < n_zones; ++z) {
      const double* x0 = X0 + static_cast<size_t>(z) * n;
      double* x = &R.X[static_cast<size_t>(z) * n];
      double s = 0;
      for (int i = 0; i < n; ++i) s += x0[i];
      for (int i = 0; i < n; ++i) x[i] = x0[i] / s;
      if (inside(std::log10(T[z]), D.logT) && inside(std::log10(rho[z]), D.logrho) &&
          inside(electron_fraction(net, x), D.Ye))
        active.push_back(z);
      else
        R.path[z] = static_cast<int>(Path::FallbackDomain);
    }
    const int n_in = 2 + n, n_out = n + 2;
    std::vector<float> in, out;
    for (int step = 0; step < k_steps && !active.empty(); ++step) {
      std::vector<int> still;
      still.reserve(active.size());
      for (size_t c0 = 0; c0 < active.size(); c0 += cfg.batch_size) {
        const int m = static_cast<int>(std::min<size_t>(cfg.batch_size, active.size() - c0));
        in.resize(static_cast<size_t>(m) * n_in);
        out.resize(static_cast<size_t>(m) * n_out);
        for (int r = 0; r < m; ++r) {
          const int z = active[c0 + r];
          float* row = &in[static_cast<size_t>(r) * n_in];
          row[0] = static_cast<float>(std::log10(T[z]));
          row[1] = static_cast<float>(std::log10(rho[z]));
          const double* x = &R.X[static_cast<size_t>(z) * n];
          for (int i = 0; i < n; ++i) row[2 + i] = static_cast<float>(x[i]);
        }
        M.net->forward(in.data(), m, n_in, out.data(), n_out, cfg.torch_threads);
        for (int r = 0; r < m; ++r) {
          const int z = active[c0 + r];
          const float* y = &out[static_cast<size_t>(r) * n_out];
          // sanity: finite, sum X ~ 1, no negatives beyond round-off
          bool ok = std::isfinite(y[n]) && std::isfinite(y[n + 1]);
          double s = 0;
          for (int i = 0; i < n && ok; ++i) {
            ok = std::isfinite(y[i]) && y[i] >= -cfg.negative_tolerance;
            s += std::max(0.0, static_cast<double>(y[i]));
          }
          if (ok) {
            double s_raw = 0;
            for (int i = 0; i < n; ++i) s_raw += y[i];
            ok = std::abs(s_raw - 1) <= cfg.sum_tolerance && s > 0;
          }
          if (!ok) {
            R.path[z] = static_cast<int>(Path::FallbackSanity);
            continue;
          }
          double* x = &R.X[static_cast<size_t>(z) * n];
          for (int i = 0; i < n; ++i) x[i] = std::max(0.0, static_cast<double>(y[i])) / s;
          R.eps_nuc[z] += y[n];
          R.eps_nu[z] += y[n + 1];
          R.n_emulator_steps[z] += 1;
          // the next chained step's input must be inside the domain, too
          if (step + 1 < k_steps && !inside(electron_fraction(net, x), D.Ye)) {
            R.path[z] = static_cast<int>(Path::FallbackDomain);
            continue;
          }
          still.push_back(z);
        }
      }
      active.swap(still);
    }
    for (int z : active) {
      R.eps_nu[z] /= k_steps;  // erg/g/s averaged over the chained steps
      R.Ye[z] = electron_fraction(net, &R.X[static_cast<size_t>(z) * n]);
    }
  }

  // fallback: the integrator over the whole dt from X0
  std::vector<int> fb;
  for (int z = 0; z < n_zones; ++z)
    if (R.path[z] != static_cast<int>(Path::Emulator)) fb.push_back(z);
  if (!fb.empty()) {
    const int m = static_cast<int>(fb.size());
    std::vector<double> Tf(m), rf(m), Xf(static_cast<size_t>(m) * n);
    for (int j = 0; j < m; ++j) {
      Tf[j] = T[fb[j]];
      rf[j] = rho[fb[j]];
      std::copy(X0 + static_cast<size_t>(fb[j]) * n, X0 + static_cast<size_t>(fb[j] + 1) * n,
                &Xf[static_cast<size_t>(j) * n]);
    }
    auto rs = nnn::burn_batch(net, m, Tf.data(), rf.data(), Xf.data(), {dt}, opt, n_threads);
    for (int j = 0; j < m; ++j) {
      const int z = fb[j];
      const auto& r = rs[j];
      double* x = &R.X[static_cast<size_t>(z) * n];
      R.n_emulator_steps[z] = 0;
      R.n_steps[z] = r.n_steps;
      R.status[z] = static_cast<int>(r.status);
      R.table_clamped[z] = r.table_clamped ? 1 : 0;
      if (r.status == Status::Ok) {
        std::copy(r.X.begin(), r.X.begin() + n, x);
        R.eps_nuc[z] = r.eps_nuc[0];
        R.eps_nu[z] = r.eps_nu[0];
        R.Ye[z] = r.Ye[0];
      } else {  // as nnn_burn_zones: X0, no energy, the message
        std::copy(X0 + static_cast<size_t>(z) * n, X0 + static_cast<size_t>(z + 1) * n, x);
        R.eps_nuc[z] = R.eps_nu[z] = 0;
        R.Ye[z] = electron_fraction(net, x);
        R.message[z] = r.message;
      }
    }
  }
  return R;
}

}  // namespace nnn::emulator
