/* SPDX-License-Identifier: MIT */
/* A self-check's dossier from its fields (site_dossier.h). */
#include <stdio.h>

#include "common/ident.h"
#include "connector/site_dossier.h"

/* obj[key] = v when v is given; -1 when v is not UTF-8 or no memory. */
static int
set_given(json_t *obj, const char *key, const char *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new(obj, key, json_string(v));
}

json_t *
site_dossier_json(const struct site_flags *sf)
{
	char siren[RC_SIREN_LEN + 1], name[64];
	json_t *root, *col, *fc;

	root = json_pack("{s:s, s:{s:s}, s:[{s:s, s:s}]}", "dossier_id",
	    "self-check", "collectivite", "categorie",
	    sf->kind ? sf->kind : "commune", "integrations", "kind",
	    "franceconnect", "environment", sf->env ? sf->env : "production");
	if (root == NULL)
		return NULL;
	col = json_object_get(root, "collectivite");
	fc = json_array_get(json_object_get(root, "integrations"), 0);
	if (sf->siret != NULL)
		snprintf(siren, sizeof(siren), "%s", sf->siret);
	snprintf(name, sizeof(name), "Self-check %.20s",
	    sf->siret ? sf->siret : "");
	if (set_given(col, "siret", sf->siret) != 0 ||
	    set_given(col, "siren", sf->siret ? siren : NULL) != 0 ||
	    set_given(col, "nom", sf->name ? sf->name : name) != 0 ||
	    set_given(fc, "client_id", sf->client_id) != 0 ||
	    set_given(fc, "login_url", sf->login_url) != 0 ||
	    set_given(fc, "redirect_uri", sf->redirect_uri) != 0 ||
	    set_given(fc, "button_page_url", sf->button_page_url) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}
