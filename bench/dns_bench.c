// berth-dns-bench NAME COUNT [SERVER]: COUNT A queries for NAME, one after the other over UDP,
// to SERVER (default: the first nameserver of /etc/resolv.conf); prints the total time, the
// time per lookup and how many failed. Static, so it runs in a busybox container.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t build_query(unsigned char* q, const char* name, unsigned short id) {
  size_t n = 0;
  unsigned char hdr[12] = {(unsigned char)(id >> 8), (unsigned char)id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  memcpy(q, hdr, 12);
  n = 12;
  const char* p = name;
  while (*p) {
    const char* dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0 || len > 63 || n + len + 6 > 512) return 0;
    q[n++] = (unsigned char)len;
    memcpy(q + n, p, len);
    n += len;
    p += len + (dot ? 1 : 0);
  }
  q[n++] = 0;
  q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;  // A, IN
  return n;
}

static int first_nameserver(char* out, size_t size) {
  FILE* f = fopen("/etc/resolv.conf", "r");
  char line[256];
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "nameserver %63s", out) == 1 && size > 63) {
      fclose(f);
      return 0;
    }
  fclose(f);
  return -1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s NAME COUNT [SERVER]\n", argv[0]);
    return 2;
  }
  int count = atoi(argv[2]);
  char server[64] = {0};
  if (argc > 3) snprintf(server, sizeof server, "%s", argv[3]);
  else if (first_nameserver(server, sizeof server) != 0) {
    fprintf(stderr, "no nameserver in /etc/resolv.conf\n");
    return 2;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
  if (inet_pton(AF_INET, server, &sa.sin_addr) != 1) {
    fprintf(stderr, "bad server %s\n", server);
    return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0 || connect(s, (struct sockaddr*)&sa, sizeof sa) != 0) {
    perror("socket");
    return 2;
  }
  unsigned char q[512], r[4096];
  int failed = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < count; ++i) {
    unsigned short id = (unsigned short)(i * 7919 + 1);
    size_t n = build_query(q, argv[1], id);
    if (n == 0 || send(s, q, n, 0) != (ssize_t)n) {
      ++failed;
      continue;
    }
    int ok = 0;
    struct pollfd p = {s, POLLIN, 0};
    while (poll(&p, 1, 2000) == 1) {
      ssize_t got = recv(s, r, sizeof r, 0);
      if (got < 12) break;
      if (((r[0] << 8) | r[1]) != id) continue;  // a late answer to an earlier query
      ok = (r[3] & 0x0F) == 0 && ((r[6] << 8) | r[7]) > 0;
      break;
    }
    if (!ok) ++failed;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  printf("%d lookups of %s via %s: %.1f ms, %.1f us each, %d failed\n", count, argv[1], server, ms,
         count ? ms * 1000 / count : 0, failed);
  return failed ? 1 : 0;
}
