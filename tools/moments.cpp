// moments: the SELU moment map g of docs/paper.md §4 from the command line.
//
//   moments map --mu 0 --omega 0 --nu 1 --tau 1     g(μ, ω, ν, τ), its Jacobian and spectral norm
//   moments fixed-point --omega 0 --tau 1           iterate g to its fixed point
//   moments solve --mu 0 --nu 2                     (α, λ) making (μ, ν) the fixed point at ω = 0, τ = 1
//   moments dropout --rate 0.05 [--mu M --nu V]     alpha-dropout's a and b
//   moments scan                                    Theorem 1: spectral norm and image on a grid of Ω
//   moments deep --init lecun ...                   per-layer moments of a deep random SELU net
//   moments plot --out DIR                          DIR/moment_map.png (CSVs + tools/plot_moments.py)
//
// Output is one `key: value` per line, numbers with 17 significant digits, so scripts can read it.
// Bad arguments print a one-line error to stderr and exit with a nonzero status.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "nn/moments.h"
#include "tensor/atomic_file.h"
#include "ops/dropout.h"

#ifndef TG_SOURCE_DIR
#define TG_SOURCE_DIR "."
#endif

namespace mo = tg::moments;

namespace {

// Every number printed is finite: anything else is an error, and the exit status says so.
void print(const std::string& key, double value) {
  tg::check(std::isfinite(value), "moments: ", key, " is ", value, " (not finite in double at these arguments)");
  std::cout << key << ": " << std::setprecision(17) << value << "\n";
}
void print(const std::string& key, const std::string& value) { std::cout << key << ": " << value << "\n"; }

void print_jacobian(const mo::Jacobian& j) {
  print("j11", j.j11), print("j12", j.j12), print("j21", j.j21), print("j22", j.j22);
}

// A CSV is built in memory and written atomically (tensor/atomic_file.h): whole, or an error.
std::ostringstream start_csv(const char* header) {
  std::ostringstream out;
  out << std::setprecision(17) << header << "\n";
  return out;
}
void write_csv(const std::filesystem::path& path, const std::ostringstream& contents) {
  try {
    tg::write_file_atomically(path.string(), contents.str());
  } catch (const tg::Error& e) {
    throw tg::Error(tg::cat("moments plot: ", e.what()));
  }
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct PlotOptions {
  std::string out, python = "/usr/bin/python3", script = TG_SOURCE_DIR "/tools/plot_moments.py";
  double omega = 0, tau = 1;
  int steps = 25;
  mo::DeepNet deep{100, 1024, 64, mo::Init::lecun, {1.0, 9.0}, 0};
};

// The CSVs behind the figure: the field of g − id on a (μ, ν) grid, iterate trajectories, and the
// deep-net moments for the three inits. Then the matplotlib script draws DIR/moment_map.png.
void plot(const PlotOptions& o) {
  namespace fs = std::filesystem;
  const fs::path dir(o.out);
  fs::create_directories(dir);
  {
    std::ostringstream field = start_csv("mu,nu,mu_tilde,nu_tilde");
    constexpr int kMuPoints = 21, kNuPoints = 21;
    for (int i = 0; i < kMuPoints; ++i)
      for (int k = 0; k < kNuPoints; ++k) {
        const mo::Moments at{-1.0 + 2.0 * i / (kMuPoints - 1), 0.1 + 2.9 * k / (kNuPoints - 1)};
        const mo::Moments image = mo::map(at, o.omega, o.tau);
        field << at.mu << "," << at.nu << "," << image.mu << "," << image.nu << "\n";
      }
    write_csv(dir / "field.csv", field);
  }
  {
    std::ostringstream traj = start_csv("trajectory,step,mu,nu");
    const std::vector<mo::Moments> starts = {{-0.9, 0.15}, {0.9, 2.9}, {-0.8, 2.6}, {0.8, 0.4}, {0.0, 0.1}};
    for (std::size_t t = 0; t < starts.size(); ++t) {
      mo::Moments at = starts[t];
      for (int step = 0; step <= o.steps; ++step) {
        traj << t << "," << step << "," << at.mu << "," << at.nu << "\n";
        at = mo::map(at, o.omega, o.tau);
      }
    }
    write_csv(dir / "trajectories.csv", traj);
  }
  {
    std::ostringstream deep = start_csv("init,layer,mean,var");
    for (mo::Init init : {mo::Init::lecun, mo::Init::gain075, mo::Init::he}) {
      mo::DeepNet net = o.deep;
      net.init = init;
      deep << mo::init_name(init) << ",0," << net.input.mu << "," << net.input.nu << "\n";
      std::vector<mo::Moments> layers = mo::deep_moments(net);
      for (std::size_t l = 0; l < layers.size(); ++l)
        deep << mo::init_name(init) << "," << l + 1 << "," << layers[l].mu << "," << layers[l].nu << "\n";
    }
    write_csv(dir / "deep.csv", deep);
  }
  const std::string command = shell_quote(o.python) + " " + shell_quote(o.script) + " " + shell_quote(dir.string());
  const int status = std::system(command.c_str());
  tg::check(status == 0, "moments plot: '", command, "' failed with status ", status);
  print("plot", (dir / "moment_map.png").string());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The SELU moment map g of Self-Normalizing Neural Networks (docs/paper.md §4)."};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();

  mo::Moments in{0.0, 1.0};
  double omega = 0, tau = 1;
  auto* map_cmd = app.add_subcommand("map", "g(mu, omega, nu, tau): mu_tilde, nu_tilde, Jacobian, spectral norm");
  map_cmd->add_option("--mu", in.mu, "mean of the layer's inputs");
  map_cmd->add_option("--omega", omega, "sum of the unit's weights");
  map_cmd->add_option("--nu", in.nu, "variance of the layer's inputs (> 0)");
  map_cmd->add_option("--tau", tau, "sum of the squared weights (> 0)");

  mo::Moments start{1.0, 2.0};
  double tolerance = 1e-15;
  auto* fixed_cmd = app.add_subcommand("fixed-point", "iterate g from a start point to its fixed point");
  fixed_cmd->add_option("--omega", omega, "sum of the unit's weights");
  fixed_cmd->add_option("--tau", tau, "sum of the squared weights (> 0)");
  fixed_cmd->add_option("--mu0", start.mu, "starting mean");
  fixed_cmd->add_option("--nu0", start.nu, "starting variance (> 0)");
  fixed_cmd->add_option("--tolerance", tolerance, "stop when a step moves mu and nu by at most this times max(1, nu)");

  mo::Moments target{0.0, 1.0};
  auto* solve_cmd = app.add_subcommand("solve", "(alpha, lambda) making (mu, nu) the fixed point at omega 0, tau 1");
  solve_cmd->add_option("--mu", target.mu, "target mean");
  solve_cmd->add_option("--nu", target.nu, "target variance (> 0)");

  double rate = 0.05;
  mo::Moments keep{0.0, 1.0};
  auto* dropout_cmd = app.add_subcommand("dropout", "alpha-dropout's affine correction a, b");
  dropout_cmd->add_option("--rate", rate, "dropout rate 1 - q, in [0, 1); the paper recommends 0.05 or 0.1");
  dropout_cmd->add_option("--mu", keep.mu, "mean to preserve");
  dropout_cmd->add_option("--nu", keep.nu, "variance to preserve (> 0)");

  int points = 21;
  auto* scan_cmd = app.add_subcommand("scan", "Theorem 1: largest spectral norm and image of g on a grid of Omega");
  scan_cmd->add_option("--points", points, "grid points per axis (points^4 in all)");

  mo::DeepNet net;
  std::string init = "lecun";
  auto* deep_cmd = app.add_subcommand("deep", "per-layer mean and variance of a deep random SELU net (float64)");
  deep_cmd->add_option("--layers", net.layers, "number of SELU layers");
  deep_cmd->add_option("--width", net.width, "units per layer");
  deep_cmd->add_option("--batch", net.batch, "input samples");
  deep_cmd->add_option("--init", init, "weight init: lecun, gain0.75 or he");
  deep_cmd->add_option("--in-mean", net.input.mu, "mean of the inputs");
  deep_cmd->add_option("--in-var", net.input.nu, "variance of the inputs");
  deep_cmd->add_option("--seed", net.seed, "random seed");

  PlotOptions plot_options;
  auto* plot_cmd = app.add_subcommand("plot", "write DIR/moment_map.png (and the CSVs behind it)");
  plot_cmd->add_option("--out", plot_options.out, "output directory")->required();
  plot_cmd->add_option("--omega", plot_options.omega, "omega of the vector field");
  plot_cmd->add_option("--tau", plot_options.tau, "tau of the vector field (> 0)");
  plot_cmd->add_option("--steps", plot_options.steps, "iterations per trajectory");
  plot_cmd->add_option("--deep-layers", plot_options.deep.layers, "layers of the deep-net panel");
  plot_cmd->add_option("--deep-width", plot_options.deep.width, "width of the deep-net panel");
  plot_cmd->add_option("--deep-batch", plot_options.deep.batch, "batch of the deep-net panel");
  plot_cmd->add_option("--python", plot_options.python, "Python with matplotlib");
  plot_cmd->add_option("--script", plot_options.script, "the plotting script");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*map_cmd) {
      const mo::Moments image = mo::map(in, omega, tau);
      const mo::Jacobian j = mo::jacobian(in, omega, tau);
      print("mu_tilde", image.mu), print("nu_tilde", image.nu);
      print_jacobian(j);
      print("spectral_norm", mo::spectral_norm(j));
    } else if (*fixed_cmd) {
      const mo::FixedPoint fp = mo::fixed_point(omega, tau, start, {}, tolerance);
      print("mu", fp.at.mu), print("nu", fp.at.nu);
      print_jacobian(fp.jacobian);
      print("spectral_norm", fp.spectral_norm);
      print("iterations", fp.iterations);
      print("converged", fp.converged ? "true" : "false");
      if (!fp.converged) {
        std::cerr << "moments fixed-point: no convergence after " << fp.iterations << " iterations\n";
        return 2;
      }
    } else if (*solve_cmd) {
      const mo::Solution s = mo::solve(target);
      print("alpha", s.selu.alpha), print("lambda", s.selu.lambda);
      print("iterations", s.iterations), print("residual", s.residual);
    } else if (*dropout_cmd) {
      tg::check(rate >= 0 && rate < 1, "moments dropout: --rate must be in [0, 1), got ", rate);
      tg::check(keep.nu > 0, "moments dropout: --nu must be positive, got ", keep.nu);
      const tg::AlphaDropoutCoefficients c = tg::alpha_dropout_coefficients(rate, keep.mu, keep.nu);
      const mo::Moments after = mo::alpha_dropout_moments(keep, rate, c);
      print("a", c.a), print("b", c.b), print("alpha_prime", c.alpha_prime);
      print("mean_after", after.mu), print("var_after", after.nu);
    } else if (*scan_cmd) {
      const mo::Scan s = mo::scan({}, points);
      print("points", static_cast<double>(s.points));
      print("max_spectral_norm", s.max_spectral_norm);
      print("argmax_mu", s.argmax_mu), print("argmax_omega", s.argmax_omega);
      print("argmax_nu", s.argmax_nu), print("argmax_tau", s.argmax_tau);
      print("mu_tilde_min", s.mu_tilde_min), print("mu_tilde_max", s.mu_tilde_max);
      print("nu_tilde_min", s.nu_tilde_min), print("nu_tilde_max", s.nu_tilde_max);
      print("nu_tilde_bound_min", s.nu_tilde_bound_lo), print("nu_tilde_bound_max", s.nu_tilde_bound_hi);
    } else if (*deep_cmd) {
      net.init = mo::parse_init(init);
      const std::vector<mo::Moments> layers = mo::deep_moments(net);
      print("init", mo::init_name(net.init));
      print("columns", "mean var");
      for (std::size_t l = 0; l < layers.size(); ++l) {
        tg::check(std::isfinite(layers[l].mu) && std::isfinite(layers[l].nu), "moments deep: layer ", l + 1,
                  " has mean ", layers[l].mu, " and variance ", layers[l].nu, " (not finite in double)");
        std::cout << "layer_" << l + 1 << ": " << std::setprecision(17) << layers[l].mu << " " << layers[l].nu << "\n";
      }
    } else if (*plot_cmd) {
      plot(plot_options);
    }
  } catch (const std::exception& e) {  // tg::Error messages already name the function
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
