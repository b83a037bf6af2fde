// berth-shim: arrives with its issue (see DESIGN.md); for now it reports its version only.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    std::printf("berth-shim version 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr, "berth-shim: not implemented yet\n");
  return 1;
}
