/* SPDX-License-Identifier: MIT */
/*
 * The award rules (see policy.h).  Pure: no I/O, no clock.
 */
#include <stdio.h>
#include <string.h>

#include "common/ident.h"
#include "common/mem.h"
#include "connector/policy.h"

struct policy_slot {
	uint32_t siren; /* 0: empty (SIREN 000000000 is not Luhn-valid... */
	int used;       /* ...but we do not rely on it) */
	int64_t live[POLICY_KIND__MAX];
};

struct policy_cred {
	unsigned char fp[32]; /* SHA-256 fingerprint */
	int used;
	uint64_t seq;   /* its first award */
	uint32_t siren; /* that award's SIREN */
};

static const char *const kind_names[POLICY_KIND__MAX] = { "franceconnect",
	"api" };
static const char *const op_names[POLICY_OP__MAX] = { "award", "revoke" };

void
policy_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->amount_cents = POLICY_AMOUNT_CENTS;
}

const char *
policy_kind_str(enum policy_kind k)
{
	return k < POLICY_KIND__MAX ? kind_names[k] : "?";
}

const char *
policy_op_str(enum policy_op op)
{
	return op < POLICY_OP__MAX ? op_names[op] : "?";
}

enum rc_code
policy_kind_parse(const char *s, enum policy_kind *out)
{
	int i;

	for (i = 0; i < POLICY_KIND__MAX; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum policy_kind)i;
			return RC_OK;
		}
	return RC_EINVAL;
}

enum rc_code
policy_op_parse(const char *s, enum policy_op *out)
{
	int i;

	for (i = 0; i < POLICY_OP__MAX; i++)
		if (strcmp(s, op_names[i]) == 0) {
			*out = (enum policy_op)i;
			return RC_OK;
		}
	return RC_EINVAL;
}

void
policy_state_init(struct policy_state *st)
{
	memset(st, 0, sizeof(*st));
}

void
policy_state_cleanup(struct policy_state *st)
{
	rc_free(st->slots);
	rc_free(st->creds);
	memset(st, 0, sizeof(*st));
}

/* The SIREN as a number, or 0 when it is not 9 digits. */
static uint32_t
siren_num(const char *siren)
{
	uint32_t v = 0;
	int i;

	if (siren == NULL || !rc_digits(siren, RC_SIREN_LEN))
		return 0;
	for (i = 0; i < RC_SIREN_LEN; i++)
		v = v * 10 + (uint32_t)(siren[i] - '0');
	return v;
}

static size_t
slot_index(const struct policy_state *st, uint32_t key)
{
	size_t i = (size_t)(key * 2654435761u) & (st->cap - 1);

	while (st->slots[i].used && st->slots[i].siren != key)
		i = (i + 1) & (st->cap - 1);
	return i;
}

static const struct policy_slot *
slot_find(const struct policy_state *st, uint32_t key)
{
	size_t i;

	if (st->cap == 0)
		return NULL;
	i = slot_index(st, key);
	return st->slots[i].used ? &st->slots[i] : NULL;
}

static enum rc_code
slot_grow(struct policy_state *st)
{
	struct policy_slot *old = st->slots;
	size_t oldcap = st->cap, i, j, ncap = st->cap ? st->cap * 2 : 1024;

	if ((st->slots = rc_calloc(ncap, sizeof(*st->slots))) == NULL) {
		st->slots = old;
		return RC_ENOMEM;
	}
	st->cap = ncap;
	for (i = 0; i < oldcap; i++)
		if (old[i].used) {
			j = slot_index(st, old[i].siren);
			st->slots[j] = old[i];
		}
	rc_free(old);
	return RC_OK;
}

