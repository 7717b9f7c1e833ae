// The separate-compilation translation unit: Asio, Asio's OpenSSL layer and Beast are compiled
// here exactly once for the whole program (see core/asio.h).
#include "core/asio.h"

// clang-format off
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
// clang-format on
