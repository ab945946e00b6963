// SPDX-License-Identifier: GPL-2.0
/*
 * lwreplay: replay a dm-log-writes log onto a device, stopping at every
 * flush/FUA entry to run a check command (e.g. an fsck).
 *
 *   lwreplay [options] LOGDEV REPLAYDEV
 *     --list              print the log's entries, replay nothing
 *     --start-mark NAME   check only after the mark NAME (replay all before it)
 *     --end-mark NAME     stop after the mark NAME
 *     --check WHAT        flush, fua or both (default both): entries to check at
 *     --check-cmd CMD     run "sh -c CMD" at each check point (after the entry
 *                         is on REPLAYDEV and fsync'ed); a non-zero exit stops
 *                         the replay, lwreplay then exits 1
 *     --drop-every N      skip every Nth data write after the start mark (to
 *                         show that a check can fail; never in a real test)
 *
 * CMD also runs when the start mark is reached and after the last entry.
 * A check point whose device state is the same as at the previous one (no
 * write in between) is not checked again.  The environment of CMD has
 * LWREPLAY_ENTRY (the entry number) and LWREPLAY_FLAGS.
 *
 * The log format (Documentation/admin-guide/device-mapper/log-writes.rst,
 * drivers/md/dm-log-writes.c): a super block at byte 0, then for each entry
 * one sector (the data device's logical block size) holding
 * struct lw_entry (and, for a mark, its name), followed by nr_sectors
 * sectors of data unless the entry is a discard.  Everything little endian.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LW_FLUSH	(1 << 0)
#define LW_FUA		(1 << 1)
#define LW_DISCARD	(1 << 2)
#define LW_MARK		(1 << 3)
#define LW_METADATA	(1 << 4)
#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1ULL

struct lw_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct lw_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
} __attribute__((packed));

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "lwreplay: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static void pread_all(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len) {
		n = pread(fd, buf, len, off);
		if (n <= 0)
			die("short read of the log: %s", n ? strerror(errno) : "end of device");
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len) {
		n = pwrite(fd, buf, len, off);
		if (n <= 0)
			die("write to the replay device failed: %s", n ? strerror(errno) : "end of device");
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
}

static void flags_str(uint64_t f, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s%s", f & LW_FLUSH ? "FLUSH " : "",
		 f & LW_FUA ? "FUA " : "", f & LW_DISCARD ? "DISCARD " : "",
		 f & LW_MARK ? "MARK " : "", f & LW_METADATA ? "METADATA " : "");
	if (*out)
		out[strlen(out) - 1] = '\0';
	else
		snprintf(out, len, "WRITE");
}

static int run_check(const char *cmd, uint64_t idx, const char *flags)
{
	char num[32];
	int st;

	snprintf(num, sizeof(num), "%" PRIu64, idx);
	setenv("LWREPLAY_ENTRY", num, 1);
	setenv("LWREPLAY_FLAGS", flags, 1);
	fflush(stdout);
	st = system(cmd);
	if (st == -1)
		die("cannot run the check command: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Sync the replay device, run the check; non-zero when it failed. */
