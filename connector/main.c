/* SPDX-License-Identifier: MIT */
/*
 * raccord: placeholder entry point, replaced by the CLI dispatcher.
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "raccord: not built yet\n");
	return 2;
}
