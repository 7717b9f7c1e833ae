// OpenPGP commit signing with gpgme, from an ASCII-armoured secret key held in a Secret
// (`git.asc`, optional `passphrase`). The key lives in a private temporary GNUPGHOME owned by the
// signer and removed with it; the passphrase is supplied through loopback pinentry.
//
//   Result<SignerPtr> signer = GpgSigner::Create(secret["git.asc"], secret["passphrase"], "key");
//   commit_options.signer = signer->get();
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "automation/git/committer.h"
#include "core/error.h"

namespace imgauto::automation::git {

// Thread-safe (signing is serialised).
class GpgSigner final : public Signer {
 public:
  // Imports `armored_key`. kInvalidSpec when it holds no secret key, more than one entity
  // ("multiple entities…"), or is passphrase-protected and `passphrase` is empty ("can not use
  // passphrase protected signing key without 'passphrase' field present in secret <name>"), or
  // the passphrase is wrong. kInternal when gpgme/gpg is unusable.
  static Result<SignerPtr> Create(std::string_view armored_key, std::string_view passphrase,
                                  std::string_view secret_name);
  ~GpgSigner() override;

  // Returns an armoured detached signature of `payload`.
  Result<std::string> Sign(std::string_view payload) const override;

  struct Context;  // gpgme state (defined in the .cc)

 private:
  GpgSigner(std::filesystem::path home, std::unique_ptr<Context> ctx);

  std::filesystem::path home_;
  std::unique_ptr<Context> ctx_;
  mutable std::mutex mu_;
};

}  // namespace imgauto::automation::git
