#include "reflector/registry/http_registry_client.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/http/url.h"
#include "core/redact.h"
#include "core/sha256.h"
#include "core/strings.h"
#include "reflector/registry/auth_challenge.h"
#include "reflector/registry/link_header.h"
#include "reflector/registry/registry_responses.h"
#include "reflector/scan/scanner.h"

namespace imgauto::reflector::registry {
namespace {

using Json = nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json,"
    "application/vnd.oci.image.manifest.v1+json,"
    "application/vnd.docker.distribution.manifest.list.v2+json,"
    "application/vnd.docker.distribution.manifest.v2+json,"
    "application/vnd.docker.distribution.manifest.v1+prettyjws,"
    "application/vnd.docker.distribution.manifest.v1+json";
constexpr std::size_t kMaxBodyInMessage = 256;

const Clock& DefaultClock() {
  static const SystemClock* clock = new SystemClock();
  return *clock;
}

// Go's http.StatusText for the statuses registries send; the server's reason phrase otherwise.
std::string StatusText(int status, const std::string& reason) {
  static constexpr std::pair<int, std::string_view> kTexts[] = {
      {400, "Bad Request"},       {401, "Unauthorized"},          {403, "Forbidden"},
      {404, "Not Found"},         {405, "Method Not Allowed"},    {408, "Request Timeout"},
      {429, "Too Many Requests"}, {500, "Internal Server Error"}, {501, "Not Implemented"},
      {502, "Bad Gateway"},       {503, "Service Unavailable"},   {504, "Gateway Timeout"}};
  for (const auto& [code, text] : kTexts) {
    if (code == status) {
      return std::string(text);
    }
  }
  return reason;
}

std::string OneLine(std::string_view text, std::size_t limit) {
  std::string out;
  std::size_t cut = std::min(limit, text.size());
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  for (char c : text.substr(0, cut)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  if (text.size() > limit) {
    out += "…";
  }
  return std::string(TrimSpace(out));
}

std::string StringField(const Json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

constexpr char kCreatedAnnotation[] = "org.opencontainers.image.created";

// OCI's digest grammar: algorithm-component ([+._-] algorithm-component)* ":" [a-zA-Z0-9=_-]+.
// Anything matching it is safe in a URL path.
bool IsDigest(std::string_view digest) {
  std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return false;
  }
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool after_separator = true;
  for (char c : digest.substr(0, colon)) {
    if (lower_alnum(c)) {
      after_separator = false;
    } else if ((c == '+' || c == '.' || c == '_' || c == '-') && !after_separator) {
      after_separator = true;
    } else {
      return false;
    }
  }
  if (after_separator) {
    return false;
  }
  return std::all_of(
      digest.begin() + static_cast<std::ptrdiff_t>(colon) + 1, digest.end(), [&](char c) {
        return lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
      });
}

using ManifestKind = internal::ManifestSummary::Kind;

std::optional<ManifestKind> KindOfMediaType(std::string_view media_type) {
  media_type = TrimSpace(media_type.substr(0, media_type.find(';')));
  if (media_type == "application/vnd.oci.image.index.v1+json" ||
      media_type == "application/vnd.docker.distribution.manifest.list.v2+json") {
    return ManifestKind::kIndex;
  }
  if (media_type == "application/vnd.oci.image.manifest.v1+json" ||
      media_type == "application/vnd.docker.distribution.manifest.v2+json") {
    return ManifestKind::kImage;
  }
  if (media_type == "application/vnd.docker.distribution.manifest.v1+prettyjws" ||
      media_type == "application/vnd.docker.distribution.manifest.v1+json") {
    return ManifestKind::kSchema1;
  }
  return std::nullopt;
}

// The kind from the body's mediaType, the Content-Type, or the document's shape, in that order.
std::optional<ManifestKind> KindOfManifest(const Json& document, std::string_view content_type) {
  if (auto kind = KindOfMediaType(StringField(document, "mediaType"))) {
    return kind;
  }
  if (auto kind = KindOfMediaType(content_type)) {
    return kind;
  }
  if (document.contains("manifests") && document["manifests"].is_array()) {
    return ManifestKind::kIndex;
  }
  if (document.contains("config") && document["config"].is_object()) {
    return ManifestKind::kImage;
  }
  auto version = document.find("schemaVersion");
  if (version != document.end() && version->is_number_integer() && version->get<int>() == 1) {
    return ManifestKind::kSchema1;
  }
  return std::nullopt;
}

bool IsLinuxAmd64(const Json& entry) {
  auto platform = entry.find("platform");
  return platform != entry.end() && platform->is_object() &&
         StringField(*platform, "os") == "linux" &&
         StringField(*platform, "architecture") == "amd64";
}

// True for Go's zero time.Time ("0001-01-01T00:00:00Z"), which tools such as ko write for "unset".
bool IsGoZeroTime(std::string_view text) { return text.rfind("0001-01-01T00:00:00", 0) == 0; }

}  // namespace

namespace internal {

// "CODE: message[; detail]" for each entry of a distribution error body, or a raw excerpt.
std::string RegistryErrorDetail(const std::string& body) {
  if (body.empty()) {
    return "";
  }
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_object() && document.contains("errors") && document["errors"].is_array()) {
    std::vector<std::string> parts;
    for (const Json& entry : document["errors"]) {
      if (!entry.is_object()) {
        continue;
      }
      std::string part = StringField(entry, "code") + ": " + StringField(entry, "message");
      auto detail = entry.find("detail");
      if (detail != entry.end() && !detail->is_null()) {
        part += "; " + detail->dump(-1, ' ', false, Json::error_handler_t::replace);
      }
      parts.push_back(OneLine(part, kMaxBodyInMessage));
    }
    if (!parts.empty()) {
      return Join(parts, "; ");
    }
  }
  return OneLine(body, kMaxBodyInMessage);
}

// Retry-After as delta-seconds or IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now) {
  value = TrimSpace(value);
  if (value.empty()) {
    return std::nullopt;
  }
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) {
      return std::chrono::seconds(999999999);
    }
    return std::chrono::seconds(std::stol(std::string(value)));
  }
  char weekday[4] = {};
  char month_name[4] = {};
  int day = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::string text(value);
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d GMT", weekday, &day, month_name, &year,
                  &hour, &minute, &second) != 7) {
    return std::nullopt;
  }
  constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::size_t index = kMonths.find(month_name);
  if (std::string_view(month_name).size() != 3 || index == std::string_view::npos ||
      index % 3 != 0 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), month(static_cast<unsigned>(index / 3 + 1)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  system_clock::time_point at =
      sys_days(date) + hours(hour) + minutes(minute) + std::chrono::seconds(second);
  return std::max(std::chrono::seconds(0), duration_cast<std::chrono::seconds>(at - now));
}

