// The store conformance suite (store_conformance.h): behaviour every backend must share.
#include "store_conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace pictor::store::testing {

void StoreConformance::SetUp() {
  location_ = GetParam().fresh_location();
  auto s = GetParam().open(location_);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  store_ = std::move(*s);
}

void StoreConformance::reopen() {
  store_.reset();
  auto s = GetParam().open(location_);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  store_ = std::move(*s);
}

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // a fixed Unix time in ms
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

JobRecord make_job(const std::string& key_id, int64_t created_at_ms, const std::string& idem = "") {
  JobRecord j;
  j.id = new_id("gen");
  j.key_id = key_id;
  j.model = "pictor-mini";
  j.kind = "generation";
  j.input_json = R"({"prompt":"a red circle","n":1})";
  j.request_hash = "hash-" + j.id;
  j.idempotency_key = idem;
  j.created_at_ms = created_at_ms;
  return j;
}

void expect_same_job(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.key_id, b.key_id);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.input_json, b.input_json);
  EXPECT_EQ(a.request_hash, b.request_hash);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.status, b.status);
  EXPECT_DOUBLE_EQ(a.progress, b.progress);
  EXPECT_EQ(a.error_code, b.error_code);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.output_json, b.output_json);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.created_at_ms, b.created_at_ms);
  EXPECT_EQ(a.started_at_ms, b.started_at_ms);
  EXPECT_EQ(a.completed_at_ms, b.completed_at_ms);
}

UsageRecord make_usage(const std::string& job_id, const std::string& key_id, const std::string& model,
                       int64_t at, int images = 1) {
  UsageRecord u;
  u.job_id = job_id;
  u.key_id = key_id;
  u.model = model;
  u.quality = "medium";
  u.images = images;
  u.pixels = int64_t(images) * 256 * 256;
  u.compute_seconds = 0.5 * images;
  u.cost_usd = 0.001 * images;
  u.created_at_ms = at;
  return u;
}

ApiKeyRecord make_key(const std::string& name) {
  ApiKeyRecord k;
  k.id = new_id("key");
  k.name = name;
  k.prefix = "pk-abcde";
  k.hash = "hash-of-" + k.id;
  k.created_at_ms = kT0;
  k.rate_limit_per_minute = 30;
  return k;
}

std::vector<JobRecord> all_jobs(Store& s, JobQuery q) {
  q.limit = 100000;
  auto r = s.list_jobs(q);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? *r : std::vector<JobRecord>{};
}

}  // namespace

// --- jobs

TEST_P(StoreConformance, InsertsGetsAndUpdatesJobs) {
  JobRecord j = make_job("key_a", kT0, "idem-1");
  auto ins = store().insert_job(j);
  ASSERT_TRUE(ins.is_ok()) << ins.status().message();
  expect_same_job(*ins, j);
  auto got = store().get_job(j.id);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  expect_same_job(*got, j);

  JobRecord u = j;
  u.status = JobStatus::kFailed;
  u.progress = 0.5;
  u.error_code = "engine_error";
  u.error_message = "out of memory: 'quotes' and \"double\" and ; DROP TABLE jobs; --";
  u.output_json = R"({"data":[]})";
  u.attempts = 2;
  u.started_at_ms = kT0 + 10;
  u.completed_at_ms = kT0 + 20;
  ASSERT_TRUE(store().update_job(u).is_ok());
  got = store().get_job(j.id);
  ASSERT_TRUE(got.is_ok());
  expect_same_job(*got, u);

  // Only the mutable fields change.
  JobRecord v = u;
  v.model = "other";
  v.input_json = "{}";
  ASSERT_TRUE(store().update_job(v).is_ok());
  EXPECT_EQ(store().get_job(j.id)->model, "pictor-mini");
  EXPECT_EQ(store().get_job(j.id)->input_json, j.input_json);

  EXPECT_EQ(store().get_job("gen_missing").status().code(), StatusCode::kNotFound);
  JobRecord ghost = make_job("key_a", kT0);
  EXPECT_EQ(store().update_job(ghost).code(), StatusCode::kNotFound);
  JobRecord same_id = j;
  same_id.idempotency_key.clear();
  EXPECT_EQ(store().insert_job(same_id).status().code(), StatusCode::kInvalidArgument) << "duplicate id";
}

