/*
 * Writeback: turns the matching plan into the directory state it implies
 * (pair groups and aggregate groups under the managed OU), compares it with
 * what the directory holds, and applies only the value-level differences.
 * Only entries carrying our ownership marker are ever modified or deleted.
 * A failure part way undoes the changes already applied.
 */
#ifndef MENTORD_WRITEBACK_H
#define MENTORD_WRITEBACK_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "dir.h"
#include "util.h"

/* One wanted pair, as matching produced it. */
struct wb_pair {
	const char *mentor_uuid, *mentor_dn, *mentor_name;
	const char *mentee_uuid, *mentee_dn, *mentee_name;
	int score;
	char *const *objectives; /* n_objectives lines */
	size_t n_objectives;
	long long started;       /* Unix time the pair was first written */
};

/* A set of entries with attributes: what we want, or what the directory has. */
struct wb_set;
struct wb_entry;

struct wb_set *wb_set_new(void);
void wb_set_free(struct wb_set *set);
/* How many entries the set holds. */
size_t wb_set_size(const struct wb_set *set);
/* The entry with this DN, created empty if new (owned = 0). NULL if dn is not a DN. */
struct wb_entry *wb_set_entry(struct wb_set *set, const char *dn);
/* Append one value to an attribute of the entry. */
void wb_entry_add(struct wb_entry *e, const char *attr, const char *value);
/* Mark an entry as carrying our ownership marker (for current state). */
void wb_entry_set_owned(struct wb_entry *e, int owned);
/* Mark an entry as a container (OU): created when missing, never modified or deleted. */
void wb_entry_set_container(struct wb_entry *e, int container);

/* The DN of the group for a pair: cn=pair-<16 hex digits of a hash of both ids>,ou=pairs,<ou>. */
char *wb_pair_dn(const struct conf *cf, const char *mentor_uuid, const char *mentee_uuid);

/* The wanted directory state for these pairs (wb_set_free). NULL if the managed OU is unusable (logged). */
struct wb_set *wb_desired(const struct conf *cf, const struct wb_pair *pairs, size_t n);

/* The changes that turn one state into another. */
struct wb_plan;

struct wb_counts {
	long adds, modifies, deletes, conflicts;
};

/*
 * Compare want with have and plan the changes. Returns 0, or -1 when the
 * deletes would exceed writeback.max_delete_percent of the existing pairs
 * (logged; *out is still set so the caller can show the plan).
 */
int wb_diff(const struct conf *cf, const struct wb_set *want, const struct wb_set *have,
	    struct wb_plan **out);
void wb_plan_free(struct wb_plan *plan);
void wb_plan_counts(const struct wb_plan *plan, struct wb_counts *counts);
/* Write the plan as LDIF change records. */
void wb_plan_ldif(const struct wb_plan *plan, FILE *fp);

/*
 * Read the current managed subtree into a new set (wb_set_free); NULL on a
 * failed read. From Active Directory the set is marked so, and wb_diff
 * compares it with the AD shape of the wanted state (group objects with
 * sAMAccountName and groupType, times as YYYYMMDDHHMMSS.0Z).
 */
struct wb_set *wb_read(dir *d, const struct conf *cf);

/* The progress phase number writeback reports under. */
#define WB_PHASE 2

/*
 * Apply the plan in order, telling progress (may be NULL) before each
 * change. On the first failure, undo every change already applied (in
 * reverse order) and return -1; if progress asks to stop, undo likewise and
 * return -2; 0 when all were applied.
 */
int wb_apply(dir *d, const struct wb_plan *plan, const struct progress *progress);

#endif
