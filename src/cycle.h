/*
 * One cycle: sync, match, plan the directory changes, write them back and
 * record the outcome. All or nothing: if any read fails nothing is written
 * and the store keeps its previous state; if a write fails the applied
 * changes are undone and the store is rolled back.
 */
#ifndef MENTORD_CYCLE_H
#define MENTORD_CYCLE_H

#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "sync.h"
#include "writeback.h"

/* Outcomes, also used as the programs' exit codes. */
enum cycle_result {
	CYCLE_OK = 0,
	CYCLE_FAILED = 1,       /* a read, the store or a write failed */
	CYCLE_UNREACHABLE = 3,  /* no directory server answered or bind failed */
	CYCLE_SAFETY = 4,       /* a safety limit (max_delete_percent) stopped the writeback */
};

struct cycle_report {
	long long run;           /* cycle number in the store; 0 for a dry run */
	enum cycle_result result;
	time_t started;
	double seconds;
	double sync_seconds;     /* reading the directory into the store */
	double plan_seconds;     /* matching, reading the managed OU, diffing */
	double write_seconds;    /* applying the changes */
	struct sync_stats sync;
	long pairs;              /* pairs in the plan */
	struct wb_counts changes;
	char error[256];         /* short cause when result != CYCLE_OK */
};

/*
 * Run one cycle. With dry_run, the planned changes are written to ldif as
 * LDIF change records and neither the directory nor the store is changed.
 * Returns rep->result.
 */
enum cycle_result cycle_run(const struct conf *cf, int dry_run, FILE *ldif, struct cycle_report *rep);

#endif
