// Reading and writing .npz archives; see Note [The npz format] in npz.h.
//
// ZIP layout written (all integers little-endian, no ZIP64, no data descriptors):
//   per member: local header (30 bytes) + name + NPY header + raw data
//   then      : one central-directory header (46 bytes) + name per member
//   then      : the end-of-central-directory record (22 bytes)
// The loader starts from the end record, walks the central directory and takes sizes, CRCs and
// offsets from it, as unzip and Python's zipfile do.
#include "tensor/npz.h"

#include <zlib.h>

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <span>
#include <string_view>

#include "tensor/atomic_file.h"

namespace tg {
namespace {

static_assert(std::endian::native == std::endian::little, "npz: tensor bytes are written as they lie in memory");

using Bytes = std::span<const unsigned char>;

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint64_t kLocalHeaderSize = 30, kCentralHeaderSize = 46, kEndSize = 22;
constexpr std::uint64_t kMaxComment = 0xFFFF;
constexpr std::uint16_t kZipVersion = 20;         // 2.0, the baseline every unzip reads
constexpr std::uint16_t kStored = 0, kDeflated = 8;
constexpr std::uint16_t kDosDate = (1 << 5) | 1;  // 1980-01-01 00:00: equal arrays give equal files
constexpr std::uint64_t kZipLimit = 0xFFFFFFFF;   // sizes and offsets beyond this need ZIP64
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // deflate cannot compress better than ~1032:1
constexpr std::string_view kNpyMagic{"\x93NUMPY", 6};
constexpr std::uint64_t kNpyAlignment = 64;
constexpr std::string_view kNpySuffix = ".npy";

// ---- little-endian fields ----

void put16(std::string& out, std::uint64_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& out, std::uint64_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}
// Callers check that [at, at + 2) or [at, at + 4) lies inside `b`.
std::uint64_t get16(Bytes b, std::uint64_t at) { return b[at] | std::uint64_t(b[at + 1]) << 8; }
std::uint64_t get32(Bytes b, std::uint64_t at) { return get16(b, at) | get16(b, at + 2) << 16; }

std::uint32_t crc_of(Bytes b, std::uint32_t crc = 0) {
  // crc32_z(crc, NULL, 0) would *reset* the CRC, so empty ranges are skipped.
  return b.empty() ? crc : static_cast<std::uint32_t>(crc32_z(crc, b.data(), b.size()));
}

// ---- NPY ----

const char* npy_descr(DType t) {
  switch (t) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::int64: return "<i8";
  }
  return "?";
}

std::string npy_header(const Tensor& t) {
  std::string shape;
  for (int i = 0; i < t.dim(); ++i) shape += cat(i ? ", " : "", t.size(i));
  if (t.dim() == 1) shape += ",";  // Python's one-element tuple "(5,)"
  std::string dict = cat("{'descr': '", npy_descr(t.dtype()), "', 'fortran_order': False, 'shape': (", shape, "), }");
  const std::uint64_t unpadded = kNpyMagic.size() + 4 + dict.size() + 1;  // + version, length and '\n'
  dict.append((kNpyAlignment - unpadded % kNpyAlignment) % kNpyAlignment, ' ');
  dict += '\n';
  std::string out(kNpyMagic);
  out += '\x01';  // version 1.0
  out += '\x00';
  put16(out, dict.size());
  return out + dict;
}

struct NpyHeader {
  DType dtype;
  Shape shape;
};

// Parses the dict numpy writes, {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), },
// accepting any key order, either quote and Python 2's "3L" integers.
class NpyDictParser {
 public:
  explicit NpyDictParser(std::string_view text) : s_(text) {}

