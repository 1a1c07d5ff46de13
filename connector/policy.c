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
	int64_t seq;

	memset(d, 0, sizeof(*d));
	d->existing_seq = -1;
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
	snprintf(d->reason, sizeof(d->reason), "%s integration verified",
	    kind_names[kind]);
}

enum rc_code
policy_state_apply(const struct policy *p, struct policy_state *st,
    const struct policy_entry *e, struct rc_err *err)
{
	const struct policy_slot *found;
	struct policy_slot *s;
	uint32_t key;

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
		if ((s = slot_get(st, key)) == NULL)
			return RC_ERR(err, RC_ENOMEM, "out of memory");
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
