/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for active conformance's pure parts
 * (verifier/conformance_int.h) and its registration file: every run's ID
 * token differs from the reference in exactly its one claim and is
 * refused by raccord's own verifier (oidc_jwt_verify) for exactly that
 * reason; the outcome classification; signature corruption; the
 * registration round trip and its refusals (production dossier, bad
 * hash, existing file).
 */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.h"
#include "common/mem.h"
#include "oidc/jwks.h"
#include "oidc/jwt.h"
#include "verifier/conformance.h"
#include "verifier/conformance_int.h"
#include "verifier/dossier.h"

#define ISS   "https://conformance.test:8443/api/v2"
#define AUD   "raccord-0123456789abcdef"
#define SUB   "5f0c0e9e7d7fa33b4dc7f8a4ab2c1a0e3b4d5e6f708192a3b4c5d6e7f8091a2bv1"
#define NONCE "Zq3xR8vLm2Nk7Wp4Ty9Hs6Jd1Fg5Bc0AxYz"
#define NOW   1764350000

struct keys {
	struct oidc_key *good, *rogue;
	struct oidc_jwks *jwks; /* the good key only */
};

static int
setup(void **state)
{
	static struct keys k;
	const struct oidc_key *pub[1];
	char *json = NULL;

	memset(&k, 0, sizeof(k));
	if (oidc_key_generate(OIDC_KEY_EC_P256, "conf-es-1", &k.good, NULL) ||
	    oidc_key_generate(OIDC_KEY_EC_P256, "rogue-1", &k.rogue, NULL))
		return -1;
	pub[0] = k.good;
	if (oidc_jwks_build(pub, 1, &json, NULL) != RC_OK ||
	    oidc_jwks_parse(json, strlen(json), &k.jwks, NULL) != RC_OK)
		return -1;
	rc_free(json);
	*state = &k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	oidc_key_free(k->good);
	oidc_key_free(k->rogue);
	oidc_jwks_free(k->jwks);
	return 0;
}

static void
claims_init(struct conf_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->iss = ISS;
	c->aud = AUD;
	c->sub = SUB;
	c->nonce = NONCE;
	c->acr = "eidas1";
	c->now = NOW;
	c->lifetime = 60;
}

/* The reference carries FranceConnect's claims with the site's values. */
static void
test_reference_claims(void **state)
{
	struct conf_claims c;
	json_t *o = NULL;

	(void)state;
	claims_init(&c);
	assert_int_equal(conf_forge_claims(CONF_RUN_REFERENCE, &c, &o, NULL),
	    RC_OK);
	assert_string_equal(json_string_value(json_object_get(o, "iss")), ISS);
	assert_string_equal(json_string_value(json_object_get(o, "aud")), AUD);
	assert_string_equal(json_string_value(json_object_get(o, "sub")), SUB);
	assert_string_equal(json_string_value(json_object_get(o, "nonce")),
	    NONCE);
	assert_string_equal(json_string_value(json_object_get(o, "acr")),
	    "eidas1");
	assert_int_equal(json_integer_value(json_object_get(o, "exp")),
	    NOW + 60);
	assert_int_equal(json_integer_value(json_object_get(o, "iat")), NOW);
	json_decref(o);
}

/*
 * Every run differs from the reference in its claims by exactly the
 * members it is about (state and code runs: not at all).
 */
