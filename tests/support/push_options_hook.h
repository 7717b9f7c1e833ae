// A pre-receive hook for bare test repositories that records the git push options each push
// carried (GIT_PUSH_OPTION_COUNT / GIT_PUSH_OPTION_<i>), and optionally rejects the push. The
// repository is configured to advertise push options (`receive.advertisePushOptions`). Header-only
// so every test binary can use it without another source in test_support.
//
//   ASSERT_TRUE(InstallPushOptionsRecorder(bare, dir.Path("options.txt")));
//   ... push with options "ci.skip" ...
//   EXPECT_EQ(RecordedPushOptions(dir.Path("options.txt")),
//             std::optional<std::vector<std::string>>({"ci.skip"}));
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tests/support/git_servers.h"

namespace imgauto::testing {

// Installs the hook in `bare`. Every push rewrites `record` with its options, one per line. When
// `reject_message` is non-empty the hook then prints it on stderr and declines the push.
inline Result<void> InstallPushOptionsRecorder(const std::filesystem::path& bare,
                                               const std::filesystem::path& record,
                                               std::string_view reject_message = "") {
  if (Result<std::string> r = RunGit(bare, {"config", "receive.advertisePushOptions", "true"});
      !r) {
    return r.error();
  }
  auto quote = [](std::string_view s) {
    std::string out = "'";
    for (char c : s) {
      out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
  };
  std::string script = "#!/bin/sh\nout=" + quote(record.string()) + "\n" +
                       R"(: > "$out"
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "printf '%s\n' \"\$GIT_PUSH_OPTION_$i\"" >> "$out"
  i=$((i + 1))
done
cat > /dev/null
)";
  if (!reject_message.empty()) {
    script += "echo " + quote(reject_message) + " >&2\nexit 1\n";
  }
  std::filesystem::path hook = bare / "hooks" / "pre-receive";
  std::filesystem::create_directories(hook.parent_path());
  std::ofstream(hook, std::ios::trunc) << script;
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
  return {};
}

// Returns the options the last push carried, or nullopt when no push reached the hook.
inline std::optional<std::vector<std::string>> RecordedPushOptions(
    const std::filesystem::path& record) {
  std::ifstream in(record);
  if (!in) {
    return std::nullopt;
  }
  std::vector<std::string> options;
  for (std::string line; std::getline(in, line);) {
    options.push_back(line);
  }
  return options;
}

}  // namespace imgauto::testing
