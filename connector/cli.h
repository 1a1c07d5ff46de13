/* SPDX-License-Identifier: MIT */
/*
 * The raccord subcommands.  Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 a finding or refusal, 2 usage, input or config error,
 * 3 inconclusive or internal error (see docs/cli.md).
 */
#ifndef RC_CONNECTOR_CLI_H
#define RC_CONNECTOR_CLI_H

int cli_check(int argc, char **argv);
int cli_checks(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_ledger(int argc, char **argv);
int cli_keygen(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_conformance(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_intake(int argc, char **argv);

#endif /* RC_CONNECTOR_CLI_H */
