// The one place where StreamHouse's Status codes become Kafka error codes
// (docs/style.md: errors are translated in exactly one place). The codes themselves,
// with their names and retriable flags, are kafka/protocol/errors.h.
#pragma once

#include "base/status.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/generated/api_table.h"

namespace sh::kafka {

// The Kafka error for a failed Status from the broker: by its sub-code if it
// has one, else by its code in the context of one API (the same code can mean
// different things: InvalidArgument is INVALID_CONFIG for AlterConfigs but
// INVALID_REQUEST elsewhere). kOk -> kNone.
KafkaError KafkaErrorFor(const Status& status, ApiKey api);

}  // namespace sh::kafka
