// SPDX-License-Identifier: Apache-2.0
// test_exposition.cpp - content negotiation and the two text formats
// (observability/exposition.hpp).
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "observability/exposition.hpp"
#include "observability/metric_family.hpp"

namespace mv::observability::test {

class ExpositionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExpositionTest);
    CPPUNIT_TEST(testPrometheusAcceptHeaderGetsOpenMetrics);
    CPPUNIT_TEST(testCurlAndEmptyAcceptGetText);
    CPPUNIT_TEST(testQualitiesDecide);
    CPPUNIT_TEST(testOtherOpenMetricsVersionsAreNotServed);
    CPPUNIT_TEST(testContentTypes);
    CPPUNIT_TEST(testLabelValuesAreEscaped);
    CPPUNIT_TEST(testNumbersAreWrittenPlainly);
    CPPUNIT_TEST(testCounterFamilyNamesPerFormat);
    CPPUNIT_TEST(testHistogramBucketsAreCumulativeAndCountIsInf);
    CPPUNIT_TEST(testFamilyOutputIsSortedAndGetReturnsTheSameSeries);
    CPPUNIT_TEST_SUITE_END();

  public:
    void testPrometheusAcceptHeaderGetsOpenMetrics() {
        // What Prometheus 2.42 sends.
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text;version=1.0.0,application/"
                                 "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                                 "q=0.5,*/*;q=0.1") == ExpositionFormat::OpenMetrics);
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text") == ExpositionFormat::OpenMetrics);
        CPPUNIT_ASSERT(negotiate("Application/OpenMetrics-Text; Version=1.0.0") ==
                       ExpositionFormat::OpenMetrics);
    }

    void testCurlAndEmptyAcceptGetText() {
        CPPUNIT_ASSERT(negotiate("*/*") == ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("") == ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("text/plain") == ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("garbage;;;,,==") == ExpositionFormat::Text);
    }

    void testQualitiesDecide() {
        CPPUNIT_ASSERT(negotiate("text/plain;q=1,application/openmetrics-text;q=0.5") ==
                       ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("text/plain;q=0.2,application/openmetrics-text;q=0.5") ==
                       ExpositionFormat::OpenMetrics);
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text;q=0") == ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text;q=0.1,*/*;q=0.5") ==
                       ExpositionFormat::Text);
    }

    void testOtherOpenMetricsVersionsAreNotServed() {
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text;version=0.0.1") ==
                       ExpositionFormat::Text);
        CPPUNIT_ASSERT(negotiate("application/openmetrics-text;version=2.0.0,text/plain") ==
                       ExpositionFormat::Text);
    }

    void testContentTypes() {
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"),
                             std::string(content_type(ExpositionFormat::Text)));
        CPPUNIT_ASSERT_EQUAL(
            std::string("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            std::string(content_type(ExpositionFormat::OpenMetrics)));
    }

    void testLabelValuesAreEscaped() {
        CPPUNIT_ASSERT_EQUAL(std::string("a=\"x\\\"y\",b=\"back\\\\slash\\nnl\""),
                             label_text({"a", "b"}, {"x\"y", "back\\slash\nnl"}));
        CPPUNIT_ASSERT_EQUAL(std::string(), label_text({}, {}));
    }

    void testNumbersAreWrittenPlainly() {
        CPPUNIT_ASSERT_EQUAL(std::string("0.0001"), format_double(0.0001));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), format_double(1));
        CPPUNIT_ASSERT_EQUAL(std::string("2.5"), format_double(2.5));
        CPPUNIT_ASSERT_EQUAL(std::string("0"), format_double(0));
        CPPUNIT_ASSERT_EQUAL(std::string("+Inf"), format_double(1.0 / 0.0));
        CPPUNIT_ASSERT_EQUAL(std::string("NaN"), format_double(0.0 / 0.0));
        CPPUNIT_ASSERT_EQUAL(std::string("1e+20"), format_double(1e20));
    }

    void testCounterFamilyNamesPerFormat() {
        for (ExpositionFormat f : {ExpositionFormat::Text, ExpositionFormat::OpenMetrics}) {
            ExpositionWriter w(f);
            w.family("x_events_total", "Events.", MetricKind::Counter);
            w.sample("x_events_total", "", "k=\"v\"", std::uint64_t{3});
            w.family("x_build_info", "Build.", MetricKind::Info);
            w.sample("x_build_info", "", "version=\"1\"", std::int64_t{1});
            const std::string out = w.finish();
            if (f == ExpositionFormat::Text)
                CPPUNIT_ASSERT_EQUAL(std::string("# HELP x_events_total Events.\n"
                                                 "# TYPE x_events_total counter\n"
                                                 "x_events_total{k=\"v\"} 3\n"
                                                 "# HELP x_build_info Build.\n"
                                                 "# TYPE x_build_info gauge\n"
                                                 "x_build_info{version=\"1\"} 1\n"),
                                     out);
            else
                CPPUNIT_ASSERT_EQUAL(std::string("# HELP x_events Events.\n"
                                                 "# TYPE x_events counter\n"
                                                 "x_events_total{k=\"v\"} 3\n"
                                                 "# HELP x_build Build.\n"
                                                 "# TYPE x_build info\n"
                                                 "x_build_info{version=\"1\"} 1\n"
                                                 "# EOF\n"),
                                     out);
        }
    }

    void testHistogramBucketsAreCumulativeAndCountIsInf() {
        static const Buckets b{0.001, 0.01};
        Histogram h(b);
        h.observe(std::chrono::microseconds(500));  // <= 0.001
        h.observe(std::chrono::milliseconds(1));    // == 0.001: the bound is inclusive
        h.observe(std::chrono::milliseconds(5));    // <= 0.01
        h.observe(std::chrono::seconds(2));         // +Inf
        ExpositionWriter w(ExpositionFormat::Text);
        h.write(w, "x_seconds", "s=\"a\"");
        CPPUNIT_ASSERT_EQUAL(std::string("x_seconds_bucket{s=\"a\",le=\"0.001\"} 2\n"
                                         "x_seconds_bucket{s=\"a\",le=\"0.01\"} 3\n"
                                         "x_seconds_bucket{s=\"a\",le=\"+Inf\"} 4\n"
                                         "x_seconds_sum{s=\"a\"} 2.0065\n"
                                         "x_seconds_count{s=\"a\"} 4\n"),
                             w.finish());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, h.count());
    }

    void testFamilyOutputIsSortedAndGetReturnsTheSameSeries() {
        Family<Counter> f("x_total", "X.", MetricKind::Counter, {"rule"});
        f.get({"zeta"})->add(2);
        f.get({"alpha"})->add(1);
        f.get({"zeta"})->add(1);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, f.size());
        ExpositionWriter w(ExpositionFormat::Text);
        f.write(w);
        const std::string out = w.finish();
        CPPUNIT_ASSERT(out.find("x_total{rule=\"alpha\"} 1\nx_total{rule=\"zeta\"} 3\n") !=
                       std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExpositionTest);

}  // namespace mv::observability::test
