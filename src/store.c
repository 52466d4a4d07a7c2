/*
 * The state store over SQLite. Schema changes go through numbered migrations
 * tracked in PRAGMA user_version. Statements used per staff record are
 * prepared once; everything else is prepared where it is used.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *put_staff, *put_member, *put_assessment;
	sqlite3_stmt *del_staff[2], *put_seen;
	sqlite3_stmt *load_staff[STORE_LOAD_PEOPLE + 1]; /* store_staff_load's: [n] for n people, prepared on first use */
	struct sbuf levels[STORE_LOAD_PEOPLE];            /* the bound people's levels as JSON */
	int in_txn;
};

/* A person's avoid list goes with them (also recreated by store_staff_reset). */
#define AVOID_GONE_TRIGGER \
	"CREATE TRIGGER avoid_gone AFTER DELETE ON staff BEGIN DELETE FROM avoid WHERE uuid = old.uuid; END;"

/* Everyone's levels as rows (uuid, area: an area or competence id, level). */
#define STAFF_LEVELS_VIEW \
	"CREATE VIEW competence (uuid, area, level) AS" \
	"  SELECT s.uuid, j.key, j.value FROM staff s, json_each(s.levels) j;"

/* The migrations, in order; user_version counts how many have run. */
static const char *const migrations[] = {
	"CREATE TABLE staff ("
	"  uuid TEXT PRIMARY KEY, dn TEXT NOT NULL, name TEXT, mail TEXT, title TEXT,"
	"  department TEXT, location TEXT, manager_dn TEXT, cohort TEXT,"
	"  seniority INTEGER, capacity INTEGER);"
	"CREATE TABLE competence ("
	"  uuid TEXT NOT NULL, area TEXT NOT NULL, level INTEGER NOT NULL,"
	"  PRIMARY KEY (uuid, area)) WITHOUT ROWID;"
	"CREATE TABLE membership ("
	"  grp TEXT NOT NULL, uuid TEXT NOT NULL, PRIMARY KEY (grp, uuid)) WITHOUT ROWID;"
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY, started INTEGER NOT NULL, finished INTEGER,"
	"  seconds REAL, outcome TEXT NOT NULL, staff INTEGER, juniors INTEGER,"
	"  seniors INTEGER, skipped INTEGER, pairs INTEGER, adds INTEGER,"
	"  modifies INTEGER, deletes INTEGER, error TEXT);"
	"CREATE TABLE pairs ("
	"  mentor_uuid TEXT NOT NULL, mentee_uuid TEXT NOT NULL, dn TEXT NOT NULL,"
	"  score INTEGER NOT NULL, started INTEGER NOT NULL, run INTEGER NOT NULL,"
	"  PRIMARY KEY (mentor_uuid, mentee_uuid));",
	/* 2: assessment imports and the levels each one carried */
	"CREATE TABLE imports ("
	"  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, who TEXT, source TEXT, rows INTEGER,"
	"  bad INTEGER, changed INTEGER, unchanged INTEGER, failed INTEGER);"
	"CREATE TABLE assessments ("
	"  import INTEGER NOT NULL REFERENCES imports (id), uuid TEXT NOT NULL,"
	"  competence TEXT NOT NULL, level INTEGER NOT NULL, assessed TEXT,"
	"  PRIMARY KEY (import, uuid, competence)) WITHOUT ROWID;"
	"CREATE INDEX assessments_by_person ON assessments (uuid, competence);",
	/* 3: incremental sync: canonical DNs kept with the staff, the sync cookie and when the last full read ran */
	"ALTER TABLE staff ADD COLUMN cdn TEXT;"
	"CREATE TABLE sync_state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
	/*
	 * 4: the matching programme: avoid lists (canonical DNs, dropped with
	 * their person), HR's pins and forbids, every pair's start and end (for
	 * cooldowns), proposals awaiting publication, and pair changes per cycle
	 */
	"CREATE TABLE avoid (uuid TEXT NOT NULL, cdn TEXT NOT NULL, PRIMARY KEY (uuid, cdn)) WITHOUT ROWID;"
	AVOID_GONE_TRIGGER
	"CREATE TABLE pair_rules ("
	"  mentor_uuid TEXT NOT NULL, mentee_uuid TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('pin', 'forbid')), who TEXT, at INTEGER NOT NULL,"
	"  PRIMARY KEY (mentor_uuid, mentee_uuid)) WITHOUT ROWID;"
	"CREATE TABLE pair_history ("
	"  mentor_uuid TEXT NOT NULL, mentee_uuid TEXT NOT NULL, started INTEGER NOT NULL, ended INTEGER,"
	"  PRIMARY KEY (mentor_uuid, mentee_uuid, started)) WITHOUT ROWID;"
	"CREATE INDEX pair_history_ended ON pair_history (ended);"
	"INSERT INTO pair_history SELECT mentor_uuid, mentee_uuid, started, NULL FROM pairs;"
	"CREATE TABLE proposals ("
	"  mentor_uuid TEXT NOT NULL, mentee_uuid TEXT NOT NULL, score INTEGER NOT NULL,"
	"  kept INTEGER NOT NULL, pinned INTEGER NOT NULL, run INTEGER NOT NULL,"
	"  PRIMARY KEY (mentor_uuid, mentee_uuid)) WITHOUT ROWID;"
	"ALTER TABLE runs ADD COLUMN added INTEGER;"
	"ALTER TABLE runs ADD COLUMN ended INTEGER;"
	"ALTER TABLE runs ADD COLUMN kept INTEGER;"
	"ALTER TABLE runs ADD COLUMN proposed INTEGER;",
	/*
	 * 5: where the last matching ended, to start the next one from: each
	 * junior's price and the pairs at their two prices, by uuid, with the
	 * scale (big, tie) the prices are in
	 */
	"CREATE TABLE warm_prices (uuid TEXT PRIMARY KEY, price INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE warm_pairs (junior TEXT NOT NULL, senior TEXT NOT NULL,"
	"  PRIMARY KEY (junior, senior)) WITHOUT ROWID;",
	/*
	 * 6: a person's levels move into their staff row, as one JSON object of
	 * id -> level: a table of a row per level cost a complete read more than
	 * half of its store writes (five levels a person), and the levels are
	 * only ever written and dropped with the person. The view keeps the
	 * rows for reading.
	 */
	"ALTER TABLE staff ADD COLUMN levels TEXT;"
	"UPDATE staff SET levels = (SELECT json_group_object(c.area, c.level) FROM competence c"
	"  WHERE c.uuid = staff.uuid);"
	"DROP TABLE competence;"
	STAFF_LEVELS_VIEW,
};

