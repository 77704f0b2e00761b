#include <algorithm>
#include <cstring>
#include <filesystem>

#include "tensor/npz.h"
#include "support.h"

using namespace tg;
using test::Bytes;
using test::read_bytes;
using test::run_python;
using test::TempDir;
using test::write_bytes;
namespace fs = std::filesystem;

namespace {

bool same_arrays(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Tensor &x = a[i].second, &y = b[i].second;
    if (a[i].first != b[i].first || !(x.shape() == y.shape()) || x.dtype() != y.dtype()) return false;
    const std::size_t bytes = x.numel() * dtype_size(x.dtype());
    if (bytes && std::memcmp(x.raw_data(), y.raw_data(), bytes) != 0) return false;
  }
  return true;
}

// Every dtype and rank the format allows, with values that test the bits (negative zero, NaN
// payloads and large int64s survive only a byte-exact copy).
NamedTensors sample_arrays(std::int64_t vector_size = 1003) {
  NamedTensors out;
  out.emplace_back("matrix", test::random_tensor({3, 5}, DType::float32, 1));
  out.emplace_back("vector", test::random_tensor({vector_size}, DType::float64, 2));
  out.emplace_back("scalar", tensor({-0.0}, Shape{}, DType::float64));
  out.emplace_back("labels", labels({-1, 0, 7, std::int64_t(1) << 62}));
  out.emplace_back("int_scalar", empty(Shape{}, DType::int64));
  *out.back().second.data<std::int64_t>() = -42;
  out.emplace_back("empty", empty({0}, DType::float32));
  out.emplace_back("empty_3d", empty({2, 0, 3}, DType::float64));
  out.emplace_back("eight_dims", test::random_tensor({1, 2, 1, 2, 1, 2, 1, 2}, DType::float32, 3));
  out.emplace_back("model/0.weight", tensor({std::nan("0x5"), 1e-300, -2.5}, {3}, DType::float64));
  return out;
}

}  // namespace

TEST_CASE("npz round trip keeps names, order, dtypes, shapes and bits") {
  TempDir dir;
  const NamedTensors arrays = sample_arrays();
  save_npz(dir / "a.npz", arrays);
  const NamedTensors loaded = load_npz(dir / "a.npz");
  REQUIRE(loaded.size() == arrays.size());
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    INFO(arrays[i].first);
    CHECK(loaded[i].first == arrays[i].first);
    CHECK(loaded[i].second.shape() == arrays[i].second.shape());
    CHECK(loaded[i].second.dtype() == arrays[i].second.dtype());
  }
  CHECK(same_arrays(loaded, arrays));
  CHECK(loaded[2].second.dim() == 0);
  CHECK(std::signbit(loaded[2].second.item()));
  CHECK(loaded[3].second.data<std::int64_t>()[3] == std::int64_t(1) << 62);

  // An archive with no arrays is valid too, and equal inputs give byte-equal files.
  save_npz(dir / "none.npz", {});
  CHECK(load_npz(dir / "none.npz").empty());
  save_npz(dir / "b.npz", arrays);
  CHECK(read_bytes(dir / "a.npz") == read_bytes(dir / "b.npz"));
}

TEST_CASE("npz writes atomically: no temporary file remains, overwriting replaces, a failed save removes its temp") {
  TempDir dir;
  const std::string path = dir / "ckpt.npz";
  save_npz(path, {{"x", tensor({1, 2, 3})}});
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.npz"});

  save_npz(path, {{"y", tensor({4, 5}, DType::float64)}});
  const NamedTensors loaded = load_npz(path);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].first == "y");
  CHECK(loaded[0].second.to_vector() == std::vector<double>{4, 5});
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.npz"});

  // A directory in the way is refused before anything is written: the error says so, no temp is left.
  fs::create_directory(dir / "taken.npz");
  REQUIRE_THROWS_WITH(save_npz(dir / "taken.npz", {{"x", tensor({1})}}),
                      Catch::Contains("save_npz") && Catch::Contains("not a regular file"));
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.npz", "taken.npz"});

  REQUIRE_THROWS_WITH(save_npz(dir / "no/such/dir/x.npz", {{"x", tensor({1})}}), Catch::Contains("cannot create"));
  REQUIRE_THROWS_WITH(save_npz(path, {{"x", tensor({1})}, {"x", tensor({2})}}), Catch::Contains("'x' appears twice"));
  REQUIRE_THROWS_WITH(save_npz(path, {{"u", Tensor()}}), Catch::Contains("'u' is undefined"));
  REQUIRE_THROWS_WITH(save_npz(path, {{"", tensor({1})}}), Catch::Contains("names must have"));
  CHECK(load_npz(path)[0].first == "y");  // the failed saves left the file alone
}