static void
test_one_deviation_each(void **state)
{
	static const struct {
		enum conf_run r;
		const char *changed[3];
	} t[] = {
		{ CONF_RUN_NONCE_WRONG, { "nonce" } },
		{ CONF_RUN_NONCE_MISSING, { "nonce" } },
		{ CONF_RUN_AUD_WRONG, { "aud" } },
		{ CONF_RUN_ISS_WRONG, { "iss" } },
		{ CONF_RUN_EXPIRED, { "exp", "iat", "auth_time" } },
		{ CONF_RUN_IAT_FUTURE, { "exp", "iat", "auth_time" } },
		{ CONF_RUN_SIG_BAD, { NULL } },
		{ CONF_RUN_ALG_NONE, { NULL } },
		{ CONF_RUN_KEY_ROGUE, { NULL } },
		{ CONF_RUN_ACR_MISSING, { "acr" } },
		{ CONF_RUN_USERINFO_SUB, { NULL } },
		{ CONF_RUN_STATE_ALTERED, { NULL } },
		{ CONF_RUN_CODE_REPLAYED, { NULL } },
	};
	struct conf_claims c;
	json_t *ref = NULL, *o = NULL;
	size_t i, j;

	(void)state;
	claims_init(&c);
	assert_int_equal(conf_forge_claims(CONF_RUN_REFERENCE, &c, &ref, NULL),
	    RC_OK);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *a = json_deep_copy(ref), *b;

		assert_int_equal(conf_forge_claims(t[i].r, &c, &o, NULL),
		    RC_OK);
		b = json_deep_copy(o);
		for (j = 0; j < 3 && t[i].changed[j] != NULL; j++) {
			json_t *x = json_object_get(ref, t[i].changed[j]);
			json_t *y = json_object_get(o, t[i].changed[j]);

			/* the member really changed (or disappeared) */
			assert_false(y != NULL && json_equal(x, y));
			json_object_del(a, t[i].changed[j]);
			json_object_del(b, t[i].changed[j]);
		}
		if (!json_equal(a, b))
			fail_msg("run %s changed more than its claim",
			    conf_run_name(t[i].r));
		json_decref(a);
		json_decref(b);
		json_decref(o);
		o = NULL;
	}
	json_decref(ref);
}

/* raccord's own verifier refuses each forged token for its reason. */
static void
test_tokens_refused_for_their_reason(void **state)
{
	static const struct {
		enum conf_run r;
		enum oidc_jwt_fault f;
	} t[] = {
		{ CONF_RUN_REFERENCE, OIDC_JWT_OK },
		{ CONF_RUN_NONCE_WRONG, OIDC_JWT_NONCE },
		{ CONF_RUN_NONCE_MISSING, OIDC_JWT_NONCE },
		{ CONF_RUN_AUD_WRONG, OIDC_JWT_AUD },
		{ CONF_RUN_ISS_WRONG, OIDC_JWT_ISS },
		{ CONF_RUN_EXPIRED, OIDC_JWT_EXP },
		{ CONF_RUN_IAT_FUTURE, OIDC_JWT_IAT },
		{ CONF_RUN_SIG_BAD, OIDC_JWT_SIGNATURE },
		{ CONF_RUN_ALG_NONE, OIDC_JWT_ALG },
		{ CONF_RUN_KEY_ROGUE, OIDC_JWT_NOKEY },
		{ CONF_RUN_ACR_MISSING, OIDC_JWT_OK },  /* acr: the RP's rule */
		{ CONF_RUN_ACR_LOW, OIDC_JWT_OK },      /* acr: the RP's rule */
		{ CONF_RUN_USERINFO_SUB, OIDC_JWT_OK }, /* userinfo differs */
		{ CONF_RUN_STATE_ALTERED, OIDC_JWT_OK },
		{ CONF_RUN_CODE_REPLAYED, OIDC_JWT_OK },
	};
	struct keys *k = *state;
	struct oidc_jwt_expect exp;
	struct conf_claims c;
	enum oidc_jwt_fault f;
	json_t *claims;
	char *tok;
	size_t i;

	claims_init(&c);
	memset(&exp, 0, sizeof(exp));
	exp.iss = ISS;
	exp.aud = AUD;
	exp.nonce = NONCE;
	exp.now = NOW + 1;
	exp.leeway = 30;
	exp.require_sub = 1;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tok = NULL;
		claims = NULL;
		f = OIDC_JWT_FAULT__MAX;
		assert_int_equal(conf_forge_id_token(t[i].r, &c, k->good,
		                     k->rogue, &tok, NULL),
		    RC_OK);
		(void)oidc_jwt_verify(tok, strlen(tok), k->jwks, &exp, &claims,
		    &f, NULL);
		if (f != t[i].f)
			fail_msg("run %s: fault %s, wanted %s",
			    conf_run_name(t[i].r), oidc_jwt_fault_str(f),
			    oidc_jwt_fault_str(t[i].f));
		if (t[i].r == CONF_RUN_ACR_MISSING)
			assert_null(json_object_get(claims, "acr"));
		json_decref(claims);
		rc_free(tok);
	}
}

/*
 * The userinfo of every run names the test identity with the ID token's
 * sub, but for userinfo_sub: another sub of the same shape, every other
 * member the same (OpenID Connect Core 1.0 §5.3.2).
 */
