/* SPDX-License-Identifier: MIT */
/*
 * The runs of active conformance, the ID token each one forges and the
 * judgement of what the site did (verifier/conformance_int.h).
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/digest.h"
#include "common/mem.h"
#include "oidc/authreq.h"
#include "oidc/jwt.h"
#include "verifier/conformance_int.h"

static const struct {
	const char *name;
	const char *what;
} runs[CONF_RUN__MAX] = {
	[CONF_RUN_REFERENCE] = { "reference",
	    "a correct FranceConnect login (the reference for a session)" },
	[CONF_RUN_NONCE_WRONG] = { "nonce_wrong",
	    "the ID token's nonce is not the one the site sent" },
	[CONF_RUN_NONCE_MISSING] = { "nonce_missing",
	    "the ID token has no nonce" },
	[CONF_RUN_AUD_WRONG] = { "aud_wrong",
	    "the ID token's aud is another client" },
	[CONF_RUN_ISS_WRONG] = { "iss_wrong",
	    "the ID token's iss is another issuer" },
	[CONF_RUN_EXPIRED] = { "exp_past",
	    "the ID token expired (exp in the "
	    "past)" },
	[CONF_RUN_IAT_FUTURE] = { "iat_future",
	    "the ID token was issued an hour in the future (iat)" },
	[CONF_RUN_SIG_BAD] = { "signature_bad",
	    "the ID token's signature does not verify" },
	[CONF_RUN_ALG_NONE] = { "alg_none",
	    "the ID token is unsigned (alg none)" },
	[CONF_RUN_KEY_ROGUE] = { "key_unknown",
	    "the ID token is signed by a key that is not in the JWKS" },
	[CONF_RUN_ACR_MISSING] = { "acr_missing",
	    "the ID token has no acr (eIDAS level)" },
	[CONF_RUN_ACR_LOW] = { "acr_low",
	    "the ID token's acr is eidas1, below the eIDAS level asked" },
	[CONF_RUN_USERINFO_SUB] = { "userinfo_sub",
	    "userinfo names another person (its sub is not the ID token's)" },
	[CONF_RUN_STATE_ALTERED] = { "state_altered",
	    "the callback's state is not the one the site sent" },
	[CONF_RUN_CODE_REPLAYED] = { "code_replayed",
	    "the callback carries the code of an earlier login, whose ID "
	    "token was bound to another browser" },
};

const char *
conf_run_name(enum conf_run r)
{
	return r < CONF_RUN__MAX ? runs[r].name : "?";
}

const char *
conf_run_what(enum conf_run r)
{
	return r < CONF_RUN__MAX ? runs[r].what : "?";
}

int
conf_run_applies(enum conf_run r, int plus)
{
	return r < CONF_RUN__MAX && (r != CONF_RUN_ACR_LOW || plus);
}

/* A value that is certainly not the site's nonce (longer, and marked). */
static const char *
other_nonce(const char *nonce)
{
	static const char a[] = "raccordForgedNonce0000000000000000000000";
	static const char b[] = "raccordForgedNonce1111111111111111111111";

	return nonce != NULL && strcmp(nonce, a) == 0 ? b : a;
}

enum rc_code
conf_forge_claims(enum conf_run r, const struct conf_claims *c, json_t **out,
    struct rc_err *err)
{
	json_t *o = NULL;
	enum rc_code rc = RC_ENOMEM;
	json_int_t now = (json_int_t)c->now;
	json_int_t exp = now + c->lifetime, iat = now;