Result<std::vector<std::string>> ParseTagPage(const std::string& body,
                                              const std::string& registry) {
  auto invalid = [&registry](const std::string& what) {
    return Error(ErrorKind::kTransient, "invalid tag list response from " + registry + ": " + what);
  };
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return invalid("malformed JSON");
  }
  if (!document.is_object()) {
    return invalid("expected a JSON object");
  }
  std::vector<std::string> tags;
  auto it = document.find("tags");
  if (it == document.end() || it->is_null()) {
    return tags;
  }
  if (!it->is_array()) {
    return invalid("'tags' is not a list");
  }
  tags.reserve(it->size());
  for (const Json& tag : *it) {
    if (!tag.is_string()) {
      return invalid("'tags' holds a non-string value");
    }
    tags.push_back(tag.get<std::string>());
  }
  return tags;
}

Result<std::string> ParseTokenResponse(const std::string& body, const std::string& url) {
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string token;
  if (document.is_object()) {
    for (const char* field : {"access_token", "token"}) {
      auto it = document.find(field);
      if (it != document.end() && it->is_string() && !it->get<std::string>().empty()) {
        token = it->get<std::string>();
        break;
      }
    }
  }
  if (token.empty()) {
    return Error(ErrorKind::kTransient,
                 "invalid token response from " + RedactSecrets(url) + ": no token");
  }
  return token;
}