static void
test_userinfo_sub(void **state)
{
	struct conf_claims c;
	json_t *ref = NULL, *o = NULL;
	const char *k, *sub;
	json_t *v;
	int r;

	(void)state;
	claims_init(&c);
	assert_int_equal(
	    conf_forge_userinfo(CONF_RUN_REFERENCE, &c, &ref, NULL), RC_OK);
	assert_string_equal(json_string_value(json_object_get(ref, "sub")),
	    SUB);
	assert_string_equal(
	    json_string_value(json_object_get(ref, "family_name")), "DUBOIS");
	assert_string_equal(json_string_value(json_object_get(ref, "aud")),
	    AUD);
	for (r = 0; r < CONF_RUN__MAX; r++) {
		assert_int_equal(
		    conf_forge_userinfo((enum conf_run)r, &c, &o, NULL), RC_OK);
		sub = json_string_value(json_object_get(o, "sub"));
		assert_non_null(sub);
		if (r == CONF_RUN_USERINFO_SUB) {
			assert_string_not_equal(sub, SUB);
			assert_int_equal(strlen(sub), strlen(SUB));
			assert_string_equal(sub + strlen(sub) - 2, "v1");
		} else {
			assert_string_equal(sub, SUB);
		}
		json_object_foreach(ref, k, v)
		{
			if (strcmp(k, "sub") != 0)
				assert_true(
				    json_equal(v, json_object_get(o, k)));
		}
		assert_int_equal(json_object_size(o), json_object_size(ref));
		json_decref(o);
		o = NULL;
	}
	json_decref(ref);
}

/* The end_session URL a site's logout sends the browser to. */
static void
test_logout_judge(void **state)
{
	static const char idt[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
	static const char plru[] = "https://mairie.test/au-revoir";
	static const struct {
		const char *url;
		enum conf_logout_fault f;
		int state;
	} t[] = {
		{ ISS "/session/end?id_token_hint=" /**/
		      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
		      "&post_logout_redirect_uri="
		      "https%3A%2F%2Fmairie.test%2Fau-revoir&state=abc",
		    CONF_LOGOUT_OK, 1 },
		{ ISS "/session/end?id_token_hint=" /**/
		      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
		      "&post_logout_redirect_uri="
		      "https%3A%2F%2Fmairie.test%2Fau-revoir",
		    CONF_LOGOUT_OK, 0 },
		{ ISS "/session/end?post_logout_redirect_uri="
		      "https%3A%2F%2Fmairie.test%2Fau-revoir&state=abc",
		    CONF_LOGOUT_NO_HINT, 1 },
		{ ISS "/session/end?id_token_hint=&state=abc",
		    CONF_LOGOUT_NO_HINT, 1 },
		{ ISS "/session/end?id_token_hint=" /**/
		      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ5In0.c2ln"
		      "&post_logout_redirect_uri="
		      "https%3A%2F%2Fmairie.test%2Fau-revoir",
		    CONF_LOGOUT_HINT_OTHER, 0 },
		{ ISS "/session/end?id_token_hint=" /**/
		      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
		    CONF_LOGOUT_NO_PLRU, 0 },
		{ ISS "/session/end?id_token_hint=" /**/
		      "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
		      "&post_logout_redirect_uri=https%3A%2F%2Fevil.test%2F",
		    CONF_LOGOUT_PLRU_OTHER, 0 },
		{ "not a url", CONF_LOGOUT_UNPARSABLE, 0 },
	};
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (conf_logout_judge(t[i].url, idt, plru, &st) != t[i].f)
			fail_msg("case %zu: %s", i, t[i].url);
		assert_int_equal(st, t[i].state);
		assert_non_null(conf_logout_fault_str(t[i].f));
	}
	/* Nothing issued, nothing declared: neither can match. */
	assert_int_equal(conf_logout_judge(t[0].url, NULL, plru, &st),
	    CONF_LOGOUT_HINT_OTHER);
	assert_int_equal(conf_logout_judge(t[0].url, idt, NULL, &st),
	    CONF_LOGOUT_PLRU_OTHER);
}