	*out = NULL;
	/* OpenID Connect Core 1.0 §3.1.3.7 rule 9: exp must be in the
	 * future; FranceConnect issues 60 s tokens. */
	if (r == CONF_RUN_EXPIRED) {
		iat = now - 1200;
		exp = now - 600;
	}
	/* §3.1.3.7 rule 10: iat may be used to reject tokens issued too
	 * far from the current time. */
	if (r == CONF_RUN_IAT_FUTURE) {
		iat = now + 3600;
		exp = iat + c->lifetime;
	}
	/* FranceConnect v2 ID token claims (reference franceconnect.md §3):
	 * iss, sub, aud, exp, iat, nonce, acr, amr, auth_time. */
	o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:[s]}", "iss",
	    r == CONF_RUN_ISS_WRONG ? "https://forged-issuer.invalid/api/v2"
	                            : c->iss,
	    "sub", c->sub, "aud",
	    r == CONF_RUN_AUD_WRONG ? "raccord-another-client" : c->aud, "exp",
	    exp, "iat", iat, "auth_time", iat, "acr",
	    r == CONF_RUN_ACR_LOW ? "eidas1"
	        : c->acr != NULL  ? c->acr
	                          : "eidas1",
	    "amr", "pwd");
	if (o == NULL) {
		RC_ERR(err, rc, "cannot build the ID token claims");
		goto out;
	}
	if (r == CONF_RUN_ACR_MISSING && json_object_del(o, "acr") != 0)
		goto fail;
	if (r != CONF_RUN_NONCE_MISSING) {
		const char *n = c->nonce;

		if (r == CONF_RUN_NONCE_WRONG || n == NULL)
			n = other_nonce(c->nonce);
		if (json_object_set_new(o, "nonce", json_string(n)) != 0)
			goto fail;
	}
	*out = o;
	o = NULL; /* transferred */
	rc = RC_OK;
	goto out;
fail:
	RC_ERR(err, rc, "cannot build the ID token claims");
out:
	json_decref(o);
	return rc;
}

enum rc_code
conf_forge_userinfo(enum conf_run r, const struct conf_claims *c, json_t **out,
    struct rc_err *err)
{
	unsigned char md[RC_SHA256_LEN];
	char other[2 * RC_SHA256_LEN + 3];
	const char *sub = c->sub;
	json_t *o;

	*out = NULL;
	/* OpenID Connect Core 1.0 §5.3.2: the sub of the userinfo response
	 * MUST exactly match the ID token's, or its values MUST NOT be
	 * used.  Another person's sub, in FranceConnect's "64 hex + v1"
	 * shape, so that only the comparison can tell. */
	if (r == CONF_RUN_USERINFO_SUB) {
		if (rc_sha256(c->sub, strlen(c->sub), md) != RC_OK)
			return RC_ERR(err, RC_ECRYPTO, "cannot hash the sub");
		rc_hex(md, RC_SHA256_LEN, other);
		memcpy(other + 2 * RC_SHA256_LEN, "v1", 3);
		sub = other;
	}
	/* The fixed test identity (FranceConnect's sandbox mock citizen,
	 * reference §5) with FC's claim formats (reference §3). */
	o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "sub", sub, "iss", c->iss, "aud", c->aud, "iat", (json_int_t)c->now,
	    "exp", (json_int_t)(c->now + c->lifetime), "given_name",
	    "Angela Claire Louise", "family_name", "DUBOIS", "birthdate",
	    "1962-08-24", "gender", "female", "birthplace", "75107",
	    "birthcountry", "99100", "email", "angela.dubois@raccord.invalid");
	if (o == NULL)
		return RC_ERR(err, RC_ENOMEM,
		    "cannot build the userinfo claims");
	*out = o; /* transferred */
	return RC_OK;
}

enum rc_code
conf_corrupt_signature(char *tok, struct rc_err *err)
{
	char *dot = tok != NULL ? strrchr(tok, '.') : NULL;

	if (dot == NULL || dot[1] == '\0' || strchr(tok, '.') == dot)
		return RC_ERR(err, RC_EINVAL, "not a signed compact token");
	/* The first character carries the signature's top 6 bits; any
	 * other base64url letter changes them. */
	dot[1] = dot[1] == 'A' ? 'B' : 'A';
	return RC_OK;
}

enum rc_code
conf_forge_id_token(enum conf_run r, const struct conf_claims *c,
    const struct oidc_key *good, const struct oidc_key *rogue, char **out,
    struct rc_err *err)
{
	json_t *claims = NULL;
	char *tok = NULL;
	enum rc_code rc;

	*out = NULL;
	if ((rc = conf_forge_claims(r, c, &claims, err)) != RC_OK)
		goto out;
	if (r == CONF_RUN_ALG_NONE)
		rc = oidc_jwt_make_unsigned(claims, &tok, err);
	else
		rc = oidc_jwt_sign(claims,
		    r == CONF_RUN_KEY_ROGUE && rogue != NULL ? rogue : good,
		    &tok, err);
	if (rc != RC_OK)
		goto out;
	if (r == CONF_RUN_SIG_BAD &&
	    (rc = conf_corrupt_signature(tok, err)) != RC_OK)
		goto out;
	*out = tok;
	tok = NULL; /* transferred */
out:
	rc_free(tok);
	json_decref(claims);
	return rc;
}

