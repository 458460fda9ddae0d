/*
 * dtail self-extracting executable stub.
 *
 * One file = this stub (an ELF program) + a payload + a fixed-size trailer. The stub reads its own
 * file through /proc/self/exe, unpacks the payload once per user into a cache directory keyed by
 * the payload's SHA-256 and execs the runtime found there. At run time it needs glibc and /proc,
 * nothing else (zlib is linked statically). tools/sfx/pack.ts writes the same format.
 *
 * FILE LAYOUT
 *   [stub ELF][payload: blob 0 | blob 1 | ... | blob n-1 | manifest][trailer, 128 bytes]
 *   Blobs are the zlib-format (RFC 1950, deflate) compressed file contents, contiguous, in manifest
 *   order, the first one at payload offset 0; the manifest follows the last blob and ends the
 *   payload. The stub refuses any other layout.
 *
 * TRAILER (the last 128 bytes of the file, integers little-endian)
 *     0  8  magic "DTAILSFX"
 *     8  4  format version (1)
 *    12  4  trailer size (128)
 *    16  8  payload offset in the file (= size of the stub)
 *    24  8  payload length
 *    32  8  manifest offset, relative to the payload start
 *    40  8  manifest length (at most 1 MiB)
 *    48  4  CRC-32 of the manifest bytes
 *    52  4  reserved, 0
 *    56 64  SHA-256 of the payload bytes, lowercase hex (the cache key)
 *   120  4  reserved, 0
 *   124  4  CRC-32 of trailer bytes 0..123
 *   payload offset + payload length + 128 must equal the file size.
 *
 * MANIFEST (integers little-endian; strings are length-prefixed, no NUL bytes)
 *   8 bytes magic "DTSFXMF1"
 *   u32 file count (1..256), then per file:
 *     u16 name length (1..255), name: one or two components joined by '/', each of
 *         [A-Za-z0-9._+-], not starting with '.', no "..", no empty components
 *     u32 mode: only the owner-execute bit (0100) counts; files are written 0700 or 0600
 *     u64 uncompressed size (at most 4 GiB)
 *     u32 CRC-32 of the uncompressed content
 *     u64 blob offset (relative to the payload start), u64 blob length
 *   u16 length + name of the file to exec (one of the files, with the execute bit)
 *   u32 argv template count (1..64), each u32 length (1..4096) + string; "{dir}" is replaced by
 *       the extraction directory; the template's first string is the new argv[0]; the user's
 *       arguments argv[1..] follow the template
 *   u32 env count (0..64), each u32 length (1..4096) + "NAME=value" ("{dir}" replaced)
 *   nothing after the last string.
 *
 * CACHE
 *   DTAIL_SFX_CACHE=<absolute dir> if set (any problem with it is fatal), else
 *   $XDG_CACHE_HOME/dtail-sfx if XDG_CACHE_HOME is absolute and usable, else
 *   $HOME/.cache/dtail-sfx if HOME is absolute and usable, else /tmp/dtail-sfx-<euid>.
 *   "Usable": every directory on the parent's real path (symlinks resolved) is owned by root or
 *   by us, the parent exists or can be created (one mkdir, 0700, only in such a directory: never
 *   in another user's HOME, e.g. one kept by sudo), and the cache directory can be created and
 *   written. A candidate that is not usable is skipped. Refused (exit 125): a directory on the real path that
 *   is writable by group/others without the sticky bit; a cache directory that is a symlink, not a
 *   directory, not owned by the effective uid or writable by group/others. A new cache directory
 *   is created 0700. The extraction directory <cache>/<hash> gets the same checks.
 *
 * EXTRACTION (atomic)
 *   Into <cache>/.tmp-<hash>-<pid>-<random> (0700): each blob inflated into its file (0600/0700,
 *   O_EXCL), size and CRC-32 checked, fsync'ed; the SHA-256 of the whole payload is checked; the
 *   stamp file ".dtail-sfx-stamp" is written last; then the directory is renamed to <cache>/<hash>
 *   (RENAME_NOREPLACE where the kernel has it). If another process won the race the temp
 *   directory is removed and the winner's directory is verified and used. Stale .tmp-* and .bad-*
 *   entries older than an hour are removed when extracting.
 *
 * STAMP (<dir>/.dtail-sfx-stamp, integers little-endian)
 *   "DTSFXST1", the 64-byte hash, u32 file count, per manifest file u64 size, u64 inode,
 *   i64 mtime s, i64 mtime ns, i64 ctime s, i64 ctime ns; then u32 CRC-32 of all preceding bytes.
 *   Every start lstat()s the files: type, owner, mode, size, inode, mtime and ctime must match
 *   (any write changes ctime). On a mismatch the contents are checked against the manifest (size,
 *   CRC-32); good contents get a new stamp (temp file + rename), bad ones a re-extraction under an
 *   flock on <cache>/.lock: new temp dir, <hash> renamed to .bad-<hash>-<pid>, temp renamed in,
 *   the bad one removed.
 *
 * EXEC
 *   execv(<dir>/<exec>, template + argv[1..]) with the environment plus the manifest's variables,
 *   DTAIL_PROGRAM=<basename of argv[0]> and DTAIL_SFX_DIR=<dir> (these replace inherited values).
 *
 * ERRORS
 *   One line "dtail: ..." on stderr naming the path, exit 125. Nothing else is ever printed.
 *   Set-user-ID/set-group-ID execution is refused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TRAILER_SIZE 128
#define FORMAT_VERSION 1
#define MAX_FILES 256
#define MAX_NAME 255
#define MAX_STR 4096
#define MAX_ARGS 64
#define MAX_ENVS 64
#define MAX_MANIFEST (1u << 20)
#define MAX_FILE_SIZE (1ull << 32)
#define CHUNK (256u * 1024u)
#define STALE_SECONDS 3600
#define STAMP_NAME ".dtail-sfx-stamp"
#define STAMP_RECORD 48
#define EXIT_SETUP 125

extern char **environ;

/* ---------- errors ---------- */

