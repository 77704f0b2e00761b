#include "autograd/tape.h"
#include "nn/highway.h"
#include "nn/models.h"
#include "nn/residual.h"
#include "support.h"

using namespace tg;
using nn::BlockShape;
using nn::Method;
using nn::ModelSpec;
using nn::WidthShape;
using Widths = std::vector<std::int64_t>;
using Types = std::vector<std::string>;

namespace {

ModelSpec spec(Method method, int layers, std::int64_t units, WidthShape shape = WidthShape::rectangular,
               double dropout = 0, int block_layers = 2, BlockShape block = BlockShape::rectangular) {
  ModelSpec s;
  s.method = method;
  s.layers = layers;
  s.units = units;
  s.shape = shape;
  s.dropout = dropout;
  s.block_layers = block_layers;
  s.block = block;
  return s;
}

Types types(const nn::Sequential& net) {
  Types out;
  for (std::size_t i = 0; i < net.size(); ++i) out.push_back(net[i].type());
  return out;
}

// What each method puts in the Sequential per hidden layer, and its parameters, from the paper's
// description rather than from the builder.
Types layer_types(const ModelSpec& s) {
  Types t;
  switch (s.method) {
    case Method::snn: t = {"Linear", "SELU"}; break;
    case Method::msra: t = {"Linear", "ReLU"}; break;
    case Method::batchnorm: t = {"Linear", "BatchNorm1d", "ReLU"}; break;
    case Method::layernorm: t = {"Linear", "LayerNorm", "ReLU"}; break;
    case Method::weightnorm: t = {"WeightNormLinear", "ReLU"}; break;
    case Method::highway: t = {"Highway"}; break;
    case Method::resnet: t = {"ResidualBlock"}; break;
  }
  if (s.dropout > 0) t.push_back(s.method == Method::snn ? "AlphaDropout" : "Dropout");
  return t;
}

std::int64_t layer_parameters(const ModelSpec& s, std::int64_t in, std::int64_t out) {
  const std::int64_t linear = in * out + out;
  switch (s.method) {
    case Method::snn:
    case Method::msra: return linear;
    case Method::batchnorm:
    case Method::layernorm: return linear + 2 * out;
    case Method::weightnorm: return linear + out;  // v, b and g
    case Method::highway: return 2 * linear + (in != out ? in * out : 0);
    case Method::resnet: {
      std::int64_t total = in != out ? in * out : 0, width = in;
      for (std::int64_t w : nn::block_widths(s, out)) {
        total += width * w + w + 2 * w;  // Linear and BatchNorm1d
        width = w;
      }
      return total;
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("ModelSpec prints itself and parses back") {
  const ModelSpec snn = spec(Method::snn, 8, 512, WidthShape::rectangular, 0.05);
  CHECK(snn.str() == "snn-l8-u512-rect-d0.05");
  CHECK(ModelSpec::parse("snn-l8-u512-rect-d0.05") == snn);
  const ModelSpec res = spec(Method::resnet, 4, 256, WidthShape::conic, 0, 3, BlockShape::diavolo);
  CHECK(res.str() == "resnet-l4-u256-conic-b3diavolo-d0");
  CHECK(ModelSpec::parse(res.str()) == res);
  for (Method m : nn::all_methods())
    for (double dropout : {0.0, 0.05, 0.5, 0.1 + 0.2}) {
      const ModelSpec s = spec(m, 3, 1024, WidthShape::conic, dropout, 2, BlockShape::rectangular);
      INFO(s.str());
      CHECK(ModelSpec::parse(s.str()) == s);  // shortest round-trip dropout: 0.30000000000000004 stays itself
    }
  CHECK(nn::parse_method("layernorm") == Method::layernorm);
  CHECK(nn::method_name(Method::msra) == "msra");
}

TEST_CASE("ModelSpec::parse rejects anything str() does not print") {
  for (const char* bad : {"", "snn", "svm-l2-u256-rect-d0", "snn-l2-u256-rect", "snn-l2-u256-square-d0",
                          "snn-lx-u256-rect-d0", "snn-l2-u-rect-d0", "snn-l2-u256-rect-d", "snn-l2-u256-rect-d0.5x",
                          "snn-l0-u256-rect-d0", "snn-l2-u256-rect-d1", "snn-l2-u256-rect-b2rect-d0",
                          "resnet-l2-u256-rect-d0", "resnet-l2-u256-rect-b1rect-d0", "resnet-l2-u256-rect-b2cone-d0",
                          "snn-l2-u256-rect-d-0.1"}) {
    INFO(bad);
    CHECK_THROWS_WITH(ModelSpec::parse(bad), Catch::StartsWith(cat("ModelSpec::parse: '", bad, "': ")));
  }
  CHECK_THROWS_WITH(nn::parse_method("svm"), Catch::Contains("unknown method 'svm'; the methods are snn, msra"));
}

TEST_CASE("hidden widths: rectangular, or a geometric cone from units towards the classes") {
  CHECK(nn::hidden_widths(spec(Method::snn, 3, 256), 10) == Widths{256, 256, 256});
  CHECK(nn::hidden_widths(spec(Method::snn, 4, 512, WidthShape::conic), 2) == Widths{512, 128, 32, 8});
  CHECK(nn::hidden_widths(spec(Method::snn, 2, 100, WidthShape::conic), 4) == Widths{100, 20});
  CHECK(nn::hidden_widths(spec(Method::snn, 32, 256, WidthShape::conic), 26).back() >= 26);
  CHECK(nn::block_widths(spec(Method::resnet, 2, 9, WidthShape::rectangular, 0, 3, BlockShape::diavolo), 9) ==
        Widths{5, 5, 9});
  CHECK(nn::block_widths(spec(Method::resnet, 2, 8, WidthShape::rectangular, 0, 2), 8) == Widths{8, 8});
}

TEST_CASE("build_model: every method's layer list and parameter count match its spec") {
  const std::int64_t in = 13, classes = 3;
  for (Method m : nn::all_methods())
    for (WidthShape shape : {WidthShape::rectangular, WidthShape::conic})
      for (double dropout : {0.0, 0.1})
        for (int block_layers : {2, 3})
          for (BlockShape block : {BlockShape::rectangular, BlockShape::diavolo}) {
            if (m != Method::resnet && (block_layers != 2 || block != BlockShape::rectangular)) continue;
            const ModelSpec s = spec(m, 3, 24, shape, dropout, block_layers, block);
            INFO(s.str());
            const auto net = nn::build_model(s, in, classes, 1);
            Types expected;
            std::int64_t params = 0, width = in;
            for (std::int64_t w : nn::hidden_widths(s, classes)) {
              for (const std::string& t : layer_types(s)) expected.push_back(t);
              params += layer_parameters(s, width, w);
              width = w;
            }
            expected.push_back("Linear");
            params += width * classes + classes;
            CHECK(types(*net) == expected);
            CHECK(net->parameter_count() == params);

            NoGrad no_grad;
            const Tensor y = (*net)(test::random_tensor({5, in}, DType::float32));
            CHECK(y.shape() == Shape{5, classes});
          }
}

TEST_CASE("build_model: the same seed gives the same weights, another seed others") {
  for (Method m : nn::all_methods()) {
    const ModelSpec s = spec(m, 2, 8, WidthShape::rectangular, 0.1);
    INFO(s.str());
    const auto a = nn::build_model(s, 5, 2, 7), b = nn::build_model(s, 5, 2, 7), c = nn::build_model(s, 5, 2, 8);
    const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
    REQUIRE(pa.size() == pb.size());
    bool differs = false;
    for (std::size_t i = 0; i < pa.size(); ++i) {
      CHECK(pa[i].to_vector() == pb[i].to_vector());
      differs |= pa[i].to_vector() != pc[i].to_vector();
    }
    CHECK(differs);
    // Dropout layers draw from seeds of their own, distinct per layer.
    std::vector<std::uint64_t> seeds;
    for (const auto& [name, gen] : a->named_generators()) seeds.push_back(gen->seed());
    REQUIRE(seeds.size() == 2);
    CHECK(seeds[0] != seeds[1]);
  }
}

TEST_CASE("build_model: methods use their initialisations and the highway gate bias") {
  const auto snn = nn::build_model(spec(Method::snn, 1, 4000), 2000, 2, 3);
  const auto msra = nn::build_model(spec(Method::msra, 1, 4000), 2000, 2, 3);
  const auto variance = [](const Tensor& w) {
    double s = 0;
    for (double v : w.to_vector()) s += v * v;
    return s / static_cast<double>(w.numel());
  };
  CHECK(variance(snn->parameters()[0]) * 2000 == Approx(1.0).epsilon(0.01));   // lecun_normal: 1/fan_in
  CHECK(variance(msra->parameters()[0]) * 2000 == Approx(2.0).epsilon(0.01));  // he_normal: 2/fan_in
  const auto highway = nn::build_model(spec(Method::highway, 2, 6), 4, 2, 3);
  const auto& first = dynamic_cast<const nn::Highway&>((*highway)[0]);
  CHECK(first.carry != nullptr);  // 4 → 6 needs a projection
  CHECK(first.gate->bias.to_vector() == std::vector<double>(6, nn::kHighwayGateBias));
  CHECK(dynamic_cast<const nn::Highway&>((*highway)[1]).carry == nullptr);
}

TEST_CASE("build_model rejects bad specs and sizes") {
  CHECK_THROWS_WITH(nn::build_model(spec(Method::snn, 0, 8), 4, 2, 1),
                    Catch::StartsWith("build_model: snn-l0-u8-rect-d0: layers 0"));
  CHECK_THROWS_WITH(nn::build_model(spec(Method::msra, 2, 8, WidthShape::rectangular, 1.0), 4, 2, 1),
                    Catch::Contains("dropout 1 is outside [0, 1)"));
  CHECK_THROWS_WITH(nn::build_model(spec(Method::snn, 2, 8), 0, 2, 1),
                    Catch::StartsWith("build_model: snn-l2-u8-rect-d0: in_features 0 and classes 2"));
}
