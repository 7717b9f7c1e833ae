// `imgauto scan` and `imgauto digest`: one ImageRepository scan (or one digest lookup) against a
// real registry, from the command line.
//
//   imgauto scan ghcr.io/org/app --exclude '^.*\.sig$' --exclude '-rc' --json
//   imgauto digest ghcr.io/org/app:1.2.3 --docker-config ~/.docker/config.json
//
// scan parses IMAGE like ImageRepository.spec.image (no scheme, tag or digest), lists its tags,
// drops those matching any --exclude pattern (default '^.*\.sig$'; giving --exclude replaces
// the default), sorts them descending by bytes and stores them in a FileTagStore under
// --state-dir (default $XDG_STATE_HOME/imgauto, else ~/.local/state/imgauto). It prints the
// stored tags one per line, or with --json the canonical name and lastScanResult as the
// controller writes them. Failures print "<Reason>: <message>" (Flux's Ready reason and
// message, e.g. "ReadOperationFailed: scan failed: …") and exit 1; an invalid IMAGE or
// --exclude pattern exits 2.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cmd/app.h"
#include "cmd/flags.h"
#include "core/kube/object.h"
#include "core/redact.h"
#include "reflector/registry/registry_client.h"
#include "reflector/store/tag_store.h"

namespace imgauto::cmd {

Command ScanCommand();
Command DigestCommand();

FlagSet ScanFlags();
FlagSet DigestFlags();

int RunScan(const ParsedFlags& flags, CommandContext& ctx);
int RunDigest(const ParsedFlags& flags, CommandContext& ctx);

// $XDG_STATE_HOME/imgauto when XDG_STATE_HOME is an absolute path, else
// $HOME/.local/state/imgauto, else <temp dir>/imgauto-state.
std::filesystem::path DefaultStateDir();

// The CLI's tag-store key for a canonical image name: namespace "cli", name = the canonical name
// with every character outside [a-z0-9.-] replaced by '-', plus '-' and 12 hex digits of its
// sha256 (so distinct images never share a key).
kube::ObjectKey CliStoreKey(std::string_view canonical);

// What to scan once flags are validated.
struct ScanRequest {
  std::string image;
  bool insecure = false;
  std::vector<std::string> exclusions;  // empty → Flux's default
  bool json = false;
};

// The scan itself over the seams (used by RunScan and by tests): parses the image, scans,
// stores and prints. Returns the exit code; errors are scrubbed with `secrets`.
int ExecuteScan(const ScanRequest& request, reflector::registry::RegistryClient& registry,
                reflector::store::TagStore& store, CommandContext& ctx,
                const SecretRegistry& secrets);

}  // namespace imgauto::cmd
