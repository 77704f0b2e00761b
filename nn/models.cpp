#include "nn/models.h"

#include <array>
#include <charconv>
#include <cmath>

#include "nn/highway.h"
#include "nn/init.h"
#include "nn/residual.h"
#include "nn/weight_norm.h"

namespace tg::nn {
namespace {

constexpr std::array<std::string_view, 7> kMethodNames = {"snn",        "msra",    "batchnorm", "layernorm",
                                                          "weightnorm", "highway", "resnet"};

// Dropout seeds are drawn from Philox at counters far above any weight's, keyed by the model seed.
constexpr std::uint64_t kDropoutStream = std::uint64_t{1} << 62;

std::uint64_t dropout_seed(std::uint64_t seed, std::uint64_t layer) {
  const auto words = philox(seed, kDropoutStream + layer);
  return (std::uint64_t{words[0]} << 32) | words[1];
}

std::string shortest(double x) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, end);
}

// Splits "snn-l8-u512-rect-d0.05" at its dashes.
std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t begin = 0;;) {
    const std::size_t dash = text.find('-', begin);
    out.push_back(text.substr(begin, dash - begin));
    if (dash == std::string_view::npos) return out;
    begin = dash + 1;
  }
}

template <class T>
bool parse_whole(std::string_view text, T& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Linear → (norm) → activation → (dropout) for the plain methods.
void add_plain_layer(Sequential& net, const ModelSpec& spec, std::int64_t in, std::int64_t out, Generator& gen) {
  if (spec.method == Method::weightnorm) {
    auto layer = std::make_shared<WeightNormLinear>(in, out, gen);
    init::he_normal(layer->weight_v, gen);
    layer->reset_gain();
    net.add(layer);
    net.add(std::make_shared<ReLU>());
    return;
  }
  auto layer = std::make_shared<Linear>(in, out, gen);  // lecun_normal: the SNN initialisation
  net.add(layer);
  if (spec.method == Method::snn) {
    net.add(std::make_shared<SELU>());
    return;
  }
  init::he_normal(layer->weight, gen);
  if (spec.method == Method::batchnorm) net.add(std::make_shared<BatchNorm1d>(out));
  if (spec.method == Method::layernorm) net.add(std::make_shared<LayerNorm>(out));
  net.add(std::make_shared<ReLU>());
}

}  // namespace

std::string_view method_name(Method method) { return kMethodNames[static_cast<std::size_t>(method)]; }

Method parse_method(std::string_view name) {
  std::string names;
  for (std::size_t i = 0; i < kMethodNames.size(); ++i) {
    if (kMethodNames[i] == name) return static_cast<Method>(i);
    names += (i ? ", " : "") + std::string(kMethodNames[i]);
  }
  throw Error(cat("parse_method: unknown method '", name, "'; the methods are ", names));
}

const std::vector<Method>& all_methods() {
  static const std::vector<Method> methods = {Method::snn,        Method::msra,    Method::batchnorm, Method::layernorm,
                                              Method::weightnorm, Method::highway, Method::resnet};
  return methods;
}

std::string ModelSpec::str() const {
  std::string s = cat(method_name(method), "-l", layers, "-u", units, shape == WidthShape::conic ? "-conic" : "-rect");
  if (method == Method::resnet) s += cat("-b", block_layers, block == BlockShape::diavolo ? "diavolo" : "rect");
  return s + "-d" + shortest(dropout);
}

