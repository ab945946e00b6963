// SPDX-License-Identifier: GPL-2.0
/*
 * memscan: is a key anywhere in the guest's RAM?  For tests that check that
 * key material is wiped (tests/cases/key-lifecycle.sh).
 *
 *   memscan key BYTES
 *	Make a random key of BYTES bytes.  Prints two lines:
 *	1. the key in hex for a dm table or message, with a backslash between
 *	   every two digits: dm's argument splitter drops them, so the kernel
 *	   sees the plain hex string while no user-space copy ever holds it;
 *	2. a spec for "memscan scan": the patterns below, each byte XORed with
 *	   a mask, so that the spec (in the shell, in argv) is not the key.
 *   memscan scan SPEC
 *	Read all RAM through /proc/kcore (the ELF segments that have a
 *	physical address: the direct map and the kernel image) and print
 *	"NAME COUNT" for each pattern: "hex" (the key as lowercase hex text,
 *	as a table or message carries it) and "bin@OFF" (32 bytes of the
 *	binary key from byte OFF: an AES-256 key schedule starts with the raw
 *	key, as does a 64-byte XTS key's second half in the tweak
 *	transform), then "scanned N MiB in S s".
 *
 * The patterns are only ever held masked; the unmasked key exists here
 * only in "key", which wipes its buffers before it exits, and the copies of
 * RAM that "scan" reads are wiped before it exits (or the next scan would
 * find the copies this one left in freed pages).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MASK		0xa5
#define MAX_PATTERNS	32
#define MAX_PAT_LEN	512
#define BIN_CHUNK	32
#define CHUNK		(4 << 20)

struct pattern {
	char name[16];
	size_t len;
	unsigned char masked[MAX_PAT_LEN];
	unsigned long count;
};

static void die(const char *msg)
{
	fprintf(stderr, "memscan: %s%s%s\n", msg, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(2);
}

static const char hexd[] = "0123456789abcdef";

static int cmd_key(const char *arg)
{
	unsigned char key[MAX_PAT_LEN / 2];
	char *end;
	long n = strtol(arg, &end, 10);
	long i, off;

	if (*end || n < BIN_CHUNK || n > (long)sizeof(key))
		die("key length out of range");
	if (getrandom(key, n, 0) != n)
		die("getrandom");
	/* line 1: a5\3f\... -- never two bytes' digits next to each other */
	for (i = 0; i < n; i++) {
		if (i)
			putchar('\\');
		putchar(hexd[key[i] >> 4]);
		putchar(hexd[key[i] & 15]);
	}
	putchar('\n');
	/* line 2: hex:<masked hex text>,bin@0:<masked bytes>,... in hex */
	printf("hex:");
	for (i = 0; i < n; i++) {
		printf("%02x", (unsigned char)hexd[key[i] >> 4] ^ MASK);
		printf("%02x", (unsigned char)hexd[key[i] & 15] ^ MASK);
	}
	for (off = 0; off + BIN_CHUNK <= n; off += BIN_CHUNK) {
		printf(",bin@%ld:", off);
		for (i = off; i < off + BIN_CHUNK; i++)
			printf("%02x", key[i] ^ MASK);
	}
	putchar('\n');
	fflush(stdout);
	explicit_bzero(key, sizeof(key));
	return 0;
}

static int parse_spec(char *spec, struct pattern *p)
{
	int np = 0;
	char *item, *save = NULL;

	for (item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		size_t hl, i;

		if (np == MAX_PATTERNS || !colon || colon - item >= (long)sizeof(p->name))
			die("bad scan spec");
		memcpy(p[np].name, item, colon - item);
		p[np].name[colon - item] = '\0';
		hl = strlen(colon + 1);
		if (!hl || hl % 2 || hl / 2 > MAX_PAT_LEN)
			die("bad pattern in the scan spec");
		for (i = 0; i < hl / 2; i++) {
			unsigned int b;

			if (sscanf(colon + 1 + 2 * i, "%2x", &b) != 1)
				die("bad hex in the scan spec");
			p[np].masked[i] = b;
		}
		p[np].len = hl / 2;
		p[np].count = 0;
		np++;
	}
	return np;
}

