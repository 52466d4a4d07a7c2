/*
 * Print every configuration key the parser accepts, one "group.key" per
 * line, for tests/man.test to look up in mentord.conf(5). The list comes
 * from conf_keys(), which reads the parser's own key tables.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "conf.h"

int main(void)
{
	for (const char *const *key = conf_keys(); *key; key++)
		if (puts(*key) == EOF)
			return EXIT_FAILURE;
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
