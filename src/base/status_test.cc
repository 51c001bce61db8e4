#include "base/status.h"

#include <gtest/gtest.h>

namespace sh {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd value " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  SH_ASSIGN_OR_RETURN(int h, Half(x));
  SH_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::Corruption("segment topics/a/0/seg_1.bin: block 2 crc mismatch");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_EQ(s.ToString(), "Corruption: segment topics/a/0/seg_1.bin: block 2 crc mismatch");
  EXPECT_EQ(s.WithContext("read t/0").message(),
            "read t/0: segment topics/a/0/seg_1.bin: block 2 crc mismatch");
  EXPECT_TRUE(Status::Unavailable("s3 down").retriable());
  EXPECT_FALSE(Status::Corruption("x").retriable());
}

TEST(StatusTest, SubCodeSurvivesContext) {
  EXPECT_EQ(Status::Unavailable("x").subcode(), SubCode::kNone);
  Status s = Status(ErrorCode::kUnavailable, SubCode::kLeadershipHandedBack, "t/0 retired");
  Status wrapped = s.WithContext("produce");
  EXPECT_EQ(wrapped.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(wrapped.subcode(), SubCode::kLeadershipHandedBack);
  EXPECT_EQ(wrapped.message(), "produce: t/0 retired");
  EXPECT_EQ(Status::TooLarge("b").WithSubCode(SubCode::kRecordTooLarge).subcode(),
            SubCode::kRecordTooLarge);
  EXPECT_STREQ(SubCodeName(SubCode::kLeadershipHandedBack), "LeadershipHandedBack");
}

TEST(StatusTest, ResultPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd value 3");
}

TEST(StatusDeathTest, ValueOfErrorAborts) {
  auto r = Half(3);
  EXPECT_DEATH((void)r.value(), "odd value 3");
}

}  // namespace
}  // namespace sh
