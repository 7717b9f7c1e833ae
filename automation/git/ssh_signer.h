// SSH commit signing (git's `gpg.format ssh`): an armoured SSHSIG signature (namespace "git",
// hash sha512) made with OpenSSL from an OpenSSH private key (`identity` in the Secret).
// Supported keys: ed25519, ecdsa nistp256/384/521, rsa ≥ 2048 bits (signed as rsa-sha2-512).
// Only unencrypted keys are supported so far: an encrypted key is a clear kInvalidSpec error.
//
//   Result<SignerPtr> signer = SshSigner::Create(secret["identity"], secret["password"], "key");
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "automation/git/committer.h"
#include "core/error.h"

namespace imgauto::automation::git {

// Immutable after Create; thread-safe.
class SshSigner final : public Signer {
 public:
  // Parses an "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1) key. kInvalidSpec for an
  // empty key ("signing key secret '<name>' does not contain an 'identity' key"), a malformed or
  // unsupported key, an RSA key below 2048 bits, or an encrypted key.
  static Result<SignerPtr> Create(std::string_view private_key, std::string_view passphrase,
                                  std::string_view secret_name);
  ~SshSigner() override;

  // Returns "-----BEGIN SSH SIGNATURE-----\n…\n-----END SSH SIGNATURE-----\n" over `payload`.
  Result<std::string> Sign(std::string_view payload) const override;

  // The public key blob in SSH wire format (for allowed-signers files).
  const std::string& public_key_blob() const { return public_blob_; }

  struct Key;  // OpenSSL key and algorithm (defined in the .cc)

 private:
  SshSigner(std::unique_ptr<Key> key, std::string public_blob);

  std::unique_ptr<Key> key_;
  std::string public_blob_;
};

}  // namespace imgauto::automation::git
