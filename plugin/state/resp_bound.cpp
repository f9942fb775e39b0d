// SPDX-License-Identifier: Apache-2.0
// resp_bound.cpp - RESP header scan (see resp_bound.hpp).
#include "state/resp_bound.hpp"

#include <algorithm>

namespace mv::state {
namespace {

// Types followed by a length and that many bytes ($ bulk, RESP3 = verbatim, ! blob error).
bool length_type(char t) {
    return t == '$' || t == '=' || t == '!';
}
// Types followed by a count of elements (* array, RESP3 ~ set, > push, % map, | attribute).
bool aggregate_type(char t) {
    return t == '*' || t == '~' || t == '>' || t == '%' || t == '|';
}

}  // namespace

std::string RespBound::scan(std::string_view chunk) {
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        const char c = chunk[i];
        switch (state_) {
            case State::Payload: {
                const std::uint64_t n = std::min<std::uint64_t>(skip_, chunk.size() - i);
                skip_ -= n;
                i += n - 1;
                if (skip_ == 0) state_ = State::Type;
                break;
            }
            case State::Type:
                type_ = c;
                cr_ = false;
                if (length_type(c) || aggregate_type(c)) {
                    state_ = State::Header;
                    negative_ = false;
                    number_ok_ = true;
                    frozen_ = false;
                    digits_ = 0;
                    value_ = 0;
                } else {
                    state_ = State::Line;  // + - : and RESP3's one-line types
                }
                break;
            case State::Line:
                if (cr_ && c == '\n') state_ = State::Type;
                cr_ = c == '\r';
                break;
            case State::Header:
                if (cr_ && c == '\n') {
                    state_ = State::Type;
                    if (!number_ok_ || negative_ || digits_ == 0) break;  // nil, or no length
                    if (length_type(type_)) {
                        if (value_ > kMaxReplyBytes)
                            return "a reply string of " + std::to_string(value_) +
                                   " bytes announced (at most " + std::to_string(kMaxReplyBytes) +
                                   ")";
                        skip_ = value_ + 2;  // and its "\r\n"
                        state_ = State::Payload;
                    } else if (value_ > static_cast<std::uint64_t>(kMaxReplyElements)) {
                        return "a reply of " + std::to_string(value_) +
                               " elements announced (at most " + std::to_string(kMaxReplyElements) +
                               ")";
                    }
                    break;
                }
                cr_ = c == '\r';
                if (cr_) frozen_ = true;  // hiredis 0.14 reads the number up to the first '\r'
                if (cr_ || frozen_) break;
                if ((c == '-' || c == '+') && digits_ == 0 && number_ok_ && !negative_) {
                    negative_ = c == '-';
                } else if (c >= '0' && c <= '9') {
                    if (++digits_ > 18) return "a reply length of more than 18 digits announced";
                    value_ = value_ * 10 + static_cast<std::uint64_t>(c - '0');
                } else {
                    number_ok_ = false;
                }
                break;
        }
    }
    return {};
}

}  // namespace mv::state
