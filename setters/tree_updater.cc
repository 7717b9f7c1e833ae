#include "setters/tree_updater.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <system_error>
#include <thread>

#include "core/fs.h"
#include "setters/marker.h"
#include "setters/rewriter.h"
#include "setters/scalar_locator.h"

namespace imgauto::setters {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kWriterThreads = 8;

bool IsTagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Basic checks every reference gets, whatever the caller's validator says.
Result<void> CheckPolicy(const PolicyValue& policy) {
  if (policy.image.empty()) {
    return Error(ErrorKind::kInvalidSpec, "empty image name");
  }
  for (char c : policy.image) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/' || c == ':';
    if (!ok) {
      return Error(ErrorKind::kInvalidSpec, "invalid character in image name");
    }
  }
  if (policy.image.find("://") != std::string::npos) {
    return Error(ErrorKind::kInvalidSpec, "image name must not include a URL scheme");
  }
  const std::string& tag = policy.tag;
  if (!tag.empty() && (tag.size() > 128 || tag[0] == '.' || tag[0] == '-' ||
                       !std::all_of(tag.begin(), tag.end(), IsTagChar))) {
    return Error(ErrorKind::kInvalidSpec, "invalid tag");
  }
  const std::string& digest = policy.digest;
  if (!digest.empty()) {
    const bool sha256 = digest.size() == 71 && digest.compare(0, 7, "sha256:") == 0;
    const bool sha512 = digest.size() == 135 && digest.compare(0, 7, "sha512:") == 0;
    if ((!sha256 && !sha512) || !std::all_of(digest.begin() + 7, digest.end(), IsLowerHex)) {
      return Error(ErrorKind::kInvalidSpec, "invalid digest");
    }
  }
  return {};
}

std::string FullReference(const PolicyValue& policy) {
  std::string ref = policy.image;
  if (!policy.tag.empty()) {
    ref += ":" + policy.tag;
  }
  if (!policy.digest.empty()) {
    ref += "@" + policy.digest;
  }
  return ref;
}

bool IsCandidateName(const std::string& name) {
  if (name == "Kustomization") {
    return true;
  }
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos) {
    return false;
  }
  const std::string_view ext = std::string_view(name).substr(dot);
  return ext == ".yaml" || ext == ".yml";
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return ::memmem(haystack.data(), haystack.size(), needle.data(), needle.size()) != nullptr;
}

// True when `path` equals `root` or lies below it (both canonical).
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) {
      return false;
    }
  }
  return true;
}

struct Candidate {
  std::string rel;
  fs::path path;
  bool symlink = false;
};

Result<std::vector<Candidate>> FindCandidates(const fs::path& root) {
  std::vector<Candidate> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    if (IsCandidateName(root.filename().string())) {
      out.push_back({root.filename().string(), root, false});
    }
    return out;
  }
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code type_ec;
    const bool symlink = entry.is_symlink(type_ec);
    // Symlinked directories are not descended (the iterator does not follow them) and dangling
    // links are skipped; a symlinked regular file is read through the link.
    if (!entry.is_regular_file(type_ec) || type_ec) {
      continue;
    }
    if (IsCandidateName(entry.path().filename().string())) {
      out.push_back(
          {entry.path().lexically_relative(root).generic_string(), entry.path(), symlink});
    }
  }
  if (ec) {
    return Error(ErrorKind::kTransient, "walking " + root.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.rel < b.rel; });
  return out;
}

Result<fs::path> ResolveRoot(const fs::path& checkout_root, std::string_view update_path,
                             fs::path& canonical_checkout) {
  std::error_code ec;
  canonical_checkout = fs::canonical(checkout_root, ec);
  if (ec) {
    return Error(ErrorKind::kNotFound,
                 "checkout " + checkout_root.string() + " not found: " + ec.message());
  }
  const fs::path joined = SecureJoin(canonical_checkout, update_path);
  fs::path root = fs::canonical(joined, ec);
  if (ec) {
    return Error(ErrorKind::kNotFound, "update path \"" + std::string(update_path) +
                                           "\" not found in the checkout: " + ec.message());
  }
  if (!IsWithin(root, canonical_checkout)) {
    return Error(ErrorKind::kInvalidSpec, "update path \"" + std::string(update_path) +
                                              "\" leads outside the checkout through a symlink");
  }
  return root;
}

// Writes every rewrite atomically, keeping each file's mode. AtomicWriteFile fsyncs the file and
// its directory (~10 ms each on ordinary disks), so a few threads overlap that latency; the
// outcome does not depend on scheduling (the first failing file in sorted order is reported).
Result<void> WriteAll(const std::vector<FileRewrite>& rewrites,
                      const std::vector<fs::path>& targets) {
  std::vector<std::optional<Error>> errors(rewrites.size());
  std::atomic<std::size_t> next{0};
  auto work = [&]() {
    for (std::size_t i = next++; i < rewrites.size(); i = next++) {
      std::error_code ec;
      const fs::perms mode = fs::status(targets[i], ec).permissions() & fs::perms::mask;
      Result<void> written = ec ? AtomicWriteFile(targets[i], rewrites[i].new_text)
                                : AtomicWriteFile(targets[i], rewrites[i].new_text, mode);
      if (!written) {
        errors[i] = written.error().Wrap("writing " + rewrites[i].file);
      }
    }
  };
  const std::size_t threads = std::min<std::size_t>(kWriterThreads, rewrites.size());
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) {
    pool.emplace_back(work);
  }
  work();
  for (std::thread& thread : pool) {
    thread.join();
  }
  for (std::optional<Error>& error : errors) {
    if (error) {
      return *error;
    }
  }
  return {};
}

}  // namespace