static void rm_tree_at(int pfd, const char *name, int depth);

/* A temp directory that die() removes: no half extraction is left behind. */
static int g_cleanup_fd = -1;
static char g_cleanup_name[NAME_MAX + 1];

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* One line, whatever the path contains. */
  for (char *p = msg; *p; p++) {
    if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
  }
  char line[1100];
  int n = snprintf(line, sizeof line, "dtail: %s\n", msg);
  if (n > 0) {
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
  }
  if (g_cleanup_fd >= 0) rm_tree_at(g_cleanup_fd, g_cleanup_name, 0);
  _exit(EXIT_SETUP);
}

/* ---------- SHA-256 (FIPS 180-4) ---------- */

typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t used;
} sha256_ctx;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256_ctx *c, const unsigned char *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           (uint32_t)p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
  uint32_t e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = cc;
    cc = b;
    b = a;
    a = t1 + t2;
  }
  c->h[0] += a;
  c->h[1] += b;
  c->h[2] += cc;
  c->h[3] += d;
  c->h[4] += e;
  c->h[5] += f;
  c->h[6] += g;
  c->h[7] += h;
}

static void sha256_init(sha256_ctx *c) {
  static const uint32_t init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, init, sizeof init);
  c->len = 0;
  c->used = 0;
}

static void sha256_update(sha256_ctx *c, const unsigned char *p, size_t n) {
  c->len += n;
  if (c->used) {
    size_t take = 64 - c->used < n ? 64 - c->used : n;
    memcpy(c->buf + c->used, p, take);
    c->used += take;
    p += take;
    n -= take;
    if (c->used < 64) return;
    sha256_block(c, c->buf);
    c->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64) sha256_block(c, p);
  memcpy(c->buf, p, n);
  c->used = n;
}

static void sha256_hex(sha256_ctx *c, char out[65]) {
  uint64_t bits = c->len * 8;
  unsigned char pad[72];
  size_t padlen = (c->used < 56 ? 56 : 120) - c->used;
  memset(pad, 0, sizeof pad);
  pad[0] = 0x80;
  for (int i = 0; i < 8; i++) pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_update(c, pad, padlen + 8);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 4; j++) {
      unsigned v = (c->h[i] >> (24 - 8 * j)) & 0xff;
      out[8 * i + 2 * j] = hex[v >> 4];
      out[8 * i + 2 * j + 1] = hex[v & 15];
    }
  }
  out[64] = 0;
}

/* ---------- little helpers ---------- */

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p) {
  return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t crc(const unsigned char *p, size_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    uInt take = n > 0x40000000u ? 0x40000000u : (uInt)n;
    c = crc32(c, p, take);
    p += take;
    n -= take;
  }
  return (uint32_t)c;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t off) {
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t r = pread(fd, p, n, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;
      return -1;
    }
    p += r;
    n -= (size_t)r;
    off += (uint64_t)r;
  }
  return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
  const unsigned char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* snprintf that refuses to truncate (paths are built only through this). */
