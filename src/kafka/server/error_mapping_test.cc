// KafkaErrorFor: each broker sub-code maps to its Kafka error whatever the
// API, and a Status without one maps by its code in the API's context.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "kafka/server/errors.h"

namespace sh::kafka {
namespace {

Status With(ErrorCode code, SubCode sub) { return Status(code, sub, "t/0: whatever the text"); }

TEST(ErrorMappingTest, EachSubCodeHasItsKafkaError) {
  const std::vector<std::pair<Status, KafkaError>> cases = {
      {With(ErrorCode::kTooLarge, SubCode::kRecordTooLarge), KafkaError::kMessageTooLarge},
      {With(ErrorCode::kInvalidArgument, SubCode::kInvalidRecord), KafkaError::kInvalidRecord},
      {With(ErrorCode::kInvalidArgument, SubCode::kOutOfOrderSequence),
       KafkaError::kOutOfOrderSequenceNumber},
      {With(ErrorCode::kInvalidArgument, SubCode::kStaleProducerEpoch),
       KafkaError::kInvalidProducerEpoch},
      {With(ErrorCode::kInvalidArgument, SubCode::kInvalidTopicName),
       KafkaError::kInvalidTopicException},
      {With(ErrorCode::kInvalidArgument, SubCode::kInvalidPartitionCount),
       KafkaError::kInvalidPartitions},
  };
  for (const auto& [status, kafka] : cases) {
    for (ApiKey api :
         {ApiKey::kProduce, ApiKey::kCreateTopics, ApiKey::kCreatePartitions, ApiKey::kMetadata}) {
      EXPECT_EQ(KafkaErrorFor(status, api), kafka)
          << SubCodeName(status.subcode()) << " for API " << static_cast<int>(api);
    }
  }
}

TEST(ErrorMappingTest, AHandedBackLeadershipMapsByItsCode) {
  // Embedded mode: retriable (the next call opens a new leader).
  EXPECT_EQ(KafkaErrorFor(With(ErrorCode::kUnavailable, SubCode::kLeadershipHandedBack),
                          ApiKey::kProduce),
            KafkaError::kKafkaStorageError);
  // Cluster mode: another agent leads; the client refreshes its metadata.
  EXPECT_EQ(KafkaErrorFor(With(ErrorCode::kFenced, SubCode::kLeadershipHandedBack), ApiKey::kFetch),
            KafkaError::kNotLeaderOrFollower);
}

TEST(ErrorMappingTest, WithoutASubCodeTheCodeAndTheApiDecide) {
  EXPECT_EQ(KafkaErrorFor(Status::OK(), ApiKey::kProduce), KafkaError::kNone);
  EXPECT_EQ(KafkaErrorFor(Status::InvalidArgument("x"), ApiKey::kProduce),
            KafkaError::kInvalidRecord);
  EXPECT_EQ(KafkaErrorFor(Status::InvalidArgument("x"), ApiKey::kCreateTopics),
            KafkaError::kInvalidConfig);
  EXPECT_EQ(KafkaErrorFor(Status::InvalidArgument("x"), ApiKey::kCreatePartitions),
            KafkaError::kInvalidPartitions);
  EXPECT_EQ(KafkaErrorFor(Status::TooLarge("x"), ApiKey::kProduce), KafkaError::kMessageTooLarge);
  EXPECT_EQ(KafkaErrorFor(Status::Fenced("x"), ApiKey::kProduce), KafkaError::kNotLeaderOrFollower);
  // The text plays no part.
  EXPECT_EQ(KafkaErrorFor(Status::Unavailable("leadership was handed back"), ApiKey::kProduce),
            KafkaError::kKafkaStorageError);
}

}  // namespace
}  // namespace sh::kafka
