/* SPDX-License-Identifier: MIT */
/*
 * Validators for the identifiers a dossier carries: SIREN and SIRET
 * (INSEE; Luhn, with the La Poste exception), IBAN (ISO 13616, mod 97),
 * BIC (ISO 9362) and the INSEE commune code (COG).  Format checks only:
 * none of them says the identifier exists (that takes a lookup).
 *
 * Each predicate returns true when the value is valid; when it is not
 * and why is not NULL, *why receives a static phrase that reads after
 * the value ("fails the Luhn check"), so that callers can write
 * "collectivite.siret: 21750001600018 fails the Luhn check".
 * Sources: shared/reference/national_apis.md section 7.
 */
#ifndef RC_COMMON_IDENT_H
#define RC_COMMON_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#define RC_SIREN_LEN            9
#define RC_SIRET_LEN            14
#define RC_IBAN_MAX             34 /* ISO 13616: at most 34 characters */
#define RC_LA_POSTE_SIREN       "356000000"
#define RC_LA_POSTE_HEAD_OFFICE "35600000000048" /* the only Luhn one */

/* True when s is exactly n ASCII digits followed by the end of s. */
bool rc_digits(const char *s, size_t n);

/* Luhn check over the n digits of s (which must be digits). */
bool rc_luhn(const char *s, size_t n);

/* SIREN: 9 digits, Luhn-valid, order number (first 8) not 00000000. */
bool rc_siren_valid(const char *siren, const char **why);

/*
 * SIRET: 14 digits whose first 9 are a valid SIREN; Luhn-valid over all
 * 14, except La Poste (SIREN 356000000): its head office 35600000000048,
 * or any other establishment whose 14 digits sum to a multiple of 5.
 */
bool rc_siret_valid(const char *siret, const char **why);

/* True when siret starts with the 9 characters of siren. */
bool rc_siret_siren_match(const char *siret, const char *siren);

/*
 * Copy in to out without spaces, in upper case.  False (out then holds
 * "") when in holds anything but ASCII letters, digits and spaces, or
 * when the result does not fit in outlen bytes (RC_IBAN_MAX + 1 fits
 * every IBAN).
 */
bool rc_iban_normalise(const char *in, char *out, size_t outlen);

/*
 * IBAN in normalised form: two letters of a known SEPA country, two
 * check digits, the length that country uses (27 for FR), alphanumeric
 * BBAN, and mod 97 == 1 (ISO 7064).
 */
bool rc_iban_valid(const char *iban, const char **why);

/*
 * BIC (ISO 9362), upper case: 4 letters (institution), 2 letters
 * (country), 2 letters or digits (location), optionally 3 letters or
 * digits (branch).
 */
bool rc_bic_valid(const char *bic, const char **why);

/*
 * INSEE commune code (COG): 5 characters; département 01-19, 2A, 2B,
 * 21-95 then 3 digits, or 971-978 / 984-988 then 2 digits.
 */
bool rc_cog_valid(const char *code, const char **why);

#endif /* RC_COMMON_IDENT_H */
