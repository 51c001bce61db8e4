#include "kafka/server/errors.h"

namespace sh::kafka {

KafkaError KafkaErrorFor(const Status& status, ApiKey api) {
  switch (status.subcode()) {
    case SubCode::kNone:
    case SubCode::kLeadershipHandedBack:  // as its code: retriable, or NOT_LEADER_OR_FOLLOWER
      break;
    case SubCode::kRecordTooLarge:
      return KafkaError::kMessageTooLarge;
    case SubCode::kInvalidRecord:
      return KafkaError::kInvalidRecord;
    case SubCode::kOutOfOrderSequence:
      return KafkaError::kOutOfOrderSequenceNumber;
    case SubCode::kStaleProducerEpoch:
      return KafkaError::kInvalidProducerEpoch;
    case SubCode::kInvalidTopicName:
      return KafkaError::kInvalidTopicException;
    case SubCode::kInvalidPartitionCount:
      return KafkaError::kInvalidPartitions;
  }
  switch (status.code()) {
    case ErrorCode::kOk:
      return KafkaError::kNone;
    case ErrorCode::kNotFound:
      return KafkaError::kUnknownTopicOrPartition;
    case ErrorCode::kAlreadyExists:
      return KafkaError::kTopicAlreadyExists;
    case ErrorCode::kInvalidArgument:
      switch (api) {
        case ApiKey::kCreateTopics:
        case ApiKey::kAlterConfigs:
        case ApiKey::kIncrementalAlterConfigs:
        case ApiKey::kDescribeConfigs:
          return KafkaError::kInvalidConfig;
        case ApiKey::kCreatePartitions:
          return KafkaError::kInvalidPartitions;
        case ApiKey::kMetadata:
          return KafkaError::kInvalidTopicException;
        case ApiKey::kProduce:
          return KafkaError::kInvalidRecord;
        default:
          return KafkaError::kInvalidRequest;
      }
    case ErrorCode::kCorruption:
      return KafkaError::kCorruptMessage;
    case ErrorCode::kOutOfRange:
      return KafkaError::kOffsetOutOfRange;
    case ErrorCode::kTooLarge:
      return api == ApiKey::kProduce ? KafkaError::kMessageTooLarge : KafkaError::kInvalidRequest;
    case ErrorCode::kFenced:
      return KafkaError::kNotLeaderOrFollower;
    case ErrorCode::kTimeout:
      return KafkaError::kRequestTimedOut;
    case ErrorCode::kUnavailable:
    case ErrorCode::kIOError:
      // Retriable: the client backs off and tries again.
      return KafkaError::kKafkaStorageError;
    case ErrorCode::kUnsupported:
      return api == ApiKey::kProduce ? KafkaError::kUnsupportedCompressionType
                                     : KafkaError::kUnsupportedVersion;
    case ErrorCode::kInternal:
      return KafkaError::kUnknownServerError;
  }
  return KafkaError::kUnknownServerError;
}

}  // namespace sh::kafka
