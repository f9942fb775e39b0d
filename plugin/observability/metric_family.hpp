// SPDX-License-Identifier: Apache-2.0
// metric_family.hpp - series and families: the data model of the metrics.
//
// A series is one set of label values of a metric; the milter path only
// ever touches a series through a pointer it was given at policy load (or
// cached on first use), with relaxed atomic operations: no lock, no
// allocation, no lookup by label.
//   Counter    monotonic uint64 (exact; Prometheus reads it as a float)
//   Gauge      int64, set or added to
//   Histogram  fixed buckets (Buckets), per-bucket uint64 counts and a sum in
//              nanoseconds; the count is the sum of the buckets, so
//              _count == the +Inf bucket in every scrape
//
// A Family owns its series by label text (label_text(), sorted), so that
// get() with the same values returns the same series: a rule that keeps its
// name across a reload keeps its counts. get() takes the family's mutex and
// is for set-up (policy load) and the rare first use of a label set; write()
// takes it for a scrape. A family made with `retire_unused` drops, at each
// scrape, every series nobody but the family holds any more (the policies
// that named it are gone): a removed rule stops being exported. Holding the
// shared_ptr is what keeps a series exported; nobody can obtain a new
// reference without the family's mutex, so the use_count() test under it is
// exact.
//
// Thread contract: series operations from any thread; get() and write()
// from any thread (the family's mutex).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "observability/exposition.hpp"

namespace mv::observability {

class Counter {
  public:
    void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
  public:
    void add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
    void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// Upper bounds of a histogram, in seconds, increasing; +Inf is implicit.
class Buckets {
  public:
    static constexpr std::size_t kMax = 24;
    explicit Buckets(std::initializer_list<double> seconds);

    std::size_t size() const { return count_; }  // without +Inf
    // Index of the first bucket whose bound is >= ns; size() for +Inf.
    std::size_t index(std::int64_t ns) const;
    const std::string& le(std::size_t i) const { return le_[i]; }

  private:
    std::size_t count_ = 0;
    std::array<std::int64_t, kMax> bound_ns_{};
    std::array<std::string, kMax + 1> le_;  // "0.001" ... "+Inf"
};

// Decision and wait times: 10 us to 10 s.
const Buckets& latency_buckets();

class Histogram {
  public:
    explicit Histogram(const Buckets& buckets) : buckets_(buckets) {}
    void observe(std::chrono::nanoseconds d);
    void write(ExpositionWriter& w, std::string_view name, std::string_view labels) const;
    std::uint64_t count() const;

  private:
    const Buckets& buckets_;
    std::array<std::atomic<std::uint64_t>, Buckets::kMax + 1> counts_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

template <typename S>
class Family {
  public:
    Family(std::string name, std::string help, MetricKind kind,
           std::vector<std::string> label_names, bool retire_unused = false)
        : name_(std::move(name)),
          help_(std::move(help)),
          kind_(kind),
          label_names_(std::move(label_names)),
          retire_(retire_unused) {}
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;

    // The series of these label values (as many as label names), created when absent.
    template <typename... Args>
    std::shared_ptr<S> get(const std::vector<std::string_view>& values, Args&&... args) {
        std::string key;
        for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
            if (i) key += ',';
            key += label_names_[i];
            key += "=\"";
            append_label_value(key, values[i]);
            key += '"';
        }
        std::lock_guard lock(mu_);
        auto& slot = series_[key];
        if (!slot) slot = std::make_shared<S>(std::forward<Args>(args)...);
        return slot;
    }

    void write(ExpositionWriter& w) {
        std::lock_guard lock(mu_);
        if (retire_) {
            for (auto it = series_.begin(); it != series_.end();)
                it = it->second.use_count() == 1 ? series_.erase(it) : std::next(it);
        }
        w.family(name_, help_, kind_);
        for (const auto& [labels, s] : series_) write_one(w, labels, *s);
    }

    std::size_t size() const {
        std::lock_guard lock(mu_);
        return series_.size();
    }
    const std::string& name() const { return name_; }

  private:
    void write_one(ExpositionWriter& w, const std::string& labels, const Counter& c) const {
        w.sample(name_, "", labels, c.value());
    }
    void write_one(ExpositionWriter& w, const std::string& labels, const Gauge& g) const {
        w.sample(name_, "", labels, g.value());
    }
    void write_one(ExpositionWriter& w, const std::string& labels, const Histogram& h) const {
        h.write(w, name_, labels);
    }

    const std::string name_;
    const std::string help_;
    const MetricKind kind_;
    const std::vector<std::string> label_names_;
    const bool retire_;
    mutable std::mutex mu_;
    std::map<std::string, std::shared_ptr<S>> series_;  // by label text: sorted output
};

}  // namespace mv::observability