/* Log an SQLite failure with the database path and what we were doing. */
static int store_fail(store *st, const char *what)
{
	log_err("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
	return -1;
}

/* Run SQL without results. */
static int store_exec(store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, what);
	return 0;
}

/* Prepare a statement or log why not. */
static sqlite3_stmt *store_prepare(store *st, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_fail(st, "prepare");
		return NULL;
	}
	return stmt;
}

/* Read PRAGMA user_version. */
static int store_version(store *st)
{
	sqlite3_stmt *stmt = store_prepare(st, "PRAGMA user_version");
	int v = -1;
	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* Whether schema version v is newer than this mentord knows (logged); a newer store is never touched. */
static int store_too_new(store *st, int v)
{
	if (v <= (int)ARRAY_LEN(migrations))
		return 0;
	log_err("%s: database schema version %d is newer than this mentord knows (%zu)", st->path, v,
		ARRAY_LEN(migrations));
	return 1;
}

/* Bring the schema up to date, each migration in its own transaction. */
static int store_migrate(store *st)
{
	int v = store_version(st);
	if (v < 0)
		return -1;
	if (store_too_new(st, v))
		return -1;
	for (size_t i = (size_t)v; i < ARRAY_LEN(migrations); i++) {
		char *bump = xasprintf("PRAGMA user_version = %zu", i + 1);
		int rc = store_exec(st, "BEGIN IMMEDIATE", "migrate") ||
			 store_exec(st, migrations[i], "migrate") ||
			 store_exec(st, bump, "migrate") || store_exec(st, "COMMIT", "migrate");
		free(bump);
		if (rc) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

/* Prepare the statements used once per synced record. */
static int store_prepare_hot(store *st)
{
	st->put_staff = store_prepare(st,
		"INSERT OR REPLACE INTO staff (uuid, dn, name, mail, title, department, location,"
		" manager_dn, cohort, seniority, capacity, cdn, levels) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	st->put_member = store_prepare(st, "INSERT OR IGNORE INTO membership (grp, uuid) VALUES (?,?)");
	return st->put_staff && st->put_member ? 0 : -1;
}

int store_open(const char *path, int readonly, store **out)
{
	store *st = xcalloc(1, sizeof(*st));
	int v;
	/* one thread uses a connection at a time: no mutex around every call (a tenth of a full sync's writes) */
	int flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		store_fail(st, readonly ? "cannot open state database" : "cannot open or create state database");
		store_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if ((!readonly && (store_exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", "set journal mode") ||
			   store_migrate(st))) ||
	    store_exec(st, "PRAGMA foreign_keys = ON", "set pragmas")) {
		store_close(st);
		return -1;
	}
	if (readonly && (v = store_version(st)) != (int)ARRAY_LEN(migrations)) {
		if (v > 0 && v < (int)ARRAY_LEN(migrations))
			log_err("%s: state database schema version %d is older than this version's (%zu); the next "
				"mentord cycle (or mentord --once) upgrades it", path, v, ARRAY_LEN(migrations));
		else if (!store_too_new(st, v))
			log_err("%s: state database has not been initialised by this mentord version", path);
		store_close(st);
		return -1;
	}
	if (!readonly && store_prepare_hot(st) < 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void store_close(store *st)
{
	if (!st)
		return;
	store_rollback(st);
	sqlite3_finalize(st->put_staff);
	sqlite3_finalize(st->put_member);
	sqlite3_finalize(st->put_assessment);
	for (size_t i = 0; i < ARRAY_LEN(st->del_staff); i++)
		sqlite3_finalize(st->del_staff[i]);
	sqlite3_finalize(st->put_seen);
	for (size_t i = 0; i < ARRAY_LEN(st->load_staff); i++)
		sqlite3_finalize(st->load_staff[i]);
	for (size_t i = 0; i < ARRAY_LEN(st->levels); i++)
		sbuf_free(&st->levels[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int store_begin(store *st)
{
	if (store_exec(st, "BEGIN IMMEDIATE", "begin transaction") < 0)
		return -1;
	st->in_txn = 1;
	return 0;
}

int store_commit(store *st)
{
	if (store_exec(st, "COMMIT", "commit") < 0)
		return -1;
	st->in_txn = 0;
	return 0;
}

void store_rollback(store *st)
{
	if (!st->in_txn)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = 0;
}

/*
 * Bind a string or NULL. SQLite does not copy it: every statement here is
 * stepped and reset while the caller's strings still live, and the copy was
 * a malloc and a free per value in a sync of many thousand records.
 */
static void bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(stmt, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, i);
}

/* Bind an integer, or NULL for the "unknown" value -1. */
static void bind_int_or_null(sqlite3_stmt *stmt, int i, long long v)
{
	if (v < 0)
		sqlite3_bind_null(stmt, i);
	else
		sqlite3_bind_int64(stmt, i, v);
}

/* Step a statement that returns no rows, then reset it for reuse. */
static int store_step_done(store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE)
		return store_fail(st, what);
	return 0;
}

long long store_run_begin(store *st, time_t started)
{
	sqlite3_stmt *stmt;
	if (store_exec(st, "UPDATE runs SET outcome = 'aborted' WHERE outcome = 'running'",
		       "close interrupted cycles") < 0)
		return -1;
	stmt = store_prepare(st, "INSERT INTO runs (started, outcome) VALUES (?, 'running')");
	if (!stmt)
		return -1;
	sqlite3_bind_int64(stmt, 1, (long long)started);
	if (store_step_done(st, stmt, "record cycle start") < 0) {
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return (long long)sqlite3_last_insert_rowid(st->db);
}

int store_run_finish(store *st, const struct store_run *r)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"UPDATE runs SET finished = ?, seconds = ?, outcome = ?, staff = ?, juniors = ?,"
		" seniors = ?, skipped = ?, pairs = ?, adds = ?, modifies = ?, deletes = ?, error = ?,"
		" added = ?, ended = ?, kept = ?, proposed = ? WHERE id = ?");
	long vals[] = {r->staff, r->juniors, r->seniors, r->skipped, r->pairs, r->adds, r->modifies, r->deletes};
	long pair_vals[] = {r->added, r->ended, r->kept, r->proposed};
	int rc;
	if (!stmt)
		return -1;
	sqlite3_bind_int64(stmt, 1, r->finished);
	sqlite3_bind_double(stmt, 2, r->seconds);
	bind_text(stmt, 3, r->outcome);
	for (size_t i = 0; i < ARRAY_LEN(vals); i++)
		sqlite3_bind_int64(stmt, (int)i + 4, vals[i]);
	bind_text(stmt, 12, r->error);
	for (size_t i = 0; i < ARRAY_LEN(pair_vals); i++)
		sqlite3_bind_int64(stmt, (int)i + 13, pair_vals[i]);
	sqlite3_bind_int64(stmt, 17, r->id);
	rc = store_step_done(st, stmt, "record cycle end");
	sqlite3_finalize(stmt);
	return rc;
}

/* Column i as a new string, or NULL. */
static char *column_strdup(sqlite3_stmt *stmt, int i)
{
	return xstrdup((const char *)sqlite3_column_text(stmt, i));
}

/* The columns of a run, in the order run_from_row reads them. */
#define RUN_COLUMNS \
	"id, started, coalesce(finished, 0), coalesce(seconds, 0), outcome," \
	" coalesce(staff, 0), coalesce(juniors, 0), coalesce(seniors, 0), coalesce(skipped, 0)," \
	" coalesce(pairs, 0), coalesce(adds, 0), coalesce(modifies, 0), coalesce(deletes, 0), error," \
	" coalesce(added, 0), coalesce(ended, 0), coalesce(kept, 0), coalesce(proposed, 0)"

/* Fill a run from a row of RUN_COLUMNS (strings are copies). */
static void run_from_row(sqlite3_stmt *stmt, struct store_run *out)
{
	long *counts[] = {&out->staff, &out->juniors, &out->seniors, &out->skipped,
			  &out->pairs, &out->adds, &out->modifies, &out->deletes};
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(stmt, 0);
	out->started = sqlite3_column_int64(stmt, 1);
	out->finished = sqlite3_column_int64(stmt, 2);
	out->seconds = sqlite3_column_double(stmt, 3);
	out->outcome = column_strdup(stmt, 4);
	for (size_t i = 0; i < ARRAY_LEN(counts); i++)
		*counts[i] = (long)sqlite3_column_int64(stmt, (int)i + 5);
	out->error = column_strdup(stmt, 13);
	out->added = (long)sqlite3_column_int64(stmt, 14);
	out->ended = (long)sqlite3_column_int64(stmt, 15);
	out->kept = (long)sqlite3_column_int64(stmt, 16);
	out->proposed = (long)sqlite3_column_int64(stmt, 17);
}

int store_run_last(store *st, struct store_run *out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT 1");
	int rc;
	if (!stmt)
		return -1;
	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		run_from_row(stmt, out);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(st, "read last cycle");
}

int store_runs_each(store *st, long limit, int (*fn)(const struct store_run *run, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT " RUN_COLUMNS " FROM runs ORDER BY id DESC LIMIT ?");
	struct store_run run;
	int rc;
	if (!stmt)
		return -1;
	sqlite3_bind_int64(stmt, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		run_from_row(stmt, &run);
		int stop = fn(&run, arg);
		store_run_clear(&run);
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read cycles");
}

int store_run_totals(store *st, long long *last_ok, long *failed)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT coalesce(max(CASE WHEN outcome = 'ok' THEN started END), 0),"
		" count(CASE WHEN outcome NOT IN ('ok', 'running') THEN 1 END) FROM runs");
	int rc;
	if (!stmt)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*last_ok = sqlite3_column_int64(stmt, 0);
		*failed = (long)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "read cycle totals");
}

void store_run_clear(struct store_run *run)
{
	free(run->outcome);
	free(run->error);
	run->outcome = run->error = NULL;
}

long store_staff_count(store *st)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT count(*) FROM staff");
	long n = 0;
	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

int store_staff_reset(store *st)
{
	/*
	 * Without the trigger, DELETE empties a table at once instead of row by
	 * row with a trigger call each (a second of a full read at 100k staff).
	 * The load that follows comes in key order (store_staff_load) and
	 * touches few pages at a time: 32 MB of cache keep it from writing pages
	 * twice, and pages beyond that go to the WAL before the commit instead of
	 * being held in memory (about 60 MB at 100k staff).
	 */
	return store_exec(st, "PRAGMA cache_size = -32768; DROP TRIGGER avoid_gone;"
			  "DELETE FROM membership; DELETE FROM avoid; DELETE FROM staff;"
			  AVOID_GONE_TRIGGER, "reset staff");
}

/*
 * A person's levels as a JSON object ({"id":level,...}; NULL when none)
 * in *json. The ids need no escaping: the configuration allows only
 * letters, digits, '.', '_' and '-' in them.
 */
static const char *levels_json(struct sbuf *json, const struct store_person *p)
{
	char num[24];
	if (p->n_levels == 0)
		return NULL;
	json->len = 0;
	for (size_t i = 0; i < p->n_levels; i++) {
		sbuf_add(json, i ? ",\"" : "{\"");
		sbuf_add(json, p->level_ids[i]);
		snprintf(num, sizeof(num), "\":%d", p->level_values[i]);
		sbuf_add(json, num);
	}
	sbuf_add(json, "}");
	return json->buf;
}

/*
 * Bind a person to the 13 parameters of a staff row that follow parameter
 * at; json holds their levels until the statement is stepped.
 */
static void bind_person(sqlite3_stmt *s, int at, const struct store_person *p, struct sbuf *json)
{
	const char *texts[] = {p->uuid, p->dn, p->name, p->mail, p->title, p->department,
			       p->location, p->manager_dn, p->cohort};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++)
		bind_text(s, at + (int)i + 1, texts[i]);
	bind_int_or_null(s, at + 10, p->seniority);
	bind_int_or_null(s, at + 11, p->capacity);
	bind_text(s, at + 12, p->cdn);
	bind_text(s, at + 13, levels_json(json, p));
}

int store_staff_put(store *st, const struct store_person *p)
{
	bind_person(st->put_staff, 0, p, &st->levels[0]);
	return store_step_done(st, st->put_staff, "store staff record");
}

/* A statement prepared on first use and kept in *slot. */
static sqlite3_stmt *store_lazy(store *st, sqlite3_stmt **slot, const char *sql)
{
	if (!*slot)
		*slot = store_prepare(st, sql);
	return *slot;
}

int store_staff_delete(store *st, const char *uuid)
{
	static const char *const sql[] = {"DELETE FROM membership WHERE uuid = ?",
					  "DELETE FROM staff WHERE uuid = ?"};
	for (size_t i = 0; i < ARRAY_LEN(sql); i++) {
		sqlite3_stmt *s = store_lazy(st, &st->del_staff[i], sql[i]);
		if (!s)
			return -1;
		bind_text(s, 1, uuid);
		if (store_step_done(st, s, "delete staff record") < 0)
			return -1;
	}
	return sqlite3_changes(st->db) > 0;
}

int store_seen_reset(store *st)
{
	return store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS seen (uuid TEXT PRIMARY KEY) WITHOUT ROWID;"
			  "DELETE FROM temp.seen;", "reset the present set");
}

int store_seen_put(store *st, const char *uuid)
{
	sqlite3_stmt *s = store_lazy(st, &st->put_seen, "INSERT OR IGNORE INTO temp.seen (uuid) VALUES (?)");
	if (!s)
		return -1;
	bind_text(s, 1, uuid);
	return store_step_done(st, s, "record a present entry");
}

long store_staff_delete_unseen(store *st)
{
	long n;
	if (store_exec(st, "DELETE FROM membership WHERE uuid NOT IN (SELECT uuid FROM temp.seen);"
			   "DELETE FROM staff WHERE uuid NOT IN (SELECT uuid FROM temp.seen);",
		       "delete staff not present") < 0)
		return -1;
	n = (long)sqlite3_changes(st->db);
	return n;
}

int store_members_reset(store *st)
{
	return store_exec(st, "DELETE FROM membership", "reset memberships");
}

int store_staff_each(store *st, int (*fn)(const struct store_person *p, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT uuid, dn, name, mail, title, department, location, manager_dn, cohort,"
		" coalesce(seniority, -1), coalesce(capacity, -1), cdn FROM staff");
	struct store_person p;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char **cols[] = {&p.uuid, &p.dn, &p.name, &p.mail, &p.title, &p.department,
				       &p.location, &p.manager_dn, &p.cohort};
		for (size_t i = 0; i < ARRAY_LEN(cols); i++)
			*cols[i] = (const char *)sqlite3_column_text(stmt, (int)i);
		p.seniority = sqlite3_column_int(stmt, 9);
		p.capacity = sqlite3_column_int(stmt, 10);
		p.cdn = (const char *)sqlite3_column_text(stmt, 11);
		if (fn(&p, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read staff");
}

int store_competence_each(store *st, int (*fn)(const char *uuid, const char *id, int level, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT uuid, area, level FROM competence");
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(stmt, 0), (const char *)sqlite3_column_text(stmt, 1),
		       sqlite3_column_int(stmt, 2), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read competences");
}

int store_sync_get(store *st, const char *name, char **value)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT value FROM sync_state WHERE name = ?");
	int rc;
	*value = NULL;
	if (!stmt)
		return -1;
	bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*value = column_strdup(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : store_fail(st, "read sync state");
}

int store_sync_set(store *st, const char *name, const char *value)
{
	sqlite3_stmt *stmt = store_prepare(st, value ? "INSERT OR REPLACE INTO sync_state (name, value) VALUES (?, ?)"
						    : "DELETE FROM sync_state WHERE name = ?");
	int rc;
	if (!stmt)
		return -1;
	bind_text(stmt, 1, name);
	if (value)
		bind_text(stmt, 2, value);
	rc = store_step_done(st, stmt, "write sync state");
	sqlite3_finalize(stmt);
	return rc;
}

/* The statement "head" followed by n times the row "(?,...)", prepared on first use in *slot. */
static sqlite3_stmt *store_rows_stmt(store *st, sqlite3_stmt **slot, const char *head, const char *row, size_t n)
{
	struct sbuf sql = {0};
	char *text;
	if (*slot)
		return *slot;
	sbuf_add(&sql, head);
	for (size_t i = 0; i < n; i++) {
		sbuf_add(&sql, i ? "," : " ");
		sbuf_add(&sql, row);
	}
	text = sbuf_take(&sql);
	*slot = store_prepare(st, text);
	free(text);
	return *slot;
}

/*
 * Step a statement whose every parameter is bound each time, and reset it
 * for the next row (the bindings need no clearing).
 */
static int store_step_rebound(store *st, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, what);
}

/* Load n people (up to STORE_LOAD_PEOPLE) with one statement. */
static int load_people(store *st, const struct store_person *people, size_t n)
{
	sqlite3_stmt *s = store_rows_stmt(st, &st->load_staff[n],
		"INSERT OR FAIL INTO staff (uuid, dn, name, mail, title, department, location,"
		" manager_dn, cohort, seniority, capacity, cdn, levels) VALUES", "(?,?,?,?,?,?,?,?,?,?,?,?,?)", n);
	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		bind_person(s, 13 * (int)i, &people[i], &st->levels[i]);
	return store_step_rebound(st, s, "load staff records");
}

/*
 * Several rows a statement: a statement's own cost (binding, starting and
 * resetting the program) is about a third of a single row's. OR FAIL: a
 * row that is there already is an error (the caller stores nobody twice),
 * and with no row to undo on a conflict a statement of several rows needs
 * no statement journal, which REPLACE and ABORT do.
 */
int store_staff_load(store *st, const struct store_person *people, size_t n)
{
	for (size_t k; n > 0; people += k, n -= k) {
		k = n < STORE_LOAD_PEOPLE ? n : STORE_LOAD_PEOPLE;
		if (load_people(st, people, k) < 0)
			return -1;
	}
	return 0;
}

int store_member_put(store *st, const char *group, const char *uuid)
{
	bind_text(st->put_member, 1, group);
	bind_text(st->put_member, 2, uuid);
	return store_step_done(st, st->put_member, "store membership");
}

long long store_import_add(store *st, const struct store_import *imp)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"INSERT INTO imports (at, who, source, rows, bad, changed, unchanged, failed)"
		" VALUES (?,?,?,?,?,?,?,?)");
	long counts[] = {imp->rows, imp->bad, imp->changed, imp->unchanged, imp->failed};
	if (!stmt)
		return -1;
	sqlite3_bind_int64(stmt, 1, imp->at);
	bind_text(stmt, 2, imp->who);
	bind_text(stmt, 3, imp->source);
	for (size_t i = 0; i < ARRAY_LEN(counts); i++)
		sqlite3_bind_int64(stmt, (int)i + 4, counts[i]);
	if (store_step_done(st, stmt, "record import") < 0) {
		sqlite3_finalize(stmt);
		return -1;
	}
	sqlite3_finalize(stmt);
	return (long long)sqlite3_last_insert_rowid(st->db);
}

int store_imports_each(store *st, int (*fn)(long long id, const struct store_import *imp, long levels, void *arg),
		       void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT i.id, i.at, i.who, i.source, i.rows, i.bad, i.changed, i.unchanged, i.failed,"
		" (SELECT count(*) FROM assessments a WHERE a.import = i.id) FROM imports i ORDER BY i.id DESC");
	struct store_import imp;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		long *counts[] = {&imp.rows, &imp.bad, &imp.changed, &imp.unchanged, &imp.failed};
		imp.at = sqlite3_column_int64(stmt, 1);
		imp.who = (const char *)sqlite3_column_text(stmt, 2);
		imp.source = (const char *)sqlite3_column_text(stmt, 3);
		for (size_t i = 0; i < ARRAY_LEN(counts); i++)
			*counts[i] = (long)sqlite3_column_int64(stmt, (int)i + 4);
		if (fn(sqlite3_column_int64(stmt, 0), &imp, (long)sqlite3_column_int64(stmt, 9), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read imports");
}

int store_assessment_put(store *st, long long import, const char *uuid, const char *competence, int level,
			 const char *assessed)
{
	if (!st->put_assessment &&
	    !(st->put_assessment = store_prepare(st, "INSERT OR REPLACE INTO assessments"
						     " (import, uuid, competence, level, assessed) VALUES (?,?,?,?,?)")))
		return -1;
	sqlite3_bind_int64(st->put_assessment, 1, import);
	bind_text(st->put_assessment, 2, uuid);
	bind_text(st->put_assessment, 3, competence);
	sqlite3_bind_int(st->put_assessment, 4, level);
	bind_text(st->put_assessment, 5, assessed);
	return store_step_done(st, st->put_assessment, "record assessment");
}

int store_levels_each(store *st, int (*fn)(const struct store_level *lv, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT s.uuid, s.name, s.mail, s.department, s.location, s.cohort, j.key, j.value"
		" FROM staff s, json_each(s.levels) j ORDER BY j.key, s.name, s.uuid");
	struct store_level lv;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char **cols[] = {&lv.uuid, &lv.name, &lv.mail, &lv.department, &lv.location, &lv.cohort, &lv.area};
		for (size_t i = 0; i < ARRAY_LEN(cols); i++)
			*cols[i] = (const char *)sqlite3_column_text(stmt, (int)i);
		lv.level = sqlite3_column_int(stmt, 7);
		if (fn(&lv, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read levels");
}

int store_person_find(store *st, const char *key, struct store_found *out)
{
	static const char *const ways[] = {
		"uuid = ?1", "lower(dn) = lower(?1)", "lower(mail) = lower(?1)",
		"lower(substr(dn, instr(dn, '=') + 1, instr(dn, ',') - instr(dn, '=') - 1)) = lower(?1)",
		"name = ?1",
	};
	int found = 0;
	memset(out, 0, sizeof(*out));
	for (size_t w = 0; w < ARRAY_LEN(ways) && !found; w++) {
		char *sql = xasprintf("SELECT uuid, dn, name, cohort, department FROM staff WHERE %s LIMIT 2", ways[w]);
		sqlite3_stmt *stmt = store_prepare(st, sql);
		free(sql);
		if (!stmt)
			return -1;
		bind_text(stmt, 1, key);
		while (sqlite3_step(stmt) == SQLITE_ROW && found < 2) {
			if (found++ == 0) {
				out->uuid = column_strdup(stmt, 0);
				out->dn = column_strdup(stmt, 1);
				out->name = column_strdup(stmt, 2);
				out->cohort = column_strdup(stmt, 3);
				out->department = column_strdup(stmt, 4);
			}
		}
		sqlite3_finalize(stmt);
	}
	return found == 0 ? 1 : found == 1 ? 0 : 2;
}

void store_person_clear(struct store_found *p)
{
	free(p->uuid);
	free(p->dn);
	free(p->name);
	free(p->cohort);
	free(p->department);
	memset(p, 0, sizeof(*p));
}

int store_person_levels(store *st, const struct conf *cf, const char *uuid, int *levels)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT j.key, j.value FROM staff s, json_each(s.levels) j WHERE s.uuid = ?");
	int rc, a;
	if (!stmt)
		return -1;
	memset(levels, 0, cf->n_areas * sizeof(int));
	bind_text(stmt, 1, uuid);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((a = conf_area_index(cf, (const char *)sqlite3_column_text(stmt, 0))) >= 0)
			levels[a] = sqlite3_column_int(stmt, 1);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read levels");
}

int store_pairs_load(store *st, struct store_pair **out, size_t *n)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT mentor_uuid, mentee_uuid, dn, score, started FROM pairs"
		" ORDER BY mentee_uuid, mentor_uuid");
	struct store_pair *pairs = NULL;
	size_t count = 0, cap = 0;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		pairs = xgrow(pairs, &cap, count + 1, sizeof(*pairs));
		pairs[count].mentor_uuid = column_strdup(stmt, 0);
		pairs[count].mentee_uuid = column_strdup(stmt, 1);
		pairs[count].dn = column_strdup(stmt, 2);
		pairs[count].score = sqlite3_column_int(stmt, 3);
		pairs[count].started = sqlite3_column_int64(stmt, 4);
		count++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_pairs_free(pairs, count);
		return store_fail(st, "read pairs");
	}
	*out = pairs;
	*n = count;
	return 0;
}

void store_pairs_free(struct store_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].mentor_uuid);
		free(pairs[i].mentee_uuid);
		free(pairs[i].dn);
	}
	free(pairs);
}

