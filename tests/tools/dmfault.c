// SPDX-License-Identifier: GPL-2.0
/*
 * dmfault: one device-mapper ioctl, optionally with the Nth fault-injection
 * point inside it made to fail (failslab, fail_page_alloc, ... through
 * /proc/thread-self/fail-nth, set right before the ioctl and read back
 * right after it, so nothing else this process does is affected).
 *
 *   dmfault [--fail-nth N] create NAME
 *   dmfault [--fail-nth N] load NAME "START LEN TYPE PARAMS"
 *   dmfault [--fail-nth N] resume NAME | suspend NAME | clear NAME | remove NAME
 *   dmfault [--fail-nth N] message NAME "MESSAGE"
 *   dmfault [--step S] sweep-load NAME "TABLE"
 *   dmfault sweep-message NAME "MESSAGE" ["RESTORE"]
 *
 * Prints "rc=0" or "rc=-ERRNO (text)", and with --fail-nth "injected=yes"
 * when the Nth point was reached inside the ioctl, "injected=no" when the
 * ioctl got through with fewer than N.  Exit status: 0 when the ioctl
 * succeeded, 1 when it failed, 2 on a usage or set-up error.  The table and
 * message go to the kernel as given: dm splits them at whitespace and drops
 * backslashes, as for dmsetup.
 *
 * The sweeps fail every point of one operation in turn: N = 1, 2, ... until
 * the operation gets through without reaching its Nth point.
 *   sweep-load: each round creates NAME, loads TABLE with point N failing,
 *	checks that a failed load left no inactive table, and removes NAME;
 *	the last (clean) round also resumes the table before removing it.
 *	With --step S only every Sth point fails (from a random one of the
 *	first S), for a quicker sweep whose repeated runs cover all points.
 *   sweep-message: NAME exists (suspended, for key messages); each round
 *	sends MESSAGE with point N failing, then RESTORE (if given) without
 *	injection, which must succeed (e.g. "key set <key>" after a failed or
 *	successful "key wipe").
 * Prints "POINTS points: FAILED failed (errno: count ...), ABSORBED
 * absorbed" (POINTS: the points failed in turn) (an absorbed failure is one the kernel handled and still
 * succeeded, e.g. from a mempool reserve).  Exit status 1 when a round
 * went wrong (a failed load left a table, cleanup or RESTORE failed, the
 * operation fails without injection).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

#define BUFSZ	(64 << 10)

static void die(const char *msg)
{
	fprintf(stderr, "dmfault: %s%s%s\n", msg, errno ? ": " : "",
		errno ? strerror(errno) : "");
	exit(2);
}

static struct dm_ioctl *dmi_init(void *buf, const char *name)
{
	struct dm_ioctl *dmi = buf;

	memset(buf, 0, BUFSZ);
	dmi->version[0] = DM_VERSION_MAJOR;
	dmi->version[1] = 0;
	dmi->version[2] = 0;
	dmi->data_size = sizeof(*dmi);
	dmi->data_start = sizeof(*dmi);
	if (strlen(name) >= DM_NAME_LEN)
		die("name too long");
	strcpy(dmi->name, name);
	return dmi;
}

static void add_table(struct dm_ioctl *dmi, const char *line)
{
	struct dm_target_spec *spec = (void *)((char *)dmi + dmi->data_start);
	unsigned long long start, len;
	char type[DM_MAX_TYPE_NAME];
	int n = 0;
	size_t plen;

	if (sscanf(line, "%llu %llu %15s %n", &start, &len, type, &n) != 3 || !n)
		die("table must be \"START LEN TYPE PARAMS\"");
	plen = strlen(line + n);
	if (sizeof(*dmi) + sizeof(*spec) + plen + 8 > BUFSZ)
		die("table too long");
	spec->sector_start = start;
	spec->length = len;
	strcpy(spec->target_type, type);
	memcpy(spec + 1, line + n, plen + 1);
	spec->next = 0;
	dmi->target_count = 1;
	dmi->data_size = (sizeof(*dmi) + sizeof(*spec) + plen + 1 + 7) & ~7UL;
}

static void add_message(struct dm_ioctl *dmi, const char *msg)
{
	struct dm_target_msg *tmsg = (void *)((char *)dmi + dmi->data_start);

	if (sizeof(*dmi) + sizeof(*tmsg) + strlen(msg) + 1 > BUFSZ)
		die("message too long");
	tmsg->sector = 0;
	strcpy(tmsg->message, msg);
	dmi->data_size = (sizeof(*dmi) + sizeof(*tmsg) + strlen(msg) + 1 + 7) & ~7UL;
}

static int ctl_fd = -1, fnfd = -1;

/*
 * One ioctl with point @nth (0: none) failing.  Returns 0 or -errno; sets
 * *injected when the Nth point was reached.
 */
