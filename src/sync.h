/*
 * Sync: reads people and the participant groups from the directory, turns
 * each entry into a staff record through the configured attribute map,
 * validates every value (a bad value is skipped and logged with its DN and
 * attribute), derives cohort and seniority, and writes the records into the
 * store. The result is also kept in memory as the roster for matching.
 */
#ifndef MENTORD_SYNC_H
#define MENTORD_SYNC_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "dir.h"
#include "store.h"
#include "util.h"

#define ROSTER_NONE ((size_t)-1)
#define ROSTER_JUNIOR 1u
#define ROSTER_SENIOR 2u

/* One person as synced. Strings are owned by the roster. */
struct roster_person {
	char *uuid;          /* stable id (entryUUID) */
	char *dn, *cdn;      /* DN as read, and its canonical form */
	char *name, *mail, *department, *location;
	char *manager_cdn;   /* canonical manager DN, or NULL */
	size_t manager;      /* index of the manager in the roster, or ROSTER_NONE */
	int cohort;          /* index into cf->cohorts, -1 unknown */
	int seniority;       /* full years since hire, -1 unknown */
	int capacity;        /* override from the directory, -1 none */
	int *levels;         /* cf->n_areas competence levels, 0 = not assessed */
	unsigned roles;      /* ROSTER_JUNIOR | ROSTER_SENIOR */
};

struct roster {
	struct roster_person *people;
	size_t n, cap;
	size_t n_areas;
	struct strmap *by_cdn;  /* canonical DN -> index */
	struct strmap *by_uuid; /* uuid -> index */
};

struct sync_stats {
	long staff;            /* people stored */
	long skipped_entries;  /* entries that could not be used at all */
	long skipped_values;   /* single values skipped */
	long juniors, seniors; /* members of the participant groups found among staff */
	long outside;          /* group members that are not synced staff */
};

/* The progress phase number sync reports under. */
#define SYNC_PHASE 0

/*
 * Full sync: replace the staff in the store (inside the caller's
 * transaction) with what the directory holds now. progress (may be NULL)
 * is told every few hundred entries, with the previous staff count as the
 * expected total. Returns 0 with *out set (roster_free) only when every read
 * completed; -1 on a failure (logged) and -2 when progress asked to stop; in
 * both cases the caller must roll the transaction back.
 */
int sync_full(dir *d, store *st, const struct conf *cf, time_t now, const struct progress *progress,
	      struct roster **out, struct sync_stats *stats);

void roster_free(struct roster *r);

#endif
