#!/bin/sh
# Mutation check of `ledger verify`'s audit rules (run by hand, like
# bench/; not in CI):
#   sh tests/ledger_shim/mutate_verify.sh [TEST...]
# Each mutation below removes or weakens one rule of
# connector/ledger/ledger_verify.c; the file is rebuilt in build/mut/
# and the tests (default: t_ledger_audit.sh) must fail.  Prints one line
# per mutation and the kill rate; the source file is restored on exit.
# Exit 0 when every mutation was killed.
set -u
SRC=connector/ledger/ledger_verify.c
BUILD=build/mut # under build/: ignored by git, removed by make clean
TESTS=${*:-tests/integration/t_ledger_audit.sh}
cp "$SRC" "$SRC.orig" || exit 2
trap 'mv "$SRC.orig" "$SRC"' EXIT INT TERM

# name~python literal of the text to find (exactly once)~replacement
MUTATIONS=$(cat <<'EOF'
ledger.seq ignored~"return e->seq == idx;"~"return true;"
ledger.time ignored~"return e->time >= last;"~"return true;"
policy.window start ignored~"if (p->window_start != 0 && e->time < p->window_start)\n\t\treturn false;"~""
policy.window end ignored~"return p->window_end == 0 || e->time <= p->window_end;"~"return true;"
policy.window last second excluded~"e->time <= p->window_end"~"e->time < p->window_end"
policy replay result ignored~"if (rc != RC_OK) {\n\t\t*rule = policy_rule_of"~"if (0) {\n\t\t*rule = policy_rule_of"
revoke twice named unknown~"return AUDIT_REVOKE_TWICE;"~"return AUDIT_REVOKE_UNKNOWN;"
revoked entries not marked~"vs->marks[e->ref_seq] |= MARK_REVOKED;"~"(void)0;"
amount not named~"return AUDIT_AMOUNT;"~"return AUDIT_POLICY;"
third award named second~"? AUDIT_TWO_PER_SIREN"~"? AUDIT_ONE_PER_KIND"
envelope not named~"return AUDIT_ENVELOPE;"~"return AUDIT_POLICY;"
checkpoints/N beyond the head ignored~"if (ci < vs->ncps) {"~"if (0) {"
held checkpoint beyond the head ignored~"if (cp->size > vs->head)"~"if (0)"
fork roots not compared~"if (CRYPTO_memcmp(own, cp->root, MERKLE_HASH_LEN) == 0)\n\t\treturn RC_OK;"~"return RC_OK;"
receipt checkpoint not checked~"if ((rc = check_held(vs, &r.cp, AUDIT_ROLLBACK_RECEIPT,"~"if (0 && (rc = check_held(vs, &r.cp, AUDIT_ROLLBACK_RECEIPT,"
receipt checkpoint not in checkpoints/ ignored~"if (find_cp(vs, r.cp.size) == NULL) {"~"if (0) {"
cosigned checkpoint signature unchecked~"rc = checkpoint_open(note, len, vs->vkey, NULL, 0, cp, NULL,\n\t\t    &lerr);"~"rc = checkpoint_parse_signed(note, len, cp, &lerr);"
cosigned checkpoint ignored~"if (o != NULL && o->cosigned != NULL) {\n\t\tsnprintf"~"if (0) {\n\t\tsnprintf"
EOF
)

[ -d "$BUILD" ] || mkdir -p "$BUILD"
# Control: unmutated, the tests pass (else a "kill" proves nothing).
make -s BUILD="$BUILD" -j2 "$BUILD/raccord" >/dev/null 2>&1 || { echo "cannot build"; exit 2; }
for t in $TESTS; do
	BUILD=$BUILD sh "$t" >/dev/null 2>&1 || { echo "control: $t fails unmutated"; exit 2; }
done
killed=0 total=0
printf '%s\n' "$MUTATIONS" | while IFS='~' read -r name from to; do
	[ -n "$name" ] || continue
	cp "$SRC.orig" "$SRC"
	python3 - "$SRC" "$from" "$to" <<'PY' || { echo "mutation not applicable: $name"; exit 3; }
import ast, sys
p, a, b = sys.argv[1], ast.literal_eval(sys.argv[2]), ast.literal_eval(sys.argv[3])
s = open(p).read()
if s.count(a) != 1:
    sys.exit(1)
open(p, "w").write(s.replace(a, b))
PY
	total=$((total + 1))
	if ! make -s BUILD="$BUILD" WERROR=0 -j2 "$BUILD/raccord" "$BUILD/libconnector.a" >/dev/null 2>&1; then
		echo "KILLED (does not build): $name"
		killed=$((killed + 1))
	else
		survived=1
		for t in $TESTS; do
			BUILD=$BUILD sh "$t" >/dev/null 2>&1 || survived=0
		done
		if [ "$survived" -eq 0 ]; then
			echo "killed:   $name"
			killed=$((killed + 1))
		else
			echo "SURVIVED: $name"
		fi
	fi
	echo "$killed $total" >"$BUILD/.mutate_score"
done
cp "$SRC.orig" "$SRC"
read -r killed total <"$BUILD/.mutate_score"
echo "ledger verify mutations: $killed of $total killed"
[ "$killed" -eq "$total" ]
