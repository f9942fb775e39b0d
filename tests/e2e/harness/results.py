# SPDX-License-Identifier: Apache-2.0
# results.py - pass/fail bookkeeping and the suite's summary line.
#
# One Results per run. case(name) is a context manager for one asserted
# case: inside it, expect()/expect_equal() record failures (the case goes on,
# so one run shows every broken expectation of the case), and any exception
# (a harness error, a timeout, a closed connection) fails the case with its
# message instead of stopping the suite. summary() prints exactly one line
# "<suite>: N passed, M failed" for tests/run-all.sh (suite "e2e" unless told).
import contextlib
import sys
import traceback


class Results:
    def __init__(self, out=sys.stdout, suite="e2e"):
        self.out = out
        self.suite = suite
        self.passed = 0
        self.failed = 0
        self._problems = None

    def expect(self, cond, message):
        if not cond:
            self._problems.append(message)
        return bool(cond)

    def expect_equal(self, actual, expected, what):
        if actual != expected:
            self._problems.append("%s:\n      expected %r\n      got      %r"
                                  % (what, expected, actual))
            return False
        return True

    @contextlib.contextmanager
    def case(self, name):
        self._problems = []
        try:
            yield self
        except Exception as e:  # a broken case must not stop the suite
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            self._problems.append("exception: %s" % detail)
        if self._problems:
            self.failed += 1
            print("FAIL %s" % name, file=self.out)
            for p in self._problems:
                print("    " + p.replace("\n", "\n    "), file=self.out)
        else:
            self.passed += 1
            print("ok   %s" % name, file=self.out)
        self.out.flush()
        self._problems = None

    def fail(self, name, why):
        """A case that could not run at all counts as failed."""
        with self.case(name) as r:
            r.expect(False, why)

    def summary(self):
        print("%s: %d passed, %d failed" % (self.suite, self.passed, self.failed), file=self.out)
        self.out.flush()
        return self.failed == 0