static void fmt(char *out, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t n, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int r = vsnprintf(out, n, f, ap);
  va_end(ap);
  if (r < 0 || (size_t)r >= n) die("path too long: %.200s...", out);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

/* ---------- trailer and manifest ---------- */

typedef struct {
  char name[MAX_NAME + 1];
  uint32_t mode; /* 0700 or 0600 */
  uint64_t size;
  uint32_t crc;
  uint64_t off;
  uint64_t clen;
} file_entry;

typedef struct {
  uint64_t payload_off, payload_len, man_off, man_len;
  uint32_t man_crc;
  char hash[65];
  unsigned char *man_bytes;
  uint32_t nfiles;
  file_entry files[MAX_FILES];
  uint32_t exec_index;
  uint32_t argc;
  char *argv[MAX_ARGS];
  uint32_t envc;
  char *env[MAX_ENVS];
} sfx;

typedef struct {
  const unsigned char *p;
  size_t len, pos;
  int bad;
} reader;

static const unsigned char *rd_take(reader *r, size_t n) {
  if (r->bad || n > r->len - r->pos) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->pos;
  r->pos += n;
  return p;
}

static uint64_t rd_uint(reader *r, size_t width) {
  const unsigned char *p = rd_take(r, width);
  if (!p) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A copy of a length-prefixed string; NULL if it is too long, empty or holds a NUL byte. */
static char *rd_string(reader *r, size_t width, size_t max) {
  uint64_t n = rd_uint(r, width);
  if (r->bad || n == 0 || n > max) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = rd_take(r, (size_t)n);
  if (!p || memchr(p, 0, (size_t)n)) {
    r->bad = 1;
    return NULL;
  }
  char *s = xmalloc((size_t)n + 1);
  memcpy(s, p, (size_t)n);
  s[n] = 0;
  return s;
}

static int valid_component(const char *s, size_t n) {
  if (n == 0 || s[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-' || c == '+';
    if (!ok) return 0;
  }
  return 1;
}

static int valid_name(const char *s) {
  const char *slash = strchr(s, '/');
  if (!slash) return valid_component(s, strlen(s));
  if (strchr(slash + 1, '/')) return 0;
  return valid_component(s, (size_t)(slash - s)) && valid_component(slash + 1, strlen(slash + 1));
}

static int valid_env(const char *s) {
  const char *eq = strchr(s, '=');
  if (!eq || eq == s) return 0;
  for (const char *p = s; p < eq; p++) {
    char c = *p;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
             (p > s && c >= '0' && c <= '9');
    if (!ok) return 0;
  }
  return 1;
}

static void read_sfx(int fd, const char *exe, sfx *s) {
  struct stat st;
  if (fstat(fd, &st) < 0) die("cannot stat %s: %s", exe, strerror(errno));
  if (!S_ISREG(st.st_mode) || st.st_size < TRAILER_SIZE) die("%s: no dtail payload", exe);
  uint64_t size = (uint64_t)st.st_size;
  unsigned char t[TRAILER_SIZE];
  if (pread_all(fd, t, sizeof t, size - TRAILER_SIZE) < 0) {
    die("cannot read %s: %s", exe, strerror(errno));
  }
  if (memcmp(t, "DTAILSFX", 8) != 0) die("%s: no dtail payload (trailer magic missing)", exe);
  if (get_u32(t + 124) != crc(t, 124)) die("%s: damaged trailer (checksum mismatch)", exe);
  if (get_u32(t + 8) != FORMAT_VERSION || get_u32(t + 12) != TRAILER_SIZE) {
    die("%s: unsupported payload format version %u", exe, get_u32(t + 8));
  }
  s->payload_off = get_u64(t + 16);
  s->payload_len = get_u64(t + 24);
  s->man_off = get_u64(t + 32);
  s->man_len = get_u64(t + 40);
  s->man_crc = get_u32(t + 48);
  uint64_t body = size - TRAILER_SIZE;
  if (s->payload_off > body || s->payload_len != body - s->payload_off ||
      s->man_off > s->payload_len || s->man_len != s->payload_len - s->man_off ||
      s->man_len == 0 || s->man_len > MAX_MANIFEST) {
    die("%s: damaged trailer (bad offsets)", exe);
  }
  for (int i = 0; i < 64; i++) {
    char c = (char)t[56 + i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) die("%s: damaged trailer (hash)", exe);
    s->hash[i] = c;
  }
  s->hash[64] = 0;

  s->man_bytes = xmalloc((size_t)s->man_len);
  if (pread_all(fd, s->man_bytes, (size_t)s->man_len, s->payload_off + s->man_off) < 0) {
    die("cannot read %s: %s", exe, strerror(errno));
  }
  if (crc(s->man_bytes, (size_t)s->man_len) != s->man_crc) {
    die("%s: damaged manifest (checksum mismatch)", exe);
  }
  reader r = {s->man_bytes, (size_t)s->man_len, 0, 0};
  const unsigned char *magic = rd_take(&r, 8);
  if (!magic || memcmp(magic, "DTSFXMF1", 8) != 0) die("%s: damaged manifest (magic)", exe);
  s->nfiles = (uint32_t)rd_uint(&r, 4);
  if (r.bad || s->nfiles == 0 || s->nfiles > MAX_FILES) die("%s: damaged manifest (files)", exe);
  uint64_t expect_off = 0;
  for (uint32_t i = 0; i < s->nfiles; i++) {
    file_entry *f = &s->files[i];
    char *name = rd_string(&r, 2, MAX_NAME);
    if (!name || !valid_name(name)) die("%s: damaged manifest (file name)", exe);
    memcpy(f->name, name, strlen(name) + 1);
    free(name);
    f->mode = (rd_uint(&r, 4) & 0100) ? 0700 : 0600;
    f->size = rd_uint(&r, 8);
    f->crc = (uint32_t)rd_uint(&r, 4);
    f->off = rd_uint(&r, 8);
    f->clen = rd_uint(&r, 8);
    if (r.bad || f->size > MAX_FILE_SIZE || f->off != expect_off || f->clen == 0 ||
        f->clen > s->man_off - f->off) {
      die("%s: damaged manifest (entry %s)", exe, f->name);
    }
    expect_off = f->off + f->clen;
    for (uint32_t j = 0; j < i; j++) {
      size_t lj = strlen(s->files[j].name);
      size_t li = strlen(f->name);
      /* Duplicates, and a file used as a directory of another one, cannot be extracted. */
      if (strcmp(s->files[j].name, f->name) == 0 ||
          (lj < li && f->name[lj] == '/' && strncmp(f->name, s->files[j].name, lj) == 0) ||
          (li < lj && s->files[j].name[li] == '/' && strncmp(f->name, s->files[j].name, li) == 0)) {
        die("%s: damaged manifest (conflicting name %s)", exe, f->name);
      }
    }
  }
  if (expect_off != s->man_off) die("%s: damaged manifest (blob layout)", exe);
  char *exec_name = rd_string(&r, 2, MAX_NAME);
  if (!exec_name) die("%s: damaged manifest (exec)", exe);
  s->exec_index = s->nfiles;
  for (uint32_t i = 0; i < s->nfiles; i++) {
    if (strcmp(s->files[i].name, exec_name) == 0) s->exec_index = i;
  }
  if (s->exec_index == s->nfiles || s->files[s->exec_index].mode != 0700) {
    die("%s: damaged manifest (exec %s is not an executable file of the payload)", exe, exec_name);
  }
  free(exec_name);
  s->argc = (uint32_t)rd_uint(&r, 4);
  if (r.bad || s->argc == 0 || s->argc > MAX_ARGS) die("%s: damaged manifest (argv)", exe);
  for (uint32_t i = 0; i < s->argc; i++) {
    s->argv[i] = rd_string(&r, 4, MAX_STR);
    if (!s->argv[i]) die("%s: damaged manifest (argv)", exe);
  }
  s->envc = (uint32_t)rd_uint(&r, 4);
  if (r.bad || s->envc > MAX_ENVS) die("%s: damaged manifest (env)", exe);
  for (uint32_t i = 0; i < s->envc; i++) {
    s->env[i] = rd_string(&r, 4, MAX_STR);
    if (!s->env[i] || !valid_env(s->env[i])) die("%s: damaged manifest (env)", exe);
  }
  if (r.bad || r.pos != r.len) die("%s: damaged manifest (trailing bytes)", exe);
}

/* ---------- cache directory ---------- */

enum { CAND_OK = 0, CAND_SKIP = 1 };

/* Checks a directory on the real path of the cache: root's or ours; if group/others may write
 * it, only with the sticky bit. Returns CAND_SKIP for a directory of another user, dies for an
 * unsafe one. */
static int check_ancestor(const char *path, const struct stat *st, uid_t uid) {
  if (!S_ISDIR(st->st_mode)) return CAND_SKIP;
  if (st->st_uid != 0 && st->st_uid != uid) return CAND_SKIP;
  if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX)) {
    die("refusing cache under %s: writable by group or others and not sticky", path);
  }
  return CAND_OK;
}

/* Tries the cache directory <parent>/<leaf>. On success fills *cfd and out (the real path). */
/* realpath() of path, then every directory on it up to "/" checked by check_ancestor(). Returns
 * CAND_OK, CAND_SKIP, or -1 with errno set when realpath() fails. */
static int safe_realpath(const char *path, char *real, int fatal, uid_t uid) {
  if (!realpath(path, real)) return -1;
  char walk[PATH_MAX];
  memcpy(walk, real, strlen(real) + 1);
  for (;;) {
    struct stat st;
    if (lstat(walk, &st) < 0) {
      if (fatal) die("cannot use cache directory %s: %s", walk, strerror(errno));
      return CAND_SKIP;
    }
    if (check_ancestor(walk, &st, uid) == CAND_SKIP) {
      if (fatal) die("refusing cache under %s: not a directory owned by root or uid %u", walk, uid);
      return CAND_SKIP;
    }
    char *slash = strrchr(walk, '/');
    if (!slash || slash == walk) {
      if (strcmp(walk, "/") == 0) return CAND_OK;
      walk[1] = 0; /* then "/" itself */
      continue;
    }
    *slash = 0;
  }
}

/* Tries the cache directory <parent>/<leaf>. On success fills *cfd and out (the real path). */
static int try_cache(const char *parent, const char *leaf, int fatal, uid_t uid, int *cfd,
                     char *out, size_t outlen) {
  char real[PATH_MAX];
  if (parent[0] != '/') {
    if (fatal) die("DTAIL_SFX_CACHE must be an absolute path, not %s", parent);
    return CAND_SKIP;
  }
  int rc = safe_realpath(parent, real, fatal, uid);
  if (rc < 0 && errno == ENOENT) {
    /* One level only ($HOME/.cache, $XDG_CACHE_HOME; never a missing HOME), and only in a
     * directory that passes the checks: nothing is created in another user's directory. */
    char up[PATH_MAX];
    memcpy(up, parent, strlen(parent) + 1);
    size_t n = strlen(up);
    while (n > 1 && up[n - 1] == '/') up[--n] = 0;
    char *slash = strrchr(up, '/');
    if (slash == up) up[1] = 0; else *slash = 0;
    rc = safe_realpath(up, real, fatal, uid);
    if (rc == CAND_OK) {
      if (mkdir(parent, 0700) < 0 && errno != EEXIST) rc = -1;
      else rc = safe_realpath(parent, real, fatal, uid);
    }
  }
  if (rc < 0) {
    if (fatal) die("cannot create cache directory %s: %s", parent, strerror(errno));
    return CAND_SKIP;
  }
  if (rc == CAND_SKIP) return CAND_SKIP;
  int pfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0) {
    if (fatal) die("cannot open %s: %s", real, strerror(errno));
    return CAND_SKIP;
  }
  int created = 0;
  if (mkdirat(pfd, leaf, 0700) == 0) {
    created = 1;
  } else if (errno != EEXIST) {
    if (fatal) die("cannot create cache directory %s/%s: %s", real, leaf, strerror(errno));
    close(pfd);
    return CAND_SKIP;
  }
  /* Room for "/<temp name>/<file name>" after it. */
  if (strlen(real) + strlen(leaf) + 2 + 400 > outlen) die("cache path too long: %s", real);
  fmt(out, outlen, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", leaf);
  int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  close(pfd);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      die("refusing cache directory %s: a symlink or not a directory", out);
    }
    if (fatal) die("cannot open cache directory %s: %s", out, strerror(errno));
    return CAND_SKIP;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) die("cannot stat %s: %s", out, strerror(errno));
  if (created && st.st_uid == uid) {
    if (fchmod(fd, 0700) < 0) die("cannot chmod %s: %s", out, strerror(errno));
    st.st_mode = (st.st_mode & ~(mode_t)07777) | 0700;
  }
  if (st.st_uid != uid) {
    die("refusing cache directory %s: owned by uid %u, not %u", out, (unsigned)st.st_uid, uid);
  }
  if (st.st_mode & 022) {
    die("refusing cache directory %s: writable by group or others (mode %04o)", out,
        (unsigned)(st.st_mode & 07777));
  }
  if (access(out, W_OK | X_OK) < 0) {
    if (fatal) die("cannot write cache directory %s: %s", out, strerror(errno));
    close(fd);
    return CAND_SKIP;
  }
  *cfd = fd;
  return CAND_OK;
}

