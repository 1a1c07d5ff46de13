/* SPDX-License-Identifier: MIT */
/*
 * The command-line reference: one table, printed as `--help`, as the man
 * page, as the bash completion script and as docs/cli.md's reference.
 * Adding an option to a command means adding a row here; the CLI test
 * (tests/integration/t_cli_help.sh) fails when docs/cli.md or a
 * command's parser and this table disagree on a command's existence.
 */
#include <ctype.h>
#include <string.h>

#include "connector/help.h"

#define EXIT_CHECK                                                             \
	"0 every claimed integration verified\n"                               \
	"1 some integration failed (a required rule is broken)\n"              \
	"2 bad input or usage (dossier, config, arguments)\n"                  \
	"3 inconclusive (network, timeout, provider down) or internal error"
#define EXIT_LEDGER                                                            \
	"0 success\n"                                                          \
	"1 the ledger, receipt or proof does not verify, or the policy "       \
	"refuses\n"                                                            \
	"2 usage or bad input (missing file, wrong or world-readable key)\n"   \
	"3 internal error"
#define EXIT_SIMPLE                                                            \
	"0 success\n"                                                          \
	"2 usage or bad input\n"                                               \
	"3 internal error"

#define OPT_HELP                                                               \
	{                                                                      \
		"-h, --help", NULL, "Print this help and exit 0."              \
	}
#define OPT_CONFIG                                                             \
	{                                                                      \
		"--config", "FILE",                                            \
		    "Configuration file (default: built-in, the real "         \
		    "production "                                              \
		    "services)."                                               \
	}
#define OPT_VKEY_REQ                                                           \
	{                                                                      \
		"--vkey", "FILE", "The log's C2SP verifier key (public)."      \
	}
#define OPT_END                                                                \
	{                                                                      \
		NULL, NULL, NULL                                               \
	}

