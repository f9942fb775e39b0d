// SPDX-License-Identifier: Apache-2.0
// main.cpp - CppUnit runner for every registered fixture.
// Prints each failure, then "unit: N passed, M failed"; exits 1 on any failure.
// `unit-tests --suite NAME` runs the fixtures registered under NAME instead
// (CPPUNIT_TEST_SUITE_NAMED_REGISTRATION; "state" needs a redis-server) and
// prints "NAME: N passed, M failed".
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::string suite = "unit";
    std::string registry = "All Tests";  // CppUnit's default registry
    if (argc == 3 && std::string(argv[1]) == "--suite") suite = registry = argv[2];
    CppUnit::TestResult controller;
    CppUnit::TestResultCollector result;
    controller.addListener(&result);
    CppUnit::TestRunner runner;
    runner.addTest(CppUnit::TestFactoryRegistry::getRegistry(registry).makeTest());
    runner.run(controller);
    CppUnit::CompilerOutputter outputter(&result, std::cerr);
    outputter.write();
    const int failed = result.testFailuresTotal();
    const int passed = result.runTests() - failed;
    std::cout << suite << ": " << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 ? 0 : 1;
}
