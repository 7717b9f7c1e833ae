// RecordingReconcileMetrics: a runtime::ReconcileMetrics that keeps every delivery and webhook
// call (detection, lead time, git push, webhook receivers, requests and events) for the cmd glue
// tests to inspect. The per-reconcile methods are accepted and ignored.
//
//   RecordingReconcileMetrics metrics;
//   tracker.set_metrics(&metrics);
//   ...
//   EXPECT_EQ(metrics.Detections(), (std::vector<Detection>{{"webhook", 5s}}));
#pragma once

#include <chrono>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "core/runtime/reconcile_metrics.h"

namespace imgauto::cmd {

class RecordingReconcileMetrics final : public runtime::ReconcileMetrics {
 public:
  struct Detection {
    std::string source;
    std::chrono::nanoseconds latency{0};
    bool operator==(const Detection&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const Detection& d) {
      return os << "{" << d.source << ", " << d.latency.count() << "ns}";
    }
  };
  struct LeadTimeSample {
    std::string source;
    std::chrono::nanoseconds detect{0};
    std::chrono::nanoseconds commit{0};
    std::chrono::nanoseconds push{0};
    bool operator==(const LeadTimeSample&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const LeadTimeSample& l) {
      return os << "{" << l.source << ", detect " << l.detect.count() << "ns, commit "
                << l.commit.count() << "ns, push " << l.push.count() << "ns}";
    }
  };
  struct WebhookRequest {
    std::string receiver;
    int code = 0;
    bool operator==(const WebhookRequest&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const WebhookRequest& r) {
      return os << "{" << r.receiver << ", " << r.code << "}";
    }
  };
  struct WebhookEvent {
    std::string receiver;
    int events = 0;
    int scans_triggered = 0;
    bool operator==(const WebhookEvent&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const WebhookEvent& e) {
      return os << "{" << e.receiver << ", events " << e.events << ", scans " << e.scans_triggered
                << "}";
    }
  };

  void RecordReconcile(const runtime::ReconcileRecord&) override {}
  void Forget(const std::string&, const std::string&, const std::string&) override {}
  void RecordPolicyEvaluation(const std::string&, const std::string&, bool, const std::string&,
                              const std::string&) override {}
  void RecordAutomationRun(const std::string&, const std::string&, const std::string&) override {}

  void RecordDetection(const std::string& source, std::chrono::nanoseconds latency) override {
    std::lock_guard<std::mutex> lock(mu_);
    detections_.push_back({source, latency});
  }
  void RecordLeadTime(const std::string& source, std::chrono::nanoseconds detect,
                      std::chrono::nanoseconds commit, std::chrono::nanoseconds push) override {
    std::lock_guard<std::mutex> lock(mu_);
    lead_times_.push_back({source, detect, commit, push});
  }
  void RecordGitPush(bool success) override {
    std::lock_guard<std::mutex> lock(mu_);
    git_pushes_.push_back(success);
  }
  void SetWebhookReceivers(std::vector<runtime::WebhookReceiverInfo> receivers) override {
    std::lock_guard<std::mutex> lock(mu_);
    receiver_sets_.push_back(std::move(receivers));
  }
  void RecordWebhookRequest(const std::string& receiver, int code) override {
    std::lock_guard<std::mutex> lock(mu_);
    webhook_requests_.push_back({receiver, code});
  }
  void RecordWebhookEvent(const std::string& receiver, int events, int scans_triggered) override {
    std::lock_guard<std::mutex> lock(mu_);
    webhook_events_.push_back({receiver, events, scans_triggered});
  }

  std::vector<Detection> Detections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return detections_;
  }
  std::vector<LeadTimeSample> LeadTimes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lead_times_;
  }
  std::vector<bool> GitPushes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return git_pushes_;
  }
  // One entry per SetWebhookReceivers call.
  std::vector<std::vector<runtime::WebhookReceiverInfo>> ReceiverSets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return receiver_sets_;
  }
  std::vector<WebhookRequest> WebhookRequests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return webhook_requests_;
  }
  std::vector<WebhookEvent> WebhookEvents() const {
    std::lock_guard<std::mutex> lock(mu_);
    return webhook_events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Detection> detections_;
  std::vector<LeadTimeSample> lead_times_;
  std::vector<bool> git_pushes_;
  std::vector<std::vector<runtime::WebhookReceiverInfo>> receiver_sets_;
  std::vector<WebhookRequest> webhook_requests_;
  std::vector<WebhookEvent> webhook_events_;
};

}  // namespace imgauto::cmd