TEST_CASE("numpy.load reads an npz written by tapegrad") {
  TempDir dir;
  Tensor scalar = tensor({3.25}, Shape{}, DType::float64);
  save_npz(dir / "t.npz", {{"weights", tensor({0.5, -1.25, 3, 0, 1024, -0.125}, {2, 3})},
                           {"scalar", scalar},
                           {"labels", labels({-1, 0, 7, std::int64_t(1) << 40})},
                           {"empty", empty({0, 4})},
                           {"model/0.weight", tensor({1e-300, -2.5}, {1, 1, 2}, DType::float64)}});
  const std::string out = run_python(dir, R"(
import sys, zipfile, numpy as np
assert zipfile.ZipFile(sys.argv[1]).testzip() is None  # every CRC checks out
d = np.load(sys.argv[1])
for k in d.files:
    a = d[k]
    print(k, a.dtype, a.shape, a.ravel().tolist())
)",
                                     {dir / "t.npz"});
  CHECK(out ==
        "weights float32 (2, 3) [0.5, -1.25, 3.0, 0.0, 1024.0, -0.125]\n"
        "scalar float64 () [3.25]\n"
        "labels int64 (4,) [-1, 0, 7, 1099511627776]\n"
        "empty float32 (0, 4) []\n"
        "model/0.weight float64 (1, 1, 2) [1e-300, -2.5]\n");
}

TEST_CASE("load_npz reads what numpy.savez and savez_compressed write, and rejects what it cannot represent") {
  TempDir dir;
  run_python(dir, R"(
import sys, numpy as np
np.savez(sys.argv[1], a=np.arange(6, dtype='<f4').reshape(2, 3), b=np.float64(2.5),
         c=np.array([-3, 5], dtype=np.int64), e=np.zeros((0, 3)), **{'model/x': np.full((2, 2, 2), 0.25)})
np.savez_compressed(sys.argv[2], big=np.arange(1000, dtype='<f4'), small=np.array([7], dtype=np.int64))
np.savez(sys.argv[3], f=np.asfortranarray(np.ones((2, 3), dtype='<f4')))
np.savez(sys.argv[4], i=np.arange(3, dtype='<i4'))
)",
             {dir / "plain.npz", dir / "compressed.npz", dir / "fortran.npz", dir / "int32.npz"});

  const NamedTensors plain = load_npz(dir / "plain.npz");
  REQUIRE(plain.size() == 5);
  CHECK(plain[0].first == "a");
  CHECK(plain[0].second.dtype() == DType::float32);
  CHECK(plain[0].second.shape() == Shape{2, 3});
  CHECK(plain[0].second.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(plain[1].second.dim() == 0);
  CHECK(plain[1].second.item() == 2.5);
  CHECK(plain[2].second.dtype() == DType::int64);
  CHECK(plain[2].second.to_vector() == std::vector<double>{-3, 5});
  CHECK(plain[3].second.shape() == Shape{0, 3});
  CHECK(plain[3].second.dtype() == DType::float64);
  CHECK(plain[4].first == "model/x");
  CHECK(plain[4].second.to_vector() == std::vector<double>(8, 0.25));

  const NamedTensors compressed = load_npz(dir / "compressed.npz");
  REQUIRE(compressed.size() == 2);
  CHECK(compressed[0].second.numel() == 1000);
  CHECK(compressed[0].second.at({999}) == 999);
  CHECK(compressed[1].second.to_vector() == std::vector<double>{7});

  REQUIRE_THROWS_WITH(load_npz(dir / "fortran.npz"),
                      Catch::Contains("fortran.npz") && Catch::Contains("member 'f.npy'") &&
                          Catch::Contains("Fortran-ordered"));
  REQUIRE_THROWS_WITH(load_npz(dir / "int32.npz"), Catch::Contains("'i.npy'") && Catch::Contains("dtype '<i4'"));
}

TEST_CASE("load_npz names the problem in archives whose CRCs are right but whose contents are not") {
  TempDir dir;
  // Python's zipfile computes correct CRCs, so these reach the NPY checks.
  run_python(dir, R"(
import io, sys, zipfile, numpy as np
buf = io.BytesIO(); np.save(buf, np.zeros(3, dtype='<f4')); good = buf.getvalue()
def write(path, member, data):
    with zipfile.ZipFile(path, 'w') as z: z.writestr(member, data)
write(sys.argv[1], 'x.npy', b'hello world')
write(sys.argv[2], 'x.npy', good[:-4])
write(sys.argv[3], 'x.txt', good)
write(sys.argv[4], 'x.npy', good.replace(b'(3,)', b'(-,)'))
write(sys.argv[5], 'x.npy', good.replace(b"'<f4'", b"'>f4'"))
length = good[8] | good[9] << 8  # a header with a second 'shape', padded to the same length
header = good[10:10 + length].decode()[:-1].rstrip().replace("'shape': (3,), ", "'shape': (1,), 'shape': (3,), ")
write(sys.argv[6], 'x.npy', good[:10] + (header.ljust(length - 1) + '\n').encode() + good[10 + length:])
)",
             {dir / "magic.npz", dir / "short.npz", dir / "txt.npz", dir / "shape.npz", dir / "big_endian.npz",
              dir / "two_shapes.npz"});
  REQUIRE_THROWS_WITH(load_npz(dir / "magic.npz"), Catch::Contains("'x.npy'") && Catch::Contains("not an NPY array"));
  REQUIRE_THROWS_WITH(load_npz(dir / "short.npz"),
                      Catch::Contains("[3] float32 needs 12 bytes of data but the member holds 8"));
  REQUIRE_THROWS_WITH(load_npz(dir / "txt.npz"), Catch::Contains("'x.txt'") && Catch::Contains("not an .npy array"));
  REQUIRE_THROWS_WITH(load_npz(dir / "shape.npz"), Catch::Contains("expected a non-negative shape extent"));
  REQUIRE_THROWS_WITH(load_npz(dir / "big_endian.npz"), Catch::Contains("dtype '>f4' is not supported"));
  REQUIRE_THROWS_WITH(load_npz(dir / "two_shapes.npz"), Catch::Contains("'x.npy'") && Catch::Contains("'shape' appears twice"));
}