int store_pairs_replace(store *st, const struct store_pair *pairs, size_t n, long long run)
{
	sqlite3_stmt *stmt;
	int rc = 0;
	if (store_exec(st, "DELETE FROM pairs", "clear pairs") < 0)
		return -1;
	stmt = store_prepare(st, "INSERT INTO pairs (mentor_uuid, mentee_uuid, dn, score, started, run)"
				 " VALUES (?,?,?,?,?,?)");
	if (!stmt)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bind_text(stmt, 1, pairs[i].mentor_uuid);
		bind_text(stmt, 2, pairs[i].mentee_uuid);
		bind_text(stmt, 3, pairs[i].dn);
		sqlite3_bind_int(stmt, 4, pairs[i].score);
		sqlite3_bind_int64(stmt, 5, pairs[i].started);
		sqlite3_bind_int64(stmt, 6, run);
		rc = store_step_done(st, stmt, "store pair");
	}
	sqlite3_finalize(stmt);
	if (rc == 0) {
		char *token = random_token();
		rc = store_sync_set(st, STORE_PAIRS_TOKEN, token);
		free(token);
	}
	return rc;
}

/* Fill one side of a report row from seven consecutive columns. */
static void pair_side(sqlite3_stmt *stmt, int first, struct store_pair_side *side)
{
	const char **fields[] = {&side->uuid, &side->dn, &side->name, &side->mail,
				 &side->department, &side->location, &side->cohort};
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		*fields[i] = (const char *)sqlite3_column_text(stmt, first + (int)i);
}

