// libFuzzer target for the setter engine on arbitrary text: the locator never crashes and its
// ranges stay inside the text; applying the setters never produces overlapping edits, and when a
// file changes, the result is still valid YAML and a second run changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "setters/rewriter.h"
#include "setters/scalar_locator.h"
#include "setters/tree_updater.h"

namespace {

void Require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

imgauto::setters::SetterValues Setters() {
  return {{"ns:p", "ghcr.io/acme/app:1.0@sha256:abc"},
          {"ns:p:tag", "20240101"},
          {"ns:p:name", "ghcr.io/acme/app"},
          {"ns:p:digest", ""},
          {"ns:q", "a: b #c"},
          {"ns:q:tag", "it's"}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using imgauto::setters::LocatedDocument;
  imgauto::Result<std::vector<LocatedDocument>> docs = imgauto::setters::LocateScalars(text);
  if (!docs) {
    Require(docs.error().kind() == imgauto::ErrorKind::kInvalidSpec);
    return 0;
  }
  std::vector<imgauto::setters::Edit> edits;
  for (const LocatedDocument& doc : *docs) {
    for (const auto& scalar : doc.scalars) {
      Require(scalar.begin <= scalar.end && scalar.end <= text.size());
      if (scalar.exact) {
        Require(scalar.end > scalar.begin);
        edits.push_back({scalar.begin, scalar.end,
                         imgauto::setters::RenderScalar("x", scalar.style, scalar.in_flow)});
      }
    }
  }
  Require(imgauto::setters::ApplyEdits(text, edits).has_value());

  const imgauto::setters::SetterValues setters = Setters();
  imgauto::Result<imgauto::setters::TextUpdate> update =
      imgauto::setters::UpdateText(text, setters);
  Require(update.has_value());
  if (!update->changes.empty()) {
    imgauto::Result<imgauto::setters::TextUpdate> again =
        imgauto::setters::UpdateText(update->text, setters);
    Require(again.has_value());
    Require(again->changes.empty() && again->text == update->text);
  }
  return 0;
}