SetterValues BuildSetterValues(std::span<const PolicyValue> policies,
                               const std::optional<std::string>& namespace_filter) {
  SetterValues out;
  for (const PolicyValue& policy : policies) {
    if (namespace_filter && policy.ns != *namespace_filter) {
      continue;
    }
    const std::string base = policy.ns + ":" + policy.name;
    out[base] = FullReference(policy);
    out[base + ":tag"] = policy.tag;
    out[base + ":name"] = policy.image;
    out[base + ":digest"] = policy.digest;
  }
  return out;
}

Result<TextUpdate> UpdateText(std::string_view text, const SetterValues& setters) {
  Result<std::vector<LocatedDocument>> docs = LocateScalars(text);
  if (!docs) {
    return docs.error();
  }
  TextUpdate update;
  std::vector<Edit> edits;
  for (const LocatedDocument& doc : *docs) {
    for (const LocatedScalar& scalar : doc.scalars) {
      const std::optional<std::string> setter =
          SelectMarker(scalar.line_comment, scalar.head_comment);
      if (!setter) {
        continue;
      }
      const auto it = setters.find(*setter);
      if (it == setters.end() || it->second == scalar.value) {
        continue;  // unknown policies are ignored; unchanged values are not touched
      }
      const bool block =
          scalar.style == ScalarStyle::kLiteral || scalar.style == ScalarStyle::kFolded;
      if (!scalar.exact || block) {
        update.warnings.push_back("line " + std::to_string(scalar.line + 1) + ": " +
                                  std::string(ScalarStyleName(scalar.style)) +
                                  " scalar marked with " + *setter +
                                  " cannot be edited in place; left unchanged");
        continue;
      }
      edits.push_back(
          Edit{scalar.begin, scalar.end, RenderScalar(it->second, scalar.style, scalar.in_flow)});
      update.changes.emplace_back(doc.object, Change{scalar.value, it->second, *setter});
    }
  }
  Result<std::string> rewritten = ApplyEdits(text, std::move(edits));
  if (!rewritten) {
    return rewritten.error();
  }
  update.text = std::move(*rewritten);
  return update;
}

Result<UpdateResult> UpdateTree(const fs::path& checkout_root, std::string_view update_path,
                                std::span<const PolicyValue> policies,
                                const UpdateOptions& options) {
  // Validate every usable policy first: an invalid reference aborts before any file is read.
  for (const PolicyValue& policy : policies) {
    if (options.namespace_filter && policy.ns != *options.namespace_filter) {
      continue;
    }
    const std::string ref = FullReference(policy);
    Result<void> valid = CheckPolicy(policy);
    if (valid && options.validate_reference) {
      valid = options.validate_reference(ref);
    }
    if (!valid) {
      return Error(ErrorKind::kInvalidSpec,
                   "encountered invalid image ref \"" + ref + "\": " + valid.error().message());
    }
  }
  const SetterValues setters = BuildSetterValues(policies, options.namespace_filter);

  fs::path canonical_checkout;
  Result<fs::path> root = ResolveRoot(checkout_root, update_path, canonical_checkout);
  if (!root) {
    return root.error();
  }
  Result<std::vector<Candidate>> candidates = FindCandidates(*root);
  if (!candidates) {
    return candidates.error();
  }

  UpdateResult result;
  result.candidate_files = candidates->size();
  std::vector<fs::path> targets;  // where each rewrite is written
  for (const Candidate& candidate : *candidates) {
    Result<std::string> text = ReadFile(candidate.path, options.max_file_bytes);
    if (!text) {
      if (text.error().kind() == ErrorKind::kInvalidSpec) {  // too large
        result.problems.push_back({candidate.rel, text.error().message()});
        continue;
      }
      if (text.error().kind() == ErrorKind::kNotFound) {
        continue;  // vanished since the walk
      }
      return text.error();
    }
    if (!Contains(*text, kMarkerToken)) {
      continue;
    }
    ++result.parsed_files;
    fs::path target = candidate.path;
    if (candidate.symlink) {
      std::error_code ec;
      target = fs::canonical(candidate.path, ec);
      if (ec || !IsWithin(target, canonical_checkout)) {
        result.problems.push_back({candidate.rel, "symlink target is outside the checkout"});
        continue;
      }
    }
    Result<TextUpdate> update = UpdateText(*text, setters);
    if (!update) {
      result.problems.push_back({candidate.rel, update.error().message()});
      continue;
    }
    for (std::string& warning : update->warnings) {
      result.warnings.push_back({candidate.rel, std::move(warning)});
    }
    if (update->changes.empty()) {
      continue;
    }
    for (auto& [object, change] : update->changes) {
      result.changes.Add(candidate.rel, object, std::move(change));
    }
    result.rewrites.push_back({candidate.rel, std::move(*text), std::move(update->text)});
    targets.push_back(std::move(target));
  }

  if (!options.dry_run) {
    Result<void> written = WriteAll(result.rewrites, targets);
    if (!written) {
      return written.error();
    }
  }
  return result;
}

}  // namespace imgauto::setters
