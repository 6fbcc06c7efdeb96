// Errors as values: bad data (a corrupt file, a wrong argument) travels as an Error inside a
// Result<T>, never as an exception, so that one bad image fails only its own job.
// This header must never depend on anything but the standard library.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tessera {

enum class ErrorCode {
  kInvalidArgument,    // the caller asked for something impossible
  kUnsupportedFormat,  // not an image we can read, or a variant we do not handle
  kCorruptData,        // the codec rejected the bytes
  kTruncatedData,      // the data ends before the image does
  kTooLarge,           // over a configured limit (pixels, plan size, memory)
  kBufferTooSmall,     // an output buffer is smaller than the encoded image
  kOutOfBounds,        // a region lies outside the image
  kIo,                 // reading or writing failed
  kCancelled,          // the run was stopped
  kInternal,           // a broken invariant
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

const char* to_string(ErrorCode code) noexcept;

// An expected-like holder: either a value or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

// Success or an Error, for operations without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& {
    assert(failed_);
    return error_;
  }
  Error&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace tessera
