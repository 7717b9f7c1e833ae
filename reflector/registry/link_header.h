// RFC 8288 Link headers as registries use them for tag-list pagination:
//   Link: </v2/org/app/tags/list?last=v1.2&n=100>; rel="next"
// The (usually relative) target is resolved with http::ResolveReference (RFC 3986 §5).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace imgauto::reflector::registry {

struct Link {
  std::string target;                         // the URI-reference between '<' and '>'
  std::map<std::string, std::string> params;  // names lower-cased; valueless params map to ""

  // True when the space-separated "rel" list contains `relation` (case-insensitive).
  bool HasRel(std::string_view relation) const;
};

// Parses one Link header value (comma-separated links, ';'-separated parameters with token or
// quoted-string values). Malformed input is a kTransient error; never crashes.
Result<std::vector<Link>> ParseLinkHeader(std::string_view value);

// Returns the rel="next" target among all `values` (several Link headers may be present),
// resolved against the absolute http(s) `request_url`, or nullopt when there is none. A link
// without any rel parameter counts as next when no explicit rel="next" exists (go-containerregistry
// reads the first link regardless of rel). Malformed headers are errors.
Result<std::optional<std::string>> FindNextLink(const std::vector<std::string>& values,
                                                std::string_view request_url);

}  // namespace imgauto::reflector::registry