TEST_CASE("load_npz reports missing files, bad magic and truncation at every length") {
  TempDir dir;
  REQUIRE_THROWS_WITH(load_npz(dir / "missing.npz"), Catch::Contains("cannot open") && Catch::Contains("missing.npz"));
  write_bytes(dir / "text.npz", {'h', 'e', 'l', 'l', 'o'});
  REQUIRE_THROWS_WITH(load_npz(dir / "text.npz"), Catch::Contains("text.npz") && Catch::Contains("bad magic"));
  write_bytes(dir / "empty.npz", {});
  REQUIRE_THROWS_WITH(load_npz(dir / "empty.npz"), Catch::Contains("bad magic"));

  save_npz(dir / "good.npz", sample_arrays(5));
  const Bytes bytes = read_bytes(dir / "good.npz");
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    write_bytes(dir / "cut.npz", Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)));
    INFO("truncated to " << length << " of " << bytes.size() << " bytes");
    REQUIRE_THROWS_AS(load_npz(dir / "cut.npz"), Error);
  }
  write_bytes(dir / "cut.npz", Bytes(bytes.begin(), bytes.end() - 1));
  REQUIRE_THROWS_WITH(load_npz(dir / "cut.npz"), Catch::Contains("cut.npz: truncated or corrupted"));
}

TEST_CASE("load_npz detects a flipped data byte by its CRC and names the member") {
  TempDir dir;
  Tensor marked = tensor({1.0, 1234.5678, 2.0}, DType::float64);
  save_npz(dir / "a.npz", {{"first", tensor({1, 2})}, {"model/0.weight", marked}});
  Bytes bytes = read_bytes(dir / "a.npz");
  const auto* value = static_cast<const std::uint8_t*>(marked.raw_data()) + 8;
  const auto at = std::search(bytes.begin(), bytes.end(), value, value + 8);
  REQUIRE(at != bytes.end());
  at[3] ^= 0x10;
  write_bytes(dir / "a.npz", bytes);
  REQUIRE_THROWS_WITH(load_npz(dir / "a.npz"),
                      Catch::Contains("a.npz: member 'model/0.weight.npy': CRC mismatch (file corrupted)"));
}

TEST_CASE("load_npz on corrupted bytes throws tg::Error or returns the original arrays, never anything else") {
  TempDir dir;
  const NamedTensors arrays = sample_arrays(5);
  save_npz(dir / "good.npz", arrays);
  const Bytes good = read_bytes(dir / "good.npz");

  // Every single byte changed in turn.
  std::int64_t errors = 0, harmless = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    Bytes bytes = good;
    bytes[i] ^= 0x5A;
    write_bytes(dir / "bad.npz", bytes);
    try {
      const bool same = same_arrays(load_npz(dir / "bad.npz"), arrays);
      INFO("byte " << i << " changed, load succeeded");
      REQUIRE(same);  // only fields nobody reads (timestamps, attributes) may change silently
      ++harmless;
    } catch (const Error&) {
      ++errors;
    }
  }
  // Only fields no reader needs may change silently, 26 bytes per member: in the local header
  // version, flags, time, date; in the central one version made by / needed, flags, time, date,
  // disk, internal and external attributes.
  CHECK(harmless <= 26 * static_cast<std::int64_t>(arrays.size()));
  CHECK(errors + harmless == static_cast<std::int64_t>(good.size()));

  // Random damage: 1 to 8 random bytes overwritten, sometimes truncated too.
  Generator gen(2024);
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes bytes = good;
    const auto w = philox(gen.seed(), gen.advance(1));
    for (std::uint32_t k = 0; k <= w[0] % 8; ++k) {
      const auto r = philox(gen.seed(), gen.advance(1));
      bytes[r[0] % bytes.size()] = static_cast<std::uint8_t>(r[1]);
    }
    if (w[1] % 4 == 0) bytes.resize(w[2] % bytes.size());
    write_bytes(dir / "bad.npz", bytes);
    try {
      const bool same = same_arrays(load_npz(dir / "bad.npz"), arrays);
      INFO("trial " << trial);
      REQUIRE(same);
    } catch (const Error&) {
    }
  }
}
