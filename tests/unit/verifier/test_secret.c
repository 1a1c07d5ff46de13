/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for verifier/secret.c: a dossier reaches only the secrets
 * the operator filed for it (<dir>/<SIRET>/<dossier_id>/<name>, allowed
 * variables), every other case is refused with one uniform message that
 * names nothing of the operator's files, a FIFO never blocks, and the
 * content rules (mode, size, empty, control bytes) of the dossier's own
 * file are reported precisely.  Issue 8 items 1 and 2.
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "common/digest.h"
#include "common/mem.h"
#include "verifier/secret.h"

#define SIRET_A "21750001600019"
#define SIRET_B "21750001600027" /* another collectivité */
#define ID_A    "DP-2021-4242"
#define TOKEN   "tok-A-5f1c9e"

static char root[64];

static void
path_of(char *out, size_t outlen, const char *rel)
{
	snprintf(out, outlen, "%s/%s", root, rel);
}

static void
mkdir_p(const char *rel)
{
	char p[512], *s;

	path_of(p, sizeof(p), rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	mkdir(p, 0700);
}

static void
put(const char *rel, const char *data, size_t len, mode_t mode)
{
	char p[512];
	int fd;

	path_of(p, sizeof(p), rel);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/rc-ut-secret.XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdir_p(SIRET_A "/" ID_A);
	mkdir_p(SIRET_B "/" ID_A);
	/* Another collectivité's token, filed for its own dossier. */
	put(SIRET_B "/" ID_A "/token", "tok-B-SECRET", 12, 0600);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
scope_a(struct secret_scope *sc)
{
	static const char *const allow[] = { "RC_UT_ALLOWED", NULL };

	sc->dir = root;
	sc->env_allow = allow;
	sc->siret = SIRET_A;
	sc->dossier_id = ID_A;
}

/* Read name in scope A; returns rc and copies the message. */
static enum rc_code
read_a(const char *name, struct secret *s, char *msg, size_t msglen)
{
	struct secret_scope sc;
	struct rc_err err;
	enum rc_code rc;

	memset(&err, 0, sizeof(err));
	scope_a(&sc);
	rc = secret_read_file(&sc, "token_file", name, s, &err);
	snprintf(msg, msglen, "%s", err.msg);
	return rc;
}

static void
test_file_ok(void **state)
{
	struct secret s;
	char msg[512], hex[RC_SHA256_HEX_LEN];

	(void)state;
	secret_init(&s);
	put(SIRET_A "/" ID_A "/token", TOKEN "\n", strlen(TOKEN) + 1, 0600);
	assert_int_equal(read_a("token", &s, msg, sizeof(msg)), RC_OK);
	assert_string_equal(s.value, TOKEN);
	assert_int_equal(s.len, strlen(TOKEN));
	assert_int_equal(s.fault, SECRET_FAULT_NONE);
	assert_memory_equal(s.fpr, "sha256:", 7);
	/* credential_sha256: the SHA-256 of the token bytes sent. */
	assert_int_equal(rc_sha256_hex(TOKEN, strlen(TOKEN), hex), RC_OK);
	assert_string_equal(s.sha256, hex);
	secret_wipe(&s);
	assert_null(s.value);
	/* A sub-folder of the dossier's folder, CRLF, mode 0400. */
	mkdir_p(SIRET_A "/" ID_A "/api");
	put(SIRET_A "/" ID_A "/api/particulier.token", TOKEN "\r\n",
	    strlen(TOKEN) + 2, 0400);
	assert_int_equal(read_a("api/particulier.token", &s, msg, sizeof(msg)),
	    RC_OK);
	assert_string_equal(s.value, TOKEN);
	secret_wipe(&s);
}

/*
 * Every refusal of a file the dossier may not reach reads exactly like a
 * missing file of the same name: no oracle on the operator's files.
 */
static void
expect_uniform(const char *name, const char *what)
{
	struct secret s;
	char msg[512], ref[512], p[512];
	char moved[600];

	secret_init(&s);
	assert_int_equal(read_a(name, &s, msg, sizeof(msg)), RC_EINVAL);
	if (s.fault != SECRET_FAULT_UNAVAILABLE)
		fail_msg("%s: fault %s, want unavailable (%s)", what,
		    secret_fault_str(s.fault), msg);
	assert_null(s.value);
	assert_string_equal(s.fpr, "");
	if (strstr(name, root) == NULL) /* never the operator's path */
		assert_null(strstr(msg, root));
	assert_null(strstr(msg, "tok-B-SECRET"));
	assert_null(strstr(msg, TOKEN));
	/* The same name, missing: the same message. */
	path_of(p, sizeof(p), SIRET_A "/" ID_A);
	snprintf(moved, sizeof(moved), "%s.away", p);
	assert_int_equal(rename(p, moved), 0);
	mkdir_p(SIRET_A "/" ID_A);
	assert_int_equal(read_a(name, &s, ref, sizeof(ref)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	if (strcmp(msg, ref) != 0)
		fail_msg("%s: \"%s\" differs from the missing-file message "
		         "\"%s\"",
		    what, msg, ref);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(rename(moved, p), 0);
}

static void
test_file_refused_uniformly(void **state)
{
	char p[512], t[512];

	(void)state;
	put(SIRET_A "/" ID_A "/real", TOKEN, strlen(TOKEN), 0600);
	/* a symbolic link, even to the dossier's own file */
	path_of(p, sizeof(p), SIRET_A "/" ID_A "/link");
	assert_int_equal(symlink("real", p), 0);
	expect_uniform("link", "symlink");
	/* a link to another collectivité's token */
	path_of(p, sizeof(p), SIRET_A "/" ID_A "/theirs");
	path_of(t, sizeof(t), SIRET_B "/" ID_A "/token");
	assert_int_equal(symlink(t, p), 0);
	expect_uniform("theirs", "symlink to another collectivité");
	/* a directory */
	mkdir_p(SIRET_A "/" ID_A "/dir");
	expect_uniform("dir", "directory");
	/* a FIFO: must not block (alarm kills the test if it does) */
	path_of(p, sizeof(p), SIRET_A "/" ID_A "/fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	alarm(20);
	expect_uniform("fifo", "FIFO");
	alarm(0);
	/* missing */
	expect_uniform("nope", "missing");
	/* escapes: another collectivité's file by "..", absolute paths */
	expect_uniform("../../" SIRET_B "/" ID_A "/token", "dot-dot escape");
	expect_uniform("sub/../real", "dot-dot inside");
	expect_uniform("./real", "dot component");
	expect_uniform("a//real", "empty component");
	path_of(p, sizeof(p), SIRET_B "/" ID_A "/token");
	expect_uniform(p, "absolute path");
	expect_uniform("/etc/passwd", "absolute system path");
	/* a symbolic link as the dossier's folder or an intermediate one */
	path_of(p, sizeof(p), SIRET_A "/" ID_A "/via");
	path_of(t, sizeof(t), SIRET_B "/" ID_A);
	assert_int_equal(symlink(t, p), 0);
	expect_uniform("via/token", "intermediate symlink");
}

/* A dossier claiming another SIRET or dossier id reaches only that
 * folder, and a dossier id that is not a plain name reaches nothing. */
static void
test_scope_identity(void **state)
{
	struct secret_scope sc;
	struct secret s;
	struct rc_err err;
	char p[512], t[512];

	(void)state;
	secret_init(&s);
	scope_a(&sc);
	memset(&err, 0, sizeof(err));
	sc.dossier_id = "../" SIRET_B "/" ID_A;
	assert_int_equal(secret_read_file(&sc, "token_file", "token", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	sc.dossier_id = "..";
	assert_int_equal(secret_read_file(&sc, "token_file", "token", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	/* The SIRET folder itself a link to another's: refused. */
	mkdir_p("links");
	path_of(p, sizeof(p), "links/" SIRET_A);
	path_of(t, sizeof(t), SIRET_B);
	assert_int_equal(symlink(t, p), 0);
	path_of(t, sizeof(t), "links");
	sc.dir = t;
	sc.dossier_id = ID_A;
	assert_int_equal(secret_read_file(&sc, "token_file", "token", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	/* No secrets directory: a configuration fault, said as such. */
	sc.dir = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(secret_read_file(&sc, "token_file", "token", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_NOT_CONFIGURED);
	assert_non_null(strstr(err.msg, "secrets.dir"));
}

/* The dossier's own file: precise findings. */
static void
test_file_content(void **state)
{
	struct secret s;
	char msg[512];
	char *big;

	(void)state;
	secret_init(&s);
	put(SIRET_A "/" ID_A "/t", TOKEN, strlen(TOKEN), 0644);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_MODE);
	assert_non_null(strstr(msg, "0644"));
	assert_false(secret_fault_is_content(s.fault));
	put(SIRET_A "/" ID_A "/t", TOKEN, strlen(TOKEN), 0640);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_MODE);
	put(SIRET_A "/" ID_A "/t", "", 0, 0600);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_EMPTY);
	assert_true(secret_fault_is_content(s.fault));
	put(SIRET_A "/" ID_A "/t", "\n", 1, 0600);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_EMPTY);
	put(SIRET_A "/" ID_A "/t",
	    "ab\x01"
	    "cd",
	    5, 0600);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_BYTES);
	assert_true(secret_fault_is_content(s.fault));
	assert_non_null(strstr(msg, "control character at byte 2"));
	put(SIRET_A "/" ID_A "/t", "ab\0cd", 5, 0600);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_non_null(strstr(msg, "NUL"));
	put(SIRET_A "/" ID_A "/t", "ab cd", 5, 0600);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_BYTES);
	big = malloc(SECRET_MAX_BYTES + 10);
	assert_non_null(big);
	memset(big, 'a', SECRET_MAX_BYTES + 10);
	put(SIRET_A "/" ID_A "/t", big, SECRET_MAX_BYTES + 10, 0600);
	free(big);
	assert_int_equal(read_a("t", &s, msg, sizeof(msg)), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_SIZE);
	assert_null(s.value);
}

static void
test_env(void **state)
{
	struct secret_scope sc;
	struct secret s;
	struct rc_err err;
	char refused[512];

	(void)state;
	secret_init(&s);
	scope_a(&sc);
	memset(&err, 0, sizeof(err));
	setenv("RC_UT_ALLOWED", "env-tok", 1);
	assert_int_equal(
	    secret_load(&sc, "token", NULL, "RC_UT_ALLOWED", &s, &err), RC_OK);
	assert_string_equal(s.value, "env-tok");
	assert_non_null(strstr(s.source, "RC_UT_ALLOWED"));
	secret_wipe(&s);
	/* Set but not allowed: refused, nothing read or fingerprinted. */
	setenv("RC_UT_OPERATOR", "operator-secret-9d2e", 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	    secret_read_env(&sc, "token_env", "RC_UT_OPERATOR", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	assert_string_equal(s.fpr, "");
	assert_string_equal(s.sha256, "");
	assert_null(strstr(err.msg, "operator-secret"));
	snprintf(refused, sizeof(refused), "%s", err.msg);
	/* Not set at all: the very same words. */
	unsetenv("RC_UT_OPERATOR");
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	    secret_read_env(&sc, "token_env", "RC_UT_OPERATOR", &s, &err),
	    RC_EINVAL);
	assert_string_equal(err.msg, refused);
	/* Allowed but unset: the same kind of refusal. */
	unsetenv("RC_UT_ALLOWED");
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	    secret_read_env(&sc, "token_env", "RC_UT_ALLOWED", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	/* No allow-list at all: nothing may be named. */
	sc.env_allow = NULL;
	setenv("RC_UT_ALLOWED", "env-tok", 1);
	assert_int_equal(
	    secret_read_env(&sc, "token_env", "RC_UT_ALLOWED", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_UNAVAILABLE);
	unsetenv("RC_UT_ALLOWED");
	/* Allowed, empty: a content finding. */
	scope_a(&sc);
	setenv("RC_UT_ALLOWED", "", 1);
	assert_int_equal(
	    secret_read_env(&sc, "token_env", "RC_UT_ALLOWED", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_EMPTY);
	unsetenv("RC_UT_ALLOWED");
	/* Neither given. */
	assert_int_equal(secret_load(&sc, "token", NULL, NULL, &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_NOT_CONFIGURED);
	secret_wipe(NULL);
}

/* The daemon's way: bytes in memory, never a path. */
static void
test_from_bytes(void **state)
{
	struct secret s;
	struct rc_err err = { 0 };
	char hex[RC_SHA256_HEX_LEN];

	(void)state;
	secret_init(&s);
	assert_int_equal(secret_from_bytes(TOKEN "\n", strlen(TOKEN) + 1,
	                     "token given in the submission", &s, &err),
	    RC_OK);
	assert_string_equal(s.value, TOKEN);
	assert_int_equal(rc_sha256_hex(TOKEN, strlen(TOKEN), hex), RC_OK);
	assert_string_equal(s.sha256, hex);
	assert_string_equal(s.source, "token given in the submission");
	secret_wipe(&s);
	assert_int_equal(secret_from_bytes("a\tb", 3, "x", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_BYTES);
	assert_int_equal(secret_from_bytes("", 0, "x", &s, &err), RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_EMPTY);
	assert_int_equal(
	    secret_from_bytes("x", SECRET_MAX_BYTES + 1, "x", &s, &err),
	    RC_EINVAL);
	assert_int_equal(s.fault, SECRET_FAULT_SIZE);
}

/* Allocation failures: RC_ENOMEM, nothing kept (ASan checks for leaks). */
static void
test_alloc_failures(void **state)
{
	struct secret_scope sc;
	struct secret s;
	struct rc_err err;
	unsigned long n;
	enum rc_code rc;

	(void)state;
	secret_init(&s);
	scope_a(&sc);
	put(SIRET_A "/" ID_A "/token", TOKEN, strlen(TOKEN), 0600);
	for (n = 1; n < 10; n++) {
		memset(&err, 0, sizeof(err));
		rc_mem_fail_after(n);
		rc = secret_read_file(&sc, "token_file", "token", &s, &err);
		rc_mem_fail_after(0);
		if (rc == RC_OK) {
			assert_string_equal(s.value, TOKEN);
			secret_wipe(&s);
			break;
		}
		assert_int_equal(rc, RC_ENOMEM);
		assert_int_equal(s.fault, SECRET_FAULT_INTERNAL);
		assert_null(s.value);
	}
	assert_true(n < 10);
	memset(&err, 0, sizeof(err));
	rc_mem_fail_after(1);
	rc = secret_from_bytes(TOKEN, strlen(TOKEN), "x", &s, &err);
	rc_mem_fail_after(0);
	assert_int_equal(rc, RC_ENOMEM);
	assert_null(s.value);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(secret_name_ok("token"));
	assert_true(secret_name_ok("api/particulier.token"));
	assert_true(secret_name_ok("..token"));
	assert_false(secret_name_ok(""));
	assert_false(secret_name_ok(NULL));
	assert_false(secret_name_ok("/token"));
	assert_false(secret_name_ok("../token"));
	assert_false(secret_name_ok("a/../token"));
	assert_false(secret_name_ok("a/./token"));
	assert_false(secret_name_ok("a//token"));
	assert_false(secret_name_ok("token/"));
	assert_false(secret_name_ok("to\nken"));
	assert_false(secret_name_ok("a/b/c/d/e/f/g/h/i"));
	assert_true(secret_component_ok(SIRET_A));
	assert_true(secret_component_ok("DP-2021-4242"));
	assert_false(secret_component_ok(".."));
	assert_false(secret_component_ok(".hidden"));
	assert_false(secret_component_ok("a/b"));
	assert_false(secret_component_ok("a b"));
	assert_false(secret_component_ok(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_refused_uniformly,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_identity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_content, setup,
		    teardown),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_from_bytes),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_alloc_failures, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
