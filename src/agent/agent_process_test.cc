// The streamhouse executable as a process: settings errors, the data
// directory lock, serving ApiVersions, and a clean exit on SIGTERM.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "kafka/protocol/generated/api_table.h"
#include "kafka/protocol/generated/api_versions.h"
#include "kafka/protocol/header_codec.h"

namespace sh::agent {
namespace {

// Starts streamhouse with args; stdout and stderr go to out_path.
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path) {
  std::fflush(stdout);  // or the child would write our buffered output again
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid == 0) {
    FILE* out = std::freopen(out_path.c_str(), "w", stdout);
    if (out == nullptr) _exit(127);
    ::dup2(::fileno(stdout), 2);
    std::vector<char*> argv;
    std::string bin = SH_STREAMHOUSE_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ReadFile(const std::string& path) {
  std::string s;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
    std::fclose(f);
  }
  return s;
}

// The port the agent logs once it listens ("streamhouse listening on
// 127.0.0.1:PORT (advertised ...)"); 0 until then. The tests give the agent
// port 0: a port probed free here could be taken by another process before
// the agent binds it.
uint16_t ListeningPort(const std::string& log_path) {
  const std::string log = ReadFile(log_path);
  const std::string mark = "streamhouse listening on 127.0.0.1:";
  size_t at = log.find(mark);
  if (at == std::string::npos) return 0;
  size_t end = log.find(' ', at + mark.size());  // the whole line is there
  if (end == std::string::npos) return 0;
  return static_cast<uint16_t>(std::stoi(log.substr(at + mark.size(), end - at - mark.size())));
}

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

class AgentProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("agent_process_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(AgentProcessTest, HelpVersionAndBadSettings) {
  EXPECT_EQ(WaitExit(Spawn({"--help"}, Path("help.txt"))), 0);
  std::string help = ReadFile(Path("help.txt"));
  EXPECT_NE(help.find("--kafka-listen"), std::string::npos);
  EXPECT_NE(help.find("--data-dir"), std::string::npos);
  EXPECT_EQ(WaitExit(Spawn({"--version"}, Path("version.txt"))), 0);
  EXPECT_EQ(ReadFile(Path("version.txt")).rfind("streamhouse ", 0), 0u);

  EXPECT_EQ(WaitExit(Spawn({"--kafka-network-threads", "many"}, Path("bad.txt"))), 2);
  EXPECT_NE(ReadFile(Path("bad.txt")).find("kafka.network_threads"), std::string::npos);
  EXPECT_EQ(WaitExit(Spawn({"--no-such-setting", "1"}, Path("unknown.txt"))), 2);
  EXPECT_NE(ReadFile(Path("unknown.txt")).find("--no-such-setting"), std::string::npos);
}

TEST_F(AgentProcessTest, ServesLocksDataDirAndStopsOnSigterm) {
  std::string data = Path("data");
  pid_t agent = Spawn({"--data-dir", data, "--kafka-listen", "127.0.0.1:0"}, Path("agent.txt"));
  ASSERT_GT(agent, 0);

  uint16_t port = 0;
  for (int i = 0; i < 1000 && port == 0; ++i) {  // up to ~20 s for the agent to listen
    port = ListeningPort(Path("agent.txt"));
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(port, 0) << ReadFile(Path("agent.txt"));
  std::string listen = "127.0.0.1:" + std::to_string(port);
  int fd = Connect(port);
  ASSERT_GE(fd, 0) << ReadFile(Path("agent.txt"));

  // ApiVersions v0 answered with the agent's API list.
  kafka::RequestHeader h;
  h.request_api_key = static_cast<int16_t>(kafka::ApiKey::kApiVersions);
  h.request_api_version = 0;
  h.correlation_id = 77;
  ByteWriter w;
  w.PutBE32(0);
  ASSERT_TRUE(kafka::EncodeRequestHeader(h, w).ok());
  w.PatchBE32(0, static_cast<uint32_t>(w.size() - 4));
  ASSERT_EQ(::send(fd, w.buffer().data(), w.size(), MSG_NOSIGNAL), static_cast<ssize_t>(w.size()));
  Bytes size(4);
  ASSERT_EQ(::recv(fd, size.data(), 4, MSG_WAITALL), 4);
  Bytes frame(ByteReader(size).ReadBE32());
  ASSERT_EQ(::recv(fd, frame.data(), frame.size(), MSG_WAITALL),
            static_cast<ssize_t>(frame.size()));
  ::close(fd);
  EXPECT_EQ(ByteReader(frame).ReadBE32(), 77u);
  kafka::ApiVersionsResponse resp;
  ASSERT_TRUE(kafka::DecodeExact(ByteView(frame).subspan(4), 0, resp).ok());
  EXPECT_EQ(resp.error_code, 0);
  EXPECT_GT(resp.api_keys.size(), 1u);

  // A second agent on the same directory is refused.
  pid_t second = Spawn({"--data-dir", data, "--kafka-listen", "127.0.0.1:0"}, Path("second.txt"));
  EXPECT_EQ(WaitExit(second), 1);
  EXPECT_NE(ReadFile(Path("second.txt")).find("in use"), std::string::npos)
      << ReadFile(Path("second.txt"));

  ASSERT_EQ(::kill(agent, SIGTERM), 0);
  EXPECT_EQ(WaitExit(agent), 0) << ReadFile(Path("agent.txt"));
  std::string log = ReadFile(Path("agent.txt"));
  EXPECT_NE(log.find("streamhouse listening on " + listen), std::string::npos) << log;
  EXPECT_TRUE(std::filesystem::exists(data + "/metadata.db"));
}

TEST_F(AgentProcessTest, BadBackendExitsTwoUnreachableExitsOne) {
  std::string data = Path("data");
  std::string listen = "127.0.0.1:0";  // none of these agents gets as far as listening
  EXPECT_EQ(WaitExit(Spawn(
                {"--data-dir", data, "--kafka-listen", listen, "--metadata-url", "mysql://db/x"},
                Path("scheme.txt"))),
            2);
  EXPECT_NE(ReadFile(Path("scheme.txt")).find("metadata.url"), std::string::npos)
      << ReadFile(Path("scheme.txt"));
  EXPECT_EQ(WaitExit(Spawn({"--data-dir", data, "--kafka-listen", listen, "--storage-url",
                            "s3://bucket/prefix"},
                           Path("creds.txt"))),
            2);
  EXPECT_NE(ReadFile(Path("creds.txt")).find("storage.s3_access_key_id"), std::string::npos)
      << ReadFile(Path("creds.txt"));
  // PostgreSQL that does not answer: the log names the metadata store.
  std::string unused = Path("unused-data");
  EXPECT_EQ(WaitExit(Spawn({"--data-dir", unused, "--kafka-listen", listen, "--metadata-url",
                            "postgres://sh:s3cret@127.0.0.1:1/streamhouse", "--storage-url",
                            "file://" + Path("objects")},
                           Path("down.txt"))),
            1);
  std::string down = ReadFile(Path("down.txt"));
  EXPECT_NE(down.find("metadata store postgres://sh:***@127.0.0.1:1/streamhouse"),
            std::string::npos)
      << down;
  EXPECT_EQ(down.find("s3cret"), std::string::npos) << down;
  // No backend lived in the data directory, so none was created.
  EXPECT_FALSE(std::filesystem::exists(unused));
}

}  // namespace
}  // namespace sh::agent
