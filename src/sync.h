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
#define ROSTER_TRAINED 4u  /* in participants.trained_mentors */
#define ROSTER_EXCLUDED 8u /* in participants.excluded */

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
	unsigned roles;      /* ROSTER_JUNIOR | ROSTER_SENIOR | ROSTER_TRAINED | ROSTER_EXCLUDED */
};

/* What sync keeps with a roster so a later sync can update it in place (private to sync). */
struct roster_state;

struct roster {
	struct roster_person *people;
	size_t n, cap;
	size_t n_areas;
	struct strmap *by_cdn;  /* canonical DN -> index */
	struct strmap *by_uuid; /* uuid -> index */
	struct roster_state *state;
};

/* How people were read. */
enum sync_mode {
	SYNC_MODE_FULL,        /* everyone, RFC 4533 without a cookie */
	SYNC_MODE_PAGED,       /* everyone, paged searches (no syncprov, or ids other than entryUUID) */
	SYNC_MODE_INCREMENTAL, /* changes since the stored cookie */
};

/* "full", "full, paged" or "incremental". */
const char *sync_mode_name(enum sync_mode mode);

struct sync_stats {
	enum sync_mode mode;
	long read;             /* entries read from the directory (changed, added or deleted) */
	long ids;              /* uuids received in syncIdSets */
	long removed;          /* people removed by an incremental read */
	long staff;            /* people stored */
	long skipped_entries;  /* entries that could not be used at all */
	long skipped_values;   /* single values skipped */
	long juniors, seniors; /* members of the participant groups found among staff */
	long outside;          /* group members that are not synced staff */
	int reused;            /* the roster of the previous cycle was updated, not rebuilt */
};

/* The progress phase number sync reports under. */
#define SYNC_PHASE 0

/*
 * Sync people into the store (inside the caller's transaction) and give the
 * roster for matching: everyone stored, with their roles from the
 * participant groups (read again when their entryCSN changed). A full read
 * builds the roster from the entries as they come; a read of changes
 * applies them to a kept roster (below) or loads the roster from the store
 * after. People are read as changes since the stored RFC 4533 cookie
 * when there is one and the last full read is younger than
 * people.full_sync_interval; otherwise, or when the server asks for it
 * (e-syncRefreshRequired, cookie refused), everyone is read and replaces the
 * stored staff: by RFC 4533 without a cookie, or by paged searches when the
 * server has no syncprov. The new cookie and the time of a full read are
 * stored with the changes. progress (may be NULL) is told every few hundred
 * entries, with the previous staff count as the expected total.
 *
 * *out is NULL, or a roster an earlier sync_run returned in this process
 * with the same cf and whose transaction was committed (a daemon keeps it
 * between cycles): sync_run then takes it over and, when the store is still
 * the one it was built from (no other cycle wrote it meanwhile) and only
 * changes are read, updates it with the changes instead of loading every
 * person from the store again. Otherwise it is freed and a new one built.
 *
 * Returns 0 with *out set (roster_free) only when every read completed; -1
 * on a failure (logged) and -2 when progress asked to stop; in both cases
 * *out is freed and NULL, and the caller must roll the transaction back.
 */
int sync_run(dir *d, store *st, const struct conf *cf, time_t now, const struct progress *progress,
	     struct roster **out, struct sync_stats *stats);

void roster_free(struct roster *r);

/*
 * The canonical form of a DN for comparing, as dir_dn_canonical gives it,
 * without libldap's parse for plain DNs. A new string, or NULL when dn is
 * not a DN.
 */
char *sync_dn_canonical(const char *dn);

/*
 * The roster as the last sync left it in the store, without reading the
 * directory (for mentorctl): people, levels and group memberships. 0 with
 * *out set (roster_free), or -1 (logged).
 */
int roster_load(store *st, const struct conf *cf, struct roster **out);

#endif