TEST_P(StoreConformance, InsertFillsMissingIdAndCreationTime) {
  JobRecord j = make_job("", 0);
  j.id.clear();
  const int64_t before = now_ms();
  auto ins = store().insert_job(j);
  ASSERT_TRUE(ins.is_ok()) << ins.status().message();
  EXPECT_EQ(ins->id.rfind("gen_", 0), 0u);
  EXPECT_EQ(ins->id.size(), 4u + 24u);
  EXPECT_GE(ins->created_at_ms, before);
  EXPECT_TRUE(store().get_job(ins->id).is_ok());
}

TEST_P(StoreConformance, JobStatusNamesRoundTrip) {
  for (JobStatus s : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kCompleted, JobStatus::kFailed,
                      JobStatus::kCanceled})
    EXPECT_EQ(parse_job_status(job_status_name(s)), s);
  EXPECT_FALSE(parse_job_status("cancelled").has_value());
  EXPECT_TRUE(is_terminal(JobStatus::kCanceled));
  EXPECT_FALSE(is_terminal(JobStatus::kRunning));
}

TEST_P(StoreConformance, IdempotencyKeyReturnsTheExistingJobPerOwner) {
  JobRecord a = make_job("key_a", kT0, "same");
  ASSERT_TRUE(store().insert_job(a).is_ok());
  JobRecord again = make_job("key_a", kT0 + 5, "same");
  auto r = store().insert_job(again);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->id, a.id);
  EXPECT_EQ(r->request_hash, a.request_hash);  // the caller compares this with its own
  EXPECT_EQ(store().get_job(again.id).status().code(), StatusCode::kNotFound);

  JobRecord other_owner = make_job("key_b", kT0, "same");
  r = store().insert_job(other_owner);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->id, other_owner.id);

  // No key: every insert is a new job.
  ASSERT_TRUE(store().insert_job(make_job("key_a", kT0)).is_ok());
  ASSERT_TRUE(store().insert_job(make_job("key_a", kT0)).is_ok());
  JobQuery q;
  q.key_id = "key_a";
  EXPECT_EQ(all_jobs(store(), q).size(), 3u);

  // The key still points at the job after it finished.
  JobRecord done = a;
  done.status = JobStatus::kCompleted;
  ASSERT_TRUE(store().update_job(done).is_ok());
  r = store().insert_job(make_job("key_a", kT0 + 9, "same"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->id, a.id);
  EXPECT_EQ(r->status, JobStatus::kCompleted);
}

