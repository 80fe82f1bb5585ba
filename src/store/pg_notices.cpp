// JobNotices over PostgreSQL LISTEN/NOTIFY: one connection of its own per subscription (a
// listening connection cannot be shared with the pool's transactions). Idle workers block here
// instead of polling; a notice wakes them within a round trip.
#include <sys/select.h>

#include <deque>

#include "store/pg_db.h"
#include "store/store.h"

namespace pictor::store {

namespace {

constexpr const char* kChannel = "pictor_jobs";

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, std::deque<std::string>& into)
      : pqxx::notification_receiver(c, kChannel), into_(into) {}
  void operator()(const std::string& payload, int) override { into_.push_back(payload); }

 private:
  std::deque<std::string>& into_;
};

class PgJobNotices final : public JobNotices {
 public:
  explicit PgJobNotices(std::unique_ptr<pqxx::connection> c) : conn_(std::move(c)) {
    receiver_ = std::make_unique<Receiver>(*conn_, pending_);
    conn_->get_notifs();  // issues the LISTEN
  }

  Result<std::vector<std::string>> wait(int timeout_ms) override {
    try {
      if (pending_.empty()) {
        conn_->await_notification(timeout_ms / 1000, (timeout_ms % 1000) * 1000);
        conn_->get_notifs();
      }
    } catch (const std::exception& e) {
      return pg_status(e, "waiting for job notices");
    }
    if (!conn_->is_open()) return unavailable("the PostgreSQL connection for job notices closed");
    std::vector<std::string> out(pending_.begin(), pending_.end());
    pending_.clear();
    return out;
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::deque<std::string> pending_;
  std::unique_ptr<Receiver> receiver_;
};

}  // namespace

Result<std::unique_ptr<JobNotices>> listen_pg_job_notices(const std::string& url) {
  try {
    auto c = std::make_unique<pqxx::connection>(url);
    return std::unique_ptr<JobNotices>(new PgJobNotices(std::move(c)));
  } catch (const std::exception& e) {
    return unavailable("cannot listen for job notices at " + redact_pg_url(url) + ": " + pg_status(e, "connect").message());
  }
}

}  // namespace pictor::store