static int open_cache(uid_t uid, char *out, size_t outlen) {
  int fd = -1;
  char parent[PATH_MAX];
  const char *override = getenv("DTAIL_SFX_CACHE");
  if (override && *override) {
    if (override[0] != '/') die("DTAIL_SFX_CACHE must be an absolute path, not %s", override);
    if (strlen(override) >= sizeof parent) die("DTAIL_SFX_CACHE too long");
    memcpy(parent, override, strlen(override) + 1);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/') parent[--n] = 0;
    char *slash = strrchr(parent, '/');
    char leaf[PATH_MAX];
    memcpy(leaf, slash + 1, strlen(slash + 1) + 1);
    if (!valid_component(leaf, strlen(leaf))) {
      die("DTAIL_SFX_CACHE must name a directory, not %s", override);
    }
    if (slash == parent) parent[1] = 0; else *slash = 0;
    try_cache(parent, leaf, 1, uid, &fd, out, outlen);
    return fd;
  }
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/' && strlen(xdg) < sizeof parent - 64 &&
      try_cache(xdg, "dtail-sfx", 0, uid, &fd, out, outlen) == CAND_OK) {
    return fd;
  }
  const char *home = getenv("HOME");
  if (home && home[0] == '/' && strlen(home) < sizeof parent - 64) {
    fmt(parent, sizeof parent, "%s/.cache", home);
    if (try_cache(parent, "dtail-sfx", 0, uid, &fd, out, outlen) == CAND_OK) return fd;
  }
  char leaf[64];
  fmt(leaf, sizeof leaf, "dtail-sfx-%u", (unsigned)uid);
  try_cache("/tmp", leaf, 1, uid, &fd, out, outlen);
  return fd;
}