static int
is_2xx(const struct conf_obs *o)
{
	return o->outcome == PROBE_OK && o->status >= 200 && o->status < 300;
}

/* A redirect (back to login or to the provider) or a client error. */
static int
is_refusal(const struct conf_obs *o)
{
	return o->outcome == PROBE_OK && o->status >= 300 && o->status < 500;
}

enum conf_tell
conf_choose_tell(const struct conf_obs *ref, const struct conf_obs *anon)
{
	if (!is_2xx(ref))
		return CONF_TELL_NONE;
	if (is_refusal(anon))
		return CONF_TELL_STATUS;
	if (is_2xx(anon) && ref->shows_identity && !anon->shows_identity)
		return CONF_TELL_IDENTITY;
	return CONF_TELL_NONE;
}

enum conf_verdict
conf_classify(enum conf_tell how, const struct conf_obs *o)
{
	if (how != CONF_TELL_STATUS && how != CONF_TELL_IDENTITY)
		return CONF_UNOBSERVABLE;
	if (is_refusal(o))
		return CONF_REFUSED;
	if (!is_2xx(o))
		return CONF_UNOBSERVABLE;
	if (how == CONF_TELL_IDENTITY && !o->shows_identity)
		return CONF_REFUSED; /* the page anybody gets */
	return CONF_SESSION;
}

int
conf_body_shows_identity(const char *body, size_t len)
{
	/* The fixed test identity's names (conformance.c, userinfo). */
	static const char *const marks[] = { "dubois", "angela" };
	size_t i, j, n;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		n = strlen(marks[i]);
		for (j = 0; body != NULL && j + n <= len; j++)
			if (strncasecmp(body + j, marks[i], n) == 0)
				return 1;
	}
	return 0;
}

enum conf_logout_fault
conf_logout_judge(const char *url, const char *id_token,
    const char *declared_plru, int *has_state)
{
	struct oidc_authreq *req = oidc_authreq_parse(url, NULL);
	const char *hint, *plru;
	enum conf_logout_fault f = CONF_LOGOUT_OK;

	*has_state = 0;
	if (req == NULL)
		return CONF_LOGOUT_UNPARSABLE;
	hint = oidc_authreq_param(req, "id_token_hint");
	plru = oidc_authreq_param(req, "post_logout_redirect_uri");
	*has_state = oidc_authreq_param(req, "state") != NULL;
	/* FranceConnect v2 (reference §4): id_token_hint is mandatory and
	 * is "the ID token received"; the post_logout_redirect_uri must be
	 * one the FS declared (Y04C013C otherwise). */
	if (hint == NULL || hint[0] == '\0')
		f = CONF_LOGOUT_NO_HINT;
	else if (id_token == NULL || strlen(hint) != strlen(id_token) ||
	    CRYPTO_memcmp(hint, id_token, strlen(id_token)) != 0)
		f = CONF_LOGOUT_HINT_OTHER;
	else if (plru == NULL || plru[0] == '\0')
		f = CONF_LOGOUT_NO_PLRU;
	else if (declared_plru == NULL || strcmp(plru, declared_plru) != 0)
		f = CONF_LOGOUT_PLRU_OTHER;
	oidc_authreq_free(req);
	return f;
}

const char *
conf_logout_fault_str(enum conf_logout_fault f)
{
	static const char *const s[CONF_LOGOUT_FAULT__MAX] = {
		[CONF_LOGOUT_OK] = "end_session was called with the login's ID "
		                   "token and the declared "
		                   "post_logout_redirect_uri",
		[CONF_LOGOUT_NO_HINT] = "end_session was called without "
		                        "id_token_hint (FranceConnect requires "
		                        "the ID token received)",
		[CONF_LOGOUT_HINT_OTHER] = "end_session's id_token_hint is not "
		                           "the ID token of this login",
		[CONF_LOGOUT_NO_PLRU] = "end_session was called without "
		                        "post_logout_redirect_uri: the citizen "
		                        "is not brought back to the site",
		[CONF_LOGOUT_PLRU_OTHER] =
		    "end_session's post_logout_redirect_uri is not the one the "
		    "dossier declares (FranceConnect refuses an undeclared "
		    "one, "
		    "Y04C013C)",
		[CONF_LOGOUT_UNPARSABLE] = "the end_session URL cannot be "
		                           "parsed",
	};

	return f < CONF_LOGOUT_FAULT__MAX ? s[f] : "?";
}
