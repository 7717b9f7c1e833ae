// Project-wide error vocabulary: an ErrorKind that decides conditions and requeues, a one-line
// message, and Result<T>, a small std::expected-like type (GCC 12 in C++20 mode has no
// std::expected).
//
//   Result<int> ParsePort(std::string_view s);
//   Result<int> port = ParsePort("5000");
//   if (!port) return port.error().Wrap("parsing registry address");
//   Use(*port);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/check.h"

namespace imgauto {

enum class ErrorKind {
  kInvalidSpec,   // the user must edit the object: Stalled, no retry until generation changes
  kNotFound,      // a referenced object, repository or tag is missing
  kUnauthorized,  // credentials rejected
  kTransient,     // network, timeout, 5xx, 429
  kConflict,      // git non-fast-forward, resourceVersion conflict
  kInternal,      // broken invariant in our code
};

// Returns a stable lower-case name ("invalid_spec", "not_found", ...).
std::string_view ErrorKindName(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Prefixes context, keeping the kind: "listing tags of ghcr.io/acme/app: 401 Unauthorized".
  Error Wrap(std::string_view context) const;

  bool operator==(const Error& other) const = default;

 private:
  ErrorKind kind_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : storage_(std::in_place_index<0>, value) {}  // NOLINT: implicit
  Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Result> &&
                                        !std::is_same_v<std::decay_t<U>, Error> &&
                                        !std::is_same_v<std::decay_t<U>, T>>>
  Result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    IMGAUTO_CHECK(has_value(), "Result::value() on an error");
    return std::get<0>(storage_);
  }
  const T& value() const& {
    IMGAUTO_CHECK(has_value(), "Result::value() on an error");
    return std::get<0>(storage_);
  }
  T&& value() && {
    IMGAUTO_CHECK(has_value(), "Result::value() on an error");
    return std::get<0>(std::move(storage_));
  }
  const Error& error() const {
    IMGAUTO_CHECK(!has_value(), "Result::error() on a value");
    return std::get<1>(storage_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    IMGAUTO_CHECK(error_.has_value(), "Result<void>::error() on success");
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace imgauto