ModelSpec ModelSpec::parse(std::string_view text) {
  const auto fail = [&](const std::string& problem) {
    throw Error(cat("ModelSpec::parse: '", text, "': ", problem,
                    " (expected e.g. snn-l8-u512-rect-d0.05 or resnet-l4-u256-conic-b3diavolo-d0)"));
  };
  const std::vector<std::string_view> f = fields(text);
  ModelSpec spec;
  try {
    spec.method = parse_method(f[0]);
  } catch (const Error& e) {
    fail(e.what());
  }
  const std::size_t expected = spec.method == Method::resnet ? 6 : 5;
  if (f.size() != expected) fail(cat(f.size(), " fields where ", method_name(spec.method), " has ", expected));
  if (!f[1].starts_with('l') || !parse_whole(f[1].substr(1), spec.layers)) fail(cat("bad layers '", f[1], "'"));
  if (!f[2].starts_with('u') || !parse_whole(f[2].substr(1), spec.units)) fail(cat("bad units '", f[2], "'"));
  if (f[3] == "conic") {
    spec.shape = WidthShape::conic;
  } else if (f[3] != "rect") {
    fail(cat("bad shape '", f[3], "' (rect or conic)"));
  }
  if (spec.method == Method::resnet) {
    std::string_view b = f[4];
    if (b.ends_with("diavolo")) {
      spec.block = BlockShape::diavolo;
      b.remove_suffix(7);
    } else if (b.ends_with("rect")) {
      b.remove_suffix(4);
    } else {
      fail(cat("bad block '", f[4], "' (b<layers>rect or b<layers>diavolo)"));
    }
    if (!b.starts_with('b') || !parse_whole(b.substr(1), spec.block_layers)) fail(cat("bad block '", f[4], "'"));
  }
  const std::string_view d = f.back();
  if (!d.starts_with('d') || !parse_whole(d.substr(1), spec.dropout)) fail(cat("bad dropout '", d, "'"));
  try {
    spec.validate("ModelSpec::parse");
  } catch (const Error& e) {
    fail(e.what());
  }
  return spec;
}

void ModelSpec::validate(std::string_view op) const {
  check(layers >= 1 && units >= 1, op, ": ", str(), ": layers ", layers, " and units ", units, " must be at least 1");
  check(dropout >= 0 && dropout < 1, op, ": ", str(), ": dropout ", dropout, " is outside [0, 1)");
  check(block_layers >= 2, op, ": ", str(), ": a residual block needs at least 2 layers, not ", block_layers);
}

std::vector<std::int64_t> hidden_widths(const ModelSpec& spec, std::int64_t classes) {
  spec.validate("hidden_widths");
  check(classes >= 1, "hidden_widths: ", classes, " classes");
  std::vector<std::int64_t> widths(static_cast<std::size_t>(spec.layers), spec.units);
  if (spec.shape == WidthShape::conic) {
    const double ratio = static_cast<double>(classes) / static_cast<double>(spec.units);
    for (int i = 0; i < spec.layers; ++i) {
      const auto w = std::llround(static_cast<double>(spec.units) * std::pow(ratio, double(i) / spec.layers));
      widths[static_cast<std::size_t>(i)] = std::max<std::int64_t>(classes, w);
    }
  }
  return widths;
}

std::vector<std::int64_t> block_widths(const ModelSpec& spec, std::int64_t width) {
  std::vector<std::int64_t> widths(static_cast<std::size_t>(spec.block_layers), width);
  if (spec.block == BlockShape::diavolo)
    for (std::size_t j = 0; j + 1 < widths.size(); ++j) widths[j] = (width + 1) / 2;
  return widths;
}

std::shared_ptr<Sequential> build_model(const ModelSpec& spec, std::int64_t in_features, std::int64_t classes,
                                        std::uint64_t seed) {
  spec.validate("build_model");
  check(in_features >= 1 && classes >= 1, "build_model: ", spec.str(), ": in_features ", in_features, " and classes ",
        classes, " must be at least 1");
  Generator gen(seed);
  auto net = std::make_shared<Sequential>();
  std::int64_t width = in_features;
  std::uint64_t dropouts = 0;
  for (std::int64_t out : hidden_widths(spec, classes)) {
    if (spec.method == Method::highway) {
      net->add(std::make_shared<Highway>(width, out, gen));
    } else if (spec.method == Method::resnet) {
      net->add(std::make_shared<ResidualBlock>(width, block_widths(spec, out), gen));
    } else {
      add_plain_layer(*net, spec, width, out, gen);
    }
    if (spec.dropout > 0) {
      const std::uint64_t s = dropout_seed(seed, dropouts++);
      if (spec.method == Method::snn) {
        net->add(std::make_shared<AlphaDropout>(spec.dropout, s));
      } else {
        net->add(std::make_shared<Dropout>(spec.dropout, s));
      }
    }
    width = out;
  }
  net->add(std::make_shared<Linear>(width, classes, gen));
  return net;
}

}  // namespace tg::nn
