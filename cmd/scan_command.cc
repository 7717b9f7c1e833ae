#include "cmd/scan_command.h"

#include <cstddef>
#include <cstdlib>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "cmd/registry_flags.h"
#include "core/sha256.h"
#include "reflector/registry/reference.h"
#include "reflector/scan/exclusion_filter.h"
#include "reflector/scan/scanner.h"
#include "reflector/store/file_tag_store.h"

namespace imgauto::cmd {
namespace {

namespace fs = std::filesystem;
using reflector::scan::ScanFailure;
using reflector::scan::ScanStage;

constexpr std::string_view kCliNamespace = "cli";

int FailScan(CommandContext& ctx, const SecretRegistry& secrets, const ScanFailure& failure,
             int code) {
  std::string line = std::string(reflector::scan::ScanFailureReason(failure.stage)) + ": " +
                     reflector::scan::ScanFailureMessage(failure);
  return Fail(ctx.err, secrets.Redact(line), code);
}

// The IMAGE argument without the ":TAG" or "@DIGEST" that `ref` parsed from it.
std::string_view ImageAsGiven(std::string_view image,
                              const reflector::registry::ImageReference& ref) {
  if (!ref.digest.empty()) {
    if (const std::size_t at = image.rfind('@'); at != std::string_view::npos) {
      image = image.substr(0, at);
    }
  }
  if (!ref.tag.empty() && image.ends_with(":" + ref.tag)) {
    image.remove_suffix(ref.tag.size() + 1);
  }
  return image;
}

reflector::api::ImageRepository MakeRepository(const ScanRequest& request) {
  reflector::api::ImageRepository repo;
  repo.metadata.api_version = "image.toolkit.fluxcd.io/v1";
  repo.metadata.kind = "ImageRepository";
  repo.spec.image = request.image;
  repo.spec.insecure = request.insecure;
  repo.spec.exclusion_list = request.exclusions;
  return repo;
}

void PrintReport(const reflector::scan::ScanReport& report, bool json, std::ostream& out) {
  if (!json) {
    for (const std::string& tag : report.tags) {
      out << tag << "\n";
    }
    return;
  }
  nlohmann::ordered_json result;
  result["revision"] = report.result.revision;
  result["tagCount"] = report.result.tag_count;
  result["scanTime"] = report.result.scan_time;
  if (!report.result.latest_tags.empty()) {
    result["latestTags"] = report.result.latest_tags;
  }
  nlohmann::ordered_json doc;
  doc["canonicalImageName"] = report.canonical_image_name;
  doc["lastScanResult"] = std::move(result);
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Parses the single positional IMAGE argument and the registry flags.
struct Prepared {
  std::string image;
  RegistryFlagValues registry;
};

Result<Prepared> Prepare(const ParsedFlags& flags, std::string_view what) {
  if (flags.positional().size() != 1) {
    return Error(ErrorKind::kInvalidSpec, "expected exactly one " + std::string(what) +
                                              " argument, got " +
                                              std::to_string(flags.positional().size()));
  }
  Result<RegistryFlagValues> registry = ReadRegistryFlags(flags);
  if (!registry) {
    return registry.error();
  }
  return Prepared{flags.positional().front(), std::move(*registry)};
}

}  // namespace

fs::path DefaultStateDir() {
  const char* xdg = std::getenv("XDG_STATE_HOME");
  if (xdg != nullptr && fs::path(xdg).is_absolute()) {
    return fs::path(xdg) / "imgauto";
  }
  const char* home = std::getenv("HOME");
  if (home != nullptr && fs::path(home).is_absolute()) {
    return fs::path(home) / ".local" / "state" / "imgauto";
  }
  std::error_code ec;
  return fs::temp_directory_path(ec) / "imgauto-state";
}

kube::ObjectKey CliStoreKey(std::string_view canonical) {
  std::string name;
  for (char c : canonical.substr(0, 200)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    name.push_back(ok ? c : '-');
  }
  if (name.empty() || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) {
    name.insert(0, "r");
  }
  name += "-" + Sha256Hex(canonical).substr(0, 12);
  return kube::ObjectKey{std::string(kCliNamespace), name};
}

FlagSet ScanFlags() {
  FlagSet flags("scan");
  AddRegistryFlags(flags);
  flags.StringList("exclude", "RE", "drop tags matching RE (repeatable; replaces the default)");
  flags.Bool("json", "print the canonical name and lastScanResult as JSON");
  flags.String("state-dir", "DIR", "where the tag store keeps its files",
               "$XDG_STATE_HOME/imgauto or ~/.local/state/imgauto");
  return flags;
}

FlagSet DigestFlags() {
  FlagSet flags("digest");
  AddRegistryFlags(flags);
  return flags;
}

Command ScanCommand() {
  return Command{
      "scan",
      "imgauto scan IMAGE [--exclude RE]... [--json] [--state-dir DIR] [registry flags]",
      "scan a repository's tags like an ImageRepository",
      "Lists the tags of IMAGE (a repository without scheme, tag or digest), drops those\n"
      "matching any --exclude pattern (default '^.*\\.sig$'), sorts them descending by bytes,\n"
      "stores them under --state-dir and prints them one per line (or JSON with --json).\n"
      "Failures print '<Reason>: <message>' with Flux's Ready reason and exit 1; an invalid\n"
      "IMAGE or --exclude pattern exits 2.",
      ScanFlags,
      RunScan,
  };
}

Command DigestCommand() {
  return Command{
      "digest",
      "imgauto digest IMAGE[:TAG] [registry flags]",
      "print the manifest digest of a tag",
      "Resolves IMAGE:TAG (default tag 'latest') to its manifest digest and prints it.\n"
      "Failures print '<Reason>: <message>' and exit 1; an invalid IMAGE exits 2.",
      DigestFlags,
      RunDigest,
  };
}

int ExecuteScan(const ScanRequest& request, reflector::registry::RegistryClient& registry,
                reflector::store::TagStore& store, CommandContext& ctx,
                const SecretRegistry& secrets) {
  reflector::api::ImageRepository repo = MakeRepository(request);
  Result<reflector::registry::ImageReference> ref = reflector::scan::ParseImage(repo);
  if (!ref) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kParseImage, ref.error()}, kExitUsage);
  }
  kube::ObjectKey key = CliStoreKey(ref->Canonical());
  repo.metadata.ns = key.ns;
  repo.metadata.name = key.name;
  ctx.logger.Debug("scanning", {{"image", ref->Canonical()}});
  Result<reflector::scan::ScanReport> report =
      reflector::scan::ScanTags(repo, *ref, registry, store, ctx.clock);
  if (!report) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kScan, report.error()}, kExitFailure);
  }
  ctx.logger.Debug(reflector::scan::ScanSucceededMessage(report->result));
  PrintReport(*report, request.json, ctx.out);
  return kExitOk;
}

