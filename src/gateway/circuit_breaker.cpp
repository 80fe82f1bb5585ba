#include "gateway/circuit_breaker.h"

namespace pictor::gateway {

bool CircuitBreaker::allow() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kClosed) return true;
  if (state_ == State::kOpen) {
    if (Clock::now() < open_until_) return false;
    state_ = State::kHalfOpen;
    trial_in_flight_ = false;
  }
  if (trial_in_flight_) return false;
  trial_in_flight_ = true;
  return true;
}

bool CircuitBreaker::would_allow() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kClosed) return true;
  if (state_ == State::kOpen) return Clock::now() >= open_until_;
  return !trial_in_flight_;
}

void CircuitBreaker::on_success() {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  trial_in_flight_ = false;
}

void CircuitBreaker::on_failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++consecutive_failures_;
  if (state_ == State::kHalfOpen || consecutive_failures_ >= policy_.failure_threshold) {
    state_ = State::kOpen;
    trial_in_flight_ = false;
    open_until_ = Clock::now() + std::chrono::milliseconds(int64_t(policy_.cooldown_s * 1000));
  }
}

void CircuitBreaker::abandon() {
  std::lock_guard<std::mutex> lock(mutex_);
  trial_in_flight_ = false;
}

std::string CircuitBreaker::state() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::kOpen && Clock::now() >= open_until_) return "half_open";
  return state_ == State::kClosed ? "closed" : state_ == State::kOpen ? "open" : "half_open";
}

}  // namespace pictor::gateway
