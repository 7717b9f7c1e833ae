// FakeHttpClient: an http::HttpClient with scripted responses and recorded requests.
//
//   FakeHttpClient http;
//   http.Enqueue("GET", "https://r.io/v2/app/tags/list", Reply(200, R"({"tags":["v1"]})"));
//   http.SetHandler([](const http::Request& req) { return Reply(404); });  // everything else
//   ... client.ListTags(ref) ...
//   EXPECT_EQ(http.requests().size(), 1u);
//
// Scripted replies for a "METHOD URL" are consumed in order; when none is left the handler
// answers; without a handler the request fails with kInternal "unexpected request".
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/http/client.h"
#include "core/strings.h"

namespace imgauto::testing {

// Builds a response; `headers` in order.
inline http::Response Reply(int status, std::string body = "", http::HeaderList headers = {}) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

class FakeHttpClient final : public http::HttpClient {
 public:
  using Handler = std::function<Result<http::Response>(const http::Request&)>;

  // Queues `reply` for the next request with this method and exact URL.
  void Enqueue(std::string method, std::string url, Result<http::Response> reply) {
    std::lock_guard<std::mutex> lock(mu_);
    scripted_[method + " " + url].push_back(std::move(reply));
  }
  // Answers requests without a scripted reply.
  void SetHandler(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }
  // Runs before every reply (e.g. to advance a FakeClock by the simulated latency).
  void SetOnSend(std::function<void(const http::Request&)> on_send) {
    std::lock_guard<std::mutex> lock(mu_);
    on_send_ = std::move(on_send);
  }

  Result<http::Response> Send(const http::Request& request) override {
    std::function<void(const http::Request&)> on_send;
    Handler handler;
    std::optional<Result<http::Response>> reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      on_send = on_send_;
      handler = handler_;
      auto it = scripted_.find(request.method + " " + request.url);
      if (it != scripted_.end() && !it->second.empty()) {
        reply.emplace(std::move(it->second.front()));
        it->second.pop_front();
      }
    }
    if (on_send) {
      on_send(request);
    }
    if (reply) {
      return std::move(*reply);
    }
    if (handler) {
      return handler(request);
    }
    return Error(ErrorKind::kInternal,
                 "FakeHttpClient: unexpected request " + request.method + " " + request.url);
  }

  std::vector<http::Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Number of recorded requests with `method` whose URL starts with `url_prefix`.
  int Count(std::string_view method, std::string_view url_prefix) const {
    std::lock_guard<std::mutex> lock(mu_);
    int count = 0;
    for (const http::Request& request : requests_) {
      if (request.method == method && request.url.compare(0, url_prefix.size(), url_prefix) == 0) {
        ++count;
      }
    }
    return count;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Result<http::Response>>> scripted_;
  Handler handler_;
  std::function<void(const http::Request&)> on_send_;
  std::vector<http::Request> requests_;
};

// Returns the first value of header `name` (case-insensitive) of a recorded request.
inline std::optional<std::string> RequestHeader(const http::Request& request,
                                                std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace imgauto::testing