static int dm_ioctl_nth(unsigned long cmd, struct dm_ioctl *dmi, int nth, int *injected)
{
	char num[32];
	int r, err;
	ssize_t n;

	if (ctl_fd < 0) {
		ctl_fd = open("/dev/mapper/control", O_RDWR);
		if (ctl_fd < 0)
			die("cannot open /dev/mapper/control");
	}
	*injected = 0;
	if (nth) {
		if (fnfd < 0) {
			fnfd = open("/proc/thread-self/fail-nth", O_RDWR);
			if (fnfd < 0)
				die("cannot open /proc/thread-self/fail-nth (no fault injection in this kernel?)");
		}
		snprintf(num, sizeof(num), "%d", nth);
		if (pwrite(fnfd, num, strlen(num), 0) != (ssize_t)strlen(num))
			die("cannot write fail-nth");
	}
	r = ioctl(ctl_fd, cmd, dmi);
	err = errno;
	if (nth) {
		n = pread(fnfd, num, sizeof(num) - 1, 0);
		if (n <= 0)
			die("cannot read fail-nth back");
		num[n] = '\0';
		/* 0: the Nth point was reached (and failed); else what was left */
		*injected = atoi(num) == 0;
		if (pwrite(fnfd, "0", 1, 0) != 1)
			die("cannot reset fail-nth");
	}
	return r ? -err : 0;
}

/* A simple ioctl on NAME without injection; returns 0 or -errno. */
static int simple(void *buf, const char *name, unsigned long cmd, unsigned int flags)
{
	struct dm_ioctl *dmi = dmi_init(buf, name);
	int inj;

	dmi->flags = flags;
	return dm_ioctl_nth(cmd, dmi, 0, &inj);
}

#define MAX_ERRNO_SEEN	64
static unsigned int errno_seen[MAX_ERRNO_SEEN + 1];

static void report(int points, int failed, int absorbed)
{
	int e;

	printf("%d points: %d failed (", points, failed);
	for (e = 1; e <= MAX_ERRNO_SEEN; e++)
		if (errno_seen[e])
			printf(" %s: %u", strerrorname_np(e) ?: "?", errno_seen[e]);
	if (errno_seen[0])
		printf(" other: %u", errno_seen[0]);
	printf(" ), %d absorbed\n", absorbed);
}

static void count_errno(int r)
{
	errno_seen[-r > 0 && -r <= MAX_ERRNO_SEEN ? -r : 0]++;
}

static int sweep_load(void *buf, const char *name, const char *table, int step)
{
	int nth, r, inj, failed = 0, absorbed = 0, bad = 0, rounds = 0;
	struct dm_ioctl *dmi;

	/* with a step, a random start: repeated runs cover different points */
	for (nth = step > 1 ? 1 + (getpid() % step) : 1;; nth += step) {
		rounds++;
		r = simple(buf, name, DM_DEV_CREATE, 0);
		if (r) {
			errno = -r;
			die("create failed (a device of that name left over?)");
		}
		dmi = dmi_init(buf, name);
		add_table(dmi, table);
		r = dm_ioctl_nth(DM_TABLE_LOAD, dmi, nth, &inj);
		if (!inj) {
			if (r) {
				errno = -r;
				fprintf(stderr, "dmfault: the load fails without injection: %s\n", strerror(-r));
				bad = 1;
			} else {
				r = simple(buf, name, DM_DEV_SUSPEND, 0);
				if (r) {
					fprintf(stderr, "dmfault: resume after the clean load failed: %s\n",
						strerror(-r));
					bad = 1;
				}
			}
			if (simple(buf, name, DM_DEV_REMOVE, 0)) {
				fprintf(stderr, "dmfault: remove after the clean load failed\n");
				bad = 1;
			}
			break;
		}
		if (r) {
			failed++;
			count_errno(r);
			/* a failed load must leave no inactive table behind */
			dmi = dmi_init(buf, name);
			if (dm_ioctl_nth(DM_DEV_STATUS, dmi, 0, &inj) ||
			    (dmi->flags & DM_INACTIVE_PRESENT_FLAG)) {
				fprintf(stderr, "dmfault: point %d: failed load left an inactive table\n", nth);
				bad = 1;
			}
		} else {
			absorbed++;
		}
		if (simple(buf, name, DM_DEV_REMOVE, 0)) {
			fprintf(stderr, "dmfault: point %d: remove failed\n", nth);
			bad = 1;
			break;
		}
	}
	if (step > 1)
		printf("one point in %d from point %d: ", step, 1 + (getpid() % step));
	report(rounds - 1, failed, absorbed);
	return bad;
}