Result<ManifestSummary> ParseManifestSummary(const std::string& body, std::string_view content_type,
                                             const std::string& registry) {
  auto invalid = [&registry](const std::string& what) {
    return Error(ErrorKind::kTransient, "invalid manifest from " + registry + ": " + what);
  };
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return invalid("malformed JSON");
  }
  if (!document.is_object()) {
    return invalid("expected a JSON object");
  }
  std::optional<ManifestKind> kind = KindOfManifest(document, content_type);
  if (!kind) {
    std::string media_type = StringField(document, "mediaType");
    if (media_type.empty()) {
      media_type = std::string(TrimSpace(content_type.substr(0, content_type.find(';'))));
    }
    return invalid("unsupported media type '" + OneLine(media_type, kMaxBodyInMessage) + "'");
  }
  ManifestSummary summary;
  summary.kind = *kind;
  auto annotations = document.find("annotations");
  if (annotations != document.end() && annotations->is_object()) {
    summary.annotation_created = StringField(*annotations, kCreatedAnnotation);
  }
  switch (*kind) {
    case ManifestKind::kIndex: {
      auto manifests = document.find("manifests");
      if (manifests == document.end() || manifests->is_null()) {
        return summary;
      }
      if (!manifests->is_array()) {
        return invalid("'manifests' is not a list");
      }
      const Json* chosen = nullptr;
      for (const Json& entry : *manifests) {
        if (!entry.is_object()) {
          return invalid("'manifests' holds a non-object value");
        }
        if (chosen == nullptr || (IsLinuxAmd64(entry) && !IsLinuxAmd64(*chosen))) {
          chosen = &entry;
        }
      }
      if (chosen != nullptr) {
        summary.child_digest = StringField(*chosen, "digest");
        if (!IsDigest(summary.child_digest)) {
          return invalid("invalid manifest digest '" +
                         OneLine(summary.child_digest, kMaxBodyInMessage) + "'");
        }
      }
      return summary;
    }
    case ManifestKind::kImage: {
      auto config = document.find("config");
      if (config == document.end() || !config->is_object()) {
        return invalid("no config descriptor");
      }
      summary.config_digest = StringField(*config, "digest");
      if (!IsDigest(summary.config_digest)) {
        return invalid("invalid config digest '" +
                       OneLine(summary.config_digest, kMaxBodyInMessage) + "'");
      }
      return summary;
    }
    case ManifestKind::kSchema1: {
      auto history = document.find("history");
      if (history == document.end() || !history->is_array() || history->empty() ||
          !(*history)[0].is_object()) {
        return summary;
      }
      std::string v1 = StringField((*history)[0], "v1Compatibility");
      if (v1.empty()) {
        return summary;
      }
      Json compat = Json::parse(v1, nullptr, /*allow_exceptions=*/false);
      if (!compat.is_object()) {
        return invalid("malformed v1Compatibility");
      }
      summary.created = StringField(compat, "created");
      return summary;
    }
  }
  return summary;
}

Result<std::string> ParseConfigCreated(const std::string& body, const std::string& registry) {
  auto invalid = [&registry](const std::string& what) {
    return Error(ErrorKind::kTransient, "invalid image config from " + registry + ": " + what);
  };
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return invalid("malformed JSON");
  }
  if (!document.is_object()) {
    return invalid("expected a JSON object");
  }
  auto created = document.find("created");
  if (created == document.end() || created->is_null()) {
    return std::string();
  }
  if (!created->is_string()) {
    return invalid("'created' is not a string");
  }
  return created->get<std::string>();
}

}  // namespace internal

