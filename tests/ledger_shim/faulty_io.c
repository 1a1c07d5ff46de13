/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim for the ledger I/O fault tests
 * (tests/integration/t_ledger_faults.sh builds it with cc -shared).
 *
 *   FAULT_FSYNC_AT=N   the N-th fsync/fdatasync fails with EIO
 *   FAULT_WRITE_AT=N   the N-th write fails with FAULT_WRITE_ERRNO
 *                      (ENOSPC by default, or EIO), or writes half
 *                      and then fails when FAULT_WRITE_SHORT=1
 *   FAULT_LOG=1        print each intercepted call number on stderr
 *
 * Counting starts at process start; only calls after the target fail.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long nfsync, nwrite;

static long
env_long(const char *name)
{
	const char *s = getenv(name);

	return s ? strtol(s, NULL, 10) : 0;
}

int
fsync(int fd)
{
	static int (*real)(int);
	long at = env_long("FAULT_FSYNC_AT");

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	nfsync++;
	if (at > 0 && nfsync >= at) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int
fdatasync(int fd)
{
	return fsync(fd);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	long at = env_long("FAULT_WRITE_AT");
	const char *e = getenv("FAULT_WRITE_ERRNO");

	if (real == NULL)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (fd <= 2)
		return real(fd, buf, n); /* leave stdio alone */
	nwrite++;
	if (at > 0 && nwrite == at && env_long("FAULT_WRITE_SHORT") && n > 1)
		return real(fd, buf, n / 2); /* a short write, then ... */
	if (at > 0 && nwrite >= at + (env_long("FAULT_WRITE_SHORT") ? 1 : 0)) {
		errno = (e != NULL && strcmp(e, "EIO") == 0) ? EIO : ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}
