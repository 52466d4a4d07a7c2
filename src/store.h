/*
 * The state store: the only module that holds SQL. One SQLite file keeps the
 * staff seen by the last complete sync (derived values only: cohort label and
 * seniority years, never birth or hire dates), their competences and group
 * memberships, the current pairs, and one row per cycle.
 */
#ifndef MENTORD_STORE_H
#define MENTORD_STORE_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

typedef struct store store;

/*
 * Open (creating and migrating when writable) the database at path.
 * Returns 0 with *out set, or -1 after logging why.
 */
int store_open(const char *path, int readonly, store **out);
void store_close(store *st);

/* Transactions around a whole cycle: 0 or -1 (logged). */
int store_begin(store *st);
int store_commit(store *st);
/* Undo everything since store_begin; safe to call when no transaction is open. */
void store_rollback(store *st);

/* One cycle as recorded. Strings are owned by the struct (store_run_clear). */
struct store_run {
	long long id;
	long long started, finished; /* Unix time; finished 0 while running */
	double seconds;
	char *outcome;               /* "running", "ok", "failed", "aborted" */
	long staff, juniors, seniors, skipped, pairs, adds, modifies, deletes;
	char *error;                 /* NULL when ok */
	long added, ended, kept;     /* pairs new, ended and kept against the previous pairs */
	long proposed;               /* 1: the pairs were stored as proposals (matching.publish manual) */
};

/* Record the start of a cycle (outside any transaction); returns its id or -1. */
long long store_run_begin(store *st, time_t started);
/* Record how a cycle ended (outside any transaction); 0 or -1. */
int store_run_finish(store *st, const struct store_run *run);
/* The most recent cycle: 0 and *out filled, 1 if none yet, -1 on error. */
int store_run_last(store *st, struct store_run *out);
void store_run_clear(struct store_run *run);
/* Start time of the last ok cycle (0: none) and the number of cycles not ok. 0 or -1. */
int store_run_totals(store *st, long long *last_ok, long *failed);
/*
 * Call fn for the last limit cycles (all if limit <= 0), newest first; stops
 * when fn returns non-zero. The run passed to fn is only valid during the call.
 */
int store_runs_each(store *st, long limit, int (*fn)(const struct store_run *run, void *arg), void *arg);

/* A staff record as stored. */
struct store_person {
	const char *uuid, *dn, *name, *mail, *title, *department, *location;
	const char *manager_dn;  /* as read; NULL when none */
	const char *cohort;      /* cohort label; NULL when unknown */
	int seniority;           /* full years since hire; -1 unknown */
	int capacity;            /* override; -1 none */
	const char *cdn;         /* canonical form of dn (for group member lookups) */
	/*
	 * Competence levels: level_values[i] at level_ids[i], n_levels of them
	 * (area and competence ids, which the configuration limits to
	 * A-Z a-z 0-9 . _ -). Stored with the person as one JSON object; the
	 * view "competence" shows them as rows. Not filled by store_staff_each.
	 */
	const char *const *level_ids;
	const int *level_values;
	size_t n_levels;
};

/* Number of staff records stored (0 on error). */
long store_staff_count(store *st);
/*
 * Forget all staff, competences and memberships (before a full sync). The
 * store keeps up to 32 MB of pages for the rest of the transaction; more
 * than that of the load that follows goes to the WAL before the commit.
 */
int store_staff_reset(store *st);
/* Store a person, levels included, in place of what was stored of them. 0 or -1. */
int store_staff_put(store *st, const struct store_person *p);
/* Rows a statement of store_staff_load. */
#define STORE_LOAD_PEOPLE 8
/*
 * Store n people, with their levels, into a store emptied by
 * store_staff_reset, for a complete read that stores everyone once, in
 * uuid order (rows in key order cost about half of rows in any order). A
 * person stored already is an error. 0 or -1.
 */