namespace {

using internal::ManifestSummary;
using internal::ParseConfigCreated;
using internal::ParseManifestSummary;
using internal::ParseRetryAfter;
using internal::ParseTagPage;
using internal::ParseTokenResponse;
using internal::RegistryErrorDetail;

Error StatusError(const http::Request& request, const http::Response& response) {
  std::string message = request.method + " " + request.url + ": " +
                        std::to_string(response.status) + " " +
                        StatusText(response.status, response.reason);
  std::string detail = RegistryErrorDetail(response.body);
  if (!detail.empty()) {
    message += ": " + detail;
  }
  return Error(http::ErrorKindForStatus(response.status), RedactSecrets(message));
}

Error TransportError(const http::Request& request, const Error& error) {
  return Error(error.kind(),
               RedactSecrets(request.method + " " + request.url + ": " + error.message()));
}

Error DeadlineError(const http::Request& request) {
  return Error(ErrorKind::kTransient,
               request.method + " " + request.url + ": context deadline exceeded");
}

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}


// Go's url.QueryEscape.
std::string QueryEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string OriginOf(std::string_view url) {
  Result<http::Url> parsed = http::ParseUrl(url);
  return parsed ? parsed->scheme + "://" + parsed->HostHeader() : std::string();
}

bool HasBasicCredentials(const std::optional<AuthConfig>& auth) {
  return auth && (!auth->username.empty() || !auth->password.empty());
}


}  // namespace

struct HttpRegistryClient::Call {
  const ImageReference& ref;
  std::string base;    // "https://ghcr.io", or "http://…" once the registry fell back
  std::string origin;  // OriginOf(base)
  std::string scope;   // "repository:org/app:pull"
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool probing = false;  // scheme unsettled: an https transport failure falls back to http
};

namespace {

// True when `url` is `base` or below it ("https://r.io" covers "https://r.io/v2/…").
bool IsUnder(std::string_view url, std::string_view base) {
  return url.substr(0, base.size()) == base &&
         (url.size() == base.size() || url[base.size()] == '/' || url[base.size()] == '?');
}

// Rewrites an https URL of `ref`'s registry onto `base` ("http://r.io" after a fallback).
std::string Rebase(const ImageReference& ref, const std::string& base, const std::string& url) {
  const std::string https = ref.BaseUrl("https");
  if (base == https || !IsUnder(url, https)) {
    return url;
  }
  return base + url.substr(https.size());
}

}  // namespace

HttpRegistryClient::Call HttpRegistryClient::NewCall(const ImageReference& ref) const {
  Call call{ref, ref.BaseUrl("https"), "", ref.Scope("pull"), std::nullopt, false};
  if (ref.AllowsHttpFallback()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto settled = schemes_.find(ref.registry);
    if (settled != schemes_.end()) {
      call.base = ref.BaseUrl(settled->second);
    } else {
      call.probing = true;
    }
  }
  call.origin = OriginOf(call.base);
  if (options_.timeout > std::chrono::nanoseconds::zero()) {
    call.deadline = Now() + duration_cast<std::chrono::steady_clock::duration>(options_.timeout);
  }
  return call;
}

Result<http::Response> HttpRegistryClient::Exchange(Call& call, http::Request& request) {
  request.url = Rebase(call.ref, call.base, request.url);
  Result<http::Response> result = http_.Send(request);
  if (!call.probing) {
    return result;
  }
  const std::string https = call.ref.BaseUrl("https");
  // kUnauthorized (certificate verification, rejected client certificate) must not fall back.
  if (!result && result.error().kind() == ErrorKind::kTransient && IsUnder(request.url, https) &&
      !(call.deadline && Now() >= *call.deadline)) {
    call.base = call.ref.BaseUrl("http");
    call.origin = OriginOf(call.base);
    request.url = Rebase(call.ref, call.base, request.url);
    result = http_.Send(request);
  }
  if (result && IsUnder(request.url, call.base)) {
    call.probing = false;
    std::lock_guard<std::mutex> lock(mu_);
    schemes_.emplace(call.ref.registry, call.base.substr(0, call.base.find(':')));
  }
  return result;
}

