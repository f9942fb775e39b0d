// SPDX-License-Identifier: Apache-2.0
// stage.cpp - names of the SMTP stages.
#include "codes/stage.hpp"

#include <array>

namespace mv::codes {

namespace {
constexpr std::array<std::string_view, kStageCount> kNames = {"connect", "helo", "mail",
                                                              "rcpt",    "data", "end-of-data"};
constexpr std::array<std::string_view, kStageCount> kCommands = {
    "greeting", "HELO/EHLO", "MAIL FROM", "RCPT TO", "DATA", "end of data (.)"};
}  // namespace

std::string_view stage_name(Stage s) {
    return kNames[static_cast<int>(s)];
}

std::string_view stage_command(Stage s) {
    return kCommands[static_cast<int>(s)];
}

std::optional<Stage> parse_stage(std::string_view name) {
    for (int i = 0; i < kStageCount; ++i)
        if (kNames[i] == name) return static_cast<Stage>(i);
    if (name == "eom" || name == "end_of_data") return Stage::EndOfData;
    return std::nullopt;
}

}  // namespace mv::codes
