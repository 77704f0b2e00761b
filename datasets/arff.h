// ARFF, Weka's attribute-relation file format: a typed header, then one instance per line.
//
//   % comment (from % to the end of the line, outside quotes)
//   @relation iris
//   @attribute sepallength numeric          numeric, real and integer are all numbers
//   @attribute 'petal colour' {red, 'dark blue'}   nominal: the declared values, in order
//   @attribute notes string                 read and dropped (listed in ArffData::skipped)
//   @data
//   5.1, red, 'first one'                   dense: one value per attribute, ? = missing
//   {0 4.9, 2 '?'}                          sparse: index value pairs; an omitted value is 0
//                                           (numeric 0, or a nominal's first declared value)
//
// Keywords are case-insensitive. Names and values may be quoted with ' or " (with \' \" \\ \n
// \t \r escapes); an unquoted value runs to the next comma and is trimmed. A quoted '?' is the
// value "?", not a missing one. Not supported, each a tg::Error naming the file and line: date
// and relational attributes, and instance weights ("..., {2}" after a row). Every error reads
// "read_arff: <path>:<line>: <problem>". The file may be gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg {

enum class ArffType { numeric, nominal };

struct ArffAttribute {
  std::string name;
  ArffType type = ArffType::numeric;
  std::vector<std::string> values;  ///< nominal: the declared values, in declaration order
};

/// The numeric and nominal attributes of an ARFF file and its instances. A cell holds the number,
/// or for a nominal attribute the index of its value in `values`; a missing cell is NaN.
struct ArffData {
  std::string relation;
  std::vector<ArffAttribute> attributes;  ///< in file order, string attributes left out
  std::vector<std::string> skipped;       ///< names of the string attributes, read and dropped
  std::int64_t rows = 0;
  std::vector<double> cells;  ///< row-major [rows × attributes.size()]

  std::int64_t columns() const { return static_cast<std::int64_t>(attributes.size()); }
  double at(std::int64_t row, std::int64_t attribute) const { return cells[row * columns() + attribute]; }
  /// The position of the attribute called `name`; throws "<op>: ... no attribute 'name'" listing them.
  std::int64_t attribute_index(std::string_view name, std::string_view op) const;
};

/// Reads the whole file, or throws "read_arff: <path>:<line>: <problem>".
ArffData read_arff(const std::string& path);

/// Appends the rows of `more` to `data`; both must declare the same attributes (names, types and
/// nominal values), else "<op>: ..." says which attribute differs.
void append_rows(ArffData& data, const ArffData& more, std::string_view op);

}  // namespace tg