HttpRegistryClient::HttpRegistryClient(http::HttpClient& http, RegistryOptions options)
    : http_(http),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &DefaultClock()) {
  options_.max_pages = std::max(1, options_.max_pages);
  options_.max_attempts = std::max(1, options_.max_attempts);
  if (options_.auth && options_.auth->Empty()) {
    options_.auth.reset();
  }
}

std::chrono::steady_clock::time_point HttpRegistryClient::Now() const {
  return clock_->Monotonic();
}

void HttpRegistryClient::Sleep(milliseconds delay) const {
  if (options_.sleep) {
    options_.sleep(delay);
  } else {
    std::this_thread::sleep_for(delay);
  }
}

Result<http::Response> HttpRegistryClient::SendWithRetry(Call& call, http::Request request,
                                                         Peer peer) {
  request.deadline = call.deadline;
  const milliseconds cap =
      std::max(options_.initial_backoff, duration_cast<milliseconds>(options_.max_retry_after));
  milliseconds backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    if (call.deadline && Now() >= *call.deadline) {
      return DeadlineError(request);
    }
    Result<http::Response> result = Exchange(call, request);
    if (peer == Peer::kRegistry && options_.on_response) {
      options_.on_response(call.ref.registry, result ? result->status : 0);
    }
    milliseconds delay = std::min(backoff, cap);
    backoff = std::min(backoff * 2, cap);
    if (result) {
      if (!IsRetryableStatus(result->status) || attempt >= options_.max_attempts) {
        return result;
      }
      std::optional<std::string> retry_after = result->Header("Retry-After");
      if (retry_after && (result->status == 429 || result->status == 503)) {
        if (auto seconds = ParseRetryAfter(*retry_after, clock_->Now())) {
          delay = duration_cast<milliseconds>(std::min(*seconds, options_.max_retry_after));
        }
      }
    } else if (result.error().kind() != ErrorKind::kTransient || attempt >= options_.max_attempts) {
      return TransportError(request, result.error());
    }
    if (call.deadline && Now() + delay >= *call.deadline) {
      return result ? result : Result<http::Response>(TransportError(request, result.error()));
    }
    Sleep(delay);
  }
}

