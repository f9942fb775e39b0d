// SPDX-License-Identifier: Apache-2.0
// stats_table.hpp - the report of `milter-verdict stats`, from a scrape.
//
// stats_report() turns the samples of one scrape (observability/scrape.hpp)
// into a short report for people without Grafana: the version, the policy
// (rules, list entries, last load, reloads), the traffic per front end, the
// state store, the DNS list zones (lookups, cache hits, timeouts, errors, and
// "UNHEALTHY, skipped" or the count of failed health checks), then one row
// per rule with its decisions summed over front
// ends and stages: reject, tempfail, accept, other (discard, quarantine),
// monitor (would-be decisions) and its replies ("550 5.7.1 x3"), busiest
// first. Rules without any decision are counted in one line, or listed
// with `all`.
//
// Thread contract: pure function.
#pragma once

#include <string>

#include "observability/scrape.hpp"

namespace mv::cli {

std::string stats_report(const observability::Exposition& scrape, bool all);

}  // namespace mv::cli
