// SPDX-License-Identifier: Apache-2.0
// csv_line.cpp - split one CSV line (see csv_line.hpp).
#include "codes/csv_line.hpp"

namespace mv::codes {

std::optional<std::vector<std::string>> split_csv_line(std::string_view line, std::string* error) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (true) {
        std::string field;
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (true) {
                if (i >= line.size()) {
                    if (error) *error = "unterminated quoted field";
                    return std::nullopt;
                }
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += line[i++];
            }
            if (i < line.size() && line[i] != ',') {
                if (error) *error = "text after a closing quote";
                return std::nullopt;
            }
        } else {
            const std::size_t comma = line.find(',', i);
            const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
            field.assign(line.substr(i, end - i));
            i = end;
        }
        fields.push_back(std::move(field));
        if (i >= line.size()) break;
        ++i;  // skip ','
        if (i == line.size()) {
            fields.emplace_back();  // trailing empty field
            break;
        }
    }
    return fields;
}

}  // namespace mv::codes
