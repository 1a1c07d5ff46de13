/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the conformance test provider's request parsers, as the
 * relying party under test reaches them (verifier/conformance.c): the
 * authorize query, the token request (form body, client_secret_post and
 * client_secret_basic's Authorization header), userinfo's Bearer header
 * and session/end's query, over plain HTTP/1.1 through libmicrohttpd, as
 * in production but without TLS.
 *
 * Input: the first byte chooses the provider (0: FranceConnect ES256,
 * 1: FranceConnect RS256, 2: FranceConnect+ with an RP encryption key);
 * the rest is one or more raw HTTP requests separated by a line
 * "@@@".  Each request goes over its own connection (a socketpair handed
 * to libmicrohttpd).  Before it is sent, the marks "@CODE", "@TOKEN"
 * and "@REFCODE", each padded with '@' to 64 characters (the length of
 * the values, so Content-Length stays right), are replaced by the
 * provider's current code, its access token and the reference login's
 * code, so a seed can reach the token and userinfo answers after a good
 * authorize.  A request that is only "@RUN n" (n a decimal run number)
 * keeps the current login as the reference one and begins run n.  With
 * RC_FUZZ_VERBOSE set, the first line of every answer is printed (to see
 * what a seed reaches).
 *
 * The registered client: "fuzz-client", secret "fuzz-secret",
 * redirect_uri https://mairie.test/callback, post_logout_redirect_uri
 * https://mairie.test/au-revoir, issuer https://127.0.0.1:9/api/v2.
 * Must never crash or leak, whatever the bytes.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/digest.h"
#include "common/mem.h"
#include "oidc/jwks.h"
#include "verifier/conformance.h"
#include "verifier/conformance_int.h"

#define FUZZ_PROVIDERS 3
#define FUZZ_MAX_INPUT (256 * 1024)
#define FUZZ_ROUNDS    200 /* MHD_run rounds per request, at most */
#define FUZZ_MARK_LEN  64  /* a code or access token: 32 bytes in hex */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf_registration regs[FUZZ_PROVIDERS];
static struct conf_prov *provs[FUZZ_PROVIDERS];
static struct MHD_Daemon *mhds[FUZZ_PROVIDERS];
static int ready = -1, verbose;
static char ref_code[65]; /* the code kept by the last "@RUN n" */

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_conf_provider: %s\n", what);
	abort(); /* a harness that cannot start is a finding too */
}

static void
setup(void)
{
	static const char *const algs[FUZZ_PROVIDERS] = { "ES256", "RS256",
		"ES256" };
	struct oidc_key *rp = NULL;
	struct rc_err err = { 0 };
	int i;

	for (i = 0; i < FUZZ_PROVIDERS; i++) {
		struct conf_registration *r = &regs[i];

		r->dossier_id = rc_strdup("DP-FUZZ");
		r->client_id = rc_strdup("fuzz-client");
		r->redirect_uri = rc_strdup("https://mairie.test/callback");
		r->post_logout_redirect_uri =
		    rc_strdup("https://mairie.test/au-revoir");
		r->alg = rc_strdup(algs[i]);
		r->jwks_uri =
		    i == 2 ? rc_strdup("https://mairie.test/jwks") : NULL;
		if (r->dossier_id == NULL || r->client_id == NULL ||
		    r->redirect_uri == NULL ||
		    r->post_logout_redirect_uri == NULL || r->alg == NULL ||
		    rc_sha256("fuzz-secret", 11, r->secret_sha256) != RC_OK)
			die("out of memory");
		if (conf_prov_new(r, "https://127.0.0.1:9/api/v2", i == 2,
		        &provs[i], &err) != RC_OK)
			die(err.msg);
		if (i == 2) {
			if (oidc_key_generate(OIDC_KEY_EC_P256, "rp-enc", &rp,
			        &err) != RC_OK)
				die(err.msg);
			conf_prov_set_rp_key(provs[i], rp); /* transferred */
		}
		/* No listener, no thread: connections are added by hand
		 * and served by MHD_run on this thread. */
		mhds[i] =
		    MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
		        conf_prov_handle, provs[i], MHD_OPTION_NOTIFY_COMPLETED,
		        conf_prov_completed, NULL, MHD_OPTION_END);
		if (mhds[i] == NULL)
			die("MHD_start_daemon failed");
	}
	ready = 1;
}