static void
test_corrupt_signature(void **state)
{
	char a[] = "aGVhZA.cGF5bG9hZA.AAAA", b[] = "aGVhZA.cGF5bG9hZA.BAAA";
	char none[] = "aGVhZA.cGF5bG9hZA.", two[] = "aGVhZA";

	(void)state;
	assert_int_equal(conf_corrupt_signature(a, NULL), RC_OK);
	assert_string_equal(a, "aGVhZA.cGF5bG9hZA.BAAA");
	assert_int_equal(conf_corrupt_signature(b, NULL), RC_OK);
	assert_string_equal(b, "aGVhZA.cGF5bG9hZA.AAAA");
	assert_int_equal(conf_corrupt_signature(none, NULL), RC_EINVAL);
	assert_int_equal(conf_corrupt_signature(two, NULL), RC_EINVAL);
	assert_int_equal(conf_corrupt_signature(NULL, NULL), RC_EINVAL);
}

static void
test_classify(void **state)
{
	static const struct {
		enum conf_tell how;
		enum probe_outcome o;
		long status;
		int shows;
		enum conf_verdict v;
	} t[] = {
		{ CONF_TELL_STATUS, PROBE_OK, 200, 0, CONF_SESSION },
		{ CONF_TELL_STATUS, PROBE_OK, 204, 1, CONF_SESSION },
		{ CONF_TELL_STATUS, PROBE_OK, 302, 0, CONF_REFUSED },
		{ CONF_TELL_STATUS, PROBE_OK, 303, 1, CONF_REFUSED },
		{ CONF_TELL_STATUS, PROBE_OK, 401, 0, CONF_REFUSED },
		{ CONF_TELL_STATUS, PROBE_OK, 403, 0, CONF_REFUSED },
		{ CONF_TELL_STATUS, PROBE_OK, 500, 0, CONF_UNOBSERVABLE },
		{ CONF_TELL_STATUS, PROBE_OK, 503, 1, CONF_UNOBSERVABLE },
		{ CONF_TELL_STATUS, PROBE_OK, 0, 0, CONF_UNOBSERVABLE },
		{ CONF_TELL_STATUS, PROBE_TIMEOUT, 200, 1, CONF_UNOBSERVABLE },
		{ CONF_TELL_STATUS, PROBE_PROTOCOL, 0, 0, CONF_UNOBSERVABLE },
		{ CONF_TELL_IDENTITY, PROBE_OK, 200, 1, CONF_SESSION },
		{ CONF_TELL_IDENTITY, PROBE_OK, 200, 0, CONF_REFUSED },
		{ CONF_TELL_IDENTITY, PROBE_OK, 302, 0, CONF_REFUSED },
		{ CONF_TELL_IDENTITY, PROBE_OK, 500, 1, CONF_UNOBSERVABLE },
		{ CONF_TELL_IDENTITY, PROBE_TLS, 200, 1, CONF_UNOBSERVABLE },
		{ CONF_TELL_NONE, PROBE_OK, 200, 1, CONF_UNOBSERVABLE },
		{ CONF_TELL_NONE, PROBE_OK, 302, 0, CONF_UNOBSERVABLE },
	};
	struct conf_obs o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.outcome = t[i].o;
		o.status = t[i].status;
		o.shows_identity = t[i].shows;
		if (conf_classify(t[i].how, &o) != t[i].v)
			fail_msg("row %zu: verdict %d, wanted %d", i,
			    (int)conf_classify(t[i].how, &o), (int)t[i].v);
	}
}

static void
test_choose_tell(void **state)
{
	static const struct {
		long ref_status;
		int ref_shows;
		enum probe_outcome anon_o;
		long anon_status;
		int anon_shows;
		enum conf_tell want;
	} t[] = {
		{ 200, 0, PROBE_OK, 302, 0, CONF_TELL_STATUS },
		{ 200, 1, PROBE_OK, 401, 0, CONF_TELL_STATUS },
		{ 200, 1, PROBE_OK, 200, 0, CONF_TELL_IDENTITY },
		{ 200, 0, PROBE_OK, 200, 0, CONF_TELL_NONE },
		{ 200, 1, PROBE_OK, 200, 1, CONF_TELL_NONE },
		{ 200, 1, PROBE_TIMEOUT, 0, 0, CONF_TELL_NONE },
		{ 200, 1, PROBE_OK, 500, 0, CONF_TELL_NONE },
		{ 302, 0, PROBE_OK, 302, 0, CONF_TELL_NONE },
		{ 401, 0, PROBE_OK, 302, 0, CONF_TELL_NONE },
	};
	struct conf_obs ref, anon;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&ref, 0, sizeof(ref));
		memset(&anon, 0, sizeof(anon));
		ref.outcome = PROBE_OK;
		ref.status = t[i].ref_status;
		ref.shows_identity = t[i].ref_shows;
		anon.outcome = t[i].anon_o;
		anon.status = t[i].anon_status;
		anon.shows_identity = t[i].anon_shows;
		if (conf_choose_tell(&ref, &anon) != t[i].want)
			fail_msg("row %zu: tell %d, wanted %d", i,
			    (int)conf_choose_tell(&ref, &anon), (int)t[i].want);
	}
}

