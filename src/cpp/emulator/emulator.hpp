// The emulator path of libnnn: TorchScript models of one burn step (one per
// trained dt) used where they are trustworthy, the integrator (nnn::burn)
// where they are not.
//
// Per zone, the emulator's answer is used only if
//   - dt equals a trained dt within Config::dt_rtol (relative), or, with
//     Config::chain_dt, is a whole multiple k <= max_chain_steps of a trained
//     dt (the largest such dt is chained k times);
//   - log10 T, log10 rho and Ye of the zone's input (of every chained step)
//     lie inside the model's training domain (closed intervals, widened by
//     1e-10 for round-off: Ye of an N = Z mixture computes to 0.5 +- 1 ulp);
//   - the output passes the sanity check: every value finite, |sum X - 1| <=
//     sum_tolerance, no X_i < -negative_tolerance (smaller negatives are
//     clipped to 0; X is then renormalised to sum 1).
// Every other zone is burned by nnn::burn over the whole dt from its input
// composition (fallback); ZoneResults::path says which path each zone took.
//
// A loaded Emulator is immutable: burn() is const and any number of threads
// may call it at once (MESA's OpenMP loop over zones). Settings travel with
// each call in a Config; there is no global mutable state here (libtorch's
// intra-op thread count is libtorch's own setting, see Config::torch_threads).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.hpp"
#include "nnn/burn.hpp"
#include "nnn/network.hpp"

namespace nnn::emulator {

inline constexpr const char* kFormat = "nnn-emulator-1";
inline constexpr const char* kMetaName = "nnn_meta.json";

// Which path a zone took (the C ABI's used_fallback values).
enum class Path : int {
  Emulator = 0,        // the emulator's result
  FallbackDomain = 1,  // T, rho or Ye outside the training domain
  FallbackDt = 2,      // dt not trained (and not chained)
  FallbackSanity = 3,  // the emulator's output failed the sanity check
};
const char* path_name(Path p);

struct Domain {
  double logT[2] = {0, 0}, logrho[2] = {0, 0}, Ye[2] = {0, 1};
};

struct ModelInfo {
  std::string path, network, network_hash, format;
  std::vector<std::string> isotopes;
  double dt = 0;
  Domain domain;
  std::string meta_json;  // the whole nnn_meta.json
};

struct Config {
  double sum_tolerance = 1e-4;       // |sum X - 1| above this fails the sanity check
  double negative_tolerance = 1e-6;  // X_i < -this fails; -this <= X_i < 0 is clipped to 0
  double dt_rtol = 1e-9;             // dt matches a trained dt within this relative distance
  bool chain_dt = false;             // untrained dt: chain the largest trained dt dividing it
  int max_chain_steps = 1000;        // longest chain allowed
  int torch_threads = 0;             // libtorch intra-op threads of the calling thread (0: as is)
  int batch_size = 65536;            // zones per forward call (bounds memory)
};

// Results for n zones, row-major X[zone * n_species + i].
struct ZoneResults {
  int n_zones = 0, n_species = 0;
  std::vector<double> X, eps_nuc, eps_nu, Ye;
  std::vector<int> path;        // Path per zone
  std::vector<int> status;      // nnn::Status per zone (fallback integrator failures)
  std::vector<long> n_steps;    // integrator steps (0 for emulator zones)
  std::vector<int> n_emulator_steps;  // forward steps (1, or k when chained; 0 for fallback)
  std::vector<char> table_clamped;    // fallback: a weak-rate table was clamped
  std::vector<std::string> message;   // empty unless status != Ok
};

class Emulator {
 public:
  // paths: model files (*.pt) and/or directories (all *.pt inside). Every
  // model must carry nnn_meta.json of format nnn-emulator-1 and match net's
  // isotope list and file hash; dts must be distinct. Throws
  // nnn::Error(Status::EmulatorFile) naming the file and the mismatch.
  static std::shared_ptr<const Emulator> load(std::shared_ptr<const Network> net,
                                              const std::vector<std::string>& paths,
                                              const std::string& device = "cpu");

  const Network& network() const { return *net_; }
  const std::shared_ptr<const Network>& network_ptr() const { return net_; }
  int n_models() const { return static_cast<int>(models_.size()); }
  const ModelInfo& model(int i) const { return models_.at(i).info; }

  // The model index and chain length used for dt, or {-1, 0} if none.
  std::pair<int, int> plan(double dt, const Config& cfg) const;

  // Burn n zones over dt. Bad input (as nnn::burn_batch) throws before any
  // work. Fallback zones go to nnn::burn_batch on n_threads threads (0: all
  // cores) with opt; an integrator failure there is reported per zone
  // (status, message; X = X0, eps = 0), never thrown. Never returns NaN.
  ZoneResults burn(int n_zones, const double* T, const double* rho, const double* X0, double dt,
                   const BurnOptions& opt = {}, const Config& cfg = {}, int n_threads = 0) const;

 private:
  struct Model {
    std::unique_ptr<EmulatorModel> net;
    ModelInfo info;
  };
  std::shared_ptr<const Network> net_;
  std::vector<Model> models_;  // sorted by dt
};

// Splits "a:b:c" (':'-separated list of files/directories) into paths.
std::vector<std::string> split_paths(const std::string& list);

}  // namespace nnn::emulator
