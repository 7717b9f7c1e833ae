// imgauto: the command-line entry point. Everything but the last-resort exception handler lives
// in cmd/app.cc so that tests can run the CLI in-process.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cmd/app.h"

int main(int argc, char** argv) {
  try {
    std::ios::sync_with_stdio(true);
    std::vector<std::string> args(argv + 1, argv + argc);
    return imgauto::cmd::RunApp(args, std::cin, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "imgauto: internal error: " << e.what() << "\n";
    return 70;
  }
}
