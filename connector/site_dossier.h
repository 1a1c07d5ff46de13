/* SPDX-License-Identifier: MIT */
/*
 * A self-check's one-integration dossier from a few fields: what
 * `raccord check --siret ... --login-url ...` types as flags and what the
 * self-check page (connector/daemon/selfcheck.c) receives from its form.
 * Both read the JSON built here with the dossier parser, so that the same
 * rules apply; the CLI names its errors as flags, the page as fields.
 */
#ifndef RC_CONNECTOR_SITE_DOSSIER_H
#define RC_CONNECTOR_SITE_DOSSIER_H

#include <jansson.h>

/* The fields of a self-check (NULL: not given). */
struct site_flags {
	const char *siret, *login_url, *client_id, *redirect_uri;
	const char *env, *kind, *name;
	const char *button_page_url; /* the page's optional field */
};

/*
 * The dossier as JSON (new reference): dossier_id "self-check", the
 * SIREN cut from the SIRET's first nine digits, the category "commune"
 * unless kind, the name "Self-check SIRET" unless name, one
 * franceconnect integration (environment "production" unless env), no
 * paiement (a self-check needs no bank details).  Fields not given are
 * left out, for the parser to name.  NULL when a field is not valid
 * UTF-8 or memory ran out.
 */
json_t *site_dossier_json(const struct site_flags *sf);

#endif /* RC_CONNECTOR_SITE_DOSSIER_H */
