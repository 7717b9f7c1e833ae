// Setter markers (§3.2 of the Flux reference): a YAML comment that, with all leading '#'
// characters removed, is a JSON object whose values are all strings and that names a setter,
//
//   # {"$imagepolicy": "flux-system:podinfo:tag"}            → "flux-system:podinfo:tag"
//   # {"$ref": "#/definitions/io.k8s.cli.setters.ns:p"}      → "ns:p"   (legacy kyaml form)
//
// Parsing is pure and never throws; anything that is not exactly such an object is "no marker".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace imgauto::setters {

// The token a file must contain, quotes included, before it is parsed at all (§3.3).
inline constexpr std::string_view kMarkerToken = "\"$imagepolicy\"";
// The JSON key of the short-hand marker.
inline constexpr std::string_view kMarkerKey = "$imagepolicy";
// The prefix of a legacy `$ref` marker value; the setter name follows it.
inline constexpr std::string_view kLegacyRefPrefix = "#/definitions/io.k8s.cli.setters.";

// Parses `json` as a strict RFC 8259 JSON object whose values are all strings, the way Go's
// json.Unmarshal fills a map[string]string: surrounding whitespace is allowed, `null` values
// read as "" (Go leaves the string empty), a repeated key keeps the last value, and any other
// value type, trailing text, trailing commas or invalid escapes yield nullopt.
std::optional<std::map<std::string, std::string>> ParseStringObject(std::string_view json);

// Returns the setter name a single comment names, or nullopt when the comment is not a marker.
// `comment` is the comment text as written ("# {...}"); all leading '#' are stripped. A present
// but empty "$imagepolicy" value, or a "$ref" without the setters prefix, is not a marker.
std::optional<std::string> ParseMarker(std::string_view comment);

// Applies the attachment rule: a non-empty line comment decides alone (a non-marker line
// comment stops the search); only an empty line comment lets the head comment be consulted.
std::optional<std::string> SelectMarker(std::string_view line_comment,
                                        std::string_view head_comment);

}  // namespace imgauto::setters