/* The first sep in [p, end), or NULL. */
static const char *
find_sep(const char *p, const char *end, const char *sep, size_t n)
{
	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, sep, n) == 0)
			return p;
	return NULL;
}

/*
 * Replace in req (len bytes, in place) each mark by its value: the marks
 * are as long as the values (64 characters), so Content-Length stays
 * right.  A mark whose value does not exist yet stays as it is.
 */
static void
substitute(char *req, size_t len, const struct conf_prov *p)
{
	const char *vals[3] = { conf_prov_code(p), conf_prov_access_token(p),
		ref_code };
	char marks[3][FUZZ_MARK_LEN + 1];
	size_t i, k;

	for (k = 0; k < 3; k++) {
		memset(marks[k], '@', FUZZ_MARK_LEN);
		marks[k][FUZZ_MARK_LEN] = '\0';
		memcpy(marks[k],
		    k == 0       ? "@CODE"
		        : k == 1 ? "@TOKEN"
		                 : "@REFCODE",
		    k == 0       ? 5
		        : k == 1 ? 6
		                 : 8);
	}
	for (i = 0; i + FUZZ_MARK_LEN <= len; i++)
		for (k = 0; k < 3; k++)
			if (strlen(vals[k]) == FUZZ_MARK_LEN &&
			    memcmp(req + i, marks[k], FUZZ_MARK_LEN) == 0) {
				memcpy(req + i, vals[k], FUZZ_MARK_LEN);
				i += FUZZ_MARK_LEN - 1;
				break;
			}
}

/* Send one request on a new connection and read the answer. */
static void
serve_one(struct MHD_Daemon *d, const char *req, size_t len)
{
	struct sockaddr_in peer;
	char sink[4096];
	size_t sent = 0;
	int sv[2], round, idle = 0, printed = 0;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
		return;
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (MHD_add_connection(d, sv[0], (const struct sockaddr *)&peer,
	        sizeof(peer)) != MHD_YES) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	/* sv[0] now belongs to libmicrohttpd. */
	for (round = 0; round < FUZZ_ROUNDS && idle < 4; round++) {
		int progress = 0;

		if (sent < len) {
			n = write(sv[1], req + sent, len - sent);
			if (n > 0) {
				sent += (size_t)n;
				progress = 1;
			}
		}
		(void)MHD_run(d);
		while ((n = read(sv[1], sink, sizeof(sink))) > 0) {
			if (verbose && !printed) {
				const char *cr = memchr(sink, '\r', (size_t)n);

				fprintf(stderr, "%.*s\n",
				    (int)(cr ? cr - sink : n), sink);
				printed = 1;
			}
			progress = 1;
		}
		if (n == 0)
			break; /* the provider closed the connection */
		idle = progress || sent < len ? 0 : idle + 1;
	}
	close(sv[1]);
	for (round = 0; round < 4; round++)
		(void)MHD_run(d); /* it sees the close and frees the request */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n@@@\n";
	const char *p, *end, *next;
	struct conf_prov *prov;
	struct MHD_Daemon *d;
	char *req;
	size_t len;
	int which;

	if (ready < 0) {
		setup();
		verbose = getenv("RC_FUZZ_VERBOSE") != NULL;
	}
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	which = data[0] % FUZZ_PROVIDERS;
	prov = provs[which];
	d = mhds[which];
	conf_prov_begin(prov, CONF_RUN_REFERENCE);
	ref_code[0] = '\0';
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		next = find_sep(p, end, sep, sizeof(sep) - 1);
		len = (size_t)((next ? next : end) - p);
		if (len >= 5 && len < 16 && memcmp(p, "@RUN ", 5) == 0) {
			char num[16];
			long r;

			memcpy(num, p + 5, len - 5);
			num[len - 5] = '\0';
			r = strtol(num, NULL, 10) % CONF_RUN__MAX;
			snprintf(ref_code, sizeof(ref_code), "%s",
			    conf_prov_code(prov));
			conf_prov_keep_reference(prov);
			conf_prov_begin(prov, (enum conf_run)(r < 0 ? -r : r));
		} else if ((req = rc_malloc(len + 1)) != NULL) {
			memcpy(req, p, len);
			substitute(req, len, prov);
			serve_one(d, req, len);
			rc_free(req);
		}
		p = next ? next + sizeof(sep) - 1 : end;
	}
	return 0;
}