int store_staff_load(store *st, const struct store_person *people, size_t n);
/* Record that uuid is a member of the named participant group ("juniors", "seniors"). */
int store_member_put(store *st, const char *group, const char *uuid);
/* Forget every participant group membership (before the groups are read again). */
int store_members_reset(store *st);
/* Delete one person with their competences and memberships: 1 if they were stored, 0 if not, -1. */
int store_staff_delete(store *st, const char *uuid);
/*
 * The present set of a sync refresh (RFC 4533 present phase), a temporary
 * table: reset it, put every uuid the server lists as present, then delete
 * every stored person not in it (returns how many rows went, or -1).
 */
int store_seen_reset(store *st);
int store_seen_put(store *st, const char *uuid);
long store_staff_delete_unseen(store *st);
/* Call fn for every stored person (strings valid during the call); stops when fn returns non-zero. 0 or -1. */
int store_staff_each(store *st, int (*fn)(const struct store_person *p, void *arg), void *arg);
/* Call fn for every stored level (area or competence id); stops when fn returns non-zero. 0 or -1. */
int store_competence_each(store *st, int (*fn)(const char *uuid, const char *id, int level, void *arg), void *arg);
/*
 * Sync state by name ("cookie": the RFC 4533 cookie; "full_at": Unix time of
 * the last complete read). get: 0 with *value set (caller frees), 1 when
 * unset, -1 on error. set: value NULL removes it; 0 or -1.
 */
int store_sync_get(store *st, const char *name, char **value);
int store_sync_set(store *st, const char *name, const char *value);

/* One assessment import as recorded. */
struct store_import {
	const char *who, *source;
	long long at;
	long rows, bad, changed, unchanged, failed;
};
/* Record an import (inside a transaction); its id, or -1. */
long long store_import_add(store *st, const struct store_import *imp);
/* Call fn for each recorded import, newest first, with the number of levels it carried. 0 or -1. */
int store_imports_each(store *st, int (*fn)(long long id, const struct store_import *imp, long levels, void *arg),
		       void *arg);
/* Record one level an import carried for a person; assessed may be NULL. 0 or -1. */
int store_assessment_put(store *st, long long import, const char *uuid, const char *competence, int level,
			 const char *assessed);

/* One person's level in one area, with what reports group by. Strings valid during the call only. */
struct store_level {
	const char *uuid, *name, *mail, *department, *location, *cohort, *area;
	int level;
};
/* Call fn for every stored level (as of the last sync), by area then name; stops when fn returns non-zero. */
int store_levels_each(store *st, int (*fn)(const struct store_level *lv, void *arg), void *arg);

/*
 * Find a person by stable id, DN, mail, the value of the DN's first RDN
 * (e.g. a uid) or exact name, in that order. 0 with *out filled (strings are
 * copies, freed with store_person_clear), 1 if nobody matches, 2 if several
 * match by name or RDN value, -1 on error.
 */
struct store_found {
	char *uuid, *dn, *name, *cohort, *department;
};
int store_person_find(store *st, const char *key, struct store_found *out);
void store_person_clear(struct store_found *p);
/* The stored level of uuid in each area of the model (0: not assessed). 0 or -1. */
int store_person_levels(store *st, const struct conf *cf, const char *uuid, int *levels);

/* A current pair. */
struct store_pair {
	char *mentor_uuid, *mentee_uuid, *dn;
	int score;               /* without the stability bonus, which only weighs in while matching */
	long long started;       /* Unix time the pair was first written */
};

/* Load the current pairs into a new array (store_pairs_free). 0 or -1. */
int store_pairs_load(store *st, struct store_pair **out, size_t *n);
void store_pairs_free(struct store_pair *pairs, size_t n);
/*
 * Replace the current pairs with pairs[n], written by cycle run, and name
 * them with a new token (sync state STORE_PAIRS_TOKEN), so that a process
 * keeping the pairs in memory can tell whether they are still the stored
 * ones. 0 or -1.
 */
#define STORE_PAIRS_TOKEN "pairs_token"
int store_pairs_replace(store *st, const struct store_pair *pairs, size_t n, long long run);

/* One side of a pair, for reports. */
struct store_pair_side {
	const char *uuid, *dn, *name, *mail, *department, *location, *cohort;
};
struct store_pair_row {
	struct store_pair_side mentor, mentee;
	const char *dn;
	int score;
	long long started;
};
/* Call fn for each current pair ordered by mentor name then mentee name; stops when fn returns non-zero. 0 or -1. */
int store_pairs_each(store *st, int (*fn)(const struct store_pair_row *row, void *arg), void *arg);