/*
 * Searching 2 GiB for each pattern in turn is slow under emulation, so one
 * pass looks at every STRIDEth position only: any occurrence of a pattern
 * (at least STRIDE + 1 bytes long) covers one such position and the byte
 * after it, so a bitmap of the byte pairs at the first STRIDE offsets of
 * the patterns finds every candidate, which is then compared in full.  The
 * bitmap holds pairs of key bytes, never the key.
 */
#define STRIDE	31
static unsigned char pairs[65536 / 8];

static void build_pairs(const struct pattern *p, int np)
{
	int k, j;

	for (k = 0; k < np; k++) {
		for (j = 0; j < STRIDE; j++) {
			unsigned int v = (p[k].masked[j] ^ MASK) << 8 |
					 (p[k].masked[j + 1] ^ MASK);

			pairs[v >> 3] |= 1 << (v & 7);
		}
	}
}

/*
 * Count the occurrences of each pattern starting in buf[0, start_end);
 * returns the number found.
 */
static unsigned long search(const unsigned char *buf, size_t len, size_t start_end,
		   struct pattern *p, int np)
{
	unsigned long hits = 0;
	size_t i, j;
	int k;

	for (i = 0; i + 1 < len; i += STRIDE) {
		unsigned int v = buf[i] << 8 | buf[i + 1];

		if (!(pairs[v >> 3] & (1 << (v & 7))))
			continue;
		for (k = 0; k < np; k++) {
			for (j = 0; j < STRIDE && j <= i; j++) {
				size_t s = i - j, m;

				if (s >= start_end || s + p[k].len > len)
					continue;
				for (m = 0; m < p[k].len; m++)
					if ((unsigned char)(buf[s + m] ^ MASK) != p[k].masked[m])
						break;
				if (m == p[k].len) {
					p[k].count++;
					hits++;
				}
			}
		}
	}
	return hits;
}

static int cmd_scan(char *spec)
{
	struct pattern *p = calloc(MAX_PATTERNS, sizeof(*p));
	unsigned long long total = 0;
	size_t maxlen = 0, keep;
	unsigned char *buf;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	struct timespec t0, t1;
	int fd, np, i;

	if (!p)
		die("out of memory");
	np = parse_spec(spec, p);
	for (i = 0; i < np; i++) {
		if (p[i].len > maxlen)
			maxlen = p[i].len;
		if (p[i].len <= STRIDE)
			die("patterns must be longer than STRIDE bytes");
	}
	build_pairs(p, np);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	keep = maxlen - 1;
	buf = mmap(NULL, CHUNK + MAX_PAT_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		die("cannot open /proc/kcore");
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		die("/proc/kcore is not a 64-bit ELF file");
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(*ph)))
		die("cannot read the program headers of /proc/kcore");

	for (i = 0; i < eh.e_phnum; i++) {
		unsigned long long done = 0;
		size_t have = 0;

		/* RAM and kernel text have a physical address; vmalloc does not */
		if (ph[i].p_type != PT_LOAD || ph[i].p_paddr == (Elf64_Addr)-1)
			continue;
		while (done < ph[i].p_filesz) {
			size_t want = CHUNK;
			ssize_t n;

			if (want > ph[i].p_filesz - done)
				want = ph[i].p_filesz - done;
			n = pread(fd, buf + have, want, ph[i].p_offset + done);
			if (n <= 0)
				die("short read of /proc/kcore");
			done += n;
			have += n;
			/*
			 * Patterns that start in this window; keep a tail for
			 * the next.  A window with a hit is wiped at once, the
			 * rest is overwritten by the next read or wiped at the
			 * end (wiping all 2 GiB as read is slow when emulated).
			 */
			if (done < ph[i].p_filesz && have > keep) {
				if (search(buf, have, have - keep, p, np))
					explicit_bzero(buf, have - keep);
				memmove(buf, buf + have - keep, keep);
				have = keep;
			} else if (done >= ph[i].p_filesz) {
				if (search(buf, have, have, p, np))
					explicit_bzero(buf, have);
				have = 0;
			}
			total += n;
		}
	}
	explicit_bzero(buf, CHUNK + MAX_PAT_LEN);
	for (i = 0; i < np; i++)
		printf("%s %lu\n", p[i].name, p[i].count);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("scanned %llu MiB in %ld s\n", total >> 20, (long)(t1.tv_sec - t0.tv_sec));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "key"))
		return cmd_key(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "scan"))
		return cmd_scan(argv[2]);
	fprintf(stderr, "usage: memscan key BYTES | memscan scan SPEC\n");
	return 2;
}
