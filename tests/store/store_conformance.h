#pragma once
// The store conformance suite: every Store implementation must pass it. A backend instantiates it
// with a StoreBackend (see sqlite_store_test.cpp):
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(sqlite_backend()),
//                            [](const auto& info) { return info.param.name; });
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"

namespace pictor::store::testing {

struct StoreBackend {
  std::string name;  // test-name suffix: letters and digits only
  // A fresh, empty place for a store (a file path, a database URL …), unique per call.
  std::function<std::string()> fresh_location;
  // Opens the store at a location; opening the same location again must see the same data.
  std::function<Result<std::unique_ptr<Store>>(const std::string& location)> open;
};

// For readable test names and failure messages.
inline void PrintTo(const StoreBackend& b, std::ostream* os) { *os << b.name; }

class StoreConformance : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override { store_.reset(); }
  // Closes the store and opens the same location again (durability).
  void reopen();
  Store& store() { return *store_; }

  std::string location_;
  std::unique_ptr<Store> store_;
};

}  // namespace pictor::store::testing
