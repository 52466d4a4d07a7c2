/*
 * Assessment import: competence levels from a CSV file onto person entries.
 * Only values that change are written (value-level modifications), bad rows
 * are reported with their row number and reason, and every import is
 * recorded with a snapshot of the levels it carried, for measuring progress.
 */
#ifndef MENTORD_ASSESS_H
#define MENTORD_ASSESS_H

#include <stdio.h>

#include "conf.h"

struct assess_opts {
	const char *path;   /* the CSV file */
	const char *key;    /* key column name ("uid", "mail", "dn"); NULL: the first of those in the header */
	int strict;         /* any bad row: import nothing */
	FILE *ldif;         /* dry run: print the changes here and write nothing */
};

struct assess_result {
	long rows;          /* data rows read */
	long bad;           /* rows skipped (or, with strict, found) as bad */
	long changed;       /* people whose entry was (or would be) modified */
	long unchanged;     /* good rows that needed no change */
	long failed;        /* modifications the server refused */
	long long import;   /* the import's number in the store; 0 for a dry run or nothing recorded */
};

/* Outcomes, also the exit codes of `mentorctl assess import`. */
enum assess_outcome {
	ASSESS_OK = 0,
	ASSESS_FAILED = 1,      /* file unreadable, directory or store failure, or refused changes */
	ASSESS_BAD_ROWS = 7,    /* bad rows were found (skipped, or nothing imported with strict) */
};

/* Run an import; bad rows and failures are reported on stderr. */
enum assess_outcome assess_import(const struct conf *cf, const struct assess_opts *opts, struct assess_result *res);

#endif