static void
test_shows_identity(void **state)
{
	static const char a[] = "<p>Bonjour Angela Claire Louise</p>";
	static const char b[] = "<p>Bienvenue, M. DUBOIS</p>";
	static const char c[] = "<p>Se connecter avec FranceConnect</p>";
	static const char d[] = "dubo\0is";

	(void)state;
	assert_true(conf_body_shows_identity(a, strlen(a)));
	assert_true(conf_body_shows_identity(b, strlen(b)));
	assert_false(conf_body_shows_identity(c, strlen(c)));
	assert_false(conf_body_shows_identity(d, sizeof(d) - 1));
	assert_false(conf_body_shows_identity(b, 10)); /* only len counts */
	assert_false(conf_body_shows_identity(NULL, 0));
}

/* acr_low only for FranceConnect+, every other run for both. */
static void
test_run_applies(void **state)
{
	struct conf_claims c;
	json_t *o = NULL;
	int i;

	(void)state;
	for (i = 0; i < CONF_RUN__MAX; i++) {
		assert_true(conf_run_applies((enum conf_run)i, 1));
		assert_int_equal(conf_run_applies((enum conf_run)i, 0),
		    i != CONF_RUN_ACR_LOW);
	}
	assert_false(conf_run_applies(CONF_RUN__MAX, 1));
	claims_init(&c);
	c.acr = "eidas2";
	assert_int_equal(conf_forge_claims(CONF_RUN_ACR_LOW, &c, &o, NULL),
	    RC_OK);
	assert_string_equal(json_string_value(json_object_get(o, "acr")),
	    "eidas1");
	json_decref(o);
	assert_int_equal(conf_forge_claims(CONF_RUN_REFERENCE, &c, &o, NULL),
	    RC_OK);
	assert_string_equal(json_string_value(json_object_get(o, "acr")),
	    "eidas2");
	json_decref(o);
}

static void
test_run_names_unique(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < CONF_RUN__MAX; i++) {
		assert_non_null(conf_run_what((enum conf_run)i));
		for (j = i + 1; j < CONF_RUN__MAX; j++)
			assert_string_not_equal(conf_run_name((enum conf_run)i),
			    conf_run_name((enum conf_run)j));
	}
}

static const char dossier_fmt[] =
    "{ \"dossier_id\": \"UT-conf\","
    "  \"collectivite\": { \"siren\": \"217500016\", \"siret\": "
    "\"21750001600019\","
    "    \"nom\": \"Commune\", \"categorie\": \"commune\" },"
    "  \"paiement\": { \"titulaire\": \"Commune\", \"iban\": "
    "\"FR7630006000011234567890189\", \"bic\": \"AGRIFRPP\" },"
    "  \"integrations\": [ { \"kind\": \"franceconnect\", \"environment\": "
    "\"%s\", \"plus\": %s,"
    "    \"client_id\": \"c\", \"login_url\": \"https://mairie.test/login\","
    "    \"redirect_uri\": \"https://mairie.test/cb\" } ] }";

static struct dossier *
make_dossier(const char *env, int plus)
{
	char text[1024];
	struct dossier *d = NULL;

	snprintf(text, sizeof(text), dossier_fmt, env, plus ? "true" : "false");
	assert_int_equal(dossier_parse(text, strlen(text), "test", &d, NULL),
	    RC_OK);
	return d;
}