TEST_P(StoreConformance, ListsNewestFirstWithCursorAndFilters) {
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 25; ++i) {
    // Pairs share a creation time: the id breaks the tie.
    JobRecord j = make_job(i % 5 == 0 ? "key_b" : "key_a", kT0 + (i / 2) * 1000);
    if (i % 3 == 0) j.status = JobStatus::kCompleted;
    ASSERT_TRUE(store().insert_job(j).is_ok());
    jobs.push_back(j);
  }
  std::sort(jobs.begin(), jobs.end(), [](const JobRecord& x, const JobRecord& y) {
    return std::tie(x.created_at_ms, x.id) > std::tie(y.created_at_ms, y.id);
  });

  // Page through everything, 7 at a time.
  std::vector<std::string> seen;
  JobQuery q;
  q.limit = 7;
  for (int page = 0; page < 10; ++page) {
    auto r = store().list_jobs(q);
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    if (r->empty()) break;
    EXPECT_LE(r->size(), 7u);
    for (const auto& j : *r) seen.push_back(j.id);
    q.before_id = r->back().id;
  }
  ASSERT_EQ(seen.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) EXPECT_EQ(seen[i], jobs[i].id) << i;

  JobQuery by_key;
  by_key.key_id = "key_b";
  auto b = all_jobs(store(), by_key);
  EXPECT_EQ(b.size(), 5u);
  for (const auto& j : b) EXPECT_EQ(j.key_id, "key_b");

  JobQuery by_status;
  by_status.status = JobStatus::kCompleted;
  by_status.key_id = "key_a";
  auto c = all_jobs(store(), by_status);
  EXPECT_EQ(c.size(), 7u);  // i = 3, 6, 9, 12, 18, 21, 24
  for (const auto& j : c) EXPECT_TRUE(j.key_id == "key_a" && j.status == JobStatus::kCompleted);

  JobQuery but_b;
  but_b.exclude_key_id = "key_b";
  but_b.status = JobStatus::kCompleted;
  auto not_b = all_jobs(store(), but_b);
  EXPECT_EQ(not_b.size(), 7u);
  for (const auto& j : not_b) EXPECT_EQ(j.key_id, "key_a");

  // The cursor combines with the filters.
  JobQuery after;
  after.key_id = "key_b";
  after.before_id = b[1].id;
  after.limit = 100;
  auto rest = store().list_jobs(after);
  ASSERT_TRUE(rest.is_ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].id, b[2].id);

  JobQuery bad;
  bad.before_id = "gen_unknown";
  EXPECT_EQ(store().list_jobs(bad).status().code(), StatusCode::kInvalidArgument);
  JobQuery zero;
  zero.limit = 0;
  EXPECT_EQ(store().list_jobs(zero).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformance, UnfinishedJobsSurviveAReopenOldestFirst) {
  JobRecord running = make_job("key_a", kT0 + 2);
  running.status = JobStatus::kRunning;
  running.attempts = 1;
  running.started_at_ms = kT0 + 3;
  running.progress = 0.25;
  JobRecord queued = make_job("key_a", kT0 + 1);
  JobRecord done = make_job("key_a", kT0);
  done.status = JobStatus::kCompleted;
  JobRecord canceled = make_job("key_a", kT0);
  canceled.status = JobStatus::kCanceled;
  for (const auto* j : {&running, &queued, &done, &canceled}) ASSERT_TRUE(store().insert_job(*j).is_ok());

  reopen();
  auto u = store().unfinished_jobs();
  ASSERT_TRUE(u.is_ok()) << u.status().message();
  ASSERT_EQ(u->size(), 2u);
  expect_same_job((*u)[0], queued);
  expect_same_job((*u)[1], running);
}

TEST_P(StoreConformance, FinishJobWritesUsageInTheSameTransaction) {
  JobRecord j = make_job("key_a", kT0);
  ASSERT_TRUE(store().insert_job(j).is_ok());
  j.status = JobStatus::kCompleted;
  j.progress = 1;
  j.completed_at_ms = kT0 + 100;
  j.output_json = R"({"data":[{"id":"media_1"}]})";
  ASSERT_TRUE(store().finish_job(j, make_usage(j.id, "key_a", "pictor-mini", kT0 + 100, 2)).is_ok());
  expect_same_job(*store().get_job(j.id), j);
  UsageQuery q;
  auto buckets = store().usage(q);
  ASSERT_TRUE(buckets.is_ok());
  ASSERT_EQ(buckets->size(), 1u);
  EXPECT_EQ((*buckets)[0].requests, 1);
  EXPECT_EQ((*buckets)[0].images, 2);

  // A retried finish does not bill twice.
  ASSERT_TRUE(store().finish_job(j, make_usage(j.id, "key_a", "pictor-mini", kT0 + 200, 2)).is_ok());
  EXPECT_EQ((*store().usage(q))[0].images, 2);

  // A failed update writes no usage either.
  JobRecord ghost = make_job("key_a", kT0);
  EXPECT_EQ(store().finish_job(ghost, make_usage(ghost.id, "key_a", "pictor-mini", kT0)).code(),
            StatusCode::kNotFound);
  EXPECT_EQ((*store().usage(q))[0].requests, 1);

  // Without usage (failed / canceled jobs).
  JobRecord f = make_job("key_a", kT0);
  ASSERT_TRUE(store().insert_job(f).is_ok());
  f.status = JobStatus::kFailed;
  f.error_code = "engine_error";
  ASSERT_TRUE(store().finish_job(f, std::nullopt).is_ok());
  EXPECT_EQ(store().get_job(f.id)->status, JobStatus::kFailed);
  EXPECT_EQ((*store().usage(q))[0].requests, 1);
}

// --- media

