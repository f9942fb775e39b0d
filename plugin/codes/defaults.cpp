// defaults.cpp - the reply used when a rule names an action but no code.
//
// Sources: RFC 5321 section 4.3.2 lists the replies each command may get;
// RFC 3463 and the IANA "SMTP Enhanced Status Codes" registry give the
// enhanced codes. Each choice is explained next to it.
#include "codes/validate.hpp"

namespace mv::codes {

namespace {

DefaultReply policy_default(bool reject, Stage stage);

// The reply for a reason, whatever the disposition; default_reply() falls back
// to the policy reply when its class does not fit the disposition.
DefaultReply reason_default(bool reject, Reason reason, Stage stage) {
    switch (reason) {
        case Reason::Greylist:
            // 451 "local error in processing" is what greylisting implementations
            // send at RCPT and DATA (RFC 6647 section 2.1 describes a temporary
            // failure); X.7.1 "delivery not authorized" (RFC 3463).
            return {451, "4.7.1", "Greylisted, please try again in ${retry} seconds",
                    "RFC 6647 2.1; RFC 5321 4.3.2 (451 at RCPT/DATA); RFC 3463 X.7.1"};
        case Reason::RateLimit:
            if (stage == Stage::Rcpt)
                return {450, "4.7.1", "Rate limit exceeded, please try again in ${retry} seconds",
                        "RFC 5321 4.3.2 (450 at RCPT); RFC 3463 X.7.1"};
            return {451, "4.7.1", "Rate limit exceeded, please try again in ${retry} seconds",
                    "RFC 5321 4.3.2 (451 at MAIL/DATA); RFC 3463 X.7.1"};
        case Reason::TooManyRecipients:
            // RFC 5321 4.5.3.1.10: "452 too many recipients" (and 4.3.2 lists 452
            // at RCPT); X.5.3 "Too many recipients" (RFC 3463).
            return {452, "4.5.3", "Too many recipients", "RFC 5321 4.5.3.1.10; RFC 3463 X.5.3"};
        case Reason::MessageTooBig:
            // 552 "exceeded storage allocation" at MAIL (SIZE) and end of data;
            // X.3.4 "Message too big for system" (RFC 3463; RFC 1870 section 6).
            return {552, "5.3.4", "Message too big", "RFC 5321 4.3.2; RFC 1870 6; RFC 3463 X.3.4"};
        case Reason::BackendFailure:
            // X.4.3 "Directory server failure" (RFC 3463) covers lookup failures
            // (DNS, databases); 451 "local error in processing".
            return {451, "4.4.3", "Temporary lookup failure, please try again later",
                    "RFC 5321 4.3.2 (451); RFC 3463 X.4.3"};
        case Reason::Disconnect:
            // A permanent disconnect is 521 "does not accept mail" (RFC 7504),
            // which the registry pairs with X.3.2 "System not accepting network
            // messages"; RFC 7504 defines it at the greeting, so elsewhere the
            // stage check warns.
            if (reject)
                return {521, "5.3.2", "Host does not accept mail, closing connection",
                        "RFC 7504 3; IANA X.3.2 (521)"};
            // 421 closes the session (RFC 5321 3.8, 4.2.2); X.7.0 "other security
            // status" (RFC 3463); the registry does not list 421 for X.7.0, the
            // project adds it (data/SOURCES.md).
            return {421, "4.7.0", "Service not available, closing connection",
                    "RFC 5321 3.8, 4.2.2; RFC 3463 X.7.0"};
        case Reason::InternalError:
            // X.3.0 "Other or undefined mail system status" (RFC 3463). At the
            // greeting and HELO RFC 5321 4.3.2 lists no temporary reply but 421,
            // which closes the session (3.8, 4.2.3); the registry lists 421 for
            // X.3.0. The daemon sends this itself, so it cannot be delayed to RCPT.
            if (stage == Stage::Connect || stage == Stage::Helo)
                return {421, "4.3.0", "Temporary internal error, closing connection",
                        "RFC 5321 3.8, 4.2.3, 4.3.2 (421 at the greeting and HELO); "
                        "RFC 3463 X.3.0 (IANA lists 421)"};
            return {451, "4.3.0", "Temporary internal error, please try again later",
                    "RFC 5321 4.3.2 (451); RFC 3463 X.3.0"};
        case Reason::Policy:
            break;
    }
    return policy_default(reject, stage);
}

DefaultReply policy_default(bool reject, Stage stage) {
    if (reject) {
        // 554 is the reply to a refused DATA command (RFC 5321 3.3, 4.3.2: 550 is
        // not listed for DATA); 550 everywhere else. X.7.1 "Delivery not
        // authorized, message refused" (RFC 3463).
        if (stage == Stage::Data)
            return {554, "5.7.1", "Message refused by policy",
                    "RFC 5321 3.3, 4.3.2 (554 at DATA); RFC 3463 X.7.1"};
        if (stage == Stage::Connect)
            return {554, "5.7.1", "Connection refused by policy",
                    "RFC 5321 3.1, 4.3.2 (554 at greeting); RFC 3463 X.7.1"};
        return {550, "5.7.1", "Message refused by policy",
                "RFC 5321 4.3.2 (550 at HELO/MAIL/RCPT/end of data); RFC 3463 X.7.1"};
    }
    // 450 "mailbox unavailable" is the temporary policy refusal at RCPT; at
    // MAIL and end of data RFC 5321 4.3.2 lists 451 but not 450 (at the DATA
    // command only RFC 2821 4.3.2 lists 451: see data/SOURCES.md). At the
    // greeting and HELO no temporary refusal but 421 exists; verdicts reached
    // there are delivered at RCPT (delay_reject) and check-config warns
    // otherwise.
    if (stage == Stage::Rcpt)
        return {450, "4.7.1", "Temporarily refused by policy, please try again later",
                "RFC 5321 4.3.2 (450 at RCPT); RFC 3463 X.7.1"};
    return {451, "4.7.1", "Temporarily refused by policy, please try again later",
            "RFC 5321 4.3.2 (451 at MAIL/end of data), RFC 2821 4.3.2 (DATA); RFC 3463 X.7.1"};
}

}  // namespace

DefaultReply default_reply(Disposition disposition, Reason reason, Stage stage) {
    const bool reject = disposition == Disposition::Reject;
    DefaultReply r = reason_default(reject, reason, stage);
    // A reason whose natural class differs from the action (a rate limit that
    // rejects, a size limit that tempfails) keeps its text but takes the
    // policy code of the action: libmilter drops a reply of the wrong class.
    if ((r.basic >= 500) != reject) {
        DefaultReply p = policy_default(reject, stage);
        p.text = r.text;
        return p;
    }
    return r;
}

}  // namespace mv::codes
