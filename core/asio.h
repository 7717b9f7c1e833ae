// The one Asio/Beast prelude. Every file that needs Asio, Beast or Asio's OpenSSL layer includes
// this header first and nothing else from Boost.Asio/Beast directly.
//
// <utility> comes first: Boost 1.74's awaitable.hpp uses std::exchange without including it and
// fails to compile under GCC 12 otherwise. Asio and Beast are compiled once, in
// core/http/asio_src.cc (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION are
// public compile definitions of imgauto::http), so only include this from .cc files: keeping it out
// of headers is what keeps the build fast on 2 cores.
//
// Namespace aliases (global): net = boost::asio, ssl = boost::asio::ssl, beast = boost::beast,
// http = bhttp = boost::beast::http. Inside namespace imgauto, `http` names imgauto::http, so code
// in imgauto::… must spell Beast's HTTP namespace `bhttp`.
#pragma once

// clang-format off
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace bhttp = boost::beast::http;