TEST_P(StoreConformance, MediaRoundTripDeleteAndTombstone) {
  std::string png("\x89PNG\r\n\x1a\n\0\0\0binary\xff", 19);
  MediaRecord m;
  m.id = new_id("media");
  m.job_id = "gen_1";
  m.key_id = "key_a";
  m.content_type = "image/png";
  m.width = 64;
  m.height = 48;
  m.created_at_ms = kT0;
  ASSERT_TRUE(store().put_media(m, png).is_ok());
  auto got = store().get_media(m.id);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  EXPECT_EQ(got->job_id, "gen_1");
  EXPECT_EQ(got->key_id, "key_a");
  EXPECT_EQ(got->content_type, "image/png");
  EXPECT_EQ(got->width, 64);
  EXPECT_EQ(got->height, 48);
  EXPECT_EQ(got->size_bytes, 19);
  EXPECT_EQ(got->created_at_ms, kT0);
  EXPECT_FALSE(got->deleted);
  auto data = store().get_media_data(m.id);
  ASSERT_TRUE(data.is_ok());
  EXPECT_EQ(*data, png);

  EXPECT_EQ(store().put_media(m, png).code(), StatusCode::kInvalidArgument) << "duplicate id";

  ASSERT_TRUE(store().delete_media(m.id).is_ok());
  got = store().get_media(m.id);
  ASSERT_TRUE(got.is_ok());
  EXPECT_TRUE(got->deleted);
  EXPECT_EQ(got->size_bytes, 19);
  EXPECT_EQ(store().get_media_data(m.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store().delete_media(m.id).is_ok()) << "deleting twice is fine";
  EXPECT_EQ(store().delete_media("media_missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(store().get_media("media_missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().get_media_data("media_missing").status().code(), StatusCode::kNotFound);

  MediaRecord empty = m;
  empty.id = new_id("media");
  ASSERT_TRUE(store().put_media(empty, "").is_ok());
  data = store().get_media_data(empty.id);
  ASSERT_TRUE(data.is_ok());
  EXPECT_EQ(*data, "");
}

TEST_P(StoreConformance, MediaExpiry) {
  const int64_t now = now_ms();
  auto put = [&](int64_t expires) {
    MediaRecord m;
    m.id = new_id("media");
    m.content_type = "image/webp";
    m.created_at_ms = now - kHour;
    m.expires_at_ms = expires;
    EXPECT_TRUE(store().put_media(m, "bytes").is_ok());
    return m.id;
  };
  const std::string past = put(now - 1000), soon = put(now + kHour), never = put(0);
  // Expired media is gone at once, even before the sweep.
  EXPECT_TRUE(store().get_media(past)->deleted);
  EXPECT_EQ(store().get_media_data(past).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store().get_media_data(soon).is_ok());

  auto n = store().expire_media(now);
  ASSERT_TRUE(n.is_ok()) << n.status().message();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(*store().expire_media(now), 0);
  n = store().expire_media(now + 2 * kHour);
  ASSERT_TRUE(n.is_ok());
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(store().get_media(soon)->deleted);
  EXPECT_FALSE(store().get_media(never)->deleted);
  EXPECT_TRUE(store().get_media_data(never).is_ok());
  EXPECT_EQ(*store().expire_media(now + 1000 * kDay), 0);
}

// --- API keys

TEST_P(StoreConformance, ApiKeysInsertFindListRevoke) {
  ApiKeyRecord alice = make_key("alice"), bob = make_key("bob");
  ASSERT_TRUE(store().insert_api_key(alice).is_ok());
  ASSERT_TRUE(store().insert_api_key(bob).is_ok());
  auto f = store().find_api_key_by_hash(alice.hash);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->id, alice.id);
  EXPECT_EQ(f->name, "alice");
  EXPECT_EQ(f->prefix, "pk-abcde");
  EXPECT_EQ(f->created_at_ms, kT0);
  EXPECT_EQ(f->revoked_at_ms, 0);
  EXPECT_EQ(f->rate_limit_per_minute, 30);
  EXPECT_EQ(store().find_api_key_by_hash("nope").status().code(), StatusCode::kNotFound);

  ApiKeyRecord dup = make_key("alice");
  Status s = store().insert_api_key(dup);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("alice"), std::string::npos) << s.message();
  ApiKeyRecord same_hash = make_key("carol");
  same_hash.hash = alice.hash;
  EXPECT_EQ(store().insert_api_key(same_hash).code(), StatusCode::kInvalidArgument);

  auto list = store().list_api_keys();
  ASSERT_TRUE(list.is_ok());
  ASSERT_EQ(list->size(), 2u);

  ASSERT_TRUE(store().revoke_api_key("alice", kT0 + 5).is_ok());
  EXPECT_EQ(store().find_api_key_by_hash(alice.hash)->revoked_at_ms, kT0 + 5);
  ASSERT_TRUE(store().revoke_api_key("alice", kT0 + 9).is_ok()) << "revoking twice is fine";
  EXPECT_EQ(store().find_api_key_by_hash(alice.hash)->revoked_at_ms, kT0 + 5) << "first revocation kept";
  ASSERT_TRUE(store().revoke_api_key(bob.id, kT0 + 6).is_ok());
  EXPECT_EQ(store().find_api_key_by_hash(bob.hash)->revoked_at_ms, kT0 + 6);
  EXPECT_EQ(store().revoke_api_key("nobody", kT0).code(), StatusCode::kNotFound);
  // A revoked name stays taken.
  EXPECT_EQ(store().insert_api_key(make_key("alice")).code(), StatusCode::kInvalidArgument);
}