  NpyHeader parse() {
    std::string descr;
    bool fortran_order = false, have_descr = false, have_order = false, have_shape = false;
    std::vector<std::int64_t> dims;
    expect('{');
    while (!eat('}')) {
      const std::string key = quoted();
      expect(':');
      const bool seen = (key == "descr" && have_descr) || (key == "fortran_order" && have_order) ||
                        (key == "shape" && have_shape);
      check(!seen, "malformed NPY header: '", key, "' appears twice");
      if (key == "descr") {
        descr = quoted();
        have_descr = true;
      } else if (key == "fortran_order") {
        const std::string word = identifier();
        check(word == "True" || word == "False", "malformed NPY header: fortran_order is '", word, "'");
        fortran_order = word == "True";
        have_order = true;
      } else if (key == "shape") {
        expect('(');
        while (!eat(')')) {
          dims.push_back(integer());
          if (!eat(',')) {
            expect(')');
            break;
          }
        }
        have_shape = true;
      } else {
        throw Error(cat("malformed NPY header: unexpected key '", key, "'"));
      }
      if (!eat(',')) {
        expect('}');
        break;
      }
    }
    check(have_descr && have_order && have_shape,
          "malformed NPY header: 'descr', 'fortran_order' or 'shape' is missing");
    check(!fortran_order || dims.size() <= 1,
          "Fortran-ordered arrays are not supported (save np.ascontiguousarray(a))");
    DType dtype;
    if (descr == "<f4") dtype = DType::float32;
    else if (descr == "<f8") dtype = DType::float64;
    else if (descr == "<i8") dtype = DType::int64;
    else throw Error(cat("dtype '", descr, "' is not supported (tapegrad reads <f4, <f8 and <i8)"));
    return {dtype, Shape(std::span<const std::int64_t>(dims))};
  }

 private:
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) { check(eat(c), "malformed NPY header: expected '", c, "' at character ", i_); }
  std::string quoted() {
    skip_space();
    check(i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"'),
          "malformed NPY header: expected a string at character ", i_);
    const char quote = s_[i_++];
    const std::size_t close = s_.find(quote, i_);
    check(close != std::string_view::npos, "malformed NPY header: unterminated string");
    std::string out(s_.substr(i_, close - i_));
    i_ = close + 1;
    return out;
  }
  std::string identifier() {
    skip_space();
    const std::size_t begin = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    return std::string(s_.substr(begin, i_ - begin));
  }
  std::int64_t integer() {
    skip_space();
    check(i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])),
          "malformed NPY header: expected a non-negative shape extent at character ", i_);
    std::int64_t value = 0;
    for (; i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])); ++i_) {
      const int digit = s_[i_] - '0';
      check(value <= (std::numeric_limits<std::int64_t>::max() - digit) / 10, "malformed NPY header: extent too large");
      value = value * 10 + digit;
    }
    if (i_ < s_.size() && s_[i_] == 'L') ++i_;
    return value;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

Tensor parse_npy(Bytes npy) {
  check(npy.size() >= 10 && std::memcmp(npy.data(), kNpyMagic.data(), kNpyMagic.size()) == 0,
        "not an NPY array (bad magic)");
  const int major = npy[6];
  check(major >= 1 && major <= 3, "NPY version ", major, ".", int(npy[7]), " is not supported");
  const std::uint64_t length_field = major == 1 ? 2 : 4;
  check(npy.size() >= 8 + length_field, "truncated NPY header");
  const std::uint64_t header_size = major == 1 ? get16(npy, 8) : get32(npy, 8);
  const std::uint64_t data_start = 8 + length_field + header_size;
  check(data_start <= npy.size(), "truncated: the NPY header claims ", header_size, " bytes but the member has ",
        npy.size());
  const NpyHeader h =
      NpyDictParser({reinterpret_cast<const char*>(npy.data()) + 8 + length_field, header_size}).parse();

  // Overflow-checked extent product, before Shape::numel() could overflow.
  std::uint64_t bytes = dtype_size(h.dtype);
  for (std::int64_t d : h.shape)
    check(!__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes), "shape ", h.shape, " is too large");
  check(bytes == npy.size() - data_start, "shape ", h.shape, " ", dtype_name(h.dtype), " needs ", bytes,
        " bytes of data but the member holds ", npy.size() - data_start);
  Tensor t = empty(h.shape, h.dtype);
  if (bytes) std::memcpy(t.raw_data(), npy.data() + data_start, bytes);
  return t;
}

// ---- ZIP reading ----

struct CentralEntry {
  std::string member;
  std::uint64_t flags, method, crc, stored_size, size, local_offset;
};