int store_pairs_each(store *st, int (*fn)(const struct store_pair_row *row, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT p.mentor_uuid, a.dn, a.name, a.mail, a.department, a.location, a.cohort,"
		"       p.mentee_uuid, b.dn, b.name, b.mail, b.department, b.location, b.cohort,"
		"       p.dn, p.score, p.started"
		" FROM pairs p LEFT JOIN staff a ON a.uuid = p.mentor_uuid"
		" LEFT JOIN staff b ON b.uuid = p.mentee_uuid"
		" ORDER BY a.name, p.mentor_uuid, b.name, p.mentee_uuid");
	struct store_pair_row row;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		pair_side(stmt, 0, &row.mentor);
		pair_side(stmt, 7, &row.mentee);
		row.dn = (const char *)sqlite3_column_text(stmt, 14);
		row.score = sqlite3_column_int(stmt, 15);
		row.started = sqlite3_column_int64(stmt, 16);
		if (fn(&row, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read pairs");
}

/* ------------------------------------------------------------------ */
/* The matching programme: avoid lists, pins and forbids, pair history, proposals */

/* Step a query calling fn with its text columns (n of them); stops when fn returns non-zero. */
static int each_text_row(store *st, sqlite3_stmt *stmt, int n, int (*fn)(const char *const *cols, void *arg),
			 void *arg, const char *what)
{
	const char *cols[8];
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			cols[i] = (const char *)sqlite3_column_text(stmt, i);
		if (fn(cols, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, what);
}

/* Run one statement with up to two text parameters (NULL: not bound); 0 or -1. */
static int exec_text(store *st, const char *sql, const char *a, const char *b, const char *what)
{
	sqlite3_stmt *stmt = store_prepare(st, sql);
	int rc;
	if (!stmt)
		return -1;
	if (a)
		bind_text(stmt, 1, a);
	if (b)
		bind_text(stmt, 2, b);
	rc = store_step_done(st, stmt, what);
	sqlite3_finalize(stmt);
	return rc;
}

int store_avoid_clear(store *st, const char *uuid)
{
	return exec_text(st, "DELETE FROM avoid WHERE uuid = ?", uuid, NULL, "clear avoid list");
}

int store_avoid_put(store *st, const char *uuid, const char *cdn)
{
	return exec_text(st, "INSERT OR IGNORE INTO avoid (uuid, cdn) VALUES (?, ?)", uuid, cdn, "store avoid list");
}

/* Adapter for the two-column callbacks. */
struct pair_fn {
	int (*fn)(const char *a, const char *b, void *arg);
	void *arg;
};
static int two_columns(const char *const *cols, void *arg)
{
	struct pair_fn *p = arg;
	return p->fn(cols[0], cols[1], p->arg);
}

int store_avoid_each(store *st, int (*fn)(const char *uuid, const char *cdn, void *arg), void *arg)
{
	struct pair_fn p = {fn, arg};
	return each_text_row(st, store_prepare(st, "SELECT uuid, cdn FROM avoid ORDER BY uuid, cdn"), 2,
			     two_columns, &p, "read avoid lists");
}

int store_members_each(store *st, int (*fn)(const char *group, const char *uuid, void *arg), void *arg)
{
	struct pair_fn p = {fn, arg};
	return each_text_row(st, store_prepare(st, "SELECT grp, uuid FROM membership"), 2, two_columns, &p,
			     "read memberships");
}

int store_rule_set(store *st, const char *mentor, const char *mentee, enum store_rule_kind kind, const char *who,
		   long long at)
{
	sqlite3_stmt *stmt = store_prepare(st, "INSERT OR REPLACE INTO pair_rules (mentor_uuid, mentee_uuid, kind,"
					       " who, at) VALUES (?, ?, ?, ?, ?)");
	int rc;
	if (!stmt)
		return -1;
	bind_text(stmt, 1, mentor);
	bind_text(stmt, 2, mentee);
	bind_text(stmt, 3, kind == STORE_RULE_PIN ? "pin" : "forbid");
	bind_text(stmt, 4, who);
	sqlite3_bind_int64(stmt, 5, at);
	rc = store_step_done(st, stmt, "store pin or forbid");
	sqlite3_finalize(stmt);
	return rc;
}

int store_rule_delete(store *st, const char *mentor, const char *mentee, enum store_rule_kind kind)
{
	sqlite3_stmt *stmt = store_prepare(st, "DELETE FROM pair_rules WHERE mentor_uuid = ? AND mentee_uuid = ?"
					       " AND kind = ?");
	int rc;
	if (!stmt)
		return -1;
	bind_text(stmt, 1, mentor);
	bind_text(stmt, 2, mentee);
	bind_text(stmt, 3, kind == STORE_RULE_PIN ? "pin" : "forbid");
	rc = store_step_done(st, stmt, "remove pin or forbid");
	sqlite3_finalize(stmt);
	return rc < 0 ? -1 : sqlite3_changes(st->db) > 0;
}

int store_rules_each(store *st, int (*fn)(const struct store_rule *r, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT r.mentor_uuid, r.mentee_uuid, r.kind, r.who, r.at, a.name, a.dn, b.name, b.dn"
		" FROM pair_rules r LEFT JOIN staff a ON a.uuid = r.mentor_uuid"
		" LEFT JOIN staff b ON b.uuid = r.mentee_uuid ORDER BY r.kind DESC, a.name, b.name, r.mentor_uuid,"
		" r.mentee_uuid");
	struct store_rule r;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r.mentor_uuid = (const char *)sqlite3_column_text(stmt, 0);
		r.mentee_uuid = (const char *)sqlite3_column_text(stmt, 1);
		r.kind = strcmp((const char *)sqlite3_column_text(stmt, 2), "pin") == 0 ? STORE_RULE_PIN
											 : STORE_RULE_FORBID;
		r.who = (const char *)sqlite3_column_text(stmt, 3);
		r.at = sqlite3_column_int64(stmt, 4);
		r.mentor_name = (const char *)sqlite3_column_text(stmt, 5);
		r.mentor_dn = (const char *)sqlite3_column_text(stmt, 6);
		r.mentee_name = (const char *)sqlite3_column_text(stmt, 7);
		r.mentee_dn = (const char *)sqlite3_column_text(stmt, 8);
		if (fn(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read pins and forbids");
}

int store_history_update(store *st, const struct store_pair *pairs, size_t n, long long now)
{
	sqlite3_stmt *open_pair;
	/* keyed, so the two statements below look pairs up instead of scanning them for every history row */
	int rc = store_exec(st, "CREATE TEMP TABLE IF NOT EXISTS now_pairs (mentor_uuid TEXT, mentee_uuid TEXT,"
				" PRIMARY KEY (mentor_uuid, mentee_uuid)) WITHOUT ROWID;"
				"DELETE FROM temp.now_pairs;", "record pair history");
	if (rc < 0 || !(open_pair = store_prepare(st, "INSERT OR IGNORE INTO temp.now_pairs VALUES (?, ?)")))
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bind_text(open_pair, 1, pairs[i].mentor_uuid);
		bind_text(open_pair, 2, pairs[i].mentee_uuid);
		rc = store_step_done(st, open_pair, "record pair history");
	}
	sqlite3_finalize(open_pair);
	if (rc < 0 || !(open_pair = store_prepare(st,
		"UPDATE pair_history SET ended = ?1 WHERE ended IS NULL AND NOT EXISTS (SELECT 1 FROM temp.now_pairs n"
		" WHERE n.mentor_uuid = pair_history.mentor_uuid AND n.mentee_uuid = pair_history.mentee_uuid)")))
		return -1;
	sqlite3_bind_int64(open_pair, 1, now);
	rc = store_step_done(st, open_pair, "record ended pairs");
	sqlite3_finalize(open_pair);
	if (rc < 0 || !(open_pair = store_prepare(st,
		"INSERT OR IGNORE INTO pair_history (mentor_uuid, mentee_uuid, started)"
		" SELECT mentor_uuid, mentee_uuid, ?1 FROM temp.now_pairs n WHERE NOT EXISTS (SELECT 1 FROM"
		" pair_history h WHERE h.ended IS NULL AND h.mentor_uuid = n.mentor_uuid"
		" AND h.mentee_uuid = n.mentee_uuid)")))
		return -1;
	sqlite3_bind_int64(open_pair, 1, now);
	rc = store_step_done(st, open_pair, "record new pairs");
	sqlite3_finalize(open_pair);
	return rc;
}

int store_history_ended_since(store *st, long long since, int (*fn)(const char *mentor, const char *mentee, void *arg),
			      void *arg)
{
	struct pair_fn p = {fn, arg};
	sqlite3_stmt *stmt = store_prepare(st, "SELECT DISTINCT mentor_uuid, mentee_uuid FROM pair_history"
					       " WHERE ended IS NOT NULL AND ended >= ?");
	if (stmt)
		sqlite3_bind_int64(stmt, 1, since);
	return each_text_row(st, stmt, 2, two_columns, &p, "read pair history");
}

int store_proposals_replace(store *st, const struct store_proposal *props, size_t n, long long run)
{
	sqlite3_stmt *stmt;
	int rc = 0;
	if (store_exec(st, "DELETE FROM proposals", "clear proposals") < 0)
		return -1;
	if (!(stmt = store_prepare(st, "INSERT INTO proposals (mentor_uuid, mentee_uuid, score, kept, pinned, run)"
				       " VALUES (?,?,?,?,?,?)")))
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bind_text(stmt, 1, props[i].mentor_uuid);
		bind_text(stmt, 2, props[i].mentee_uuid);
		sqlite3_bind_int(stmt, 3, props[i].score);
		sqlite3_bind_int(stmt, 4, props[i].kept);
		sqlite3_bind_int(stmt, 5, props[i].pinned);
		sqlite3_bind_int64(stmt, 6, run);
		rc = store_step_done(st, stmt, "store proposal");
	}
	sqlite3_finalize(stmt);
	return rc;
}

int store_proposals_load(store *st, struct store_proposal **out, size_t *n, long long *run)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT mentor_uuid, mentee_uuid, score, kept, pinned, run"
					       " FROM proposals ORDER BY mentee_uuid, mentor_uuid");
	struct store_proposal *v = NULL;
	size_t count = 0, cap = 0;
	int rc;
	if (!stmt)
		return -1;
	*run = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v = xgrow(v, &cap, count + 1, sizeof(*v));
		v[count].mentor_uuid = column_strdup(stmt, 0);
		v[count].mentee_uuid = column_strdup(stmt, 1);
		v[count].score = sqlite3_column_int(stmt, 2);
		v[count].kept = sqlite3_column_int(stmt, 3);
		v[count].pinned = sqlite3_column_int(stmt, 4);
		*run = sqlite3_column_int64(stmt, 5);
		count++;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		store_proposals_free(v, count);
		return store_fail(st, "read proposals");
	}
	*out = v;
	*n = count;
	return 0;
}

