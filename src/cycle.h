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

/* Outcomes, also used as the programs' exit codes (2 is a configuration error). */
enum cycle_result {
	CYCLE_OK = 0,
	CYCLE_FAILED = 1,       /* a read, the store or a write failed */
	CYCLE_UNREACHABLE = 3,  /* no directory server answered or bind failed */
	CYCLE_SAFETY = 4,       /* a safety limit (max_delete_percent) stopped the writeback */
	CYCLE_STOPPED = 5,      /* asked to stop part way; everything was rolled back */
	CYCLE_BUSY = 6,         /* another cycle holds the lock */
};

/* The phases reported through struct progress. */
enum cycle_phase { CYCLE_PHASE_SYNC, CYCLE_PHASE_PLAN, CYCLE_PHASE_WRITE };

/* Text for a result, e.g. "ok", "failed", "stopped". */
const char *cycle_result_name(enum cycle_result result);

struct cycle_report {
	long long run;           /* cycle number in the store; 0 for a dry run */
	enum cycle_result result;
	time_t started;
	double seconds;
	double sync_seconds;     /* reading the directory into the store */
	double plan_seconds;     /* matching, reading the managed OU, diffing */
	double write_seconds;    /* applying the changes */
	struct sync_stats sync;
	long sync_peak_kib;      /* the process's peak RSS when the sync phase ended (KiB) */
	double sync_cpu_seconds; /* CPU time (user + system) the process spent in the sync phase */
	long pairs;              /* pairs in the plan */
	long pairs_added, pairs_ended, pairs_kept; /* against the pairs in force before */
	int proposed;            /* the pairs were stored as proposals, not written (publish manual) */
	struct wb_counts changes;
	char error[256];         /* short cause when result != CYCLE_OK */
};

/*
 * Run one cycle, holding the lock. progress (may be NULL) hears about the
 * phases and may ask the cycle to stop: it is then rolled back, directory
 * and store, and CYCLE_STOPPED is returned. With dry_run, the planned changes are written to ldif as
 * LDIF change records and neither the directory nor the store is changed.
 * Returns rep->result.
 */
enum cycle_result cycle_run(const struct conf *cf, int dry_run, FILE *ldif,
			    const struct progress *progress, struct cycle_report *rep);

/* What a process running many cycles keeps between them: the roster and the pairs in force. */
struct cycle_kept;
void cycle_kept_free(struct cycle_kept *k);

/*
 * cycle_run for a process that runs many cycles (the daemon): *kept is NULL
 * or what this function left there after an earlier cycle with the same
 * cf. The sync updates its roster with the directory's changes instead of
 * loading everyone from the store again (it checks the store was not
 * written by anybody else meanwhile), and its pairs stand for the stored
 * ones while the store's pairs token says they are the same. After a
 * committed cycle *kept holds this cycle's roster and pairs; after any
 * other outcome, or a dry run, it is freed and NULL. Free it with
 * cycle_kept_free when the configuration changes.
 */
enum cycle_result cycle_run_kept(const struct conf *cf, int dry_run, FILE *ldif, const struct progress *progress,
				 struct cycle_report *rep, struct cycle_kept **kept);

/*
 * Publish the proposals of the last cycle (matching.publish = "manual"):
 * write them to the directory with the same lock, safety limits and
 * all-or-nothing rules as a cycle, without reading people again. Recorded as
 * a cycle; returns rep->result (CYCLE_FAILED when there is nothing to
 * publish).
 */
enum cycle_result cycle_publish(const struct conf *cf, const struct progress *progress, struct cycle_report *rep);

/* The lock file that keeps two cycles from running at once: "<state database>.lock" (new string). */
char *cycle_lock_path(const struct conf *cf);

#endif