std::vector<unsigned char> inflate_raw(Bytes in, std::uint64_t size) {
  check(size <= in.size() * kMaxDeflateRatio + kNpyAlignment, "corrupted: ", in.size(),
        " deflated bytes cannot inflate to the claimed ", size);
  std::vector<unsigned char> out(size + 1);  // + 1: zlib wants a non-null output buffer even when size is 0
  z_stream zs{};
  check(inflateInit2(&zs, -MAX_WBITS) == Z_OK, "zlib: inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const std::uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  check(rc == Z_STREAM_END && produced == size, "corrupted: the deflated data does not inflate to ", size, " bytes");
  out.resize(size);
  return out;
}

// One member's array, from its central-directory entry. `data_end` is where the central
// directory starts: every member's bytes must lie before it.
std::pair<std::string, Tensor> read_member(Bytes file, const CentralEntry& e, std::uint64_t data_end) {
  check(e.member.size() > kNpySuffix.size() && e.member.ends_with(kNpySuffix), "not an .npy array");
  check(!(e.flags & 1), "encrypted members are not supported");
  check(e.stored_size != kZipLimit && e.size != kZipLimit && e.local_offset != kZipLimit,
        "ZIP64 members are not supported");
  const std::uint64_t local = e.local_offset;
  check(local + kLocalHeaderSize <= data_end && get32(file, local) == kLocalHeaderSignature,
        "corrupted: no local header at byte ", local);
  const std::uint64_t name_size = get16(file, local + 26), extra_size = get16(file, local + 28);
  const std::uint64_t start = local + kLocalHeaderSize + name_size + extra_size;
  check(start + e.stored_size <= data_end, "truncated or corrupted: its data, bytes [", start, ", ",
        start + e.stored_size, "), do not end before the central directory at byte ", data_end);
  check(name_size == e.member.size() &&
            std::memcmp(file.data() + local + kLocalHeaderSize, e.member.data(), name_size) == 0,
        "corrupted: the local header at byte ", local, " names a different member");
  // The local header repeats method, CRC and sizes, except that streamed writers (flag 8) leave
  // them to a trailing descriptor and ZIP64 writers (numpy.savez) put 0xFFFFFFFF for the sizes.
  const auto size_matches = [](std::uint64_t in_local, std::uint64_t in_central) {
    return in_local == in_central || in_local == kZipLimit;
  };
  const bool streamed = get16(file, local + 6) & 8;
  check(get16(file, local + 8) == e.method &&
            (streamed || (get32(file, local + 14) == e.crc && size_matches(get32(file, local + 18), e.stored_size) &&
                          size_matches(get32(file, local + 22), e.size))),
        "corrupted: the local header at byte ", local, " disagrees with the central directory");

  Bytes data = file.subspan(start, e.stored_size);
  std::vector<unsigned char> inflated;
  if (e.method == kDeflated) {
    inflated = inflate_raw(data, e.size);
    data = inflated;
  } else {
    check(e.method == kStored, "compression method ", e.method, " is not supported (only stored and deflated)");
    check(e.stored_size == e.size, "corrupted: stored size ", e.stored_size, " differs from size ", e.size);
  }
  check(crc_of(data) == e.crc, "CRC mismatch (file corrupted)");
  return {e.member.substr(0, e.member.size() - kNpySuffix.size()), parse_npy(data)};
}

NamedTensors parse_npz(Bytes file) {
  const std::uint64_t size = file.size();
  check(size >= 4 && (get32(file, 0) == kLocalHeaderSignature || get32(file, 0) == kEndSignature),
        "not an npz file: it does not start with a ZIP signature (bad magic)");

  // The end record is the last 22 bytes unless the archive has a comment: search back for it.
  std::uint64_t end = 0;
  bool found = false;
  for (std::uint64_t at = size >= kEndSize ? size - kEndSize + 1 : 0; at-- > 0 && size - at <= kEndSize + kMaxComment;)
    if (get32(file, at) == kEndSignature && at + kEndSize + get16(file, at + 20) == size) {
      end = at;
      found = true;
      break;
    }
  check(found, "truncated or corrupted: no ZIP end-of-central-directory record at the end of the ", size,
        "-byte file");
  const std::uint64_t entries = get16(file, end + 10), directory_size = get32(file, end + 12),
                      directory = get32(file, end + 16);
  check(entries != 0xFFFF && directory_size != kZipLimit && directory != kZipLimit, "ZIP64 archives are not supported");
  check(get16(file, end + 4) == 0 && get16(file, end + 6) == 0 && get16(file, end + 8) == entries,
        "multi-volume ZIP archives are not supported");
  check(directory + directory_size <= end, "truncated or corrupted: the central directory at byte ", directory, " (",
        directory_size, " bytes) does not end before the end record at byte ", end, " of the ", size, "-byte file");

  const std::uint64_t directory_end = directory + directory_size;
  NamedTensors out;
  std::set<std::string> names;
  std::uint64_t at = directory;
  for (std::uint64_t k = 0; k < entries; ++k) {
    check(at + kCentralHeaderSize <= directory_end && get32(file, at) == kCentralHeaderSignature,
          "corrupted: central directory entry ", k, " at byte ", at, " is malformed");
    const std::uint64_t name_size = get16(file, at + 28);
    const std::uint64_t entry_size = kCentralHeaderSize + name_size + get16(file, at + 30) + get16(file, at + 32);
    check(at + entry_size <= directory_end, "corrupted: central directory entry ", k, " runs past the directory");
    const CentralEntry e{std::string(reinterpret_cast<const char*>(file.data() + at + kCentralHeaderSize), name_size),
                         get16(file, at + 8),  get16(file, at + 10), get32(file, at + 16),
                         get32(file, at + 20), get32(file, at + 24), get32(file, at + 42)};
    try {
      out.push_back(read_member(file, e, directory));
    } catch (const Error& error) {
      throw Error(cat("member '", e.member, "': ", error.what()));
    }
    check(names.insert(out.back().first).second, "member '", e.member, "' appears twice");
    at += entry_size;
  }
  check(at == directory_end, "corrupted: ", directory_end - at, " stray bytes after the ", entries,
        " central directory entries");
  return out;
}

std::vector<unsigned char> read_file(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);  // fails for directories too
  std::FILE* f = error ? nullptr : std::fopen(path.c_str(), "rb");
  if (!f) throw Error(cat("load_npz: cannot open ", path, ": ", error ? error.message() : std::strerror(errno)));
  std::vector<unsigned char> bytes(size);
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  check(got == size, "load_npz: reading ", path, " failed after ", got, " of ", size, " bytes");
  return bytes;
}

