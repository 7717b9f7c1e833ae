#include "automation/git/gpg_signer.h"

#include <gpgme.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <system_error>
#include <vector>

namespace imgauto::automation::git {

struct GpgSigner::Context {
  gpgme_ctx_t ctx = nullptr;
  std::string passphrase;
  ~Context() {
    if (ctx != nullptr) {
      gpgme_release(ctx);
    }
  }
};

namespace {

struct DataDeleter {
  void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
using DataPtr = std::unique_ptr<std::remove_pointer_t<gpgme_data_t>, DataDeleter>;

gpgme_error_t PassphraseCallback(void* hook, const char* /*uid_hint*/,
                                 const char* /*passphrase_info*/, int prev_was_bad, int fd) {
  auto* context = static_cast<GpgSigner::Context*>(hook);
  if (prev_was_bad != 0 || context->passphrase.empty()) {
    return gpgme_error(GPG_ERR_CANCELED);
  }
  std::string line = context->passphrase + "\n";
  if (gpgme_io_writen(fd, line.data(), line.size()) != 0) {
    return gpgme_error(GPG_ERR_CANCELED);
  }
  return 0;
}

Error GpgError(std::string_view what, gpgme_error_t err) {
  return Error(ErrorKind::kInternal, std::string(what) + ": " + gpgme_strerror(err));
}

void RemoveHome(const std::filesystem::path& home) {
  std::error_code ec;
  // gpg-agent exits by itself once its socket disappears.
  std::filesystem::remove_all(home, ec);
}

Result<std::string> SignWith(GpgSigner::Context& context, std::string_view payload) {
  gpgme_data_t in_raw = nullptr;
  gpgme_data_t out_raw = nullptr;
  if (gpgme_error_t err = gpgme_data_new_from_mem(&in_raw, payload.data(), payload.size(), 1);
      err != 0) {
    return GpgError("gpg data", err);
  }
  DataPtr in(in_raw);
  if (gpgme_error_t err = gpgme_data_new(&out_raw); err != 0) {
    return GpgError("gpg data", err);
  }
  DataPtr out(out_raw);
  gpgme_error_t err = gpgme_op_sign(context.ctx, in.get(), out.get(), GPGME_SIG_MODE_DETACH);
  if (err != 0) {
    if (gpgme_err_code(err) == GPG_ERR_CANCELED || gpgme_err_code(err) == GPG_ERR_BAD_PASSPHRASE ||
        gpgme_err_code(err) == GPG_ERR_NO_PIN) {
      return Error(ErrorKind::kInvalidSpec,
                   std::string("unable to unlock signing key: ") + gpgme_strerror(err));
    }
    return GpgError("signing with gpg", err);
  }
  size_t size = 0;
  char* raw = gpgme_data_release_and_get_mem(out.release(), &size);
  std::string signature(raw, size);
  gpgme_free(raw);
  return signature;
}

}  // namespace

GpgSigner::GpgSigner(std::filesystem::path home, std::unique_ptr<Context> ctx)
    : home_(std::move(home)), ctx_(std::move(ctx)) {}

GpgSigner::~GpgSigner() {
  ctx_.reset();
  RemoveHome(home_);
}

Result<SignerPtr> GpgSigner::Create(std::string_view armored_key, std::string_view passphrase,
                                    std::string_view secret_name) {
  if (armored_key.empty()) {
    return Error(ErrorKind::kInvalidSpec, "signing key secret '" + std::string(secret_name) +
                                              "' does not contain a 'git.asc' key");
  }
  gpgme_check_version(nullptr);
  std::string pattern = (std::filesystem::temp_directory_path() / "imgauto-gpg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Error(ErrorKind::kInternal, "creating temporary GNUPGHOME failed");
  }
  std::filesystem::path home = pattern;
  auto context = std::make_unique<Context>();
  context->passphrase = std::string(passphrase);
  auto fail = [&home](Error e) -> Result<SignerPtr> {
    RemoveHome(home);
    return e;
  };
  if (gpgme_error_t err = gpgme_new(&context->ctx); err != 0) {
    return fail(GpgError("gpgme", err));
  }
  if (gpgme_error_t err =
          gpgme_ctx_set_engine_info(context->ctx, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str());
      err != 0) {
    return fail(GpgError("gpgme engine", err));
  }
  gpgme_set_armor(context->ctx, 1);
  gpgme_set_pinentry_mode(context->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
  gpgme_set_passphrase_cb(context->ctx, &PassphraseCallback, context.get());

  gpgme_data_t key_raw = nullptr;
  if (gpgme_error_t err =
          gpgme_data_new_from_mem(&key_raw, armored_key.data(), armored_key.size(), 1);
      err != 0) {
    return fail(GpgError("gpg data", err));
  }
  DataPtr key(key_raw);
  if (gpgme_error_t err = gpgme_op_import(context->ctx, key.get()); err != 0) {
    return fail(Error(ErrorKind::kInvalidSpec,
                      std::string("unable to read signing key: ") + gpgme_strerror(err)));
  }
  // Count the secret keys (entities) now in the private keyring.
  int secret_keys = 0;
  if (gpgme_op_keylist_start(context->ctx, nullptr, 1) == 0) {
    gpgme_key_t k = nullptr;
    while (gpgme_op_keylist_next(context->ctx, &k) == 0) {
      ++secret_keys;
      gpgme_key_unref(k);
    }
    gpgme_op_keylist_end(context->ctx);
  }
  if (secret_keys == 0) {
    return fail(Error(ErrorKind::kInvalidSpec,
                      "unable to read signing key: no secret key found "
                      "in secret '" +
                          std::string(secret_name) + "'"));
  }
  if (secret_keys > 1) {
    return fail(Error(ErrorKind::kInvalidSpec, "multiple entities read from secret '" +
                                                   std::string(secret_name) +
                                                   "', expected exactly one signing key"));
  }
  // A trial signature tells whether the key needs a passphrase (and whether it is right).
  Result<std::string> trial = SignWith(*context, "imgauto");
  if (!trial) {
    if (passphrase.empty() && trial.error().kind() == ErrorKind::kInvalidSpec) {
      return fail(Error(ErrorKind::kInvalidSpec,
                        "can not use passphrase protected signing key without 'passphrase' "
                        "field present in secret " +
                            std::string(secret_name)));
    }
    return fail(trial.error());
  }
  return SignerPtr(new GpgSigner(std::move(home), std::move(context)));
}

Result<std::string> GpgSigner::Sign(std::string_view payload) const {
  std::lock_guard<std::mutex> lock(mu_);
  return SignWith(*ctx_, payload);
}

}  // namespace imgauto::automation::git