int RunScan(const ParsedFlags& flags, CommandContext& ctx) {
  Result<Prepared> prepared = Prepare(flags, "IMAGE");
  if (!prepared) {
    return Fail(ctx.err, prepared.error().message(), kExitUsage);
  }
  ScanRequest request{prepared->image, prepared->registry.insecure, flags.GetList("exclude"),
                      flags.GetBool("json")};
  SecretRegistry secrets;
  Result<reflector::registry::ImageReference> ref =
      reflector::registry::ParseRepository(request.image, request.insecure);
  if (!ref) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kParseImage, ref.error()}, kExitUsage);
  }
  if (Result<reflector::scan::ExclusionFilter> filter =
          reflector::scan::ExclusionFilter::Create(request.exclusions);
      !filter) {
    return Fail(ctx.err, "flag --exclude: " + filter.error().message(), kExitUsage);
  }
  const fs::path state_dir = flags.GetString("state-dir").value_or(DefaultStateDir().string());
  Result<std::unique_ptr<reflector::store::FileTagStore>> store =
      reflector::store::FileTagStore::Create(state_dir);
  if (!store) {
    return Fail(ctx.err, "opening state directory: " + store.error().message(), kExitFailure);
  }
  Result<RegistryStack> stack =
      BuildRegistryStack(prepared->registry, *ref, secrets, &ctx.logger);
  if (!stack) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kAuthentication, stack.error()},
                    kExitFailure);
  }
  return ExecuteScan(request, *stack->client, **store, ctx, secrets);
}

int RunDigest(const ParsedFlags& flags, CommandContext& ctx) {
  Result<Prepared> prepared = Prepare(flags, "IMAGE[:TAG]");
  if (!prepared) {
    return Fail(ctx.err, prepared.error().message(), kExitUsage);
  }
  SecretRegistry secrets;
  Result<reflector::registry::ImageReference> ref =
      reflector::registry::ParseReference(prepared->image, prepared->registry.insecure);
  if (!ref) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kParseImage, ref.error()}, kExitUsage);
  }
  std::string tag = !ref->digest.empty() ? ref->digest : (ref->tag.empty() ? "latest" : ref->tag);
  Result<RegistryStack> stack =
      BuildRegistryStack(prepared->registry, *ref, secrets, &ctx.logger);
  if (!stack) {
    return FailScan(ctx, secrets, ScanFailure{ScanStage::kAuthentication, stack.error()},
                    kExitFailure);
  }
  Result<std::string> digest = stack->client->ResolveDigest(*ref, tag);
  if (!digest) {
    // Flux: "failed fetching digest of <spec.image>:<tag>: …", the image as written.
    const char* const separator = ref->digest.empty() ? ":" : "@";
    return Fail(ctx.err,
                secrets.Redact("Failed: failed fetching digest of " +
                               std::string(ImageAsGiven(prepared->image, *ref)) + separator +
                               tag + ": " + digest.error().message()),
                kExitFailure);
  }
  ctx.out << *digest << "\n";
  return kExitOk;
}

}  // namespace imgauto::cmd
