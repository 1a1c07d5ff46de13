/* SPDX-License-Identifier: MIT */
/*
 * raccord conformance register DOSSIER.json --out FILE [--secret-out FILE]
 *                              [--jwks-uri URL]
 * raccord conformance DOSSIER.json --registration FILE --listen ADDR
 *                     --public-url URL --tls-cert F --tls-key F
 *                     [--config F] [--format text|json] [-v]
 *                     [--signed-report FILE --ledger DIR --key FILE]
 *                     [--lang en|fr]
 *
 * Active conformance (docs/conformance.md): register a test client for a
 * dossier, then play FranceConnect for its integration environment and
 * prove that the site refuses forged identities.  The secret is shown
 * once (stdout, or a new 0600 file); the registration keeps its SHA-256.
 * Exit 0: every run as expected; 1: the site accepted a forged identity
 * or refused the correct login; 3: a run could not be judged or internal
 * error; 2: bad input, usage, or a production dossier.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/mem.h"
#include "connector/cli.h"
#include "connector/conf_seal.h"
#include "connector/config.h"
#include "connector/ledger/ledger.h"
#include "verifier/catalog.h"
#include "verifier/conformance.h"
#include "verifier/dossier.h"
#include "verifier/report.h"

#define PROG "raccord conformance"

static void
conf_usage(FILE *f)
{
	fprintf(f,
	    "usage: raccord conformance register DOSSIER.json --out FILE "
	    "[--secret-out FILE] [--jwks-uri URL]\n"
	    "       raccord conformance DOSSIER.json --registration FILE "
	    "--listen ADDR\n"
	    "                           --public-url URL --tls-cert FILE "
	    "--tls-key FILE\n"
	    "                           [--config FILE] [--format text|json] "
	    "[-v]\n"
	    "                           [--signed-report FILE --ledger DIR "
	    "--key FILE]\n"
	    "                           [--lang en|fr]\n"
	    "See raccord help conformance.\n");
}

/* Write the secret to a new 0600 file, never over an existing one. */
static int
write_secret(const char *file, const char *secret)
{
	size_t len = strlen(secret);
	int fd, bad;

	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: cannot create: %s\n", file,
		    strerror(errno));
		return -1;
	}
	bad = write(fd, secret, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0;
	if (close(fd) != 0)
		bad = 1;
	if (bad) {
		fprintf(stderr, PROG ": %s: cannot write\n", file);
		(void)unlink(file);
		return -1;
	}
	return 0;
}

static int
conf_register_cmd(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "secret-out", required_argument, NULL, 's' },
		{ "jwks-uri", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *secret_out = NULL, *jwks_uri = NULL;
	struct conf_registration reg;
	struct dossier *d = NULL;
	struct rc_err err = { 0 };
	char *secret = NULL, fpr[RC_FPR_LEN];
	int c, status = 2;

	memset(&reg, 0, sizeof(reg));
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:s:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'j':
			jwks_uri = optarg;
			break;
		case 's':
			secret_out = optarg;
			break;
		default:
			conf_usage(stderr);
			return 2;
		}
	}
	if (out == NULL || argc - optind != 1) {
		fprintf(stderr,
		    PROG " register: give one DOSSIER.json and "
		         "--out FILE\n");
		conf_usage(stderr);
		return 2;
	}
	if (dossier_load_file(argv[optind], &d, &err) != RC_OK ||
	    conf_register(d, jwks_uri, &reg, &secret, &err) != RC_OK) {
		fprintf(stderr, PROG " register: %s\n", err.msg);
		goto out;
	}
	if (secret_out != NULL && write_secret(secret_out, secret) != 0)
		goto out;
	if (conf_registration_save(&reg, out, &err) != RC_OK) {
		fprintf(stderr, PROG " register: %s\n", err.msg);
		if (secret_out != NULL)
			(void)unlink(secret_out); /* nothing half-done */
		goto out;
	}
	(void)rc_fingerprint(secret, strlen(secret), fpr);
	printf("dossier_id     %s\nclient_id      %s\n", reg.dossier_id,
	    reg.client_id);
	if (secret_out != NULL)
		printf("client_secret  in %s (%s)\n", secret_out, fpr);
	else
		printf("client_secret  %s\n"
		       "               (shown once: raccord keeps only its "
		       "SHA-256, %s)\n",
		    secret, fpr);
	printf("registration   %s\n", out);
	status = fflush(stdout) == 0 ? 0 : 3;
out:
	if (secret != NULL)
		rc_free_secret(secret, strlen(secret));
	conf_registration_cleanup(&reg);
	dossier_free(d);
	return status;
}

/*
 * Seal the report with the ledger's key (connector/conf_seal.h) into a
 * new file, never over an existing one.  0 or -1 (said on stderr).
 */
static int
write_sealed(const char *file, const struct note_signer *signer,
    const struct report *rep, const struct dossier *d,
    const struct conf_registration *reg, const char *public_url, time_t start,
    time_t end)
{
	struct rc_err err = { 0 };
	json_t *sealed = NULL;
	int fd, bad = 1;
	FILE *f;

	if (conf_seal_run(signer, rep, d, reg, public_url, start, end, &sealed,
	        &err) != RC_OK)
		goto out;
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0) {
		RC_ERR(&err, RC_ESYS, "%s: cannot create: %s", file,
		    strerror(errno));
		goto out;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		(void)close(fd);
		RC_ERR(&err, RC_ESYS, "%s: cannot write", file);
		goto out;
	}
	bad = json_dumpf(sealed, f, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 ||
	    fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fd) != 0;
	if (fclose(f) != 0)
		bad = 1;
	if (bad) {
		(void)unlink(file);
		RC_ERR(&err, RC_ESYS, "%s: cannot write", file);
	}
