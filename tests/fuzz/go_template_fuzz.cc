// libFuzzer target for the Go text/template engine: any input either fails to parse with a
// kInvalidSpec error, or executes against fixed commit-message data within the execution limits
// (bounded output, steps and recursion) and returns either text or a kInvalidSpec error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "automation/template/exec.h"
#include "automation/template/sprig.h"
#include "core/error.h"

namespace {

namespace gt = imgauto::gotemplate;

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

gt::Value MakeData() {
  gt::Value type_meta =
      gt::Value::MakeObject("yaml.TypeMeta", {{"APIVersion", "apps/v1"}, {"Kind", "Deployment"}});
  gt::Value name_meta =
      gt::Value::MakeObject("yaml.NameMeta", {{"Name", "app"}, {"Namespace", "default"}});
  gt::Value resource(gt::Object("yaml.ResourceIdentifier",
                                {{"TypeMeta", type_meta, true}, {"NameMeta", name_meta, true}}));
  gt::Value id(gt::Object("update.ObjectIdentifier", {{"ResourceIdentifier", resource, true}}));
  gt::Value change = gt::Value::MakeObject(
      "update.Change", {{"OldValue", "app:1.0"}, {"NewValue", "app:1.1"}, {"Setter", "ns:p"}});
  gt::Value changes(gt::List{change}, "[]update.Change");
  gt::Map objects("update.ObjectChanges", gt::Value(), false);
  objects.Set(id, changes);
  gt::Value objects_value(objects);
  gt::Map files("map[string]update.ObjectChanges");
  files.Set("deploy.yaml", objects_value);
  gt::Map values("map[string]string", gt::Value(""));
  values.Set("cluster", "prod");
  return gt::Value::MakeObject(
      "update.TemplateData",
      {{"AutomationObject",
        gt::Value::MakeObject("types.NamespacedName", {{"Namespace", "ns"}, {"Name", "auto"}},
                              std::string("ns/auto"))},
       {"Changed", gt::Value::MakeObject("update.ResultV2", {{"FileChanges", gt::Value(files)},
                                                             {"Objects", objects_value},
                                                             {"Changes", changes}})},
       {"Values", gt::Value(values)},
       {"List", gt::List{1, 2.5, "s", gt::Value()}}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gt::Value kData = MakeData();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  imgauto::Result<gt::Template> tmpl =
      gt::Template::Parse("commit message", text, gt::SprigFunctions());
  if (!tmpl) {
    Require(tmpl.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    Require(tmpl.error().message().rfind("template: ", 0) == 0);
    return 0;
  }
  gt::ExecOptions options;
  options.max_output_bytes = 64u << 10;
  options.max_steps = 100000;
  imgauto::Result<std::string> out = tmpl->Execute(kData, options);
  if (out) {
    Require(out->size() <= options.max_output_bytes);
  } else {
    Require(out.error().kind() == imgauto::ErrorKind::kInvalidSpec);
  }
  return 0;
}