/* The slot of key, created when absent.  NULL on ENOMEM. */
static struct policy_slot *
slot_get(struct policy_state *st, uint32_t key)
{
	size_t i;
	int k;

	if ((st->used + 1) * 2 > st->cap && slot_grow(st) != RC_OK)
		return NULL;
	i = slot_index(st, key);
	if (!st->slots[i].used) {
		st->slots[i].used = 1;
		st->slots[i].siren = key;
		for (k = 0; k < POLICY_KIND__MAX; k++)
			st->slots[i].live[k] = -1;
		st->used++;
	}
	return &st->slots[i];
}

int
policy_hex64(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
fp_parse(const char *hex, unsigned char fp[32])
{
	int i, hi, lo;

	for (i = 0; i < 32; i++) {
		hi = hex[2 * i] <= '9' ? hex[2 * i] - '0'
		                       : hex[2 * i] - 'a' + 10;
		lo = hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0'
		                           : hex[2 * i + 1] - 'a' + 10;
		fp[i] = (unsigned char)(hi * 16 + lo);
	}
}

static size_t
cred_index(const struct policy_cred *tab, size_t cap,
    const unsigned char fp[32])
{
	size_t i;

	memcpy(&i, fp, sizeof(i)); /* a SHA-256 is already uniform */
	i &= cap - 1;
	while (tab[i].used && memcmp(tab[i].fp, fp, 32) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static const struct policy_cred *
cred_find(const struct policy_state *st, const unsigned char fp[32])
{
	size_t i;

	if (st->ccap == 0)
		return NULL;
	i = cred_index(st->creds, st->ccap, fp);
	return st->creds[i].used ? &st->creds[i] : NULL;
}

/* Room for one more fingerprint, so that inserting cannot fail. */
static enum rc_code
cred_reserve(struct policy_state *st)
{
	struct policy_cred *nt;
	size_t ncap, i;

	if ((st->cused + 1) * 2 <= st->ccap)
		return RC_OK;
	ncap = st->ccap ? st->ccap * 2 : 256;
	if ((nt = rc_calloc(ncap, sizeof(*nt))) == NULL)
		return RC_ENOMEM;
	for (i = 0; i < st->ccap; i++)
		if (st->creds[i].used)
			nt[cred_index(nt, ncap, st->creds[i].fp)] =
			    st->creds[i];
	rc_free(st->creds);
	st->creds = nt;
	st->ccap = ncap;
	return RC_OK;
}

int64_t
policy_state_cred(const struct policy_state *st, const char *cred,
    char siren[10])
{
	const struct policy_cred *c;
	unsigned char fp[32];

	siren[0] = '\0';
	if (!policy_hex64(cred))
		return -1;
	fp_parse(cred, fp);
	if ((c = cred_find(st, fp)) == NULL)
		return -1;
	snprintf(siren, 10, "%09lu", (unsigned long)(c->siren % 1000000000u));
	return (int64_t)c->seq;
}

int64_t
policy_state_live(const struct policy_state *st, const char *siren,
    enum policy_kind kind)
{
	const struct policy_slot *s;
	uint32_t key = siren_num(siren);

	if (key == 0 || kind >= POLICY_KIND__MAX ||
	    (s = slot_find(st, key)) == NULL)
		return -1;
	return s->live[kind];
}

void
policy_decide(const struct policy *p, const struct policy_state *st,
    const char *siren, enum policy_kind kind, enum policy_verdict v, time_t now,
    struct policy_decision *d)
{
	policy_decide_cred(p, st, siren, kind, v, now, NULL, -1, d);
}

void
policy_decide_cred(const struct policy *p, const struct policy_state *st,
    const char *siren, enum policy_kind kind, enum policy_verdict v, time_t now,
    const char *cred, int64_t approve_seq, struct policy_decision *d)
{
	char other[10];
	int64_t seq, first = -1;

	memset(d, 0, sizeof(*d));
	d->existing_seq = -1;
	d->conflict_seq = -1;
	d->outcome = POLICY_REFUSE;
	if (!rc_siren_valid(siren, NULL) || kind >= POLICY_KIND__MAX) {
		snprintf(d->reason, sizeof(d->reason), "invalid SIREN or kind");
		return;
	}
	/* Idempotence first: a second verification returns the award. */
	if ((seq = policy_state_live(st, siren, kind)) >= 0) {
		d->outcome = POLICY_ALREADY;
		d->existing_seq = seq;
		snprintf(d->reason, sizeof(d->reason),
		    "SIREN %s already holds the %s forfait (entry %lld); "
		    "one per kind",
		    siren, kind_names[kind], (long long)seq);
		return;
	}
	if (v == POLICY_INCONCLUSIVE) {
		snprintf(d->reason, sizeof(d->reason),
		    "%s checks were inconclusive (network or timeout): "
		    "nothing is awarded; verify again later",
		    kind_names[kind]);
		return;
	}
	if (v != POLICY_VERIFIED) {
		snprintf(d->reason, sizeof(d->reason),
		    "%s integration not verified: a required check failed",
		    kind_names[kind]);
		return;
	}
	/*
	 * One credential, one collectivité (issue 8): neither DataPass nor
	 * the token proves that the credential belongs to this SIREN.  A
	 * credential first awarded to another SIREN waits for an
	 * instructor, who approves it by naming that first award.
	 */
	if (cred != NULL && (first = policy_state_cred(st, cred, other)) >= 0 &&
	    strcmp(other, siren) != 0) {
		if (approve_seq != first) {
			d->outcome = POLICY_HOLD;
			d->conflict_seq = first;
			snprintf(d->conflict_siren, sizeof(d->conflict_siren),
			    "%s", other);
			snprintf(d->reason, sizeof(d->reason),
			    "the %s credential (fingerprint %.16s…) was "
			    "already awarded to SIREN %s (entry %lld): left "
			    "for an instructor, who may approve a shared "
			    "portal with --approve-shared-credential %lld",
			    kind_names[kind], cred, other, (long long)first,
			    (long long)first);
			return;
		}
		d->conflict_seq = first;
		snprintf(d->conflict_siren, sizeof(d->conflict_siren), "%s",
		    other);
	}
	if (p->window_start != 0 && now < p->window_start) {
		snprintf(d->reason, sizeof(d->reason),
		    "outside the award window: it opens later");
		return;
	}
	if (p->window_end != 0 && now > p->window_end) {
		snprintf(d->reason, sizeof(d->reason),
		    "outside the award window: it has closed");
		return;
	}
	if (p->envelope_cents > 0 &&
	    st->live_cents + p->amount_cents > p->envelope_cents) {
		snprintf(d->reason, sizeof(d->reason),
		    "envelope exhausted: %lld of %lld cents already awarded",
		    st->live_cents, p->envelope_cents);
		return;
	}
	d->outcome = POLICY_AWARD;
	d->amount_cents = p->amount_cents;
	if (d->conflict_seq >= 0)
		snprintf(d->reason, sizeof(d->reason),
		    "%s integration verified; credential shared with SIREN "
		    "%s (entry %lld), approved by the instructor",
		    kind_names[kind], d->conflict_siren,
		    (long long)d->conflict_seq);
	else
		snprintf(d->reason, sizeof(d->reason),
		    "%s integration verified", kind_names[kind]);
}

/* The credential rule of policy_state_apply; *fp set when e has one. */
static enum rc_code
cred_rule(const struct policy_state *st, const struct policy_entry *e,
    uint32_t key, unsigned char fp[32], int *has, struct rc_err *err)
{
	const struct policy_cred *c;

	*has = 0;
	if (e->credential_sha256 == NULL) {
		if (e->has_shared_with)
			return RC_ERR(err, RC_EPOLICY,
			    "credential_shared_with without a credential");
		return RC_OK;
	}
	if (!policy_hex64(e->credential_sha256))
		return RC_ERR(err, RC_EPOLICY,
		    "credential_sha256: not 64 lowercase hex digits");
	fp_parse(e->credential_sha256, fp);
	*has = 1;
	c = cred_find(st, fp);
	if (c != NULL && c->siren != key) {
		if (!e->has_shared_with)
			return RC_ERR(err, RC_EPOLICY,
			    "credential %.16s… of entry %llu (SIREN %09lu) "
			    "awarded to SIREN %s without an instructor's "
			    "approval (one credential, one collectivité)",
			    e->credential_sha256, (unsigned long long)c->seq,
			    (unsigned long)c->siren, e->siren);
		if (e->shared_with != c->seq)
			return RC_ERR(err, RC_EPOLICY,
			    "credential_shared_with %llu, but the credential "
			    "was first awarded in entry %llu",
			    (unsigned long long)e->shared_with,
			    (unsigned long long)c->seq);
		return RC_OK;
	}
	if (e->has_shared_with)
		return RC_ERR(err, RC_EPOLICY,
		    "credential_shared_with %llu, but that credential was "
		    "never awarded to another SIREN",
		    (unsigned long long)e->shared_with);
	return RC_OK;
}

enum rc_code
policy_state_apply(const struct policy *p, struct policy_state *st,
    const struct policy_entry *e, struct rc_err *err)
{
	const struct policy_slot *found;
	struct policy_slot *s;
	unsigned char fp[32];
	enum rc_code rc;
	uint32_t key;
	int has_cred = 0;

	if (!rc_siren_valid(e->siren, NULL) || (key = siren_num(e->siren)) == 0)
		return RC_ERR(err, RC_EPOLICY, "invalid SIREN");
	if (e->kind >= POLICY_KIND__MAX || e->op >= POLICY_OP__MAX)
		return RC_ERR(err, RC_EPOLICY, "invalid kind or op");
	found = slot_find(st, key);
	if (e->op == POLICY_OP_AWARD) {
		if (e->amount_cents != p->amount_cents)
			return RC_ERR(err, RC_EPOLICY,
			    "amount %lld cents, the forfait is %lld",
			    e->amount_cents, p->amount_cents);
		if (found != NULL && found->live[e->kind] >= 0)
			return RC_ERR(err, RC_EPOLICY,
			    "second %s award for SIREN %s (first: entry %lld)",
			    kind_names[e->kind], e->siren,
			    (long long)found->live[e->kind]);
		if (p->envelope_cents > 0 &&
		    st->live_cents + e->amount_cents > p->envelope_cents)
			return RC_ERR(err, RC_EPOLICY,
			    "award exceeds the envelope of %lld cents",
			    p->envelope_cents);
		if ((rc = cred_rule(st, e, key, fp, &has_cred, err)) != RC_OK)
			return rc;
		if ((has_cred && cred_reserve(st) != RC_OK) ||
		    (s = slot_get(st, key)) == NULL)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
		if (has_cred) {
			size_t ci = cred_index(st->creds, st->ccap, fp);

			if (!st->creds[ci].used) {
				memcpy(st->creds[ci].fp, fp, 32);
				st->creds[ci].used = 1;
				st->creds[ci].seq = e->seq;
				st->creds[ci].siren = key;
				st->cused++;
			}
		}
		s->live[e->kind] = (int64_t)e->seq;
		st->live_cents += e->amount_cents;
		st->awards++;
		return RC_OK;
	}
	if (found == NULL || found->live[e->kind] < 0 ||
	    (uint64_t)found->live[e->kind] != e->ref_seq)
		return RC_ERR(err, RC_EPOLICY,
		    "revoke of entry %llu, which is not the live %s award "
		    "of SIREN %s",
		    (unsigned long long)e->ref_seq, kind_names[e->kind],
		    e->siren);
	if ((s = slot_get(st, key)) == NULL)
		return RC_ERR(err, RC_ENOMEM, "out of memory");
	s->live[e->kind] = -1;
	st->live_cents -= p->amount_cents;
	st->revokes++;
	return RC_OK;
}