out:
	json_decref(sealed);
	if (bad)
		fprintf(stderr, PROG ": signed report: %s\n", err.msg);
	return bad ? -1 : 0;
}

/* Over the required checks: 0 all passed, 1 some failed, 3 some error or
 * skipped. */
static int
section_status(const struct report *rep)
{
	json_t *o = report_to_json(rep), *secs, *s, *checks, *ch;
	size_t i, j;
	int fail = 0, other = 0;

	if (o == NULL)
		return 3;
	secs = json_object_get(o, "integrations");
	json_array_foreach(secs, i, s)
	{
		checks = json_object_get(s, "checks");
		json_array_foreach(checks, j, ch)
		{
			const char *st =
			    json_string_value(json_object_get(ch, "status"));

			/* An advisory check (logout) never sets the exit. */
			if (json_is_false(json_object_get(ch, "required")))
				continue;
			if (st == NULL || strcmp(st, "pass") == 0)
				continue;
			if (strcmp(st, "fail") == 0)
				fail = 1;
			else
				other = 1;
		}
	}
	json_decref(o);
	return fail ? 1 : other ? 3 : 0;
}

int
cli_conformance(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "registration", required_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "signed-report", required_argument, NULL, 'S' },
		{ "ledger", required_argument, NULL, 'L' },
		{ "key", required_argument, NULL, 'k' },
		{ "lang", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *regfile = NULL, *config = NULL, *format = NULL;
	const char *signed_out = NULL, *ledger_dir = NULL, *key = NULL;
	struct note_signer *signer = NULL;
	enum catalog_lang lang_v;
	int lang = -1; /* --lang: explanations from the catalogue */
	time_t start, end;
	struct conf_registration reg;
	struct verifier_opts vo;
	struct conf_opts co;
	struct dossier *d = NULL;
	struct report *rep = NULL;
	struct cfg *cfg = NULL;
	struct rc_err err = { 0 };
	json_t *o = NULL;
	int c, json, status = 2, verbose = 0;

	if (argc >= 2 && strcmp(argv[1], "register") == 0)
		return conf_register_cmd(argc - 1, argv + 1);
	memset(&reg, 0, sizeof(reg));
	memset(&co, 0, sizeof(co));
	optind = 1;
	while ((c = getopt_long(argc, argv,
	            "r:l:u:C:K:c:f:vhS:L:k:g:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			regfile = optarg;
			break;
		case 'l':
			co.listen = optarg;
			break;
		case 'u':
			co.public_url = optarg;
			break;
		case 'C':
			co.tls_cert = optarg;
			break;
		case 'K':
			co.tls_key = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'S':
			signed_out = optarg;
			break;
		case 'L':
			ledger_dir = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'g':
			if (catalog_lang_parse(optarg, &lang_v, &err) !=
			    RC_OK) {
				fprintf(stderr, PROG ": --lang: %s\n", err.msg);
				return 2;
			}
			lang = (int)lang_v;
			break;
		default:
			conf_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1 || regfile == NULL || co.listen == NULL ||
	    co.public_url == NULL || co.tls_cert == NULL ||
	    co.tls_key == NULL) {
		fprintf(stderr,
		    PROG ": give one DOSSIER.json, --registration, --listen, "
		         "--public-url, --tls-cert and --tls-key\n");
		conf_usage(stderr);
		return 2;
	}
	if ((signed_out != NULL) != (ledger_dir != NULL) ||
	    (signed_out != NULL) != (key != NULL)) {
		fprintf(stderr,
		    PROG ": --signed-report, --ledger and --key go together: "
		         "the report is sealed with the ledger's key\n");
		return 2;
	}
	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "text") != 0) {
		fprintf(stderr, PROG ": --format must be text or json\n");
		return 2;
	}
	json = format ? strcmp(format, "json") == 0 : !isatty(STDOUT_FILENO);
	rc_log_set_level(verbose >= 2 ? RC_LOG_DEBUG
	        : verbose             ? RC_LOG_INFO
	                              : RC_LOG_WARN);
	if (cfg_load(config, &cfg, &err) != RC_OK ||
	    dossier_load_file(argv[optind], &d, &err) != RC_OK ||
	    conf_registration_load(regfile, &reg, &err) != RC_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		goto out;
	}
	/* The ledger's key before the run: bad input fails fast. */
	if (signed_out != NULL &&
	    ledger_signer_for(ledger_dir, key, &signer, &err) != RC_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		goto out;
	}
	cfg_verifier_opts(cfg, &vo);
	co.probe = vo.probe;
	if ((rep = report_new(d->dossier_id)) == NULL) {
		status = 3;
		goto out;
	}
	start = time(NULL);
	if (conformance_run(&co, d, &reg, rep, &err) != RC_OK) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		status =
		    err.code == RC_EINVAL || err.code == RC_ECONFIG ? 2 : 3;
		goto out;
	}
	end = time(NULL);
	status = section_status(rep);
	if (signed_out != NULL &&
	    write_sealed(signed_out, signer, rep, d, &reg, co.public_url, start,
	        end) != 0)
		status = 3;
	if (!json) {
		report_print_text_explained(rep, stdout, 0, lang);
	} else if ((o = report_to_json(rep)) == NULL ||
	    (lang >= 0 &&
	        catalog_explain_report_json(o, (enum catalog_lang)lang) !=
	            RC_OK) ||
	    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		status = 3;
	} else {
		fputc('\n', stdout);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, PROG ": cannot write the report\n");
		status = 3;
	}
out:
	json_decref(o);
	report_free(rep);
	conf_registration_cleanup(&reg);
	dossier_free(d);
	cfg_free(cfg);
	note_signer_free(signer);
	return status;
}