void store_proposals_free(struct store_proposal *props, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(props[i].mentor_uuid);
		free(props[i].mentee_uuid);
	}
	free(props);
}

int store_proposals_each(store *st, int (*fn)(const struct store_proposal_row *row, void *arg), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT p.mentor_uuid, a.dn, a.name, a.mail, a.department, a.location, a.cohort,"
		"       p.mentee_uuid, b.dn, b.name, b.mail, b.department, b.location, b.cohort,"
		"       p.score, p.kept, p.pinned, p.run"
		" FROM proposals p LEFT JOIN staff a ON a.uuid = p.mentor_uuid"
		" LEFT JOIN staff b ON b.uuid = p.mentee_uuid"
		" ORDER BY a.name, p.mentor_uuid, b.name, p.mentee_uuid");
	struct store_proposal_row row;
	int rc;
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		pair_side(stmt, 0, &row.mentor);
		pair_side(stmt, 7, &row.mentee);
		row.score = sqlite3_column_int(stmt, 14);
		row.kept = sqlite3_column_int(stmt, 15);
		row.pinned = sqlite3_column_int(stmt, 16);
		row.run = sqlite3_column_int64(stmt, 17);
		if (fn(&row, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "read proposals");
}

int store_warm_replace(store *st, const struct store_warm *w)
{
	sqlite3_stmt *price = NULL, *pair = NULL;
	char scale[64];
	int rc = 0;
	if (store_exec(st, "DELETE FROM warm_prices; DELETE FROM warm_pairs", "clear warm start") < 0)
		return -1;
	snprintf(scale, sizeof(scale), "%lld %lld", w->big, w->tie);
	if (store_sync_set(st, "warm_scale", scale) < 0)
		return -1;
	price = store_prepare(st, "INSERT OR REPLACE INTO warm_prices (uuid, price) VALUES (?,?)");
	pair = store_prepare(st, "INSERT OR IGNORE INTO warm_pairs (junior, senior) VALUES (?,?)");
	if (!price || !pair)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < w->n_prices; i++) {
		bind_text(price, 1, w->price_uuid[i]);
		sqlite3_bind_int64(price, 2, w->price[i]);
		rc = store_step_done(st, price, "store warm price");
	}
	for (size_t i = 0; rc == 0 && i < w->n_pairs; i++) {
		bind_text(pair, 1, w->junior[i]);
		bind_text(pair, 2, w->senior[i]);
		rc = store_step_done(st, pair, "store warm pair");
	}
	sqlite3_finalize(price);
	sqlite3_finalize(pair);
	return rc;
}

