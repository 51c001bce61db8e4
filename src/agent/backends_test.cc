// Backend selection by URL: schemes, the embedded defaults, S3 settings and
// their AWS_* fallbacks, and the errors a bad or unreachable backend gives.
#include "agent/backends.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/bytes.h"

namespace sh::agent {
namespace {

class BackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("backends_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.data_dir = (dir_ / "data").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  AgentConfig config_;
};

void ExpectInvalid(const Status& st, const std::string& names) {
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find(names), std::string::npos) << st.ToString();
}

TEST_F(BackendsTest, UnknownSchemesNameTheSetting) {
  config_.metadata_url = "mysql://root:hunter2@db/streamhouse";
  auto meta = OpenMetadataStore(config_);
  ASSERT_FALSE(meta.ok());
  ExpectInvalid(meta.status(), "metadata.url");
  EXPECT_EQ(meta.status().message().find("hunter2"), std::string::npos) << "password shown";

  config_.storage_url = "ftp://host/dir";
  auto objects = OpenObjectStore(config_, {});
  ASSERT_FALSE(objects.ok());
  ExpectInvalid(objects.status(), "storage.url");

  config_.metadata_url = "/var/lib/metadata.db";  // a path is not a URL
  ASSERT_FALSE(OpenMetadataStore(config_).ok());
  config_.metadata_url = "sqlite://";
  meta = OpenMetadataStore(config_);
  ASSERT_FALSE(meta.ok());
  ExpectInvalid(meta.status(), "metadata.url");
  config_.storage_url = "file://";
  objects = OpenObjectStore(config_, {});
  ASSERT_FALSE(objects.ok());
  ExpectInvalid(objects.status(), "storage.url");
}

TEST_F(BackendsTest, EmbeddedDefaultsLiveInDataDir) {
  auto meta = OpenMetadataStore(config_);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(config_.data_dir + "/metadata.db"));
  EXPECT_EQ((*meta)->Describe().rfind("sqlite://", 0), 0u) << (*meta)->Describe();
  auto objects = OpenObjectStore(config_, {});
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ((*objects)->Describe(), "file://" + config_.data_dir);
  EXPECT_TRUE(BackendsUseDataDir(config_));
}

TEST_F(BackendsTest, SqliteAndFileUrlsOpenWhereTheyPoint) {
  std::string db = (dir_ / "meta" / "sub" / "m.db").string();
  std::string objects_dir = (dir_ / "objects").string();
  config_.metadata_url = "sqlite://" + db;
  config_.storage_url = "file://" + objects_dir;
  // A temp file of a Put cut short by a crash: removed at open.
  std::filesystem::create_directories(objects_dir + "/topics");
  std::ofstream(objects_dir + "/topics/.tmp-stale") << "partial";

  auto meta = OpenMetadataStore(config_);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(db));
  TopicInfo topic;
  topic.name = "t";
  topic.partition_count = 1;
  ASSERT_TRUE((*meta)->CreateTopic(topic).ok());
  EXPECT_TRUE((*meta)->GetTopic("t").ok());

  auto objects = OpenObjectStore(config_, {});
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(objects_dir + "/topics/.tmp-stale"));
  Bytes data = {1, 2, 3};
  ASSERT_TRUE((*objects)->Put("k/x", data).ok());
  EXPECT_TRUE(std::filesystem::exists(objects_dir + "/k/x"));

  // Neither lives in the data directory: the agent neither creates nor locks it.
  EXPECT_FALSE(BackendsUseDataDir(config_));
  EXPECT_FALSE(std::filesystem::exists(config_.data_dir));
  config_.storage_url = "file://" + config_.data_dir + "/./objects/";
  EXPECT_TRUE(BackendsUseDataDir(config_));
}

TEST_F(BackendsTest, S3WithoutCredentialsSaysWhichSettings) {
  config_.storage_url = "s3://bucket/some/prefix";
  auto objects = OpenObjectStore(config_, {});
  ASSERT_FALSE(objects.ok());
  ExpectInvalid(objects.status(), "storage.s3_access_key_id");
  ExpectInvalid(objects.status(), "AWS_ACCESS_KEY_ID");
  // A key id without its secret is as useless.
  config_.s3_access_key_id = "AKID";
  objects = OpenObjectStore(config_, {});
  ASSERT_FALSE(objects.ok());
  ExpectInvalid(objects.status(), "storage.s3_secret_access_key");
}