// --- usage

TEST_P(StoreConformance, UsageIsBucketedByTimeKeyAndModel) {
  const int64_t day0 = (kT0 / kDay) * kDay;
  ASSERT_TRUE(store().insert_usage(make_usage("j1", "key_a", "pictor-mini", day0 + 1 * kHour, 1)).is_ok());
  ASSERT_TRUE(store().insert_usage(make_usage("j2", "key_a", "pictor-mini", day0 + 5 * kHour, 2)).is_ok());
  ASSERT_TRUE(store().insert_usage(make_usage("j3", "key_a", "sd-turbo", day0 + 5 * kHour, 4)).is_ok());
  ASSERT_TRUE(store().insert_usage(make_usage("j4", "key_b", "pictor-mini", day0 + 2 * kHour, 1)).is_ok());
  ASSERT_TRUE(store().insert_usage(make_usage("j5", "key_a", "pictor-mini", day0 + kDay + 1, 3)).is_ok());

  UsageQuery q;
  auto r = store().usage(q);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);
  // Ordered by bucket, key, model.
  EXPECT_EQ((*r)[0].start_ms, day0);
  EXPECT_EQ((*r)[0].key_id, "key_a");
  EXPECT_EQ((*r)[0].model, "pictor-mini");
  EXPECT_EQ((*r)[0].requests, 2);
  EXPECT_EQ((*r)[0].images, 3);
  EXPECT_EQ((*r)[0].pixels, 3 * 256 * 256);
  EXPECT_DOUBLE_EQ((*r)[0].compute_seconds, 1.5);
  EXPECT_NEAR((*r)[0].cost_usd, 0.003, 1e-12);
  EXPECT_EQ((*r)[1].model, "sd-turbo");
  EXPECT_EQ((*r)[2].key_id, "key_b");
  EXPECT_EQ((*r)[3].start_ms, day0 + kDay);
  EXPECT_EQ((*r)[3].images, 3);

  // Hourly buckets, one key and one model.
  q.bucket_ms = kHour;
  q.key_id = "key_a";
  q.model = "pictor-mini";
  r = store().usage(q);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].start_ms, day0 + kHour);
  EXPECT_EQ((*r)[1].start_ms, day0 + 5 * kHour);
  EXPECT_EQ((*r)[2].start_ms, day0 + kDay);

  // [start, end): end is exclusive.
  UsageQuery range;
  range.start_ms = day0 + 2 * kHour;
  range.end_ms = day0 + 5 * kHour;
  r = store().usage(range);
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].key_id, "key_b");

  UsageQuery bad;
  bad.bucket_ms = 0;
  EXPECT_EQ(store().usage(bad).status().code(), StatusCode::kInvalidArgument);
}

// --- durability, concurrency, speed