// The ZIP layout at the top of this file, one stored member per array.
void write_archive(AtomicFile& file, const NamedTensors& arrays) {
  std::string directory;
  for (const auto& [name, t] : arrays) {
    const std::string member = name + std::string(kNpySuffix), header = npy_header(t);
    const Bytes data(static_cast<const unsigned char*>(t.raw_data()), t.numel() * dtype_size(t.dtype()));
    const std::uint64_t size = header.size() + data.size(), offset = file.written();
    check(offset + kLocalHeaderSize + member.size() + size <= kZipLimit,
          "the archive would exceed 4 GiB, which needs ZIP64 (not implemented)");
    const Bytes header_bytes(reinterpret_cast<const unsigned char*>(header.data()), header.size());
    const std::uint32_t crc = crc_of(data, crc_of(header_bytes));

    // The fields local and central headers share, from "version needed" to "extra length".
    std::string shared;
    put16(shared, kZipVersion);
    put16(shared, 0);  // flags
    put16(shared, kStored);
    put16(shared, 0);  // time
    put16(shared, kDosDate);
    put32(shared, crc);
    put32(shared, size);  // stored size
    put32(shared, size);  // size
    put16(shared, member.size());
    put16(shared, 0);  // extra length

    std::string local;
    put32(local, kLocalHeaderSignature);
    file.write(local + shared + member + header);
    file.write(data.data(), data.size());

    put32(directory, kCentralHeaderSignature);
    put16(directory, kZipVersion);  // made by
    directory += shared;
    put16(directory, 0);  // comment length
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory += member;
  }
  const std::uint64_t directory_offset = file.written();
  check(directory_offset + directory.size() + kEndSize <= kZipLimit,
        "the archive would exceed 4 GiB, which needs ZIP64 (not implemented)");
  std::string end;
  put32(end, kEndSignature);
  put16(end, 0);  // this disk
  put16(end, 0);  // disk where the directory starts
  put16(end, arrays.size());
  put16(end, arrays.size());
  put32(end, directory.size());
  put32(end, directory_offset);
  put16(end, 0);  // comment length
  file.write(directory + end);
}

}  // namespace

void save_npz(const std::string& path, const NamedTensors& arrays) {
  check(arrays.size() < 0xFFFF, "save_npz: ", path, ": ", arrays.size(),
        " arrays, more than a ZIP without ZIP64 holds");
  std::set<std::string> names;
  for (const auto& [name, t] : arrays) {
    check(!name.empty() && name.size() < 0xFF00, "save_npz: ", path, ": array names must have 1 to 65279 characters");
    check(t.defined(), "save_npz: ", path, ": array '", name, "' is undefined");
    check(names.insert(name).second, "save_npz: ", path, ": the name '", name, "' appears twice");
  }
  try {
    AtomicFile file(path);
    write_archive(file, arrays);
    file.commit();
  } catch (const Error& e) {
    throw Error(cat("save_npz: ", path, ": ", e.what()));
  }
}

NamedTensors load_npz(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  try {
    return parse_npz(bytes);
  } catch (const Error& e) {
    throw Error(cat("load_npz: ", path, ": ", e.what()));
  }
}

}  // namespace tg