/* Adapter for store_warm_each's prices: uuid and the price as text (SQLite's decimal form). */
struct price_fn {
	int (*fn)(const char *uuid, long long price, void *arg);
	void *arg;
};
static int price_column(const char *const *cols, void *arg)
{
	struct price_fn *p = arg;
	return p->fn(cols[0], strtoll(cols[1], NULL, 10), p->arg);
}

int store_warm_each(store *st, long long *big, long long *tie,
		    int (*price_fn)(const char *uuid, long long price, void *arg),
		    int (*pair_fn)(const char *junior, const char *senior, void *arg), void *arg)
{
	struct price_fn prices = { price_fn, arg };
	struct pair_fn pairs = { pair_fn, arg };
	char *scale = NULL;
	*big = *tie = 0;
	if (store_sync_get(st, "warm_scale", &scale) < 0)
		return -1;
	if (!scale || sscanf(scale, "%lld %lld", big, tie) != 2) {
		free(scale);
		*big = *tie = 0;
		return 0; /* nothing kept yet */
	}
	free(scale);
	if (each_text_row(st, store_prepare(st, "SELECT uuid, price FROM warm_prices"), 2, price_column, &prices,
			  "read warm prices") < 0)
		return -1;
	return each_text_row(st, store_prepare(st, "SELECT junior, senior FROM warm_pairs"), 2, two_columns, &pairs,
			     "read warm pairs");
}