TEST_P(StoreConformance, ReopeningKeepsEverythingAndStaysUsable) {
  JobRecord j = make_job("key_a", kT0, "k");
  ASSERT_TRUE(store().insert_job(j).is_ok());
  ApiKeyRecord k = make_key("alice");
  ASSERT_TRUE(store().insert_api_key(k).is_ok());
  MediaRecord m;
  m.id = new_id("media");
  m.content_type = "image/png";
  ASSERT_TRUE(store().put_media(m, "pixels").is_ok());
  ASSERT_TRUE(store().insert_usage(make_usage(j.id, "key_a", "pictor-mini", kT0)).is_ok());
  for (int i = 0; i < 3; ++i) reopen();  // migrations run again each time: a no-op
  expect_same_job(*store().get_job(j.id), j);
  EXPECT_EQ(store().insert_job(make_job("key_a", kT0, "k"))->id, j.id);
  EXPECT_EQ(store().find_api_key_by_hash(k.hash)->name, "alice");
  EXPECT_EQ(*store().get_media_data(m.id), "pixels");
  EXPECT_EQ((*store().usage(UsageQuery{}))[0].requests, 1);
  ASSERT_TRUE(store().insert_job(make_job("key_a", kT0 + 1)).is_ok());
}

TEST_P(StoreConformance, EightThreadsAtOnce) {
  constexpr int kThreads = 8, kJobsEach = 40;
  ApiKeyRecord k = make_key("shared");
  ASSERT_TRUE(store().insert_api_key(k).is_ok());
  std::atomic<int> errors{0};
  auto check = [&](const Status& s) {
    if (!s.is_ok()) {
      ++errors;
      ADD_FAILURE() << s.message();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "key_" + std::to_string(t);
      for (int i = 0; i < kJobsEach; ++i) {
        JobRecord j = make_job(key, kT0 + i, i % 2 ? "idem-" + std::to_string(i) : "");
        auto ins = store().insert_job(j);
        check(ins.status());
        if (!ins.is_ok()) continue;
        auto got = store().get_job(j.id);
        check(got.status());
        j.status = JobStatus::kRunning;
        j.attempts = 1;
        check(store().update_job(j));
        check(store().list_jobs(JobQuery{key, std::nullopt, "", 5, std::nullopt}).status());
        check(store().find_api_key_by_hash(k.hash).status());
        if (i % 5 == 0) {
          MediaRecord m;
          m.id = new_id("media");
          m.job_id = j.id;
          m.content_type = "image/png";
          check(store().put_media(m, std::string(1000, char('a' + t))));
          auto d = store().get_media_data(m.id);
          check(d.status());
          if (d.is_ok() && *d != std::string(1000, char('a' + t))) ++errors;
        }
        j.status = JobStatus::kCompleted;
        check(store().finish_job(j, make_usage(j.id, key, "pictor-mini", kT0 + i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    JobQuery q;
    q.key_id = "key_" + std::to_string(t);
    auto jobs = all_jobs(store(), q);
    EXPECT_EQ(jobs.size(), size_t(kJobsEach));
    for (const auto& j : jobs) EXPECT_EQ(j.status, JobStatus::kCompleted);
  }
  EXPECT_EQ(all_jobs(store(), JobQuery{}).size(), size_t(kThreads * kJobsEach));
  EXPECT_TRUE(store().unfinished_jobs()->empty());
  int64_t requests = 0;
  auto buckets = store().usage(UsageQuery{});
  ASSERT_TRUE(buckets.is_ok());
  for (const auto& b : *buckets) requests += b.requests;
  EXPECT_EQ(requests, kThreads * kJobsEach);
}

TEST_P(StoreConformance, GettingAJobTakesWellUnderAMillisecond) {
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    JobRecord j = make_job("key_a", kT0 + i);
    j.output_json = std::string(2000, 'x');
    ASSERT_TRUE(store().insert_job(j).is_ok());
    ids.push_back(j.id);
  }
  constexpr int kGets = 4000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kGets; ++i) ASSERT_TRUE(store().get_job(ids[i % ids.size()]).is_ok());
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kGets;
  RecordProperty("get_job_us", std::to_string(us));
  EXPECT_LT(us, 1000.0);
  std::printf("get_job: %.1f µs on average\n", us);
}

}  // namespace pictor::store::testing
