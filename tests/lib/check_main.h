/*
 * The main of every Check test program: run the suite, print the summary,
 * exit non-zero if any test failed.
 */
#ifndef MENTORD_CHECK_MAIN_H
#define MENTORD_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run s with the normal report; EXIT_SUCCESS only if every test passed. */
static inline int check_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
