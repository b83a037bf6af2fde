// The subset of Go's text/template that `--format` uses in practice: "{{.Field}}",
// "{{.A.B}}", "{{json .}}", "{{json .Field}}", "{{.}}", and a "table" prefix that adds a header
// row and aligns columns as docker's tabwriter does.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::cli {

class GoTemplate {
 public:
  // headers: field name -> column title for table mode ("ID" -> "IMAGE ID").
  static Result<GoTemplate> parse(std::string_view text, const std::map<std::string, std::string>& headers = {});
  bool table() const { return table_; }
  std::string header() const;                    // the title row (table mode)
  std::string render(const nlohmann::json& v) const;

 private:
  struct Part {
    bool literal = true;
    std::string text;              // literal text
    bool json = false;             // {{json ...}}
    std::vector<std::string> path; // field path; empty = "."
  };
  std::vector<Part> parts_;
  bool table_ = false;
  std::map<std::string, std::string> headers_;
};

// Aligns tab-separated rows: each column as wide as its widest cell plus 3 (at least 10),
// like docker's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0).
std::string align_columns(const std::vector<std::string>& rows);

}  // namespace berth::cli