static int sweep_message(void *buf, const char *name, const char *msg, const char *restore)
{
	int nth, r, inj, failed = 0, absorbed = 0, bad = 0;
	struct dm_ioctl *dmi;

	for (nth = 1;; nth++) {
		dmi = dmi_init(buf, name);
		add_message(dmi, msg);
		r = dm_ioctl_nth(DM_TARGET_MSG, dmi, nth, &inj);
		if (inj && r) {
			failed++;
			count_errno(r);
		} else if (inj) {
			absorbed++;
		} else if (r) {
			fprintf(stderr, "dmfault: the message fails without injection: %s\n", strerror(-r));
			bad = 1;
		}
		if (restore) {
			int none;

			dmi = dmi_init(buf, name);
			add_message(dmi, restore);
			r = dm_ioctl_nth(DM_TARGET_MSG, dmi, 0, &none);
			if (r) {
				fprintf(stderr, "dmfault: point %d: the restoring message failed: %s\n",
					nth, strerror(-r));
				bad = 1;
				break;
			}
		}
		if (!inj)
			break;
	}
	report(nth - 1, failed, absorbed);
	return bad;
}

int main(int argc, char **argv)
{
	int nth = 0, i = 1, r, injected, step = 1;
	unsigned long cmd;
	struct dm_ioctl *dmi;
	void *buf;

	if (argc > 2 && !strcmp(argv[1], "--fail-nth")) {
		nth = atoi(argv[2]);
		if (nth < 1)
			die("--fail-nth wants a number from 1");
		i = 3;
	} else if (argc > 2 && !strcmp(argv[1], "--step")) {
		step = atoi(argv[2]);
		if (step < 1)
			die("--step wants a number from 1");
		i = 3;
	}
	if (argc - i < 2)
		die("usage: dmfault [--fail-nth N] create|load|resume|suspend|clear|remove|message NAME [TABLE|MESSAGE]");
	buf = malloc(BUFSZ);
	if (!buf)
		die("out of memory");
	if (!strcmp(argv[i], "sweep-load") && argc - i == 3 && !nth)
		return sweep_load(buf, argv[i + 1], argv[i + 2], step);
	if (!strcmp(argv[i], "sweep-message") && (argc - i == 3 || argc - i == 4) && !nth)
		return sweep_message(buf, argv[i + 1], argv[i + 2], argc - i == 4 ? argv[i + 3] : NULL);
	dmi = dmi_init(buf, argv[i + 1]);
	if (!strcmp(argv[i], "create")) {
		cmd = DM_DEV_CREATE;
	} else if (!strcmp(argv[i], "load") && argc - i == 3) {
		cmd = DM_TABLE_LOAD;
		add_table(dmi, argv[i + 2]);
	} else if (!strcmp(argv[i], "resume")) {
		cmd = DM_DEV_SUSPEND;
	} else if (!strcmp(argv[i], "suspend")) {
		cmd = DM_DEV_SUSPEND;
		dmi->flags = DM_SUSPEND_FLAG;
	} else if (!strcmp(argv[i], "clear")) {
		cmd = DM_TABLE_CLEAR;
	} else if (!strcmp(argv[i], "remove")) {
		cmd = DM_DEV_REMOVE;
	} else if (!strcmp(argv[i], "message") && argc - i == 3) {
		cmd = DM_TARGET_MSG;
		add_message(dmi, argv[i + 2]);
	} else {
		die("unknown operation or wrong arguments");
	}

	r = dm_ioctl_nth(cmd, dmi, nth, &injected);
	if (r)
		printf("rc=%d (%s)", r, strerror(-r));
	else
		printf("rc=0");
	if (nth)
		printf(" injected=%s", injected ? "yes" : "no");
	printf("\n");
	return r ? 1 : 0;
}
