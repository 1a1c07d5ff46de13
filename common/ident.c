/* SPDX-License-Identifier: MIT */
/*
 * Identifier validators (see ident.h): SIREN/SIRET (Luhn, La Poste
 * rule), IBAN (ISO 13616 with the ISO 7064 MOD 97-10 check), BIC
 * (ISO 9362) and the INSEE commune code.
 */
#include <string.h>

#include "common/ident.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_upper_or_digit(char c)
{
	return is_upper(c) || is_digit(c);
}

static bool
fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return false;
}

bool
rc_digits(const char *s, size_t n)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return s[n] == '\0';
}

/* From the rightmost digit, double every second one (Luhn, ISO 7812). */
bool
rc_luhn(const char *s, size_t n)
{
	unsigned sum = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		d = (unsigned)(s[n - 1 - i] - '0');
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

/*
 * The SIREN is an 8-digit order number INSEE assigns sequentially, then a
 * Luhn key (INSEE, "Numéro Siren": "le numéro SIREN est attribué
 * séquentiellement ... un simple numéro d'ordre"; the Luhn "clé 1-2").
 * Order number 00000000 is never assigned: 000000000 passes Luhn (the sum
 * of zeros is 0) but names nobody, and forms use it as a placeholder
 * (issue 8 item 8).
 */
static bool
siren_order_zero(const char *s)
{
	return strncmp(s, "00000000", 8) == 0;
}

bool
rc_siren_valid(const char *siren, const char **why)
{
	if (!rc_digits(siren, RC_SIREN_LEN))
		return fail(why, "is not 9 digits");
	if (siren_order_zero(siren))
		return fail(why,
		    "is not a SIREN: INSEE never assigns order number "
		    "00000000");
	if (!rc_luhn(siren, RC_SIREN_LEN))
		return fail(why, "fails the Luhn check");
	return true;
}

/* Digit sum of the 14 digits, for the La Poste rule. */
static unsigned
digit_sum(const char *s, size_t n)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (unsigned)(s[i] - '0');
	return sum;
}

/*
 * SIRET = SIREN (9 digits) + NIC (a 4-digit order number of the
 * establishment and a key digit), the key computed over all 14 digits
 * with Luhn (INSEE definition of the SIRET, quoted in
 * shared/reference/national_apis.md section 7).  Rules, in order:
 *   1. 14 digits;
 *   2. the first 9 form a valid SIREN (rc_siren_valid: a SIRET is the
 *      SIREN of its legal unit plus the NIC, so 00000000000000, or
 *      13002526000014 whose SIREN part fails Luhn, are not SIRETs even
 *      though their 14 digits pass Luhn);
 *   3. La Poste (SIREN 356000000) has more establishments than the Luhn
 *      NIC space holds: its head office 35600000000048 keeps the Luhn
 *      key, every other establishment has a digit sum that is a multiple
 *      of 5 instead (INSEE, via the French Wikipedia article "Système
 *      d'identification du répertoire des établissements");
 *   4. everyone else: Luhn over the 14 digits.
 */
bool
rc_siret_valid(const char *siret, const char **why)
{
	if (!rc_digits(siret, RC_SIRET_LEN))
		return fail(why, "is not 14 digits");
	if (siren_order_zero(siret))
		return fail(why,
		    "is not a SIRET: its SIREN part 000000000 is never "
		    "assigned by INSEE");
	if (!rc_luhn(siret, RC_SIREN_LEN))
		return fail(why,
		    "is not a SIRET: its first 9 digits are not a valid SIREN "
		    "(Luhn)");
	if (strncmp(siret, RC_LA_POSTE_SIREN, RC_SIREN_LEN) == 0) {
		if (strcmp(siret, RC_LA_POSTE_HEAD_OFFICE) == 0)
			return true;
		if (digit_sum(siret, RC_SIRET_LEN) % 5 == 0)
			return true;
		return fail(why,
		    "fails the La Poste rule (a La Poste establishment other "
		    "than the head office has a digit sum that is a multiple "
		    "of 5)");
	}
	if (!rc_luhn(siret, RC_SIRET_LEN))
		return fail(why, "fails the Luhn check");
	return true;
}

bool
rc_siret_siren_match(const char *siret, const char *siren)
{
	if (siret == NULL || siren == NULL)
		return false;
	if (strlen(siren) != RC_SIREN_LEN || strlen(siret) < RC_SIREN_LEN)
		return false;
	return strncmp(siret, siren, RC_SIREN_LEN) == 0;
}

