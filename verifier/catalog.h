/* SPDX-License-Identifier: MIT */
/*
 * The catalogue of checks: every check id the verifier can record, with
 * what it guards and how a site fixes it, in French and in English.
 *
 * One table (verifier/catalog.c) is read by the report (an id absent
 * from it makes its section incomplete: a check nobody explained never
 * pays), by `raccord checks` (text, JSON, Markdown: docs/checks.md is
 * its Markdown), by `raccord check --lang fr|en` and by the self-check
 * page.  The English detail a check records stays the evidence; the
 * catalogue gives the plain explanation next to it (issue 10 §3).
 */
#ifndef RC_VERIFIER_CATALOG_H
#define RC_VERIFIER_CATALOG_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/err.h"

#define CATALOG_VERSION 1

enum catalog_lang { CATALOG_EN, CATALOG_FR, CATALOG_LANG__MAX };

/* How a check weighs on its section's verdict (docs/report.md). */
enum catalog_level {
	CATALOG_REQUIRED,    /* decides the verdict */
	CATALOG_CONDITIONAL, /* decides it when it applies, else skip */
	CATALOG_ADVISORY,    /* reported, never decides */
	CATALOG_LEVEL__MAX
};

/* The plain explanation of a check in one language. */
struct catalog_text {
	const char *title; /* what is checked, one line */
	const char *why;   /* what goes wrong for people when it breaks */
	const char *fix;   /* what the site (or operator) must change */
};

struct catalog_entry {
	const char *id;   /* "fc.authorize.nonce" */
	const char *kind; /* the section kind it is recorded in */
	enum catalog_level level;
	const char *rule; /* the exact rule applied (English, technical) */
	struct catalog_text text[CATALOG_LANG__MAX];
	const char *doc;  /* "docs/fc_rules.md#anchor": where it is explained */
	const char *spec; /* the normative sources, or NULL */
};

/* The entry of id, or NULL when id is not catalogued.  Borrowed. */
const struct catalog_entry *catalog_find(const char *id);

/* Number of entries, and entry i (NULL past the end), in table order. */
size_t catalog_count(void);
const struct catalog_entry *catalog_get(size_t i);

/*
 * "en" or "fr" (case-insensitive) into *out.  RC_EINVAL, with a message
 * naming the allowed values, for anything else.
 */
enum rc_code catalog_lang_parse(const char *s, enum catalog_lang *out,
    struct rc_err *err);
const char *catalog_lang_str(enum catalog_lang lang);

/* "required" / "obligatoire", ... in lang. */
const char *catalog_level_str(enum catalog_level level, enum catalog_lang lang);

/* The machine name of a level: "required", "conditional", "advisory". */
const char *catalog_level_name(enum catalog_level level);

/*
 * The catalogue as JSON (new reference, NULL on ENOMEM): {"version",
 * "checks": [{id, kind, level, rule, doc, spec, en: {...}, fr: {...}}]}.
 * With only >= 0, just that language's texts.
 */
json_t *catalog_to_json(int only);

/* The catalogue for people, in lang; one entry of it. */
void catalog_print_text(FILE *f, enum catalog_lang lang);
void catalog_print_entry_text(FILE *f, const struct catalog_entry *e,
    enum catalog_lang lang);

/*
 * The catalogue in Markdown (the generated part of docs/checks.md): both
 * languages when only < 0, else only that one.
 */
void catalog_print_markdown(FILE *f, int only);

/*
 * Add to every check of a report's JSON (report_to_json) an
 * "explanation" object {lang, title, why, fix, doc, spec} from the
 * catalogue.  A check absent from the catalogue gets none (its section
 * is already incomplete).  RC_ENOMEM, RC_EINVAL on a JSON that is not a
 * report.
 */
enum rc_code catalog_explain_report_json(json_t *report,
    enum catalog_lang lang);

#endif /* RC_VERIFIER_CATALOG_H */
