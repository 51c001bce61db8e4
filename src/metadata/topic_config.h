// Topic configuration as stored in TopicInfo::config_json: a flat JSON object
// whose keys and values are all strings, e.g. {"segment.bytes":"1048576"}.
//
// Why JSON and not "k=v" lines: the column is called `config` JSON in the
// design, PostgreSQL can index it as jsonb later, and the admin API hands it
// out unchanged. Only the flat string-to-string subset is accepted, so the
// hand-written codec stays small; anything else is InvalidArgument.
#pragma once

#include <map>
#include <string>

#include "base/status.h"

namespace sh {

using TopicConfig = std::map<std::string, std::string>;

// Parses a flat JSON object of string values. Whitespace between tokens is
// allowed; string escapes \" \\ \/ \b \f \n \r \t \uXXXX (with surrogate pairs)
// are decoded. Duplicate keys: the last one wins.
Result<TopicConfig> ParseTopicConfig(const std::string& json);

// Encodes as compact JSON with keys in sorted order, so equal maps give equal
// text. Control characters are written as \uXXXX; other bytes unchanged.
std::string EncodeTopicConfig(const TopicConfig& config);

// Parses then re-encodes: the form stored in the database.
Result<std::string> CanonicalTopicConfig(const std::string& json);

}  // namespace sh