static int check_point(int devfd, const char *cmd, uint64_t idx, const char *fl,
		       uint64_t *checks)
{
	int st;

	if (fsync(devfd))
		die("fsync of the replay device: %s", strerror(errno));
	(*checks)++;
	st = run_check(cmd, idx, fl);
	if (st)
		printf("lwreplay: check failed at entry %" PRIu64 " (%s), exit status %d\n",
		       idx, fl, st);
	return st;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "start-mark", required_argument, NULL, 's' },
		{ "end-mark", required_argument, NULL, 'e' },
		{ "check", required_argument, NULL, 'c' },
		{ "check-cmd", required_argument, NULL, 'x' },
		{ "drop-every", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *start_mark = NULL, *end_mark = NULL, *cmd = NULL;
	uint64_t check_mask = LW_FLUSH | LW_FUA, drop_every = 0;
	uint64_t i, nr, off, writes = 0, checks = 0, skipped = 0, dropped = 0;
	int list = 0, c, logfd, devfd = -1, checking, dirty = 0;
	struct lw_super super;
	struct lw_entry e;
	size_t bufsize = 1 << 20;
	char *sector, *buf, fl[64];
	uint32_t ss;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = 1;
			break;
		case 's':
			start_mark = optarg;
			break;
		case 'e':
			end_mark = optarg;
			break;
		case 'x':
			cmd = optarg;
			break;
		case 'd':
			drop_every = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			if (!strcmp(optarg, "flush"))
				check_mask = LW_FLUSH;
			else if (!strcmp(optarg, "fua"))
				check_mask = LW_FUA;
			else if (!strcmp(optarg, "both"))
				check_mask = LW_FLUSH | LW_FUA;
			else
				die("--check wants flush, fua or both, not '%s'", optarg);
			break;
		default:
			die("%s", "usage: lwreplay [--list] [--start-mark M] [--end-mark M] [--check flush|fua|both] [--check-cmd CMD] LOGDEV REPLAYDEV");
		}
	}
	if (argc - optind != (list ? 1 : 2))
		die("%s", "usage: lwreplay [--list] [--start-mark M] [--end-mark M] [--check flush|fua|both] [--check-cmd CMD] LOGDEV REPLAYDEV");

	logfd = open(argv[optind], O_RDONLY);
	if (logfd < 0)
		die("cannot open the log device: %s", strerror(errno));
	if (!list) {
		devfd = open(argv[optind + 1], O_WRONLY);
		if (devfd < 0)
			die("cannot open the replay device: %s", strerror(errno));
	}
	pread_all(logfd, &super, sizeof(super), 0);
	if (le64toh(super.magic) != LW_MAGIC)
		die("%s", "no dm-log-writes super block on the log device");
	if (le64toh(super.version) != LW_VERSION)
		die("%s", "unknown dm-log-writes log version");
	ss = le32toh(super.sectorsize);
	if (ss < 512 || ss > 65536 || (ss & (ss - 1)))
		die("%s", "bad sector size in the super block");
	nr = le64toh(super.nr_entries);
	sector = malloc(ss);
	buf = malloc(bufsize);
	if (!sector || !buf)
		die("%s", "out of memory");
	printf("lwreplay: %" PRIu64 " entries, sector size %u\n", nr, ss);

	checking = !start_mark;
	off = ss;
	for (i = 0; i < nr; i++) {
		uint64_t sec, len, flags, dlen;

		pread_all(logfd, sector, ss, off);
		memcpy(&e, sector, sizeof(e));
		sec = le64toh(e.sector);
		len = le64toh(e.nr_sectors);
		flags = le64toh(e.flags);
		dlen = le64toh(e.data_len);
		off += ss;
		flags_str(flags, fl, sizeof(fl));

		if (flags & LW_MARK) {
			char name[256];
			size_t n = dlen < sizeof(name) - 1 ? dlen : sizeof(name) - 1;

			if (n > ss - sizeof(e))
				n = ss - sizeof(e);
			memcpy(name, sector + sizeof(e), n);
			name[n] = '\0';
			printf("lwreplay: entry %" PRIu64 ": mark '%s'\n", i, name);
			if (start_mark && !checking && !strcmp(name, start_mark)) {
				checking = 1;
				dirty = 1;
				if (!list && cmd && check_point(devfd, cmd, i, "MARK", &checks))
					return 1;
				dirty = 0;
			}
			if (end_mark && !strcmp(name, end_mark)) {
				i++;
				break;
			}
			continue;
		}
		if (dlen)
			die("%s", "entries with inline data (DAX) are not supported");
		if (list) {
			printf("%" PRIu64 " %s sector %" PRIu64 " len %" PRIu64 "\n",
			       i, fl, sec, len);
			if (!(flags & LW_DISCARD))
				off += len * ss;
			continue;
		}
		if (flags & LW_DISCARD) {
			/* brd and most devices read zeroes after a discard */
			memset(buf, 0, bufsize);
			for (uint64_t done = 0; done < len * ss;) {
				size_t n = len * ss - done < bufsize ? len * ss - done : bufsize;

				pwrite_all(devfd, buf, n, sec * ss + done);
				done += n;
			}
			dirty = 1;
		} else if (len) {
			int drop = checking && drop_every && ++writes % drop_every == 0;

			for (uint64_t done = 0; done < len * ss;) {
				size_t n = len * ss - done < bufsize ? len * ss - done : bufsize;

				pread_all(logfd, buf, n, off + done);
				if (!drop)
					pwrite_all(devfd, buf, n, sec * ss + done);
				done += n;
			}
			off += len * ss;
			if (drop)
				dropped++;
			else
				dirty = 1;
		}
		if (checking && cmd && (flags & check_mask)) {
			if (!dirty) {
				skipped++;
				continue;
			}
			if (check_point(devfd, cmd, i, fl, &checks))
				return 1;
			dirty = 0;
		}
	}
	if (!list && checking && cmd && dirty && check_point(devfd, cmd, i, "END", &checks))
		return 1;
	if (devfd >= 0 && fsync(devfd))
		die("fsync of the replay device: %s", strerror(errno));
	printf("lwreplay: replayed %" PRIu64 " of %" PRIu64 " entries, %" PRIu64
	       " check points checked, %" PRIu64 " unchanged ones skipped",
	       i, nr, checks, skipped);
	if (drop_every)
		printf(", %" PRIu64 " writes dropped on purpose", dropped);
	printf("\n");
	return 0;
}
