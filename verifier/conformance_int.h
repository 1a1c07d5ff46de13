/* SPDX-License-Identifier: MIT */
/*
 * Private to verifier/: the pure parts of active conformance
 * (verifier/conformance.h), split out so that unit tests reach them:
 * the runs, the forging of each run's ID token, and the judgement of
 * what the site did with it.
 */
#ifndef RC_VERIFIER_CONFORMANCE_INT_H
#define RC_VERIFIER_CONFORMANCE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/err.h"
#include "oidc/jwks.h"
#include "verifier/conformance.h"
#include "verifier/probe.h"

/*
 * One login per run.  CONF_RUN_REFERENCE is the correct login that must
 * open a session; every other run deviates in one way that the site
 * must refuse.
 */
enum conf_run {
	CONF_RUN_REFERENCE,     /* correct: the definition of "logged in" */
	CONF_RUN_NONCE_WRONG,   /* ID token nonce is not the site's */
	CONF_RUN_NONCE_MISSING, /* ID token without nonce */
	CONF_RUN_AUD_WRONG,     /* aud is another client */
	CONF_RUN_ISS_WRONG,     /* iss is another issuer */
	CONF_RUN_EXPIRED,       /* exp in the past */
	CONF_RUN_IAT_FUTURE,    /* iat an hour ahead */
	CONF_RUN_SIG_BAD,       /* signature bytes altered */
	CONF_RUN_ALG_NONE,      /* unsecured token, alg none */
	CONF_RUN_KEY_ROGUE,     /* signed by a key not in the JWKS */
	CONF_RUN_ACR_MISSING,   /* no acr claim */
	CONF_RUN_ACR_LOW,       /* FranceConnect+: acr eidas1, below eidas2 */
	CONF_RUN_USERINFO_SUB,  /* userinfo's sub is not the ID token's */
	CONF_RUN_STATE_ALTERED, /* callback state is not the site's */
	CONF_RUN_CODE_REPLAYED, /* callback carries an already used code */
	CONF_RUN__MAX
};

/* "reference", "nonce_wrong", ... (the check id's last part). */
const char *conf_run_name(enum conf_run r);

/* What the run does, in one sentence for the report. */
const char *conf_run_what(enum conf_run r);

/*
 * Is run r part of a FranceConnect (plus 0) or FranceConnect+ (plus 1)
 * conformance section?  acr_low only for FranceConnect+: FranceConnect
 * asks eidas1, the lowest level.
 */
int conf_run_applies(enum conf_run r, int plus);

/* The ID token's genuine content for one login. */
struct conf_claims {
	const char *iss;   /* raccord's issuer */
	const char *aud;   /* the registered client_id */
	const char *sub;   /* the test identity's pairwise sub */
	const char *nonce; /* the site's nonce, or NULL when it sent none */
	const char *acr;   /* "eidas1"; FranceConnect+: "eidas2", "eidas3" */
	time_t now;
	long lifetime; /* seconds; FC: 60 */
};

/*
 * The claims of run r's ID token (new object, caller's reference):
 * iss, sub, aud, exp, iat, auth_time, nonce, acr, amr as FranceConnect
 * v2 sends them, with r's one deviation.  RC_ENOMEM.
 */
enum rc_code conf_forge_claims(enum conf_run r, const struct conf_claims *c,
    json_t **out, struct rc_err *err);

/*
 * The claims of run r's userinfo JWT (new object, caller's reference):
 * the fixed test identity (FranceConnect's sandbox citizen) with sub,
 * iss, aud, iat and exp as FranceConnect v2 sends them; for
 * CONF_RUN_USERINFO_SUB a sub that is not c->sub (another pairwise sub of
 * the same shape).  RC_ENOMEM, RC_ECRYPTO.
 */
enum rc_code conf_forge_userinfo(enum conf_run r, const struct conf_claims *c,
    json_t **out, struct rc_err *err);

/*
 * Run r's ID token for c: signed with good (the key the JWKS publishes),
 * or with rogue for CONF_RUN_KEY_ROGUE, altered for CONF_RUN_SIG_BAD,
 * unsecured for CONF_RUN_ALG_NONE.  *out for rc_free.  RC_ECRYPTO,
 * RC_ENOMEM.
 */
enum rc_code conf_forge_id_token(enum conf_run r, const struct conf_claims *c,
    const struct oidc_key *good, const struct oidc_key *rogue, char **out,
    struct rc_err *err);

/* What the browser saw after one login, for the judgement. */
struct conf_obs {
	enum probe_outcome outcome; /* of the session probe */
	long status;                /* session probe's HTTP status */
	int location_is_provider;   /* it redirected to raccord's provider */
	int shows_identity;         /* its body names the test identity */
};

enum conf_verdict {
	CONF_SESSION,      /* the site serves its logged-in page */
	CONF_REFUSED,      /* redirect to login, a 4xx, or the anonymous page */
	CONF_UNOBSERVABLE, /* network failure or 5xx: cannot tell */
	CONF_VERDICT__MAX
};

