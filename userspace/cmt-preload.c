// SPDX-License-Identifier: GPL-2.0
/*
 * cmt-preload: an LD_PRELOAD library that makes an unmodified cryptsetup
 * create crypt-mt mappings instead of stock dm-crypt ones.
 * userspace/cryptsetup-mt runs cryptsetup with it; for crypttab volumes the
 * systemd drop-in and cryptdisks.sh preload it into systemd-cryptsetup and
 * Debian's cryptdisks scripts (README: "Boot-time volumes").  Only programs
 * that use libdevmapper notice it.
 *
 * cryptsetup (libcryptsetup) talks to the kernel only through libdevmapper, so
 * interposing a handful of libdevmapper calls is enough:
 *
 *   dm_task_add_target    a table line of target type "crypt" is sent as
 *                         "crypt-mt" (same parameters: the grammar and the
 *                         on-disk format are the same).  The key stays where
 *                         cryptsetup put it, in the ioctl buffer (or in the
 *                         kernel keyring for LUKS2); nothing is copied.
 *   dm_get_next_target    a table or status line of "crypt-mt" is reported
 *                         as "crypt", so cryptsetup recognises its mappings
 *                         for status, close, resize, refresh, luksSuspend,
 *                         luksResume.
 *   dm_task_get_versions  cryptsetup decides which table features it may use
 *                         (keyring keys, sector_size, key wipe for
 *                         luksSuspend, no_*_workqueue ...) from the version of
 *                         target "crypt".  The mapping goes to crypt-mt, so
 *                         it reports crypt-mt's feature level as version of
 *                         "crypt": a real "crypt" entry gets that version, and
 *                         if only "crypt-mt" is loaded its entry is renamed
 *                         "crypt" in place.
 *   dm_task_create/       libcryptsetup asks for target "crypt" with
 *   dm_task_set_name/     DM_DEVICE_GET_TARGET_VERSION only to make the kernel
 *   dm_task_destroy       load the module; that request is redirected to
 *                         "crypt-mt" (which autoloads crypt-mt.ko through its
 *                         alias dm-crypt-mt), and before the first version
 *                         listing crypt-mt is asked for once, so it is loaded
 *                         and listed even when libcryptsetup skips the probe.
 *
 * Environment:
 *   CRYPT_MT_TARGET   target that "crypt" tables are sent as (default
 *                     crypt-mt).  CRYPT_MT_TARGET=crypt keeps stock tables
 *                     while still recognising crypt-mt mappings, e.g. to
 *                     switch a LUKS2 mapping back with `cryptsetup refresh`.
 *   CRYPT_MT_DEBUG=1  one line on stderr per rewrite.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<libdevmapper.h>)
#include <libdevmapper.h>
#define CMT_HAVE_LIBDM_H 1
#endif
#endif

#ifndef CMT_HAVE_LIBDM_H
/* The parts of libdevmapper.h (lvm2 libdm, stable ABI) used here. */
struct dm_task;
struct dm_versions {
	uint32_t next;		/* offset to the next entry from this one */
	uint32_t version[3];
	char name[];
};
enum {
	DM_DEVICE_LIST_VERSIONS = 16,
	DM_DEVICE_GET_TARGET_VERSION = 20,
};
struct dm_task *dm_task_create(int type);
void dm_task_destroy(struct dm_task *dmt);
int dm_task_set_name(struct dm_task *dmt, const char *name);
int dm_task_run(struct dm_task *dmt);
int dm_task_add_target(struct dm_task *dmt, uint64_t start, uint64_t size,
		       const char *ttype, const char *params);
void *dm_get_next_target(struct dm_task *dmt, void *next, uint64_t *start,
			 uint64_t *length, char **target_type, char **params);
struct dm_versions *dm_task_get_versions(struct dm_task *dmt);
#endif

#define STOCK_TARGET	"crypt"
#define MT_TARGET	"crypt-mt"

/*
 * The stock dm-crypt version whose table grammar crypt-mt implements
 * (Linux 6.1's dm-crypt is 1.24.0: keyring keys, sector_size,
 * iv_large_sectors, no_read/no_write_workqueue, high_priority, key
 * set/wipe messages).  Not implemented by crypt-mt and refused by its
 * constructor: integrity/AEAD (dm-integrity stacks) and the BitLocker
 * "elephant" IV; cryptsetup then fails the activation with the kernel's
 * message and removes the half-made mapping as it does for stock errors.
 */
static const uint32_t crypt_compat_version[3] = { 1, 24, 0 };

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = (__typeof__(name) *)real_sym(#name)

static void *real_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	/*
	 * A program that dlopen()s libcryptsetup (RTLD_LOCAL) has libdevmapper
	 * outside the global scope RTLD_NEXT searches: ask the loaded copy.
	 */
	if (!p) {
		void *h = dlopen("libdevmapper.so.1.02.1", RTLD_NOW | RTLD_NOLOAD);

		if (h) {
			p = dlsym(h, name);
			dlclose(h);
		}
	}
	if (!p) {
		fprintf(stderr, "cmt-preload: cannot find libdevmapper's %s: %s\n",
			name, dlerror());
		abort();
	}
	return p;
}