/* ------------------------------------------------------------------ */
/* The matching programme */

/* Avoid lists: the canonical DNs a person named (dropped with the person). 0 or -1. */
int store_avoid_clear(store *st, const char *uuid);
int store_avoid_put(store *st, const char *uuid, const char *cdn);
int store_avoid_each(store *st, int (*fn)(const char *uuid, const char *cdn, void *arg), void *arg);
/* Call fn for every stored group membership ("juniors", "seniors", "trained", "excluded"). 0 or -1. */
int store_members_each(store *st, int (*fn)(const char *group, const char *uuid, void *arg), void *arg);

/* HR's rules on one pair: kept whatever the score, or never made. One rule per pair. */
enum store_rule_kind { STORE_RULE_PIN, STORE_RULE_FORBID };
struct store_rule {
	const char *mentor_uuid, *mentee_uuid;
	enum store_rule_kind kind;
	const char *who;          /* the user who set it, may be NULL */
	long long at;
	const char *mentor_name, *mentor_dn, *mentee_name, *mentee_dn; /* NULL if no longer on staff */
};
/* Set the rule of a pair (replacing a rule of the other kind). 0 or -1. */
int store_rule_set(store *st, const char *mentor, const char *mentee, enum store_rule_kind kind, const char *who,
		   long long at);
/* Remove a rule of this kind: 1 if there was one, 0 if not, -1 on error. */
int store_rule_delete(store *st, const char *mentor, const char *mentee, enum store_rule_kind kind);
/* Call fn for every rule, pins first; strings valid during the call. 0 or -1. */
int store_rules_each(store *st, int (*fn)(const struct store_rule *r, void *arg), void *arg);

/*
 * The pair history: pairs[n] are the pairs from now on; open pairs not among
 * them end at now, new ones start at now. 0 or -1.
 */
int store_history_update(store *st, const struct store_pair *pairs, size_t n, long long now);
/* Call fn for every pair that ended at or after since (each pair once). 0 or -1. */
int store_history_ended_since(store *st, long long since, int (*fn)(const char *mentor, const char *mentee, void *arg),
			      void *arg);

/* A proposed pair (matching.publish = "manual"), awaiting `mentorctl publish`. */
struct store_proposal {
	char *mentor_uuid, *mentee_uuid;
	int score;
	int kept;                /* the pair exists now */
	int pinned;              /* kept because HR pinned it */
};
/* Replace the proposals with props[n], made by cycle run. 0 or -1. */
int store_proposals_replace(store *st, const struct store_proposal *props, size_t n, long long run);
/* Load the proposals (store_proposals_free) and the cycle that made them (0: none). 0 or -1. */
int store_proposals_load(store *st, struct store_proposal **out, size_t *n, long long *run);
void store_proposals_free(struct store_proposal *props, size_t n);
struct store_proposal_row {
	struct store_pair_side mentor, mentee;
	int score, kept, pinned;
	long long run;
};
/* Call fn for each proposal ordered by mentor name then mentee name. 0 or -1. */
int store_proposals_each(store *st, int (*fn)(const struct store_proposal_row *row, void *arg), void *arg);

/*
 * Where the last matching ended (prices of juniors and the pairs at their
 * two prices, by uuid, in the scale big/tie), to start the next from.
 * Replaced as a whole inside the cycle's transaction.
 */
struct store_warm {
	long long big, tie;
	const char *const *price_uuid;
	const long long *price;
	size_t n_prices;
	const char *const *junior, *const *senior;
	size_t n_pairs;
};
int store_warm_replace(store *st, const struct store_warm *w);
/* Each stored price, then each pair; *big and *tie 0 when nothing is kept. Callbacks stop on non-zero. */
int store_warm_each(store *st, long long *big, long long *tie,
		    int (*price_fn)(const char *uuid, long long price, void *arg),
		    int (*pair_fn)(const char *junior, const char *senior, void *arg), void *arg);

#endif