void HttpRegistryClient::ApplyAuthorization(const Call& call, http::Request& request) const {
  std::erase_if(request.headers,
                [](const auto& header) { return EqualsIgnoreCase(header.first, "Authorization"); });
  if (OriginOf(request.url) != call.origin) {
    return;  // never send registry credentials to another host
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto origin = origins_.find(call.origin);
  if (origin == origins_.end()) {
    return;
  }
  if (origin->second.bearer) {
    auto token = tokens_.find(call.origin + " " + call.scope);
    if (token != tokens_.end()) {
      request.headers.emplace_back("Authorization", "Bearer " + token->second);
    }
  } else if (origin->second.basic && HasBasicCredentials(options_.auth)) {
    request.headers.emplace_back("Authorization", options_.auth->BasicAuthorization());
  }
}

Result<http::Response> HttpRegistryClient::SendAuthorized(Call& call, http::Request request) {
  std::optional<OriginAuth> known;
  bool have_token = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = origins_.find(call.origin); it != origins_.end()) {
      known = it->second;
      have_token = tokens_.count(call.origin + " " + call.scope) > 0;
    }
  }
  if (known && known->bearer && !have_token && OriginOf(request.url) == call.origin) {
    // The registry wants tokens; fetch one for this scope up front instead of eating a 401.
    Result<std::string> token = FetchToken(call, *known, {call.scope});
    if (!token) {
      return token.error();
    }
    std::lock_guard<std::mutex> lock(mu_);
    tokens_[call.origin + " " + call.scope] = *token;
  }
  for (bool answered = false;; answered = true) {
    request.url = Rebase(call.ref, call.base, request.url);
    http::Request attempt = request;
    ApplyAuthorization(call, attempt);
    Result<http::Response> response = SendWithRetry(call, std::move(attempt), Peer::kRegistry);
    request.url = Rebase(call.ref, call.base, request.url);  // the call may have fallen back
    if (!response || response->status != 401 || answered || OriginOf(request.url) != call.origin) {
      return response;
    }
    std::vector<AuthChallenge> challenges =
        ParseAuthChallengeHeaders(response->Headers("WWW-Authenticate"));
    auto chosen = std::find_if(challenges.begin(), challenges.end(), [](const AuthChallenge& c) {
      return c.scheme == "bearer" || c.scheme == "basic";
    });
    if (chosen == challenges.end()) {
      return response;
    }
    OriginAuth origin;
    if (chosen->scheme == "basic") {
      if (!HasBasicCredentials(options_.auth)) {
        return response;
      }
      origin.basic = true;
      std::lock_guard<std::mutex> lock(mu_);
      origins_[call.origin] = origin;
      continue;
    }
    origin.bearer = true;
    origin.realm = chosen->Param("realm");
    origin.service = chosen->Param("service");
    if (origin.realm.empty()) {
      return Error(ErrorKind::kUnauthorized,
                   request.method + " " + request.url +
                       ": 401 Unauthorized: malformed WWW-Authenticate bearer challenge, missing "
                       "realm");
    }
    std::vector<std::string> scopes{call.scope};
    std::string wanted = chosen->Param("scope");
    if (!wanted.empty() && wanted != call.scope) {
      scopes.insert(scopes.begin(), wanted);  // some token servers read only the first scope
    }
    Result<std::string> token = FetchToken(call, origin, scopes);
    if (!token) {
      return token.error();
    }
    std::lock_guard<std::mutex> lock(mu_);
    origins_[call.origin] = origin;
    tokens_[call.origin + " " + call.scope] = *token;
  }
}

Result<std::string> HttpRegistryClient::FetchToken(Call& call, const OriginAuth& origin,
                                                   const std::vector<std::string>& scopes) {
  const std::optional<AuthConfig>& auth = options_.auth;
  if (auth && !auth->registry_token.empty()) {
    return auth->registry_token;
  }
  if (!http::ParseUrl(origin.realm)) {
    return Error(ErrorKind::kTransient,
                 "invalid bearer realm from " + call.ref.registry + ": " + origin.realm);
  }
  if (auth && !auth->identity_token.empty()) {
    http::Request post;
    post.method = "POST";
    post.url = origin.realm;
    post.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    post.body = "client_id=imgauto&grant_type=refresh_token&refresh_token=" +
                QueryEscape(auth->identity_token) + "&scope=" + QueryEscape(Join(scopes, " "));
    if (!origin.service.empty()) {
      post.body += "&service=" + QueryEscape(origin.service);
    }
    Result<http::Response> response = SendWithRetry(call, post, Peer::kTokenServer);
    if (!response) {
      return response.error();
    }
    if (response->status == 200) {
      return ParseTokenResponse(response->body, post.url);
    }
    if (response->status != 404 && response->status != 405) {
      return StatusError(post, *response);
    }
    // The token server has no OAuth2 endpoint: fall back to the GET flow.
  }
  http::Request get;
  get.url = origin.realm + (origin.realm.find('?') == std::string::npos ? "?" : "&");
  for (const std::string& scope : scopes) {
    get.url += "scope=" + QueryEscape(scope) + "&";
  }
  get.url += origin.service.empty() ? "" : "service=" + QueryEscape(origin.service);
  if (get.url.back() == '&') {
    get.url.pop_back();
  }
  if (HasBasicCredentials(auth)) {
    get.headers.emplace_back("Authorization", auth->BasicAuthorization());
  }
  Result<http::Response> response = SendWithRetry(call, get, Peer::kTokenServer);
  if (!response) {
    return response.error();
  }
  if (response->status != 200) {
    return StatusError(get, *response);
  }
  return ParseTokenResponse(response->body, get.url);
}