TEST_F(BackendsTest, S3SettingsComeBeforeAwsEnvironment) {
  config_.storage_url = "s3://bucket/a/b";
  config_.s3_access_key_id = "from-settings";
  config_.s3_endpoint = "http://127.0.0.1:9000";
  config_.s3_path_style = true;
  config_.s3_max_retries = 7;
  config_.s3_request_timeout_ms = 1234;
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "from-env"},
                                            {"AWS_SECRET_ACCESS_KEY", "secret-from-env"},
                                            {"AWS_SESSION_TOKEN", "token"},
                                            {"AWS_REGION", "eu-west-3"}};
  auto o = S3OptionsFor(config_, env);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "bucket");
  EXPECT_EQ(o->prefix, "a/b");
  EXPECT_EQ(o->access_key_id, "from-settings");
  EXPECT_EQ(o->secret_access_key, "secret-from-env");
  EXPECT_EQ(o->session_token, "token");
  EXPECT_EQ(o->region, "eu-west-3");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(o->path_style);
  EXPECT_EQ(o->max_retries, 7);
  EXPECT_EQ(o->request_timeout_ms, 1234);

  config_.s3_region = "ap-south-1";
  o = S3OptionsFor(config_, env);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->region, "ap-south-1");
  config_.s3_region.clear();
  env.erase("AWS_REGION");
  o = S3OptionsFor(config_, env);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->region, "us-east-1");

  config_.storage_url = "s3://";
  o = S3OptionsFor(config_, env);
  ASSERT_FALSE(o.ok());
  ExpectInvalid(o.status(), "storage.url");
}

TEST_F(BackendsTest, ClusterBackendsAreReachedAndReportUnreachable) {
  // Port 1 on loopback refuses connections: the backend is chosen by the
  // scheme and fails as unreachable, not as a bad setting.
  for (const char* url : {"postgres://u@127.0.0.1:1/db", "postgresql://u@127.0.0.1:1/db"}) {
    config_.metadata_url = url;
    auto meta = OpenMetadataStore(config_);
    ASSERT_FALSE(meta.ok()) << url;
    EXPECT_NE(meta.status().code(), ErrorCode::kInvalidArgument) << meta.status().ToString();
  }
  config_.storage_url = "s3://bucket/p";
  config_.s3_endpoint = "http://127.0.0.1:1";
  config_.s3_path_style = true;
  config_.s3_max_retries = 0;
  config_.s3_request_timeout_ms = 2000;
  auto objects =
      OpenObjectStore(config_, {{"AWS_ACCESS_KEY_ID", "k"}, {"AWS_SECRET_ACCESS_KEY", "s"}});
  ASSERT_FALSE(objects.ok());
  EXPECT_NE(objects.status().code(), ErrorCode::kInvalidArgument) << objects.status().ToString();
  config_.metadata_url = "postgres://u@127.0.0.1:1/db";
  EXPECT_FALSE(BackendsUseDataDir(config_));
}

TEST(AwsEnvironmentTest, HoldsOnlyAwsVariables) {
  ASSERT_EQ(::setenv("AWS_BACKENDS_TEST", "value", 1), 0);
  ASSERT_EQ(::setenv("NOT_AWS_BACKENDS_TEST", "other", 1), 0);
  std::map<std::string, std::string> env = AwsEnvironment();
  ::unsetenv("AWS_BACKENDS_TEST");
  ::unsetenv("NOT_AWS_BACKENDS_TEST");
  EXPECT_EQ(env["AWS_BACKENDS_TEST"], "value");
  for (const auto& [name, value] : env) EXPECT_EQ(name.rfind("AWS_", 0), 0u) << name;
}

TEST(RedactUrlTest, HidesPasswords) {
  EXPECT_EQ(RedactUrl("postgres://sh:s3cret@db:5432/streamhouse"),
            "postgres://sh:***@db:5432/streamhouse");
  EXPECT_EQ(RedactUrl("postgres://sh@db/streamhouse"), "postgres://sh@db/streamhouse");
  EXPECT_EQ(RedactUrl("host=db password=s3cret user=sh"), "host=db password=*** user=sh");
  EXPECT_EQ(RedactUrl("postgres://db/x?password=s3cret&sslmode=require"),
            "postgres://db/x?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("file:///tmp/a@b"), "file:///tmp/a@b");
}

}  // namespace
}  // namespace sh::agent