/* How this site's logged-in page differs from what anybody gets. */
enum conf_tell {
	CONF_TELL_STATUS,   /* anonymous: a redirect or a 4xx; logged in: 2xx */
	CONF_TELL_IDENTITY, /* both 2xx; only the logged-in page names the
	                       test identity */
	CONF_TELL_NONE,     /* no difference raccord can see */
	CONF_TELL__MAX
};

/*
 * Choose the tell from the session probe of the reference login (ref)
 * and the same landing page fetched with no cookie at all (anon).
 * CONF_TELL_NONE when the reference shows no 2xx page, or when the
 * anonymous page cannot be fetched or looks the same.
 */
enum conf_tell conf_choose_tell(const struct conf_obs *ref,
    const struct conf_obs *anon);

/*
 * Judge a run by its session probe: the landing page of the reference
 * login, fetched again with the run's cookies and no redirect followed.
 * With CONF_TELL_STATUS a 2xx is the logged-in page and a 3xx (back to
 * login or to the provider) or 4xx is no session; with
 * CONF_TELL_IDENTITY a 2xx must also name the test identity.  A network
 * failure, a 5xx or CONF_TELL_NONE cannot be judged.
 */
enum conf_verdict conf_classify(enum conf_tell how, const struct conf_obs *o);

/* Does the body name the test identity (case-insensitive)? */
int conf_body_shows_identity(const char *body, size_t len);

/*
 * Alter the signature of a compact JWS in place (its first base64url
 * character changes, so the decoded signature differs).  RC_EINVAL when
 * tok has no signature part.
 */
enum rc_code conf_corrupt_signature(char *tok, struct rc_err *err);

/*
 * The logout run (check fc.conformance.logout, advisory): after a correct
 * login the browser follows the site's logout_url, which must send it to
 * the provider's end_session with the ID token of that login as
 * id_token_hint and the declared post_logout_redirect_uri (FranceConnect
 * reference §4), and the site's session must be gone afterwards.
 */
enum conf_logout_fault {
	CONF_LOGOUT_OK,
	CONF_LOGOUT_NO_HINT,    /* no id_token_hint */
	CONF_LOGOUT_HINT_OTHER, /* not the ID token of this login */
	CONF_LOGOUT_NO_PLRU,    /* no post_logout_redirect_uri */
	CONF_LOGOUT_PLRU_OTHER, /* not the one the dossier declares */
	CONF_LOGOUT_UNPARSABLE, /* the end_session URL cannot be parsed */
	CONF_LOGOUT_FAULT__MAX
};

/*
 * Judge the end_session URL the site sent the browser to: id_token (the
 * ID token the provider issued in this login, or NULL) must be its
 * id_token_hint, declared_plru (the dossier's, or NULL: then any value
 * is undeclared) its post_logout_redirect_uri.  *has_state says whether
 * it carries a state (FranceConnect's documentation asks for one; its
 * code does not).  The first fault in the order of the enum.
 */
enum conf_logout_fault conf_logout_judge(const char *url, const char *id_token,
    const char *declared_plru, int *has_state);

/* A sentence for a fault ("end_session was called without ..."). */
const char *conf_logout_fault_str(enum conf_logout_fault f);

/*
 * The test provider, without its socket, so that its request handling
 * can be driven by a harness (tests/fuzz/fuzz_conf_provider.c) over any
 * connection libmicrohttpd is given.  conformance_run starts the same
 * provider on its TLS listener.
 */
struct conf_prov;

/*
 * A provider for reg (borrowed: it must outlive the provider) at issuer
 * public_url, FranceConnect+ when plus: new keys, discovery, JWKS.
 * *out for conf_prov_free.  RC_EINVAL for public_url, RC_ECRYPTO,
 * RC_ENOMEM.
 */
enum rc_code conf_prov_new(const struct conf_registration *reg,
    const char *public_url, int plus, struct conf_prov **out,
    struct rc_err *err);

/* Free p (NULL is a no-op); its keys and codes are wiped. */
void conf_prov_free(struct conf_prov *p);

/* FranceConnect+: the RP's encryption key (transferred; NULL: none). */
void conf_prov_set_rp_key(struct conf_prov *p, struct oidc_key *key);

/* Start a new login of run r: the previous one's code, tokens and
 * back-channel log are forgotten. */
void conf_prov_begin(struct conf_prov *p, enum conf_run r);

/* Keep the current login's code and nonce as the reference login's
 * (what CONF_RUN_CODE_REPLAYED replays). */
void conf_prov_keep_reference(struct conf_prov *p);

/* The code and access token of the current login (borrowed, "" before
 * authorize and token answered). */
const char *conf_prov_code(const struct conf_prov *p);
const char *conf_prov_access_token(const struct conf_prov *p);

/*
 * libmicrohttpd's access handler and request-completed callback for the
 * provider (cls is the struct conf_prov): discovery, JWKS, authorize,
 * token (client_secret_post and client_secret_basic), userinfo (Bearer)
 * and session/end under the issuer's path.
 */
enum MHD_Result conf_prov_handle(void *cls, struct MHD_Connection *conn,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls);
void conf_prov_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe);

#endif /* RC_VERIFIER_CONFORMANCE_INT_H */