Result<std::vector<std::string>> HttpRegistryClient::ListTags(const ImageReference& repo) {
  Call call = NewCall(repo);
  std::string url = call.base + "/v2/" + repo.repository + "/tags/list";
  std::set<std::string> seen{url};
  std::vector<std::string> tags;
  for (int page = 1;; ++page) {
    if (page > options_.max_pages) {
      return Error(ErrorKind::kTransient,
                   "tag list exceeds " + std::to_string(options_.max_pages) + " pages");
    }
    http::Request request;
    request.url = url;
    request.headers.emplace_back("Accept", "application/json");
    Result<http::Response> response = SendAuthorized(call, request);
    if (!response) {
      return response.error();
    }
    url = request.url = Rebase(repo, call.base, url);
    seen.insert(url);
    if (response->status != 200) {
      return StatusError(request, *response);
    }
    Result<std::vector<std::string>> page_tags = ParseTagPage(response->body, repo.registry);
    if (!page_tags) {
      return page_tags.error();
    }
    if (page_tags->size() > options_.max_tags - std::min(options_.max_tags, tags.size())) {
      return Error(ErrorKind::kTransient, "tag list of " + repo.Canonical() + " exceeds " +
                                              std::to_string(options_.max_tags) + " tags");
    }
    tags.insert(tags.end(), page_tags->begin(), page_tags->end());
    Result<std::optional<std::string>> next = FindNextLink(response->Headers("Link"), url);
    if (!next) {
      return Error(ErrorKind::kTransient, "invalid tag list response from " + repo.registry + ": " +
                                              next.error().message());
    }
    if (!next->has_value()) {
      return tags;
    }
    if (!seen.insert(**next).second) {
      return Error(ErrorKind::kTransient, "tag list pagination loops back to " + **next);
    }
    url = **next;
  }
}

Result<std::string> HttpRegistryClient::ResolveDigest(const ImageReference& repo,
                                                      std::string_view tag) {
  if (!ValidateTag(tag) && !ValidateDigest(tag)) {
    return ValidateTag(tag).error();
  }
  Call call = NewCall(repo);
  http::Request request;
  request.method = "HEAD";
  request.url = call.base + "/v2/" + repo.repository + "/manifests/" + std::string(tag);
  request.headers.emplace_back("Accept", std::string(kManifestAccept));
  Result<http::Response> head = SendAuthorized(call, request);
  if (!head) {
    return head.error();
  }
  request.url = Rebase(repo, call.base, request.url);
  if (head->status == 200) {
    std::optional<std::string> digest = head->Header("Docker-Content-Digest");
    if (digest && ValidateDigest(TrimSpace(*digest))) {
      return std::string(TrimSpace(*digest));
    }
  } else if (head->status != 405 && head->status != 501) {
    return StatusError(request, *head);
  }
  request.method = "GET";
  Result<http::Response> get = SendAuthorized(call, request);
  if (!get) {
    return get.error();
  }
  if (get->status != 200) {
    return StatusError(request, *get);
  }
  std::string computed = "sha256:" + Sha256Hex(get->body);
  std::optional<std::string> header = get->Header("Docker-Content-Digest");
  if (header && ValidateDigest(TrimSpace(*header)) && TrimSpace(*header) != computed) {
    return Error(ErrorKind::kTransient,
                 "GET " + request.url + ": manifest digest mismatch: " + "registry sent " +
                     std::string(TrimSpace(*header)) + ", content hashes to " + computed);
  }
  return computed;
}