static void
test_registration(void **state)
{
	char dir[] = "/tmp/raccord-ut-conf.XXXXXX", file[128], bad[128];
	unsigned char md[RC_SHA256_LEN];
	struct conf_registration reg, back;
	struct rc_err err = { 0 };
	struct dossier *d;
	struct stat st;
	char *secret = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/reg.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);

	/* Production: refused, nothing issued. */
	d = make_dossier("production", 0);
	assert_int_equal(conf_register(d, NULL, &reg, &secret, &err),
	    RC_EINVAL);
	assert_null(secret);
	assert_non_null(strstr(err.msg, "production"));
	dossier_free(d);

	d = make_dossier("integration", 0);
	/* FranceConnect does not encrypt: no JWKS to register. */
	rc_err_clear(&err);
	assert_int_equal(
	    conf_register(d, "https://mairie.test/jwks", &reg, &secret, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "FranceConnect+ only"));
	assert_int_equal(conf_register(d, NULL, &reg, &secret, NULL), RC_OK);
	assert_int_equal(strlen(secret), 2 * CONF_SECRET_BYTES);
	assert_int_equal(rc_sha256(secret, strlen(secret), md), RC_OK);
	assert_memory_equal(md, reg.secret_sha256, RC_SHA256_LEN);
	assert_int_equal(conf_registration_save(&reg, file, NULL), RC_OK);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* never overwritten */
	assert_int_equal(conf_registration_save(&reg, file, NULL), RC_ESYS);
	assert_int_equal(conf_registration_load(file, &back, NULL), RC_OK);
	assert_string_equal(back.client_id, reg.client_id);
	assert_string_equal(back.dossier_id, "UT-conf");
	assert_string_equal(back.redirect_uri, "https://mairie.test/cb");
	assert_memory_equal(back.secret_sha256, reg.secret_sha256,
	    RC_SHA256_LEN);
	conf_registration_cleanup(&back);

	/* A malformed hash and an unknown member are named. */
	f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f,
	    "{\"registration_version\":1,\"dossier_id\":\"x\","
	    "\"client_id\":\"y\",\"client_secret_sha256\":\"zz\","
	    "\"redirect_uri\":\"https://a/\","
	    "\"id_token_signed_response_alg\":\"ES256\"}");
	fclose(f);
	rc_err_clear(&err);
	assert_int_equal(conf_registration_load(bad, &back, &err), RC_EINVAL);
	assert_non_null(strstr(err.msg, "client_secret_sha256"));
	f = fopen(bad, "w");
	assert_non_null(f);
	fprintf(f, "{\"registration_version\":1,\"client_secret\":\"s\"}");
	fclose(f);
	assert_int_not_equal(conf_registration_load(bad, &back, NULL), RC_OK);

	/* FranceConnect+: the RP's JWKS is required, and kept. */
	rc_free_secret(secret, strlen(secret));
	secret = NULL;
	conf_registration_cleanup(&reg);
	dossier_free(d);
	d = make_dossier("integration", 1);
	rc_err_clear(&err);
	assert_int_equal(conf_register(d, NULL, &reg, &secret, &err),
	    RC_EINVAL);
	assert_non_null(strstr(err.msg, "--jwks-uri"));
	assert_int_equal(conf_register(d, "http:/x", &reg, &secret, NULL),
	    RC_EINVAL);
	assert_int_equal(
	    conf_register(d, "https://mairie.test/jwks", &reg, &secret, NULL),
	    RC_OK);
	unlink(file);
	assert_int_equal(conf_registration_save(&reg, file, NULL), RC_OK);
	assert_int_equal(conf_registration_load(file, &back, NULL), RC_OK);
	assert_string_equal(back.jwks_uri, "https://mairie.test/jwks");
	conf_registration_cleanup(&back);

	rc_free_secret(secret, strlen(secret));
	conf_registration_cleanup(&reg);
	dossier_free(d);
	unlink(file);
	unlink(bad);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_claims),
		cmocka_unit_test(test_one_deviation_each),
		cmocka_unit_test(test_tokens_refused_for_their_reason),
		cmocka_unit_test(test_userinfo_sub),
		cmocka_unit_test(test_logout_judge),
		cmocka_unit_test(test_corrupt_signature),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_choose_tell),
		cmocka_unit_test(test_shows_identity),
		cmocka_unit_test(test_run_applies),
		cmocka_unit_test(test_run_names_unique),
		cmocka_unit_test(test_registration),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
