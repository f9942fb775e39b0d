// SPDX-License-Identifier: Apache-2.0
// loader.cpp - load_policy(): read the file, run every part, collect every problem.
//
// Order: the text (source_text.hpp: the main file and every @include read by
// us, each a regular file, not binary, within the size bound; the main file
// not empty; @include relative to the main file's directory, as libconfig
// 1.5 has one include directory per Config), libconfig parse of that text,
// top-level keys, daemon and policy
// settings (rules need delay_reject), lists, rules, unused lists. Each step
// runs even when an earlier one reported errors, except that nothing runs
// after a parse error (libconfig gives no tree).
#include "config/loader.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <libconfig.h++>
#include <optional>
#include <unordered_map>

#include "config/condition_parser.hpp"
#include "config/diagnostics.hpp"
#include "config/dns_parser.hpp"
#include "config/list_table.hpp"
#include "config/rule_parser.hpp"
#include "config/schema.hpp"
#include "config/sendmail_check.hpp"
#include "config/service_check.hpp"
#include "config/settings_parser.hpp"
#include "config/shadow_check.hpp"
#include "config/source_text.hpp"
#include "config/state_condition_parser.hpp"
#include "config/syntax_hint.hpp"
#include "policy_service/deployment_check.hpp"

namespace mv::config {

namespace {

// The lines of the file that line `text_line` of the expanded source came
// from, numbered as in that file (an @include directive's own line is empty),
// for syntax_hint(): it reads what the loader read, never the file again.
std::vector<std::string> lines_of(const SourceText& source, int text_line) {
    const std::size_t file = source.origin(text_line).file;
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t n = 0; n < source.lines.size() && start <= source.text.size(); ++n) {
        std::size_t end = source.text.find('\n', start);
        if (end == std::string::npos) end = source.text.size();
        const SourceText::Origin o = source.lines[n];
        if (o.file == file && o.line >= 1) {
            if (out.size() < static_cast<std::size_t>(o.line)) out.resize(o.line);
            out[o.line - 1] = source.text.substr(start, end - start);
        }
        start = end + 1;
    }
    return out;
}

std::string dir_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Parts of the loader run in their own order (keys are checked before
// values, lists before rules): present the diagnostics by line, file by
// file, files in the order they first appear.
void sort_by_position(std::vector<Diagnostic>& list) {
    std::unordered_map<std::string, std::size_t> rank;
    for (const auto& d : list) rank.emplace(d.file, rank.size());
    std::stable_sort(list.begin(), list.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        const auto ra = rank[a.file], rb = rank[b.file];
        return ra != rb ? ra < rb : a.line < b.line;
    });
}

LoadResult load_policy_untimed(const std::string& path, const LoadOptions& options) {
    LoadResult result;
    Diagnostics diag(path);
    if (path.empty()) {
        diag.error("(none)", 0, "no configuration file given");
        result.diagnostics = diag.take();
        return result;
    }
    // Every byte libconfig parses was read here (source_text.hpp): it never
    // opens a file itself, so no @include can block or end the process.
    const std::optional<SourceText> source = read_source(path, dir_of(path), diag);
    if (!source) {
        result.diagnostics = diag.take();
        return result;
    }
    diag.set_source(&*source);
    libconfig::Config cfg;
    // Every @include is expanded already; one libconfig would still find is
    // looked for where there is nothing, never opened from a real directory.
    cfg.setIncludeDir("/nonexistent/milter-verdict: @include is read by the loader");
    try {
        cfg.readString(source->text);
    } catch (const libconfig::ParseException& e) {
        const auto [file, line] = diag.where(e.getLine());
        std::string msg = std::string("syntax: ") + e.getError();
        // libconfig says only "syntax error" for a file cut short.
        if (file == path && line >= source->main_lines) {
            msg += " at end of file (truncated? a missing ')', '}' or ';'?)";
        } else if (std::strcmp(e.getError(), "syntax error") == 0) {
            // Name the likely cause from the text around the line.
            if (const std::string hint = syntax_hint(lines_of(*source, e.getLine()), line);
                !hint.empty())
                msg += " (likely cause: " + hint + ")";
        }
        diag.error(file, line, msg);
        result.diagnostics = diag.take();
        return result;
    }

    const libconfig::Setting& root = cfg.getRoot();
    auto policy = std::make_shared<policy::Policy>();
    policy->source = path;
    if (root.getLength() == 0) diag.error(path, 0, "no settings: the file holds only comments");
    check_keys(root, {"daemon", "policy", "lists", "rules", "state", "dns"}, "the configuration",
               diag);
    if (root.exists("daemon")) parse_daemon_settings(root["daemon"], policy->settings, diag);
    if (root.exists("policy")) parse_policy_settings(root["policy"], policy->settings, diag);
    if (root.exists("state")) read_state_settings(root["state"], policy->settings.state, diag);

    // Errors in the lists or rules leave rules out or incomplete: the order
    // check below would then see conditions that are not there.
    const int errors_before_rules = diag.errors();
    ListTable lists;
    if (root.exists("lists")) lists.load(root["lists"], diag);
    auto dns_config = std::make_shared<dns::Config>();
    if (root.exists("dns")) read_dns(root["dns"], *dns_config, diag);
    ConditionParser conditions(lists, diag);
    conditions.set_state(policy->state_slot);
    conditions.set_dns(dns_config, policy->dns_slot);
    RuleParser rules(policy->settings, conditions, diag);
    // No rules accepts every message: far more often a rules file emptied or
    // cut short (a copy that failed, a rewrite caught half-way by a reload)
    // than a policy. It loads only when the file says so.
    const std::string no_rules =
        "no rules: every message would be accepted; a policy without rules needs "
        "policy = { allow_empty = true; }";
    if (!root.exists("rules")) {
        if (root.getLength() > 0 && !policy->settings.allow_empty) diag.error(path, 0, no_rules);
    } else if (const libconfig::Setting& rs = root["rules"]; !rs.isList()) {
        diag.error(rs, "rules must be a list ( { ... }, { ... } ), not " + type_name(rs));
    } else {
        result.rule_count = static_cast<std::size_t>(rs.getLength());
        if (rs.getLength() == 0 && !policy->settings.allow_empty) diag.error(rs, no_rules);
        policy->rules.reserve(result.rule_count);
        for (int i = 0; i < rs.getLength(); ++i) {
            auto rule = rules.parse(rs[i], i + 1);
            if (rule) policy->rules.push_back(std::move(*rule));
        }
    }
    if (diag.errors() == errors_before_rules) check_shadowed_rules(policy->rules, diag);
    if (options.service && root.exists("daemon"))
        check_service_access(root["daemon"], policy->settings, diag);
    lists.warn_unused(diag);
    warn_unused_lists(*dns_config, diag);
    policy->dns = dns_config;
    if (options.sendmail) check_for_sendmail(*policy, conditions.macro_uses(), diag);
    for (const NamedList* l : lists.defined()) result.list_entries += l->values.size();
    // What the Postfix policy service path cannot do with these rules.
    for (const auto& n : policy_service::check_deployment(*policy))
        diag.warning(n.file, n.line, n.message);
    for (const NamedList* l : lists.defined())
        if (!l->source.empty())
            result.lists.push_back({l->name, l->source, l->values.size(), l->read_seconds});

    result.diagnostics = diag.take();
    sort_by_position(result.diagnostics);
    if (options.strict) {
        for (auto& d : result.diagnostics) {
            if (d.severity != Diagnostic::Severity::Warning) continue;
            d.severity = Diagnostic::Severity::Error;
            d.message += " [--strict]";
        }
    }
    if (result.errors() == 0) result.policy = std::move(policy);
    return result;
}

}  // namespace

LoadResult load_policy(const std::string& path, const LoadOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    LoadResult result = load_policy_untimed(path, options);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace mv::config