bool
rc_iban_normalise(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	char c;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (in == NULL)
		return false;
	for (; *in != '\0'; in++) {
		c = *in;
		if (c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!is_upper_or_digit(c) || n + 1 >= outlen) {
			out[0] = '\0';
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* IBAN lengths of the SEPA countries (SWIFT IBAN registry). */
/* clang-format off */
static const struct {
	char cc[3];
	unsigned char len;
} iban_lengths[] = {
	{ "AD", 24 }, { "AL", 28 }, { "AT", 20 }, { "BE", 16 }, { "BG", 22 },
	{ "CH", 21 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DK", 18 },
	{ "EE", 20 }, { "ES", 24 }, { "FI", 18 }, { "FR", 27 }, { "GB", 22 },
	{ "GI", 23 }, { "GR", 27 }, { "HR", 21 }, { "HU", 28 }, { "IE", 22 },
	{ "IS", 26 }, { "IT", 27 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
	{ "MT", 31 }, { "NL", 18 }, { "NO", 15 }, { "PL", 28 }, { "PT", 25 },
	{ "RO", 24 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 },
	{ "VA", 22 },
};
/* clang-format on */

/* Add one base-10 digit string's worth of value to a running mod 97. */
static unsigned
mod97_digit(unsigned r, unsigned d)
{
	return (r * 10 + d) % 97;
}

bool
rc_iban_valid(const char *iban, const char **why)
{
	size_t len, i, k, want = 0;
	unsigned r = 0, v;
	char c;

	if (iban == NULL || (len = strlen(iban)) < 5)
		return fail(why, "is too short for an IBAN");
	if (len > RC_IBAN_MAX)
		return fail(why, "is longer than 34 characters");
	if (!is_upper(iban[0]) || !is_upper(iban[1]))
		return fail(why, "does not start with a country code");
	if (!is_digit(iban[2]) || !is_digit(iban[3]))
		return fail(why, "has no check digits after the country code");
	for (i = 4; i < len; i++)
		if (!is_upper_or_digit(iban[i]))
			return fail(why,
			    "holds characters other than A-Z, 0-9");
	for (k = 0; k < sizeof(iban_lengths) / sizeof(iban_lengths[0]); k++)
		if (memcmp(iban_lengths[k].cc, iban, 2) == 0)
			want = iban_lengths[k].len;
	if (want == 0)
		return fail(why, "is not from a SEPA country");
	if (len != want)
		return fail(why, "has the wrong length for its country");
	/*
	 * ISO 7064 MOD 97-10: move the first four characters to the end,
	 * read letters as 10..35, and the number must be 1 modulo 97.  The
	 * remainder is carried digit by digit, so nothing overflows.
	 */
	for (i = 0; i < len; i++) {
		c = iban[(i + 4) % len];
		if (is_digit(c)) {
			r = mod97_digit(r, (unsigned)(c - '0'));
		} else {
			v = (unsigned)(c - 'A') + 10;
			r = mod97_digit(mod97_digit(r, v / 10), v % 10);
		}
	}
	if (r != 1)
		return fail(why, "fails the ISO 13616 mod-97 check");
	return true;
}

bool
rc_bic_valid(const char *bic, const char **why)
{
	size_t len, i;

	if (bic == NULL || ((len = strlen(bic)) != 8 && len != 11))
		return fail(why, "is not 8 or 11 characters");
	for (i = 0; i < 6; i++)
		if (!is_upper(bic[i]))
			return fail(why,
			    "does not start with 6 letters (bank and country)");
	for (i = 6; i < len; i++)
		if (!is_upper_or_digit(bic[i]))
			return fail(why,
			    "has location or branch characters other than "
			    "A-Z, 0-9");
	return true;
}

bool
rc_cog_valid(const char *code, const char **why)
{
	int dep;

	if (code == NULL || strlen(code) != 5)
		return fail(why, "is not 5 characters");
	if (code[0] == '9' && code[1] == '7') {
		/* Overseas: 971-978 then two digits. */
		if (!rc_digits(code + 2, 3) || code[2] < '1' || code[2] > '8')
			return fail(why, "is not an overseas code 971xx-978xx");
		return true;
	}
	if (code[0] == '9' && code[1] == '8') {
		if (!rc_digits(code + 2, 3) || code[2] < '4' || code[2] > '8')
			return fail(why, "is not an overseas code 984xx-988xx");
		return true;
	}
	if (!rc_digits(code + 2, 3))
		return fail(why, "does not end with 3 digits");
	if (code[0] == '2' && (code[1] == 'A' || code[1] == 'B'))
		return true; /* Corsica since 1976 */
	if (!is_digit(code[0]) || !is_digit(code[1]))
		return fail(why, "does not start with a département number");
	dep = (code[0] - '0') * 10 + (code[1] - '0');
	if (dep == 20)
		return fail(why,
		    "uses département 20 (Corsica is 2A or 2B in the COG)");
	if (dep < 1 || dep > 95)
		return fail(why, "has a département outside 01-95");
	return true;
}