/* ---------- removal ---------- */

static void rm_tree_at(int pfd, const char *name, int depth) {
  struct stat st;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
  if (S_ISDIR(st.st_mode) && depth < 32) {
    for (int pass = 0; pass < 3; pass++) {
      int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return;
      DIR *d = fdopendir(fd);
      if (!d) {
        close(fd);
        return;
      }
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        rm_tree_at(dirfd(d), e->d_name, depth + 1);
      }
      closedir(d);
      if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY) return;
    }
  } else {
    unlinkat(pfd, name, 0);
  }
}

/* Removes .tmp-* and .bad-* entries of ours older than an hour (best effort). */
static void remove_stale(int cfd, uid_t uid) {
  int fd = openat(cfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  time_t now = time(NULL);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, ".tmp-", 5) != 0 && strncmp(e->d_name, ".bad-", 5) != 0) continue;
    struct stat st;
    if (fstatat(cfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (st.st_uid == uid && st.st_mtime < now - STALE_SECONDS) rm_tree_at(cfd, e->d_name, 0);
  }
  closedir(d);
}

/* ---------- stamp ---------- */

typedef struct {
  uint64_t size, ino;
  int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
} file_stat;

static void to_file_stat(const struct stat *st, file_stat *fs) {
  fs->size = (uint64_t)st->st_size;
  fs->ino = (uint64_t)st->st_ino;
  fs->mtime_s = (int64_t)st->st_mtim.tv_sec;
  fs->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
  fs->ctime_s = (int64_t)st->st_ctim.tv_sec;
  fs->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

static size_t stamp_size(const sfx *s) { return 8 + 64 + 4 + (size_t)s->nfiles * STAMP_RECORD + 4; }

static int write_stamp(int dfd, const char *name, const sfx *s, const file_stat *fs) {
  size_t n = stamp_size(s);
  unsigned char *b = xmalloc(n);
  memcpy(b, "DTSFXST1", 8);
  memcpy(b + 8, s->hash, 64);
  put_u32(b + 72, s->nfiles);
  for (uint32_t i = 0; i < s->nfiles; i++) {
    unsigned char *r = b + 76 + (size_t)i * STAMP_RECORD;
    put_u64(r, fs[i].size);
    put_u64(r + 8, fs[i].ino);
    put_u64(r + 16, (uint64_t)fs[i].mtime_s);
    put_u64(r + 24, (uint64_t)fs[i].mtime_ns);
    put_u64(r + 32, (uint64_t)fs[i].ctime_s);
    put_u64(r + 40, (uint64_t)fs[i].ctime_ns);
  }
  put_u32(b + n - 4, crc(b, n - 4));
  unlinkat(dfd, name, 0);
  int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int rc = -1;
  if (fd >= 0) {
    rc = (write_all(fd, b, n) == 0 && fsync(fd) == 0) ? 0 : -1;
    int saved = errno;
    close(fd);
    errno = saved;
  }
  free(b);
  return rc;
}

/* A file of the extraction must be a regular file of ours with exactly the manifest's mode. */
static int file_ok(const struct stat *st, const file_entry *f, uid_t uid) {
  return S_ISREG(st->st_mode) && st->st_uid == uid && (st->st_mode & 07777) == f->mode;
}

/* The directory of a two-component name must be a real directory of ours, no g/o write. */
static int subdir_ok(int dfd, const file_entry *f, uid_t uid) {
  const char *slash = strchr(f->name, '/');
  if (!slash) return 1;
  char sub[MAX_NAME + 1];
  memcpy(sub, f->name, (size_t)(slash - f->name));
  sub[slash - f->name] = 0;
  struct stat st;
  return fstatat(dfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
         st.st_uid == uid && !(st.st_mode & 022);
}

/* Cheap check: the stamp is intact and every file's lstat matches it. */
static int stamp_matches(int dfd, const sfx *s, uid_t uid) {
  size_t n = stamp_size(s);
  unsigned char *b = xmalloc(n + 1);
  int ok = 0;
  int fd = openat(dfd, STAMP_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t r = read(fd, b, n + 1);
    close(fd);
    ok = r == (ssize_t)n && memcmp(b, "DTSFXST1", 8) == 0 && memcmp(b + 8, s->hash, 64) == 0 &&
         get_u32(b + 72) == s->nfiles && get_u32(b + n - 4) == crc(b, n - 4);
  }
  for (uint32_t i = 0; ok && i < s->nfiles; i++) {
    const unsigned char *rec = b + 76 + (size_t)i * STAMP_RECORD;
    struct stat st;
    if (fstatat(dfd, s->files[i].name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !file_ok(&st, &s->files[i], uid) || !subdir_ok(dfd, &s->files[i], uid)) {
      ok = 0;
      break;
    }
    file_stat fs;
    to_file_stat(&st, &fs);
    ok = fs.size == get_u64(rec) && fs.ino == get_u64(rec + 8) &&
         (uint64_t)fs.mtime_s == get_u64(rec + 16) && (uint64_t)fs.mtime_ns == get_u64(rec + 24) &&
         (uint64_t)fs.ctime_s == get_u64(rec + 32) && (uint64_t)fs.ctime_ns == get_u64(rec + 40);
  }
  free(b);
  return ok;
}

static unsigned char g_in[CHUNK], g_out[CHUNK];

/* Slow check: every file's size and CRC-32 against the manifest. Fills fs on success. */
static int contents_match(int dfd, const sfx *s, uid_t uid, file_stat *fs) {
  for (uint32_t i = 0; i < s->nfiles; i++) {
    const file_entry *f = &s->files[i];
    if (!subdir_ok(dfd, f, uid)) return 0;
    int fd = openat(dfd, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || !file_ok(&st, f, uid) || (uint64_t)st.st_size != f->size) {
      close(fd);
      return 0;
    }
    uLong c = crc32(0L, Z_NULL, 0);
    uint64_t total = 0;
    for (;;) {
      ssize_t r = read(fd, g_in, sizeof g_in);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        close(fd);
        return 0;
      }
      if (r == 0) break;
      c = crc32(c, g_in, (uInt)r);
      total += (uint64_t)r;
    }
    close(fd);
    if (total != f->size || (uint32_t)c != f->crc) return 0;
    to_file_stat(&st, &fs[i]);
  }
  return 1;
}

/* ---------- extraction ---------- */

static void random_hex(char out[17]) {
  unsigned char r[8];
  long got = syscall(SYS_getrandom, r, sizeof r, 0x0001 /* GRND_NONBLOCK */);
  if (got != (long)sizeof r) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    for (int i = 0; i < 8; i++) r[i] = (unsigned char)(v >> (8 * i));
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; i++) {
    out[2 * i] = hex[r[i] >> 4];
    out[2 * i + 1] = hex[r[i] & 15];
  }
  out[16] = 0;
}

/* renameat2(RENAME_NOREPLACE), or renameat where the kernel or file system lacks it. */
static int rename_noreplace(int dfd, const char *from, const char *to) {
#ifdef SYS_renameat2
  long rc = syscall(SYS_renameat2, dfd, from, dfd, to, 1 /* RENAME_NOREPLACE */);
  if (rc == 0) return 0;
  if (errno != ENOSYS && errno != EINVAL) return -1;
#endif
  return renameat(dfd, from, dfd, to);
}

/* Inflates one blob into fd; sizes and CRC checked; the compressed bytes go into the hash. */
static void inflate_file(int exefd, const char *exe, const sfx *s, const file_entry *f, int fd,
                         const char *path, sha256_ctx *h) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) die("zlib initialisation failed");
  uint64_t pos = s->payload_off + f->off, left = f->clen, written = 0;
  uLong c = crc32(0L, Z_NULL, 0);
  int ret = Z_OK;
  for (;;) {
    if (z.avail_in == 0 && left > 0) {
      size_t take = left < CHUNK ? (size_t)left : CHUNK;
      if (pread_all(exefd, g_in, take, pos) < 0) die("cannot read %s: %s", exe, strerror(errno));
      sha256_update(h, g_in, take);
      pos += take;
      left -= take;
      z.next_in = g_in;
      z.avail_in = (uInt)take;
    }
    z.next_out = g_out;
    z.avail_out = CHUNK;
    ret = inflate(&z, Z_NO_FLUSH); /* Z_BUF_ERROR: no progress possible, input ended early */
    if (ret != Z_OK && ret != Z_STREAM_END) break;
    size_t have = CHUNK - z.avail_out;
    if (have > f->size - written) die("%s: payload file %s is larger than recorded", exe, f->name);
    if (write_all(fd, g_out, have) < 0) die("cannot write %s: %s", path, strerror(errno));
    c = crc32(c, g_out, (uInt)have);
    written += have;
    if (ret == Z_STREAM_END) break;
  }
  inflateEnd(&z);
  if (ret != Z_STREAM_END || z.avail_in != 0 || left != 0) {
    die("%s: payload file %s is corrupt (bad compressed data)", exe, f->name);
  }
  if (written != f->size || (uint32_t)c != f->crc) {
    die("%s: payload file %s is corrupt (size or CRC-32 mismatch)", exe, f->name);
  }
}