Result<http::Response> HttpRegistryClient::FetchMetadata(Call& call, const std::string& path,
                                                         std::string_view accept,
                                                         std::string_view digest,
                                                         std::string_view what) {
  http::Request request;
  request.url = call.base + "/v2/" + call.ref.repository + "/" + path;
  if (!accept.empty()) {
    request.headers.emplace_back("Accept", std::string(accept));
  }
  Result<http::Response> response = SendAuthorized(call, request);
  if (!response) {
    return response.error();
  }
  request.url = Rebase(call.ref, call.base, request.url);
  if (response->status != 200) {
    return StatusError(request, *response);
  }
  if (response->body.size() > options_.max_metadata_bytes) {
    return Error(ErrorKind::kTransient, "GET " + request.url + ": " + std::string(what) +
                                            " exceeds " +
                                            std::to_string(options_.max_metadata_bytes) + " bytes");
  }
  if (digest.rfind("sha256:", 0) == 0) {
    std::string computed = "sha256:" + Sha256Hex(response->body);
    if (computed != digest) {
      return Error(ErrorKind::kTransient, "GET " + request.url + ": " + std::string(what) +
                                              " digest mismatch: content hashes to " + computed);
    }
  }
  return response;
}

Result<std::chrono::system_clock::time_point> HttpRegistryClient::ImageCreated(
    const ImageReference& repo, std::string_view tag) {
  if (!ValidateTag(tag) && !ValidateDigest(tag)) {
    return ValidateTag(tag).error();
  }
  const std::string image = repo.Canonical() + (ValidateDigest(tag) ? "@" : ":") + std::string(tag);
  constexpr int kMaxIndexLevels = 2;
  Call call = NewCall(repo);
  std::string reference(tag);
  // Candidates in order of preference, each with where it came from (for error messages).
  std::vector<std::pair<std::string, std::string>> candidates;
  std::vector<std::pair<std::string, std::string>> index_annotations;
  for (int level = 0;; ++level) {
    Result<http::Response> response =
        FetchMetadata(call, "manifests/" + reference, kManifestAccept,
                      ValidateDigest(reference) ? std::string_view(reference) : "", "manifest");
    if (!response) {
      return response.error();
    }
    Result<ManifestSummary> manifest = ParseManifestSummary(
        response->body, response->Header("Content-Type").value_or(""), repo.registry);
    if (!manifest) {
      return manifest.error();
    }
    if (manifest->kind == ManifestSummary::Kind::kIndex) {
      if (level >= kMaxIndexLevels) {
        return Error(ErrorKind::kTransient, "image index of " + image + " nests more than " +
                                                std::to_string(kMaxIndexLevels) + " levels");
      }
      if (manifest->child_digest.empty()) {
        return Error(ErrorKind::kNotFound, "image index of " + image + " lists no manifests");
      }
      index_annotations.emplace_back(manifest->annotation_created, "image index annotation");
      reference = manifest->child_digest;
      continue;
    }
    if (manifest->kind == ManifestSummary::Kind::kImage) {
      Result<http::Response> config = FetchMetadata(call, "blobs/" + manifest->config_digest, "",
                                                    manifest->config_digest, "image config");
      if (!config) {
        return config.error();
      }
      Result<std::string> created = ParseConfigCreated(config->body, repo.registry);
      if (!created) {
        return created.error();
      }
      candidates.emplace_back(*created, "image config");
    } else {
      candidates.emplace_back(manifest->created, "v1Compatibility");
    }
    candidates.emplace_back(manifest->annotation_created, "manifest annotation");
    break;
  }
  // The innermost index first: it describes the chosen image more closely.
  candidates.insert(candidates.end(), index_annotations.rbegin(), index_annotations.rend());
  for (const auto& [text, source] : candidates) {
    if (TrimSpace(text).empty() || IsGoZeroTime(text)) {
      continue;
    }
    std::optional<std::chrono::system_clock::time_point> at = scan::ParseRfc3339(TrimSpace(text));
    if (!at) {
      return Error(ErrorKind::kTransient, "invalid created time '" +
                                              OneLine(text, kMaxBodyInMessage) + "' in " + source +
                                              " of " + image);
    }
    return *at;
  }
  return Error(ErrorKind::kNotFound, "image config has no created time");
}

}  // namespace imgauto::reflector::registry