static const char *target_name(void)
{
	const char *t = getenv("CRYPT_MT_TARGET");

	return t && *t ? t : MT_TARGET;
}

static void dbg(const char *fmt, ...)
{
	const char *d = getenv("CRYPT_MT_DEBUG");
	va_list ap;

	if (!d || strcmp(d, "1"))
		return;
	va_start(ap, fmt);
	fputs("cmt-preload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int dm_task_add_target(struct dm_task *dmt, uint64_t start, uint64_t size,
		       const char *ttype, const char *params)
{
	REAL(dm_task_add_target);

	if (ttype && !strcmp(ttype, STOCK_TARGET) &&
	    strcmp(target_name(), STOCK_TARGET)) {
		/* params hold the key: never print them */
		dbg("table target %s -> %s", ttype, target_name());
		ttype = target_name();
	}
	return real_dm_task_add_target(dmt, start, size, ttype, params);
}

void *dm_get_next_target(struct dm_task *dmt, void *next, uint64_t *start,
			 uint64_t *length, char **target_type, char **params)
{
	static char stock[] = STOCK_TARGET;
	void *r;

	REAL(dm_get_next_target);
	r = real_dm_get_next_target(dmt, next, start, length, target_type, params);
	if (target_type && *target_type &&
	    (!strcmp(*target_type, MT_TARGET) ||
	     !strcmp(*target_type, target_name()))) {
		dbg("reported target %s -> %s", *target_type, stock);
		*target_type = stock;
	}
	return r;
}

struct dm_versions *dm_task_get_versions(struct dm_task *dmt)
{
	struct dm_versions *v, *last, *crypt = NULL, *mt = NULL;

	REAL(dm_task_get_versions);
	v = real_dm_task_get_versions(dmt);
	if (!v)
		return v;

	for (;;) {
		if (!strcmp(v->name, STOCK_TARGET) && !crypt)
			crypt = v;
		else if (!strcmp(v->name, target_name()) && !mt)
			mt = v;
		last = v;
		v = (struct dm_versions *)((char *)v + v->next);
		if (v == last)
			break;
	}

	if (!strcmp(target_name(), STOCK_TARGET) || (!crypt && !mt))
		return real_dm_task_get_versions(dmt);
	if (!crypt) {
		/* "crypt-mt\0" is longer than "crypt\0": rename in place */
		dbg("version list: %s %u.%u.%u listed as %s", mt->name,
		    mt->version[0], mt->version[1], mt->version[2], STOCK_TARGET);
		strcpy(mt->name, STOCK_TARGET);
		crypt = mt;
	}
	dbg("version list: %s %u.%u.%u -> %u.%u.%u (crypt-mt's feature level)",
	    STOCK_TARGET, crypt->version[0], crypt->version[1],
	    crypt->version[2], crypt_compat_version[0],
	    crypt_compat_version[1], crypt_compat_version[2]);
	memcpy(crypt->version, crypt_compat_version, sizeof(crypt->version));
	return real_dm_task_get_versions(dmt);
}

/* The DM_DEVICE_GET_TARGET_VERSION task being built, if any (per thread). */
static __thread struct dm_task *gtv_task;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* Ask the kernel for target crypt-mt once: dm autoloads its module. */
static void load_target(void)
{
	struct dm_task *t;

	REAL(dm_task_create);
	REAL(dm_task_set_name);
	REAL(dm_task_run);
	REAL(dm_task_destroy);

	t = real_dm_task_create(DM_DEVICE_GET_TARGET_VERSION);
	if (!t)
		return;
	if (real_dm_task_set_name(t, target_name()))
		dbg("loading target %s: %s", target_name(),
		    real_dm_task_run(t) ? "ok" : "failed");
	real_dm_task_destroy(t);
}

struct dm_task *dm_task_create(int type)
{
	struct dm_task *t;

	REAL(dm_task_create);
	if (type == DM_DEVICE_LIST_VERSIONS && strcmp(target_name(), STOCK_TARGET))
		pthread_once(&load_once, load_target);
	t = real_dm_task_create(type);
	if (type == DM_DEVICE_GET_TARGET_VERSION)
		gtv_task = t;
	return t;
}

int dm_task_set_name(struct dm_task *dmt, const char *name)
{
	REAL(dm_task_set_name);
	if (dmt && dmt == gtv_task && name && !strcmp(name, STOCK_TARGET) &&
	    strcmp(target_name(), STOCK_TARGET)) {
		dbg("target version query %s -> %s", name, target_name());
		name = target_name();
	}
	return real_dm_task_set_name(dmt, name);
}

void dm_task_destroy(struct dm_task *dmt)
{
	REAL(dm_task_destroy);
	if (dmt && dmt == gtv_task)
		gtv_task = NULL;
	real_dm_task_destroy(dmt);
}