/* Extracts everything into a new temp directory of cfd; returns its name in tmp. */
static void extract(int exefd, const char *exe, const sfx *s, int cfd, const char *cache,
                    uid_t uid, char *tmp, size_t tmplen) {
  char rnd[17];
  random_hex(rnd);
  fmt(tmp, tmplen, ".tmp-%s-%ld-%s", s->hash, (long)getpid(), rnd);
  char path[PATH_MAX];
  fmt(path, sizeof path, "%s/%s", cache, tmp);
  if (mkdirat(cfd, tmp, 0700) < 0) die("cannot create %s: %s", path, strerror(errno));
  g_cleanup_fd = cfd;
  memcpy(g_cleanup_name, tmp, strlen(tmp) + 1);
  int tfd = openat(cfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (tfd < 0 || fstat(tfd, &st) < 0 || fchmod(tfd, 0700) < 0) {
    die("cannot use %s: %s", path, strerror(errno));
  }
  if (st.st_uid != uid) die("refusing %s: owned by uid %u", path, (unsigned)st.st_uid);
  file_stat fs[MAX_FILES];
  sha256_ctx h;
  sha256_init(&h);
  for (uint32_t i = 0; i < s->nfiles; i++) {
    const file_entry *f = &s->files[i];
    char fpath[PATH_MAX];
    fmt(fpath, sizeof fpath, "%s/%s", path, f->name);
    const char *slash = strchr(f->name, '/');
    if (slash) {
      char sub[MAX_NAME + 1];
      memcpy(sub, f->name, (size_t)(slash - f->name));
      sub[slash - f->name] = 0;
      if (mkdirat(tfd, sub, 0700) < 0 && errno != EEXIST) {
        die("cannot create %s/%s: %s", path, sub, strerror(errno));
      }
      if (!subdir_ok(tfd, f, uid)) die("cannot use %s/%s", path, sub);
    }
    int fd = openat(tfd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) die("cannot create %s: %s", fpath, strerror(errno));
    inflate_file(exefd, exe, s, f, fd, fpath, &h);
    if (fchmod(fd, f->mode) < 0 || fsync(fd) < 0 || fstat(fd, &st) < 0) {
      die("cannot write %s: %s", fpath, strerror(errno));
    }
    to_file_stat(&st, &fs[i]);
    close(fd);
  }
  sha256_update(&h, s->man_bytes, (size_t)s->man_len);
  char got[65];
  sha256_hex(&h, got);
  if (strcmp(got, s->hash) != 0) die("%s: payload is corrupt (SHA-256 mismatch)", exe);
  if (write_stamp(tfd, STAMP_NAME, s, fs) < 0) {
    die("cannot write %s/%s: %s", path, STAMP_NAME, strerror(errno));
  }
  if (fsync(tfd) < 0) die("cannot sync %s: %s", path, strerror(errno));
  close(tfd);
  g_cleanup_fd = -1; /* the caller renames or removes it */
}

/* Used by repair() under the lock: is <hash> still missing, unsafe or not matching? */
static int extraction_bad(int cfd, const sfx *s, uid_t uid) {
  int dfd = openat(cfd, s->hash, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return 1;
  struct stat st;
  int bad = fstat(dfd, &st) < 0 || st.st_uid != uid || (st.st_mode & 022);
  if (!bad && !stamp_matches(dfd, s, uid)) {
    file_stat fs[MAX_FILES];
    bad = !contents_match(dfd, s, uid, fs);
  }
  close(dfd);
  return bad;
}

/* Puts a fresh extraction in place of a bad one, under the cache's lock. */
static void repair(int exefd, const char *exe, const sfx *s, int cfd, const char *cache,
                   uid_t uid) {
  char path[PATH_MAX];
  fmt(path, sizeof path, "%s/.lock", cache);
  int lfd = openat(cfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  struct stat st;
  if (lfd < 0 || fstat(lfd, &st) < 0) die("cannot open %s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode) || st.st_uid != uid) die("refusing lock file %s: not ours", path);
  while (flock(lfd, LOCK_EX) < 0) {
    if (errno != EINTR) die("cannot lock %s: %s", path, strerror(errno));
  }
  if (extraction_bad(cfd, s, uid)) { /* another process may have repaired it meanwhile */
    char tmp[NAME_MAX + 1], bad[NAME_MAX + 1];
    remove_stale(cfd, uid);
    extract(exefd, exe, s, cfd, cache, uid, tmp, sizeof tmp);
    fmt(bad, sizeof bad, ".bad-%s-%ld", s->hash, (long)getpid());
    rm_tree_at(cfd, bad, 0);
    if (renameat(cfd, s->hash, cfd, bad) < 0 && errno != ENOENT) {
      die("cannot move %s/%s aside: %s", cache, s->hash, strerror(errno));
    }
    if (rename_noreplace(cfd, tmp, s->hash) < 0) {
      if (errno != EEXIST && errno != ENOTEMPTY) {
        die("cannot rename %s/%s: %s", cache, tmp, strerror(errno));
      }
      rm_tree_at(cfd, tmp, 0); /* a first extraction (lock-free) came in between */
    }
    fsync(cfd);
    rm_tree_at(cfd, bad, 0);
  }
  close(lfd);
}

/* ---------- exec ---------- */

static char *subst_dir(const char *in, const char *dir) {
  size_t dl = strlen(dir), n = 0;
  for (const char *p = in; *p;) {
    if (strncmp(p, "{dir}", 5) == 0) {
      n += dl;
      p += 5;
    } else {
      n++;
      p++;
    }
  }
  char *out = xmalloc(n + 1), *o = out;
  for (const char *p = in; *p;) {
    if (strncmp(p, "{dir}", 5) == 0) {
      memcpy(o, dir, dl);
      o += dl;
      p += 5;
    } else {
      *o++ = *p++;
    }
  }
  *o = 0;
  return out;
}

static char *concat3(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = xmalloc(la + lb + lc + 1);
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

static int same_name(const char *a, const char *b) {
  const char *ea = strchr(a, '='), *eb = strchr(b, '=');
  size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
  return la == lb && strncmp(a, b, la) == 0;
}

static void run(const sfx *s, const char *dir, int argc, char **argv) {
  const char *prog = argc > 0 && argv[0] && argv[0][0] ? argv[0] : "dtail";
  const char *base = strrchr(prog, '/');
  base = base && base[1] ? base + 1 : prog;

  size_t nset = s->envc + 2;
  char **set = xmalloc(nset * sizeof *set);
  for (uint32_t i = 0; i < s->envc; i++) set[i] = subst_dir(s->env[i], dir);
  set[s->envc] = concat3("DTAIL_PROGRAM", "=", base);
  set[s->envc + 1] = concat3("DTAIL_SFX_DIR", "=", dir);

  size_t nenv = 0;
  while (environ && environ[nenv]) nenv++;
  char **envp = xmalloc((nenv + nset + 1) * sizeof *envp);
  size_t k = 0;
  for (size_t i = 0; i < nenv; i++) {
    int replaced = 0;
    for (size_t j = 0; j < nset && !replaced; j++) replaced = same_name(environ[i], set[j]);
    if (!replaced) envp[k++] = environ[i];
  }
  for (size_t j = 0; j < nset; j++) {
    int later = 0; /* the last of repeated names wins */
    for (size_t m = j + 1; m < nset && !later; m++) later = same_name(set[j], set[m]);
    if (!later) envp[k++] = set[j];
  }
  envp[k] = NULL;

  size_t nargs = s->argc + (size_t)(argc > 1 ? argc - 1 : 0);
  char **args = xmalloc((nargs + 1) * sizeof *args);
  size_t a = 0;
  for (uint32_t i = 0; i < s->argc; i++) args[a++] = subst_dir(s->argv[i], dir);
  for (int i = 1; i < argc; i++) args[a++] = argv[i];
  args[a] = NULL;

  char *path = concat3(dir, "/", s->files[s->exec_index].name);
  execve(path, args, envp);
  die("cannot run %s: %s", path, strerror(errno));
}

int main(int argc, char **argv) {
  if (getauxval(AT_SECURE)) die("refusing to run set-user-ID or set-group-ID");
  int exefd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exefd < 0) die("cannot open /proc/self/exe: %s", strerror(errno));
  /* The executable's own path, for messages. */
  static char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) memcpy(exe, "/proc/self/exe", sizeof "/proc/self/exe");
  else exe[n] = 0;
  static sfx s;
  read_sfx(exefd, exe, &s);

  uid_t uid = geteuid();
  char cache[PATH_MAX];
  int cfd = open_cache(uid, cache, sizeof cache);
  char dir[PATH_MAX];
  fmt(dir, sizeof dir, "%s/%s", cache, s.hash);

  for (int attempt = 0; attempt < 4; attempt++) {
    int dfd = openat(cfd, s.hash, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 && errno == ENOENT) {
      char tmp[NAME_MAX + 1];
      remove_stale(cfd, uid);
      extract(exefd, exe, &s, cfd, cache, uid, tmp, sizeof tmp);
      if (rename_noreplace(cfd, tmp, s.hash) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY) {
          die("cannot rename %s/%s to %s: %s", cache, tmp, dir, strerror(errno));
        }
        rm_tree_at(cfd, tmp, 0); /* another process won the race: use its directory */
      } else {
        fsync(cfd);
      }
      continue;
    }
    if (dfd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        die("refusing %s: a symlink or not a directory", dir);
      }
      die("cannot open %s: %s", dir, strerror(errno));
    }
    struct stat st;
    if (fstat(dfd, &st) < 0) die("cannot stat %s: %s", dir, strerror(errno));
    if (st.st_uid != uid) {
      die("refusing %s: owned by uid %u, not %u", dir, (unsigned)st.st_uid, (unsigned)uid);
    }
    if (st.st_mode & 022) {
      die("refusing %s: writable by group or others (mode %04o)", dir,
          (unsigned)(st.st_mode & 07777));
    }
    if (stamp_matches(dfd, &s, uid)) {
      close(dfd);
      close(cfd);
      close(exefd);
      run(&s, dir, argc, argv);
    }
    file_stat fs[MAX_FILES];
    if (contents_match(dfd, &s, uid, fs)) {
      /* Same contents, changed metadata: a new stamp, best effort. */
      char tmpstamp[64];
      fmt(tmpstamp, sizeof tmpstamp, "%s.%ld", STAMP_NAME, (long)getpid());
      if (write_stamp(dfd, tmpstamp, &s, fs) == 0) {
        if (renameat(dfd, tmpstamp, dfd, STAMP_NAME) < 0) unlinkat(dfd, tmpstamp, 0);
      }
      close(dfd);
      close(cfd);
      close(exefd);
      run(&s, dir, argc, argv);
    }
    close(dfd);
    repair(exefd, exe, &s, cfd, cache, uid);
  }
  die("cannot set up %s: it keeps changing", dir);
}
