// Go text/template for commit messages: parse once, execute against a Value with Go's semantics
// (dot, variable scopes, range over lists, sorted maps and ints, `<no value>` for missing map
// keys, Go's error texts with positions) and hard limits so hostile templates cannot hang or
// exhaust memory.
//
//   Result<Template> t = Template::Parse("commit message", text, SprigFunctions());
//   if (!t) return t.error();
//   Result<std::string> message = t->Execute(data);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "automation/template/parser.h"
#include "automation/template/value.h"
#include "core/error.h"

namespace imgauto::gotemplate {

// Execution limits. Exceeding one is an execution error naming the limit.
struct ExecOptions {
  size_t max_output_bytes = 1u << 20;  // rendered text, and any single string value
  uint64_t max_steps = 1000000;        // nodes evaluated, plus the size of built values
  int max_template_depth = 100;        // nested {{template}} calls
};

class Template {
 public:
  // Parses `text` as the template `name`. `funcs` adds to (and overrides) Go's builtins
  // (and, or, not, eq, ..., printf, call). Parse errors are kInvalidSpec with Go's text:
  // `template: commit message:3: unexpected "}" in operand`.
  static Result<Template> Parse(std::string_view name, std::string_view text, const FuncMap& funcs);

  // Executes the named top-level template with `data` as dot. Errors are kInvalidSpec:
  // `template: commit message:1:2: executing "commit message" at <.Foo>: can't evaluate ...`.
  Result<std::string> Execute(const Value& data) const;
  Result<std::string> Execute(const Value& data, const ExecOptions& options) const;
  // Executes one of the templates defined with {{define}} or {{block}}.
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& data,
                                      const ExecOptions& options = {}) const;

  const std::string& name() const;
  // Names of all templates in the set, sorted.
  std::vector<std::string> TemplateNames() const;

  struct Shared {
    std::string name;
    std::string text;
    FuncMap funcs;
    TreeSet trees;
  };

 private:
  explicit Template(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<const Shared> shared_;
};

}  // namespace imgauto::gotemplate