/* clang-format off */
static const struct help_opt opts_check[] = {
	{ "-c, --config", "FILE", "Configuration file (default: built-in, the real production services)." },
	{ "-b, --batch", "FILE", "One dossier per line (JSONL; - reads stdin), probed concurrently; one report line each." },
	{ "-f, --format", "FMT", "text (default on a terminal) or json." },
	{ "-l, --lang", "LANG", "en or fr: under each check's English detail, its plain explanation from the catalogue of checks (title; why, how to fix and the source when it failed, warned or could not be judged); in json an explanation object per check." },
	{ "-v, --verbose", NULL, "Progress on stderr; twice for the redacted exchanges." },
	{ "-q, --quiet", NULL, "Nothing on stderr but errors (no batch progress or summary)." },
	{ "--siret", "SIRET", "Check a site without a dossier file: the collectivité's SIRET (its SIREN is the first 9 digits)." },
	{ "--login-url", "URL", "With --siret: the page where the FranceConnect button starts the login." },
	{ "--client-id", "ID", "With --siret: the client_id FranceConnect gave the site." },
	{ "--redirect-uri", "URL", "With --siret: the callback URL declared to FranceConnect." },
	{ "--env", "ENV", "With --siret: production (default) or integration (FranceConnect's sandbox)." },
	{ "--kind", "CATEGORIE", "With --siret: commune (default), epci, departement, region, collectivite_outre_mer, syndicat or autre." },
	{ "--name", "NAME", "With --siret: the collectivité's name in the report (default: Self-check SIRET)." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_checks[] = {
	{ "-l, --lang", "LANG", "en (default) or fr; json and markdown give both languages unless --lang is given." },
	{ "-f, --format", "FMT", "text (default), json or markdown (the generated part of docs/checks.md)." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_verify[] = {
	{ "--ledger", "DIR", "The ledger directory (made by raccord ledger init)." },
	{ "--key", "FILE", "The ledger's Ed25519 private key (PEM, mode 0600)." },
	OPT_CONFIG,
	{ "--batch", "FILE", "One dossier per line (JSONL; - reads stdin)." },
	{ "--format", "FMT", "text (default) or json: one object per dossier with each integration's decision." },
	{ "--approve-shared-credential", "SEQ", "An instructor approves a credential first awarded (entry SEQ) to another SIREN, e.g. an intercommunal portal (one dossier, not with --batch)." },
	{ "--conformance", "REPORT", "The dossier's sealed conformance report (raccord conformance --signed-report); with policy.require_conformance the FranceConnect forfait needs it signed by this ledger's key, for this dossier's tested client_id and redirect_uri, at most policy.conformance_max_age_days old, and verified (one dossier, not with --batch)." },
	{ "--lang", "LANG", "en or fr: also show each dossier's checks as raccord check --lang does (text: the report with each check's plain explanation before the decisions; json: a \"report\" member whose checks carry an explanation object)." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_keygen[] = {
	{ "--key", "FILE", "Private key file to create (PEM, mode 0600)." },
	{ "--vkey", "FILE", "Verifier key file to create (public)." },
	{ "--witness", NULL, "Make a cosigning (witness) key instead of a log key." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_config[] = {
	OPT_CONFIG,
	{ "--comments", NULL, "dump: annotate every directive with its meaning." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_init[] = {
	{ "--key", "FILE", "The log's private key (from raccord keygen)." },
	{ "--origin", "NAME", "The log origin (or give --vkey and its name is used)." },
	{ "--vkey", "FILE", "The log's verifier key." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_show[] = {
	{ "--vkey", "FILE", "Check the checkpoint's signature with this key." },
	{ "--seq", "N", "Show entry N and its receipt path." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_verify[] = {
	OPT_VKEY_REQ,
	OPT_CONFIG,
	{ "--receipt", "FILE", "Verify one receipt (tlog-proof) offline instead of a directory." },
	{ "--entry", "FILE", "The entry line the receipt proves." },
	{ "--seq", "N", "The sequence number the receipt proves." },
	{ "--state", "FILE", "The checkpoint the payment office cosigned last: a smaller or inconsistent head is a rollback or a fork." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_verify_export[] = {
	OPT_VKEY_REQ,
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_conflicts[] = {
	{ "--vkey", "FILE", "Check the checkpoint's signature first." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_prove[] = {
	{ "--vkey", "FILE", "Check the checkpoint's signature first." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_consistency[] = {
	{ "--from", "N", "The older tree size." },
	{ "--vkey", "FILE", "Check the checkpoint's signature first." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_export[] = {
	OPT_VKEY_REQ,
	{ "--out", "DIR", "New directory to write the export into." },
	OPT_CONFIG,
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_cosign[] = {
	{ "--vkey", "FILE", "The log's verifier key." },
	{ "--key", "FILE", "The witness's private key." },
	{ "--name", "NAME", "The witness's name." },
	{ "--state", "FILE", "The last checkpoint this witness cosigned (read and updated)." },
	{ "--out", "FILE", "Write the cosigned checkpoint there instead of stdout." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_ledger_revoke[] = {
	{ "--key", "FILE", "The ledger's private key." },
	{ "--seq", "N", "The live award to cancel." },
	{ "--reason", "TEXT", "Why (recorded in the signed entry)." },
	OPT_CONFIG,
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_conformance[] = {
	{ "--registration", "FILE", "The registration made by raccord conformance register." },
	{ "--listen", "ADDR", "Where the test provider listens: HOST:PORT or [V6]:PORT (numeric)." },
	{ "--public-url", "URL", "The provider's issuer as the site reaches it, e.g. https://raccord.example:8443/api/v2." },
	{ "--tls-cert", "FILE", "The provider's TLS certificate chain (PEM)." },
	{ "--tls-key", "FILE", "The provider's TLS private key (PEM)." },
	{ "-c, --config", "FILE", "Configuration: network.ca_file, network.allow_private, network.resolve for the browser side." },
	{ "-f, --format", "FMT", "text (default on a terminal) or json." },
	{ "-v, --verbose", NULL, "Progress on stderr; twice for debug." },
	{ "--signed-report", "FILE", "Also write the report sealed with the ledger's key (a new file): what raccord verify --conformance accepts under policy.require_conformance." },
	{ "--ledger", "DIR", "With --signed-report: the ledger whose key seals the report." },
	{ "--key", "FILE", "With --signed-report: that ledger's private key." },
	{ "--lang", "LANG", "en or fr: each check's plain explanation from the catalogue of checks, as raccord check --lang (the sealed report stays without them)." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_conformance_register[] = {
	{ "--out", "FILE", "The registration file to create (mode 0600, never overwritten)." },
	{ "--secret-out", "FILE", "Write the client secret to this new 0600 file instead of stdout." },
	{ "--jwks-uri", "URL", "FranceConnect+ only (required): the site's JWKS, whose encryption key the ID token and userinfo are encrypted for." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_help[] = {
	{ "--man", NULL, "Print the man page raccord(1) (roff)." },
	{ "--completion", "bash", "Print the bash completion script." },
	{ "--markdown", NULL, "Print the command reference of docs/cli.md." },
	OPT_END,
};
static const struct help_opt opts_none[] = { OPT_HELP, OPT_END };
static const struct help_opt opts_intake_run[] = {
	{ "--once", NULL, "One pass, then exit (required: the polling daemon is not there yet)." },
	{ "-c, --config", "FILE", "Configuration file: intake.ds.* and the checks' settings." },
	{ "--since", "ISO8601", "Only the dossiers DS changed since then (updatedSince)." },
	OPT_HELP, OPT_END,
};
static const struct help_opt opts_serve[] = {
	{ "-c, --config", "FILE", "Configuration file: daemon.*, ledger.* (key_file required) and the checks' settings." },
	OPT_HELP, OPT_END,
};

static const char *const u_checks[] = { "[ID...] [--lang en|fr] [--format text|json|markdown]", NULL };
static const char *const u_check[] = { "DOSSIER.json|- [options]", "--batch FILE.jsonl [options]", "--siret SIRET --login-url URL --client-id ID --redirect-uri URL [--env ENV] [--kind CATEGORIE] [--name NAME] [options]", NULL };
static const char *const u_verify[] = { "DOSSIER.json --ledger DIR --key FILE [--config FILE] [--format FMT] [--approve-shared-credential SEQ] [--conformance REPORT] [--lang en|fr]", "--batch FILE.jsonl --ledger DIR --key FILE [--config FILE] [--format FMT]", NULL };
static const char *const u_keygen[] = { "NAME --key FILE --vkey FILE [--witness]", NULL };
static const char *const u_config[] = { "dump|check [--config FILE]", NULL };
static const char *const u_config_dump[] = { "[--config FILE] [--comments]", NULL };
static const char *const u_config_check[] = { "[--config FILE]", NULL };
static const char *const u_ledger[] = { "COMMAND DIR [options]", NULL };
static const char *const u_ledger_init[] = { "DIR --key FILE (--origin NAME | --vkey FILE)", NULL };
static const char *const u_ledger_show[] = { "DIR [--vkey FILE] [--seq N]", NULL };
static const char *const u_ledger_verify[] = { "DIR --vkey FILE [--config FILE] [--state FILE]", "--vkey FILE --receipt FILE [--entry FILE] [--seq N]", NULL };
static const char *const u_ledger_prove[] = { "DIR SEQ [--vkey FILE]", NULL };
static const char *const u_ledger_consistency[] = { "DIR --from N [--vkey FILE]", NULL };
static const char *const u_ledger_export[] = { "DIR --vkey FILE --out NEWDIR [--config FILE]", NULL };
static const char *const u_ledger_verify_export[] = { "EXPORTDIR --vkey FILE", NULL };
static const char *const u_ledger_conflicts[] = { "DIR [--vkey FILE]", NULL };
static const char *const u_ledger_cosign[] = { "DIR --vkey LOG.VKEY --key WITNESS.KEY --name NAME --state FILE [--out FILE]", NULL };
static const char *const u_ledger_revoke[] = { "DIR --key FILE --seq N --reason TEXT [--config FILE]", NULL };
static const char *const u_conformance[] = { "DOSSIER.json --registration FILE --listen ADDR --public-url URL --tls-cert FILE --tls-key FILE [--config FILE] [--format FMT] [--signed-report FILE --ledger DIR --key FILE] [--lang en|fr]", NULL };
static const char *const u_conformance_register[] = { "DOSSIER.json --out FILE [--secret-out FILE] [--jwks-uri URL]", NULL };
static const char *const u_serve[] = { "--config FILE", NULL };
static const char *const u_intake[] = { "run --once [--config FILE] [--since ISO8601]", NULL };
static const char *const u_intake_run[] = { "--once [--config FILE] [--since ISO8601]", NULL };
static const char *const u_help[] = { "[COMMAND...]", "--man | --completion bash | --markdown", NULL };
/* clang-format on */

static const struct help_cmd commands[] = {
	{
	    .path = "check",
	    .usage = u_check,
	    .summary = "probe a dossier's integrations and explain every "
	               "finding (writes nothing)",
	    .description =
	        "Fetches the collectivité's login URL as a browser would, "
	        "captures its FranceConnect\n"
	        "authorization request, judges it against FranceConnect's "
	        "rules, shows it to\n"
	        "FranceConnect, probes the callback and logout, and checks "
	        "every claimed national-API\n"
	        "token and DataPass habilitation.  Prints one report per "
	        "dossier (docs/report.md),\n"
	        "with what `raccord verify` would pay (payable).  - reads the "
	        "dossier from standard input.\n"
	        "A batch ends with a summary line on stderr (and a progress "
	        "line on a terminal);\n"
	        "text output is coloured on a terminal unless NO_COLOR is "
	        "set.\n"
	        "Every input error of a dossier is reported at once (the "
	        "first 20, then how many more),\n"
	        "each naming its JSON path.\n"
	        "With --siret, --login-url, --client-id and --redirect-uri, "
	        "no dossier file is needed:\n"
	        "the site's FranceConnect integration is checked as a "
	        "one-integration dossier without\n"
	        "bank details (payable then says no_bank_details); errors "
	        "name the flags.",
	    .opts = opts_check,
	    .exits = EXIT_CHECK "\nWith --batch: 2 if any line was refused, "
	                        "else 1 if any failed, else 3 if any is "
	                        "inconclusive, else 0.",
	},
	{
	    .path = "checks",
	    .usage = u_checks,
	    .summary = "explain every check raccord can report, in English "
	               "or French",
	    .description =
	        "Prints the catalogue of checks (verifier/catalog.c): each "
	        "check id with the section\n"
	        "it belongs to, whether it decides the verdict, the exact "
	        "rule applied, and in plain\n"
	        "words what it checks, why it matters, how a site fixes it "
	        "and the source of the rule.\n"
	        "Given IDs, only those.  The same texts explain the reports "
	        "of `raccord check --lang`;\n"
	        "docs/checks.md carries `raccord checks --format markdown`.  "
	        "A check id missing from\n"
	        "the catalogue makes its report section incomplete, never "
	        "verified.  Probes nothing.",
	    .opts = opts_checks,
	    .exits = "0 success\n2 usage, or an unknown check id (with the "
	             "closest one)\n3 internal error",
	},
	{
	    .path = "verify",
	    .usage = u_verify,
	    .summary = "check, then award per policy into the signed ledger "
	               "and print the receipts",
	    .description =
	        "Runs the checks of `raccord check`, stores each report as "
	        "evidence, decides per\n"
	        "integration with the award policy, appends the awards as "
	        "signed entries and prints\n"
	        "what was awarded, refused and why.  Idempotent: verifying "
	        "again awards nothing twice.",
	    .opts = opts_verify,
	    .exits = "0 every dossier awarded or already awarded\n"
	             "1 nothing awarded to some dossier: its checks failed, "
	             "the policy refused, or it is held for an instructor\n"
	             "2 bad input (dossier, config, key, ledger)\n"
	             "3 inconclusive checks or internal error",
	},
	{
	    .path = "ledger",
	    .usage = u_ledger,
	    .summary =
	        "the signed award ledger: init, show, verify, prove, "
	        "consistency, export, verify-export, conflicts, cosign, revoke",
	    .description = "A Merkle-tree transparency log with signed "
	                   "checkpoints (docs/ledger.md).\n"
	                   "`raccord ledger COMMAND --help` describes each "
	                   "command.",
	    .opts = opts_none,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger init",
	    .usage = u_ledger_init,
	    .summary = "create a new ledger with a signed empty checkpoint",
	    .description = "DIR must be new or empty.",
	    .opts = opts_ledger_init,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "ledger show",
	    .usage = u_ledger_show,
	    .summary = "print the checkpoint and totals, or one entry",
	    .description = "With --seq, one entry and the path of its "
	                   "receipt.",
	    .opts = opts_ledger_show,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger verify",
	    .usage = u_ledger_verify,
	    .summary = "verify a whole ledger, or one receipt, offline",
	    .description =
	        "Checks every signature against the pinned key, rebuilds "
	        "the Merkle tree from\n"
	        "entries.jsonl, replays the award policy over every entry, "
	        "and checks evidence\n"
	        "files and receipts.  The payment office runs it without "
	        "trusting the operator.",
	    .opts = opts_ledger_verify,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger prove",
	    .usage = u_ledger_prove,
	    .summary = "print the inclusion proof (tlog-proof) of entry SEQ",
	    .description = "Against the latest checkpoint.",
	    .opts = opts_ledger_prove,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "ledger consistency",
	    .usage = u_ledger_consistency,
	    .summary = "print a consistency proof from tree size N to the "
	               "latest checkpoint",
	    .description = "`old N`, the proof lines, a blank line, then "
	                   "the checkpoint (tlog-witness layout).",
	    .opts = opts_ledger_consistency,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "ledger export",
	    .usage = u_ledger_export,
	    .summary = "verify the ledger, then write what to pay (CSV, JSON, "
	               "checkpoint)",
	    .description = "Writes awards.csv (French spreadsheet dialect), "
	                   "awards.json and the checkpoint\n"
	                   "into a new directory (docs/ledger.md, "
	                   "\"Export\").",
	    .opts = opts_ledger_export,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger verify-export",
	    .usage = u_ledger_verify_export,
	    .summary = "prove every cell of an export against the signed "
	               "entries",
	    .description =
	        "Rebuilds awards.csv, awards.json and awards.xlsx from the "
	        "export's entries.jsonl,\n"
	        "itself bound to the signed checkpoint, and names the file, "
	        "row and column of\n"
	        "every difference.  The export also ships a standard-tools "
	        "recipe doing the same\n"
	        "(verify_export.py, LISEZMOI-README.txt).",
	    .opts = opts_ledger_verify_export,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger conflicts",
	    .usage = u_ledger_conflicts,
	    .summary = "list credentials presented by more than one SIREN",
	    .description =
	        "Approved sharings (from the signed entries) and dossiers "
	        "held for an instructor\n"
	        "(from the stored evidence), each marked pending or "
	        "decided.",
	    .opts = opts_ledger_conflicts,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger cosign",
	    .usage = u_ledger_cosign,
	    .summary = "verify the ledger and cosign its checkpoint as a "
	               "witness",
	    .description = "Refuses a checkpoint that is not consistent "
	                   "with the one cosigned last (kept in --state).",
	    .opts = opts_ledger_cosign,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "ledger revoke",
	    .usage = u_ledger_revoke,
	    .summary = "cancel live award N with a signed revoke entry",
	    .description = "The award line is never edited; the revocation "
	                   "is a new signed, receipted entry.",
	    .opts = opts_ledger_revoke,
	    .exits = EXIT_LEDGER,
	},
	{
	    .path = "keygen",
	    .usage = u_keygen,
	    .summary = "make an Ed25519 ledger (or witness) key and its C2SP "
	               "verifier key",
	    .description = "NAME is the log origin, e.g. "
	                   "example.gouv.fr/raccord/v1.  The private key is "
	                   "created\nwith mode 0600 and never overwritten.",
	    .opts = opts_keygen,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "serve",
	    .usage = u_serve,
	    .summary = "the daemon: HTTP API, durable job queue, awards "
	               "through the ledger",
	    .description =
	        "Listens on daemon.listen (docs/api.md), queues submitted "
	        "dossiers in daemon.store\n"
	        "(SQLite), checks them one at a time as `raccord check` "
	        "does and awards on request as\n"
	        "`raccord verify` does.  SIGTERM or SIGINT: stop accepting, "
	        "let the running job finish,\n"
	        "exit 0.  SIGHUP: reload daemon.tokens.  Logs one key=value "
	        "line per request and job\n"
	        "on stderr (docs/operations.md).",
	    .opts = opts_serve,
	    .exits = "0 stopped by SIGTERM or SIGINT\n"
	             "2 bad config, ledger, key or job store\n"
	             "3 cannot listen, or internal error",
	},
	{
	    .path = "intake",
	    .usage = u_intake,
	    .summary = "dossiers from démarches-simplifiées, verdicts written "
	               "back as private annotations",
	    .description = "docs/intake.md.  `raccord intake run --help` "
	                   "describes the pass.",
	    .opts = opts_none,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "intake run",
	    .usage = u_intake_run,
	    .summary = "one pass over the procedure of intake.ds.demarche",
	    .description =
	        "Pages through the procedure's dossiers with DS's GraphQL "
	        "API, maps each one\n"
	        "(intake.ds.mapping), checks it as `raccord check` does, and "
	        "writes the verdict and\n"
	        "the failed rules, or why the dossier could not be mapped, "
	        "into the private\n"
	        "annotation intake.ds.annotation (unchanged when it already "
	        "says so).  Awards\n"
	        "nothing and never accepts or refuses a DS dossier.  One line "
	        "per dossier on stdout,\n"
	        "the counts on stderr.",
	    .opts = opts_intake_run,
	    .exits = "0 every dossier read was annotated\n"
	             "2 bad usage or config (intake.ds.*, token refused, a "
	             "GraphQL error)\n"
	             "3 DS unreachable or unavailable (the pass stopped; "
	             "nothing was marked failed), or internal error",
	},
	{
	    .path = "config",
	    .usage = u_config,
	    .summary = "print or validate the effective configuration",
	    .description = "Every directive, its default and its meaning: "
	                   "docs/config.md.",
	    .opts = opts_config,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "config dump",
	    .usage = u_config_dump,
	    .summary = "print the effective configuration as JSON",
	    .description = "The output loads back as the same "
	                   "configuration.",
	    .opts = opts_config,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "config check",
	    .usage = u_config_check,
	    .summary = "validate a configuration file",
	    .description = "Names the directive and the problem.",
	    .opts = opts_config,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "conformance",
	    .usage = u_conformance,
	    .summary = "play FranceConnect for a site's integration "
	               "environment and prove it refuses forged identities",
	    .description =
	        "Serves a FranceConnect v2-compatible test provider "
	        "(discovery, JWKS, authorize,\n"
	        "token, userinfo, end_session) for the client of "
	        "`raccord conformance register`,\n"
	        "drives one login per run as the browser, and reports "
	        "fc.conformance.* checks:\n"
	        "the correct login must open a session, every forged one "
	        "(nonce, aud, iss, exp,\n"
	        "signature, alg none, unknown key, acr, userinfo sub, state, "
	        "replayed\ncode) must be refused.  With the dossier's "
	        "logout_url, logout is checked too\n(advisory).\n"
	        "Refuses a production dossier (docs/conformance.md).",
	    .opts = opts_conformance,
	    .exits = "0 the correct login opened a session and every forged "
	             "one was refused\n"
	             "1 the site accepted a forged identity, or refused the "
	             "correct login\n"
	             "2 bad input or usage (dossier, registration, "
	             "production environment)\n"
	             "3 a run could not be judged (network) or internal "
	             "error",
	},
	{
	    .path = "conformance register",
	    .usage = u_conformance_register,
	    .summary = "issue a test client_id and secret for a dossier",
	    .description = "The secret is shown once (or written to a new "
	                   "0600 file); the registration file keeps\n"
	                   "only its SHA-256.  Refuses a production "
	                   "dossier.",
	    .opts = opts_conformance_register,
	    .exits = EXIT_SIMPLE,
	},
	{
	    .path = "help",
	    .usage = u_help,
	    .summary = "this reference, the man page or the bash completion",
	    .description = "`raccord help ledger export` is `raccord ledger "
	                   "export --help`.",
	    .opts = opts_help,
	    .exits = "0 success\n2 unknown command",
	},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct help_cmd *
help_get(const char *path)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].path, path) == 0)
			return &commands[i];
	return NULL;
}

/* Does cmd's option table give opt a value? */
static int
opt_takes_value(const struct help_cmd *cmd, const char *opt)
{
	const struct help_opt *o;
	const char *f, *hit;
	size_t n = strlen(opt);

	for (o = cmd->opts; o->flag != NULL; o++) {
		f = o->flag;
		while ((hit = strstr(f, opt)) != NULL) {
			if ((hit == o->flag || hit[-1] == ' ') &&
			    (hit[n] == '\0' || hit[n] == ','))
				return o->arg != NULL;
			f = hit + 1;
		}
	}
	return 0;
}

const struct help_cmd *
help_find(int argc, char *const *argv)
{
	const struct help_cmd *best = NULL, *c;
	char path[128] = "";
	size_t len = 0, w;
	int i;

	for (i = 0; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (best != NULL && opt_takes_value(best, argv[i]))
				i++;
			continue;
		}
		w = strlen(argv[i]);
		if (len + w + 2 > sizeof(path))
			break;
		if (len > 0)
			path[len++] = ' ';
		memcpy(path + len, argv[i], w + 1);
		len += w;
		c = help_get(path);
		if (c == NULL)
			break;
		best = c;
	}
	return best;
}

static void
print_indented(FILE *f, const char *text, const char *indent)
{
	const char *p = text, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		fprintf(f, "%s%.*s\n", indent, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

void
help_print(FILE *f, const struct help_cmd *cmd)
{
	const struct help_opt *o;
	const char *const *u;
	char left[64];
	int first = 1;

	for (u = cmd->usage; *u != NULL; u++, first = 0)
		fprintf(f, "%s raccord %s %s\n", first ? "usage:" : "      ",
		    cmd->path, *u);
	fprintf(f, "\nraccord %s: %s.\n\n", cmd->path, cmd->summary);
	print_indented(f, cmd->description, "");
	if (cmd->opts[0].flag != NULL)
		fprintf(f, "\noptions:\n");
	for (o = cmd->opts; o->flag != NULL; o++) {
		snprintf(left, sizeof(left), "%s%s%s", o->flag,
		    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-22s %s\n", left, o->text);
	}
	fprintf(f, "\nexit status:\n");
	print_indented(f, cmd->exits, "  ");
	if (strcmp(cmd->path, "ledger") == 0) {
		size_t i;

		fprintf(f, "\ncommands:\n");
		for (i = 0; i < NCOMMANDS; i++)
			if (strncmp(commands[i].path, "ledger ", 7) == 0)
				fprintf(f, "  %-12s %s\n", commands[i].path + 7,
				    commands[i].summary);
	}
}

void
help_print_overview(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: raccord <command> [options]\n"
	    "\n"
	    "raccord verifies, from outside, a collectivité's FranceConnect "
	    "and national-API\nintegrations and records the awards it "
	    "grants in a signed ledger.\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		if (strchr(commands[i].path, ' ') == NULL)
			fprintf(f, "  %-8s %s\n", commands[i].path,
			    commands[i].summary);
	fprintf(f,
	    "\n'raccord <command> --help' describes a command and its exit "
	    "status;\n'man raccord' and docs/cli.md have the details.\n");
}

/* Write s for roff: a leading '.' or '\'' and backslashes escaped. */
static void
roff_text(FILE *f, const char *s)
{
	int bol = 1;

	for (; *s != '\0'; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

void
help_print_man(FILE *f, const char *version)
{
	const struct help_opt *o;
	const char *const *u;
	size_t i;

	fprintf(f, ".TH RACCORD 1 \"\" \"raccord %s\" \"User Commands\"\n",
	    version);
	fprintf(f,
	    ".SH NAME\nraccord \\- verify FranceConnect and national-"
	    "API integrations and award forfaits into a signed ledger\n");
	fprintf(f, ".SH SYNOPSIS\n");
	for (i = 0; i < NCOMMANDS; i++)
		for (u = commands[i].usage; *u != NULL; u++) {
			fprintf(f, ".B raccord %s\n", commands[i].path);
			roff_text(f, *u);
			fprintf(f, "\n.br\n");
		}
	fprintf(f, ".SH DESCRIPTION\n");
	roff_text(f,
	    "raccord decides, from evidence it gathers itself, "
	    "whether a collectivité has really connected its online "
	    "services to FranceConnect and to a national API, "
	    "explains every finding, and records each forfait it "
	    "grants in a signed, append-only Merkle ledger.");
	fprintf(f, "\n.SH COMMANDS\n");
	for (i = 0; i < NCOMMANDS; i++) {
		fprintf(f, ".SS raccord %s\n", commands[i].path);
		roff_text(f, commands[i].summary);
		fprintf(f, ".\n.PP\n");
		roff_text(f, commands[i].description);
		fputc('\n', f);
		for (o = commands[i].opts; o->flag != NULL; o++) {
			fprintf(f, ".TP\n.B ");
			roff_text(f, o->flag);
			if (o->arg) {
				fprintf(f, " \" \"\n.I ");
				roff_text(f, o->arg);
			}
			fputc('\n', f);
			roff_text(f, o->text);
			fputc('\n', f);
		}
		fprintf(f, ".PP\nExit status:\n.nf\n");
		roff_text(f, commands[i].exits);
		fprintf(f, "\n.fi\n");
	}
	fprintf(f,
	    ".SH ENVIRONMENT\n.TP\n.B NO_COLOR\nNo colours on a "
	    "terminal.\n");
	fprintf(f,
	    ".SH SEE ALSO\nThe project's docs/: cli.md, config.md, "
	    "dossier.md, report.md, checks.md, ledger.md.\n");
}

/* The long option names of cmd, space separated, for compgen -W. */
static void
bash_words(FILE *f, const struct help_cmd *cmd)
{
	const struct help_opt *o;
	const char *p, *e;

	for (o = cmd->opts; o->flag != NULL; o++)
		for (p = o->flag; (p = strstr(p, "--")) != NULL; p = e) {
			e = p + strcspn(p, ", ");
			fprintf(f, " %.*s", (int)(e - p), p);
		}
}

void
help_print_bash(FILE *f)
{
	size_t i;

	fprintf(f,
	    "# bash completion for raccord (made by `raccord help "
	    "--completion bash`)\n"
	    "_raccord() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} path= w i\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tw=${COMP_WORDS[i]}\n"
	    "\t\tcase $w in -*) continue ;; esac\n"
	    "\t\tcase \"$path $w\" in\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "\t\t\" %s\") path=\"$path $w\" ;;\n",
		    commands[i].path);
	fprintf(f, "\t\tesac\n\tdone\n\tlocal words\n\tcase $path in\n");
	fprintf(f, "\t\"\") words=\"");
	for (i = 0; i < NCOMMANDS; i++)
		if (strchr(commands[i].path, ' ') == NULL)
			fprintf(f, " %s", commands[i].path);
	fprintf(f, " --help --version\" ;;\n");
	for (i = 0; i < NCOMMANDS; i++) {
		size_t j, n = strlen(commands[i].path);

		fprintf(f, "\t\" %s\") words=\"", commands[i].path);
		for (j = 0; j < NCOMMANDS; j++)
			if (strncmp(commands[j].path, commands[i].path, n) ==
			        0 &&
			    commands[j].path[n] == ' ' &&
			    strchr(commands[j].path + n + 1, ' ') == NULL)
				fprintf(f, " %s", commands[j].path + n + 1);
		bash_words(f, &commands[i]);
		fprintf(f, "\" ;;\n");
	}
	fprintf(f,
	    "\tesac\n"
	    "\tif [[ $cur != -* && $words == *' --'* && $path != "
	    "' config' && $path != ' ledger' ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\") $(compgen -W "
	    "\"$words\" -- \"$cur\"))\n"
	    "\telse\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	    "\tfi\n"
	    "}\n"
	    "complete -o filenames -F _raccord raccord\n");
}

void
help_print_markdown(FILE *f)
{
	const struct help_opt *o;
	const char *const *u;
	const char *p, *nl;
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		fprintf(f, "### `raccord %s`\n\n", commands[i].path);
		fprintf(f, "%c%s.\n\n```\n",
		    toupper((unsigned char)commands[i].summary[0]),
		    commands[i].summary + 1);
		for (u = commands[i].usage; *u != NULL; u++)
			fprintf(f, "raccord %s %s\n", commands[i].path, *u);
		fprintf(f, "```\n\n%s\n\n", commands[i].description);
		for (o = commands[i].opts; o->flag != NULL; o++)
			fprintf(f, "- `%s%s%s`: %s\n", o->flag,
			    o->arg ? " " : "", o->arg ? o->arg : "", o->text);
		fprintf(f, "%s| exit | meaning |\n|---|---|\n",
		    commands[i].opts[0].flag != NULL ? "\n" : "");
		for (p = commands[i].exits; *p != '\0'; p = *nl ? nl + 1 : nl) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			if (p[0] >= '0' && p[0] <= '9' && p[1] == ' ')
				fprintf(f, "| %c | %.*s |\n", p[0],
				    (int)(nl - p - 2), p + 2);
			else
				fprintf(f, "\n%.*s\n", (int)(nl - p), p);
		}
		fputc('\n', f);
	}
}
