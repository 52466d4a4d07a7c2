/*
 * Incremental sync against a real slapd with syncprov: each test starts its
 * own server with a generated company, runs the real mentord binary, changes
 * the directory with ldapmodify, and checks what the next cycle read (the
 * "cycle sync: read N entries (mode)" line) and what the state database holds.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <ldap.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dir.h"
#include "lib/check_main.h"
#include "store.h"
#include "sync.h"
#include "lib/testdir.h"
#include "lib/testutil.h"

#define PEOPLE "ou=people," SUFFIX

/* The state database of the test. */
static const char *db_path(void)
{
	static char path[4200];
	snprintf(path, sizeof(path), "%s/mentord.db", td.dir);
	return path;
}

/* Run SQL on the state database; the rows, one per line with "|" between columns (caller frees). */
static char *db_query(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	ck_assert_int_eq(sqlite3_open(db_path(), &db), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(stmt); i++) {
			const unsigned char *v = sqlite3_column_text(stmt, i);
			fprintf(fp, "%s%s", i ? "|" : "", v ? (const char *)v : "NULL");
		}
		fputc('\n', fp);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	fclose(fp);
	return out;
}

/* Run SQL that returns nothing. */
static void db_exec(const char *sql)
{
	free(db_query(sql));
}

/* The first column of the first row of a query, as an integer. */
static int db_int(const char *sql)
{
	char *rows = db_query(sql);
	int v = atoi(rows);
	free(rows);
	return v;
}

/* Whether a query gives exactly text. */
static int db_is(const char *sql, const char *text)
{
	char *rows = db_query(sql);
	int same = strcmp(rows, text) == 0;
	free(rows);
	return same;
}

/* Everything sync keeps about people, in a stable order, for comparing two reads. */
static char *staff_dump(void)
{
	char *staff = db_query("SELECT uuid, dn, name, mail, title, department, location, manager_dn, cohort,"
			       " seniority, capacity, cdn FROM staff ORDER BY uuid");
	char *comp = db_query("SELECT uuid, area, level FROM competence ORDER BY uuid, area");
	char *member = db_query("SELECT grp, uuid FROM membership ORDER BY grp, uuid");
	char *all = NULL;
	ck_assert_int_gt(asprintf(&all, "%s--\n%s--\n%s", staff, comp, member), 0);
	free(staff);
	free(comp);
	free(member);
	return all;
}

/* Apply LDIF change records as the directory admin. */
static void ldap_change(const char *ldif)
{
	char path[4200];
	FILE *fp;
	snprintf(path, sizeof(path), "%s/change.ldif", td.dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(ldif, fp);
	fclose(fp);
	ck_assert_int_eq(sh("ldapmodify -x -H %s -D cn=admin," SUFFIX " -w secret -f %s >/dev/null", td.uri, path), 0);
}

/* Run one cycle that must succeed and read people in the given way, e.g. "read 3 entries (incremental)". */
static void cycle_reads(const char *what)
{
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_msg(output_has("mentord.err", what), "the cycle did not log \"%s\"", what);
}

/* The stored uuid of the person at dn, or NULL (caller frees). */
static char *uuid_of(const char *dn)
{
	char sql[1024], *rows, *nl;
	snprintf(sql, sizeof(sql), "SELECT uuid FROM staff WHERE dn = '%s'", dn);
	rows = db_query(sql);
	if (!*rows) {
		free(rows);
		return NULL;
	}
	if ((nl = strchr(rows, '\n')))
		*nl = '\0';
	return rows;
}

/* The first mentee (mentoringMentee) of any pair group: someone with a pair. */
static char *some_mentee(LDAP *ld, const char *skip)
{
	char *attrs[] = {"mentoringMentee", NULL}, *out = NULL;
	LDAPMessage *res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, "(objectClass=mentoringPair)", attrs);
	for (LDAPMessage *e = ldap_first_entry(ld, res); e && !out; e = ldap_next_entry(ld, e)) {
		struct berval **v = ldap_get_values_len(ld, e, "mentoringMentee");
		if (v && (!skip || strncasecmp(v[0]->bv_val, skip, v[0]->bv_len) != 0))
			out = strndup(v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Number of pair groups naming dn as mentee (filter on the exact DN). */
static int pairs_with_mentee(LDAP *ld, const char *dn)
{
	char filter[1200];
	snprintf(filter, sizeof(filter), "(&(mentoringMentee=%s)(member=%s))", dn, dn);
	return count(ld, PAIRS_OU, filter);
}

START_TEST(incremental_applies_adds_modifies_and_deletes)
{
	char *inc, *full;
	start_company(600);
	cycle_reads("read 600 entries (full)");
	ldap_change("dn: uid=newcomer,ou=people," SUFFIX "\nchangetype: add\nobjectClass: inetOrgPerson\n"
		    "objectClass: mentoringParticipant\nuid: newcomer\ncn: New Comer\nsn: Comer\ntitle: Intern\n"
		    "mentoringBirthYear: 1999\nmentoringCompetence: digcomp.1=6\n\n"
		    "dn: uid=u000100,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Chief Tester\n-\n"
		    "replace: mentoringCompetence\nmentoringCompetence: digcomp.2=7\n\n"
		    "dn: uid=u000101,ou=people," SUFFIX "\nchangetype: delete\n");
	/* a new process with the cookie from the database: only the two entries and the delete */
	cycle_reads("read 2 entries (incremental)");
	ck_assert(output_has("mentord.err", "1 people removed"));
	ck_assert_ptr_null(uuid_of("uid=u000101,ou=people," SUFFIX));
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff WHERE name = 'New Comer' AND title = 'Intern'")), 1);
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff s JOIN competence c ON c.uuid = s.uuid"
				       " WHERE s.title = 'Chief Tester' AND c.area = 'digcomp.2' AND c.level = 7")), 1);
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff s JOIN competence c ON c.uuid = s.uuid"
				       " WHERE s.title = 'Chief Tester'")), 1);
	/* what the increments built is exactly what a complete read gives */
	inc = staff_dump();
	write_config(td.uri, SENIORS, "people = { full_sync_interval = 0; };");
	cycle_reads("read 600 entries (full)");
	full = staff_dump();
	ck_assert_str_eq(inc, full);
	free(inc);
	free(full);
}
END_TEST

START_TEST(rename_and_move_keep_the_person_and_the_pair)
{
	LDAP *ld;
	char *renamed_old, *moved_old, *uuid_r, *uuid_m, *levels_r, *pairs_before, *pairs_after, *s;
	char renamed_new[512], moved_new[512], ldif[4096];
	start_company(600);
	cycle_reads("(full)");
	ld = admin();
	renamed_old = some_mentee(ld, NULL);
	moved_old = some_mentee(ld, renamed_old);
	ck_assert_ptr_nonnull(uuid_r = uuid_of(renamed_old));
	ck_assert_ptr_nonnull(uuid_m = uuid_of(moved_old));
	ck_assert_int_gt(asprintf(&s, "SELECT area, level FROM competence WHERE uuid = '%s' ORDER BY area", uuid_r), 0);
	levels_r = db_query(s);
	free(s);
	ck_assert_int_gt((int)strlen(levels_r), 0);
	pairs_before = db_query("SELECT mentor_uuid, mentee_uuid, dn FROM pairs ORDER BY 1, 2");
	snprintf(renamed_new, sizeof(renamed_new), "uid=renamed,ou=people," SUFFIX);
	snprintf(moved_new, sizeof(moved_new), "%.*s,ou=moved,ou=people," SUFFIX,
		 (int)(strchr(moved_old, ',') - moved_old), moved_old);
	snprintf(ldif, sizeof(ldif),
		 "dn: %s\nchangetype: modrdn\nnewrdn: uid=renamed\ndeleteoldrdn: 1\n\n"
		 "dn: ou=moved,ou=people," SUFFIX "\nchangetype: add\nobjectClass: organizationalUnit\nou: moved\n\n"
		 "dn: %s\nchangetype: modrdn\nnewrdn: %.*s\ndeleteoldrdn: 0\nnewsuperior: ou=moved,ou=people," SUFFIX "\n",
		 renamed_old, moved_old, (int)(strchr(moved_old, ',') - moved_old), moved_old);
	ldap_change(ldif);
	cycle_reads("read 2 entries (incremental)");
	ck_assert(output_has("mentord.err", "0 people removed"));
	/* same uuid at the new DN, competences kept */
	s = uuid_of(renamed_new);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, uuid_r);
	free(s);
	s = uuid_of(moved_new);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, uuid_m);
	free(s);
	ck_assert_ptr_null(uuid_of(renamed_old));
	ck_assert_ptr_null(uuid_of(moved_old));
	ck_assert_int_gt(asprintf(&s, "SELECT area, level FROM competence WHERE uuid = '%s' ORDER BY area", uuid_r), 0);
	pairs_after = db_query(s);
	ck_assert_str_eq(pairs_after, levels_r);
	free(pairs_after);
	free(s);
	/* the same pairs (by uuid, so the same pair groups), which now name the new DNs */
	pairs_after = db_query("SELECT mentor_uuid, mentee_uuid, dn FROM pairs ORDER BY 1, 2");
	ck_assert_str_eq(pairs_after, pairs_before);
	ck_assert_int_eq(pairs_with_mentee(ld, renamed_new), 1);
	ck_assert_int_eq(pairs_with_mentee(ld, moved_new), 1);
	ck_assert_int_eq(pairs_with_mentee(ld, renamed_old), 0);
	ck_assert_int_eq(pairs_with_mentee(ld, moved_old), 0);
	/* and a cycle after that has nothing to read or write */
	cycle_reads("read 0 entries (incremental)");
	ck_assert(output_has("mentord.err", "0 adds, 0 modifies, 0 deletes"));
	free(pairs_before);
	free(pairs_after);
	free(levels_r);
	free(uuid_r);
	free(uuid_m);
	free(renamed_old);
	free(moved_old);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(present_phase_removes_whoever_is_not_listed)
{
	char *before;
	start_company(300);
	cycle_reads("read 300 entries (full)");
	ldap_change("dn: uid=u000050,ou=people," SUFFIX "\nchangetype: delete\n");
	/* a cookie older than any entry: syncprov answers with every entry and refreshDeletes FALSE */
	db_exec("UPDATE sync_state SET value = 'rid=000,csn=19991122225005.421914Z#000000#000#000000'"
		" WHERE name = 'cookie'");
	before = db_query("SELECT value FROM sync_state WHERE name = 'cookie'");
	cycle_reads("(incremental)");
	ck_assert(output_has("mentord.err", "1 people removed"));
	ck_assert_ptr_null(uuid_of("uid=u000050,ou=people," SUFFIX));
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 299);
	ck_assert(!db_is("SELECT value FROM sync_state WHERE name = 'cookie'", before));
	free(before);
}
END_TEST

START_TEST(refresh_required_or_refused_cookie_reads_everyone)
{
	setenv("SYNCPROV", "reloadhint", 1);
	start_company(300);
	cycle_reads("read 300 entries (full)");
	ldap_change("dn: uid=u000060,ou=people," SUFFIX "\nchangetype: delete\n");
	/* e-syncRefreshRequired: the server has no entry as old as the cookie's CSN */
	db_exec("UPDATE sync_state SET value = 'rid=000,csn=19991122225005.421914Z#000000#000#000000'"
		" WHERE name = 'cookie'");
	cycle_reads("read 299 entries (full)");
	ck_assert(output_has("mentord.err", "cannot send changes since the stored sync cookie"));
	ck_assert(output_has("mentord.err", "(4096)"));
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 299);
	ck_assert_int_eq(db_int(("SELECT count(*) FROM sync_state WHERE name = 'cookie'"
				       " AND value LIKE 'rid=000,csn=2%'")), 1);
	/* a cookie newer than the server's state is refused (unwillingToPerform): the same fallback */
	db_exec("UPDATE sync_state SET value = 'rid=000,csn=20991122225005.421914Z#000000#000#000000'"
		" WHERE name = 'cookie'");
	cycle_reads("read 299 entries (full)");
	ck_assert(output_has("mentord.err", "cannot send changes since the stored sync cookie"));
	ck_assert(output_has("mentord.err", "(53)"));
	/* and the cookie taken by the fallback works */
	cycle_reads("read 0 entries (incremental)");
}
END_TEST

START_TEST(without_syncprov_every_cycle_is_a_paged_read)
{
	setenv("SYNCPROV", "none", 1);
	start_company(300);
	cycle_reads("read 300 entries (full, paged)");
	ck_assert_int_eq(sh("grep -c 'does not offer content synchronization' %s/mentord.err | grep -qx 1", td.dir), 0);
	ck_assert_int_eq(db_int(("SELECT count(*) FROM sync_state WHERE name = 'cookie'")), 0);
	ldap_change("dn: uid=u000070,ou=people," SUFFIX "\nchangetype: delete\n");
	cycle_reads("read 299 entries (full, paged)");
	ck_assert_int_eq(sh("grep -c 'does not offer content synchronization' %s/mentord.err | grep -qx 1", td.dir), 0);
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 299);
}
END_TEST

START_TEST(periodic_full_read_replaces_the_stored_people)
{
	start_company(300);
	write_config(td.uri, SENIORS, "people = { full_sync_interval = 3600; };");
	cycle_reads("read 300 entries (full)");
	/* a person the change reads never reported gone (e.g. a delete older than the session log) */
	db_exec("INSERT INTO staff (uuid, dn, name, cdn) VALUES ('00000000-0000-0000-0000-000000000001',"
		" 'uid=ghost,ou=people," SUFFIX "', 'Ghost', 'uid=ghost,ou=people," SUFFIX "')");
	cycle_reads("read 0 entries (incremental)");
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 301);
	/* the last full read is now older than full_sync_interval */
	db_exec("UPDATE sync_state SET value = value - 3601 WHERE name = 'full_at'");
	cycle_reads("read 300 entries (full)");
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 300);
	ck_assert_ptr_null(uuid_of("uid=ghost,ou=people," SUFFIX));
	cycle_reads("read 0 entries (incremental)");
}
END_TEST

START_TEST(failed_incremental_read_keeps_store_and_cookie)
{
	char *before, *after, *cookie;
	start_company(300);
	cycle_reads("read 300 entries (full)");
	before = staff_dump();
	cookie = db_query("SELECT value FROM sync_state ORDER BY name");
	ldap_change("dn: uid=u000080,ou=people," SUFFIX "\nchangetype: delete\n\n"
		    "dn: uid=u000081,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Changed\n");
	/* the seniors group is gone: the cycle fails after the people were read */
	write_config(td.uri, "cn=nonexistent,ou=groups," SUFFIX, NULL);
	ck_assert_int_ne(mentord("--once"), 0);
	after = staff_dump();
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert(db_is("SELECT value FROM sync_state ORDER BY name", cookie));
	/* the next good cycle still gets the changes */
	write_config(td.uri, SENIORS, NULL);
	cycle_reads("read 1 entries (incremental)");
	ck_assert(output_has("mentord.err", "1 people removed"));
	free(before);
	free(cookie);
}
END_TEST

START_TEST(cookie_kept_while_nothing_changes)
{
	start_company(300);
	cycle_reads("read 300 entries (full)");
	/* the server sends no new cookie when nothing changed: the stored one stays good */
	cycle_reads("read 0 entries (incremental)");
	cycle_reads("read 0 entries (incremental)");
	ck_assert_int_eq(db_int("SELECT count(*) FROM sync_state WHERE name = 'cookie'"), 1);
	ldap_change("dn: uid=u000090,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Still Here\n");
	cycle_reads("read 1 entries (incremental)");
}
END_TEST

static pid_t daemon_pid;

/* Start mentord -f on the test config, stderr to DIR/daemon.err. */
static void start_daemon(void)
{
	char err[4200];
	snprintf(err, sizeof(err), "%s/daemon.err", td.dir);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		execl(build_path("src/mentord"), "mentord", "-f", "-c", conf_path, (char *)NULL);
		_exit(127);
	}
}

/* Number of lines of DIR/daemon.err holding text. */
static int daemon_lines(const char *text)
{
	char cmd[4400];
	FILE *fp;
	int n = -1;
	snprintf(cmd, sizeof(cmd), "grep -cF -- '%s' %s/daemon.err 2>/dev/null", text, td.dir);
	ck_assert_ptr_nonnull(fp = popen(cmd, "r"));
	if (fscanf(fp, "%d", &n) != 1)
		n = -1;
	pclose(fp);
	return n;
}

/* Wait (up to two minutes) until the daemon finished n cycles; all of them must have succeeded. */
static void daemon_cycles(int n)
{
	for (int i = 0; i < 1200 && daemon_lines("cycle sync: read") < n; i++) {
		ck_assert_msg(waitpid(daemon_pid, NULL, WNOHANG) == 0, "the daemon exited");
		usleep(100000);
	}
	ck_assert_int_eq(daemon_lines("cycle sync: read"), n);
	ck_assert_int_eq(daemon_lines("cycle ok in"), n);
}

/* Run one more daemon cycle now (SIGUSR1) and wait for it. */
static void daemon_cycle_now(int n)
{
	ck_assert_int_eq(kill(daemon_pid, SIGUSR1), 0);
	daemon_cycles(n);
}

/* Stop the daemon (SIGTERM) and wait for it. */
static void stop_daemon(void)
{
	int status;
	ck_assert_int_eq(kill(daemon_pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(daemon_pid, &status, 0), daemon_pid);
	daemon_pid = 0;
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void daemon_teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
	teardown();
}

START_TEST(daemon_applies_changes_to_the_roster_it_keeps)
{
	char *kept, *full;
	int quiet;
	start_company(600);
	write_config(td.uri, SENIORS, "daemon = { interval = 604800; jitter = 0; };");
	start_daemon();
	daemon_cycles(1);
	ck_assert_int_eq(daemon_lines("read 600 entries (full)"), 1);
	ck_assert_int_eq(daemon_lines("roster built"), 1);
	/* adds, modifies, deletes, a rename, a new junior: applied to the roster in memory */
	ldap_change("dn: uid=newcomer,ou=people," SUFFIX "\nchangetype: add\nobjectClass: inetOrgPerson\n"
		    "objectClass: mentoringParticipant\nuid: newcomer\ncn: New Comer\nsn: Comer\ntitle: Intern\n"
		    "mentoringBirthYear: 1999\nmentoringCompetence: digcomp.1=6\n"
		    "manager: uid=u000001,ou=people," SUFFIX "\n\n"
		    "dn: " JUNIORS "\nchangetype: modify\nadd: member\nmember: uid=newcomer,ou=people," SUFFIX "\n\n"
		    "dn: uid=u000100,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Chief Tester\n-\n"
		    "replace: mentoringCompetence\nmentoringCompetence: digcomp.2=7\n\n"
		    "dn: uid=u000101,ou=people," SUFFIX "\nchangetype: delete\n\n"
		    "dn: uid=u000102,ou=people," SUFFIX "\nchangetype: modrdn\nnewrdn: uid=renamed\ndeleteoldrdn: 1\n");
	daemon_cycle_now(2);
	ck_assert_int_eq(daemon_lines("roster updated in memory"), 1);
	ck_assert_int_eq(daemon_lines("1 people removed"), 1);
	/* nothing changed: nothing read, nothing written */
	quiet = daemon_lines("0 adds, 0 modifies, 0 deletes");
	daemon_cycle_now(3);
	ck_assert_int_eq(daemon_lines("read 0 entries (incremental)"), 1);
	ck_assert_int_eq(daemon_lines("roster updated in memory"), 2);
	ck_assert_int_eq(daemon_lines("0 adds, 0 modifies, 0 deletes"), quiet + 1);
	/* a modify only: the cheap path (no one came, went or moved) */
	ldap_change("dn: uid=u000200,ou=people," SUFFIX "\nchangetype: modify\nreplace: mentoringCompetence\n"
		    "mentoringCompetence: digcomp.3=8\n");
	daemon_cycle_now(4);
	ck_assert_int_eq(daemon_lines("read 1 entries (incremental)"), 1);
	ck_assert_int_eq(daemon_lines("roster updated in memory"), 3);
	stop_daemon();
	ck_assert_ptr_null(uuid_of("uid=u000101,ou=people," SUFFIX));
	ck_assert_ptr_nonnull(kept = uuid_of("uid=renamed,ou=people," SUFFIX));
	free(kept);
	ck_assert_int_eq(db_int("SELECT count(*) FROM membership m JOIN staff s ON s.uuid = m.uuid"
				" WHERE m.grp = 'juniors' AND s.name = 'New Comer'"), 1);
	/* what the daemon built is what a new process reading everyone builds: same store, same plan */
	kept = staff_dump();
	write_config(td.uri, SENIORS, "people = { full_sync_interval = 0; };");
	ck_assert_int_eq(mentord("--dry-run"), 0);
	ck_assert(output_has("mentord.err", "read 600 entries (full)"));
	ck_assert(output_has("mentord.err", "dry run ok"));
	ck_assert(output_has("mentord.err", "0 adds, 0 modifies, 0 deletes"));
	cycle_reads("read 600 entries (full)");
	full = staff_dump();
	ck_assert_str_eq(kept, full);
	free(kept);
	free(full);
}
END_TEST

START_TEST(daemon_rebuilds_the_roster_when_another_cycle_wrote_the_store)
{
	start_company(300);
	write_config(td.uri, SENIORS, "daemon = { interval = 604800; jitter = 0; };");
	start_daemon();
	daemon_cycles(1);
	/* another process runs a cycle between two of the daemon's */
	ldap_change("dn: uid=u000030,ou=people," SUFFIX "\nchangetype: delete\n");
	cycle_reads("read 0 entries (incremental), 1 ids listed, 1 people removed");
	ldap_change("dn: uid=u000031,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Changed\n");
	daemon_cycle_now(2);
	ck_assert_int_eq(daemon_lines("the state database changed since the roster in memory was built"), 1);
	ck_assert_int_eq(daemon_lines("roster built"), 2);
	ck_assert_int_eq(daemon_lines("299 staff"), 1);
	daemon_cycle_now(3);
	ck_assert_int_eq(daemon_lines("roster updated in memory"), 1);
	ck_assert_int_eq(daemon_lines("299 staff"), 2);
	/* a reload drops the roster: it was read with the old configuration */
	ck_assert_int_eq(kill(daemon_pid, SIGHUP), 0);
	for (int i = 0; i < 100 && daemon_lines("reloaded") < 1; i++)
		usleep(50000);
	daemon_cycle_now(4);
	ck_assert_int_eq(daemon_lines("roster built"), 3);
	stop_daemon();
}
END_TEST

START_TEST(daemon_reads_everyone_when_the_server_cannot_continue)
{
	setenv("SYNCPROV", "reloadhint", 1);
	start_company(300);
	write_config(td.uri, SENIORS, "daemon = { interval = 604800; jitter = 0; };");
	start_daemon();
	daemon_cycles(1);
	ldap_change("dn: uid=u000040,ou=people," SUFFIX "\nchangetype: delete\n");
	/* e-syncRefreshRequired on the next cycle: the roster being updated is dropped, everyone read */
	db_exec("UPDATE sync_state SET value = 'rid=000,csn=19991122225005.421914Z#000000#000#000000'"
		" WHERE name = 'cookie'");
	daemon_cycle_now(2);
	ck_assert_int_eq(daemon_lines("cannot send changes since the stored sync cookie"), 1);
	ck_assert_int_eq(daemon_lines("read 299 entries (full)"), 1);
	ck_assert_int_eq(daemon_lines("299 staff"), 1);
	/* and the roster of that full read is the one kept */
	daemon_cycle_now(3);
	ck_assert_int_eq(daemon_lines("read 0 entries (incremental)"), 1);
	ck_assert_int_eq(daemon_lines("roster updated in memory"), 1);
	ck_assert_int_eq(daemon_lines("299 staff"), 2);
	stop_daemon();
	unsetenv("SYNCPROV");
}
END_TEST

/*
 * With an id attribute that the directory does not keep unique, two entries
 * can share an id: a complete read keeps the first one read (slapd sends
 * them in the order they were added) and skips the other with a warning.
 */
START_TEST(complete_read_keeps_the_first_of_two_entries_with_one_id)
{
	start_company(200);
	write_config(td.uri, SENIORS, "people = { attributes = { id = \"employeeNumber\"; }; };");
	ldap_change("dn: uid=u000150,ou=people," SUFFIX "\nchangetype: modify\nreplace: employeeNumber\n"
		    "employeeNumber: 100020\n");
	cycle_reads("read 200 entries (full, paged)");
	ck_assert(output_has("mentord.err", "uid=u000150,ou=people," SUFFIX ": entry skipped: employeeNumber 100020 "
			     "seen twice in one read"));
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 199);
	ck_assert(db_is("SELECT dn FROM staff WHERE uuid = '100020'", "uid=u000020,ou=people," SUFFIX "\n"));
}
END_TEST

/* The mentord configuration for a SASL EXTERNAL bind over the test server's ldapi:// socket. */
static void write_external_config(void)
{
	FILE *fp;
	ck_assert_msg(td.ldapi[0], "the test server has no ldapi:// socket");
	snprintf(conf_path, sizeof(conf_path), "%s/mentord.conf", td.dir);
	ck_assert_ptr_nonnull(fp = fopen(conf_path, "w"));
	fprintf(fp, "directory = { uri = \"%s\"; base = \"" SUFFIX "\"; sasl_mech = \"EXTERNAL\"; timeout = 5; };\n"
		"participants = { juniors = \"" JUNIORS "\"; seniors = \"" SENIORS "\"; };\n"
		"state = { database = \"%s/mentord.db\"; };\n", td.ldapi, td.dir);
	fclose(fp);
}

/*
 * The server maps mentord's peer credentials on its ldapi:// socket
 * (gidNumber=..+uidNumber=..,cn=peercred,cn=external,cn=auth) to the service
 * account with an authz-regexp: no bind DN, no password, and the cycle
 * reads and writes as the service account.
 */
START_TEST(external_bind_over_ldapi_reads_and_writes_as_the_service_account)
{
	LDAP *ld;
	start_company(300);
	write_external_config();
	cycle_reads("read 300 entries (full)");
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 300);
	ld = admin();
	ck_assert_int_gt(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
	ldap_change("dn: uid=u000100,ou=people," SUFFIX "\nchangetype: modify\nreplace: title\ntitle: Socket Tester\n");
	cycle_reads("read 1 entries (incremental)");
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff WHERE title = 'Socket Tester'")), 1);
}
END_TEST

/*
 * Without the mapping the server accepts the bind but knows mentord only by
 * its peer credentials, which no entry stands for: the cycle stops before
 * reading anything and says what to configure.
 */
START_TEST(external_bind_without_a_mapping_names_the_missing_authz_regexp)
{
	LDAP *ld;
	setenv("PEERCRED", "none", 1);
	start_company(100);
	unsetenv("PEERCRED");
	write_external_config();
	ck_assert_int_ne(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "SASL EXTERNAL bind"));
	ck_assert(output_has("mentord.err", ",cn=peercred,cn=external,cn=auth"));
	ck_assert(output_has("mentord.err", "olcAuthzRegexp"));
	ck_assert(output_has("mentord.err", "no directory server could be reached"));
	ck_assert_int_eq(db_int(("SELECT count(*) FROM staff")), 0);
	ld = admin();
	ck_assert_int_eq(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(dn_canonical_form_matches_libldap)
{
	static const char *const dns[] = {
		"uid=u000001,ou=people,dc=example,dc=com", "UID=U1,OU=People,DC=Example,DC=Com",
		"cn=First Last,ou=people,dc=example,dc=com", "uid=a, ou=b,dc=c", "cn=a+sn=b,dc=c",
		"cn=x\\,y,dc=c", "cn=#41,dc=c", "2.5.4.3=x,dc=c", "cn=a.b-c_d,dc=c", "cn=,dc=c", "cn=a,",
		"not a dn", "cn=\"quoted\",dc=c", "cn=é,dc=c", "x-attr=v,dc=c", "cn=a=b,dc=c", "",
	};
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		char *fast = sync_dn_canonical(dns[i]), *slow = dir_dn_canonical(dns[i]);
		ck_assert_msg((!fast && !slow) || (fast && slow && strcmp(fast, slow) == 0),
			      "%s: \"%s\" vs libldap \"%s\"", dns[i], fast ? fast : "(null)", slow ? slow : "(null)");
		free(fast);
		free(slow);
	}
}
END_TEST

/* A row of store_competence_each as a line "uuid|id|level" (arg: a memstream). */
static int level_line(const char *uuid, const char *id, int level, void *arg)
{
	fprintf(arg, "%s|%s|%d\n", uuid, id, level);
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every stored level, as sorted lines "uuid|id|level" (caller frees). */
static char *stored_levels(store *st)
{
	char *out = NULL, *sorted, *line[64], *save = NULL;
	size_t len = 0, n = 0;
	FILE *fp = open_memstream(&out, &len);
	ck_assert_int_eq(store_competence_each(st, level_line, fp), 0);
	fclose(fp);
	for (char *l = strtok_r(out, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
		line[n++] = l;
	qsort(line, n, sizeof(*line), cmp_line);
	fp = open_memstream(&sorted, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\n", line[i]);
	fclose(fp);
	free(out);
	return sorted;
}

START_TEST(an_older_store_keeps_its_levels_in_the_staff_rows)
{
	static const char *const older =
		"CREATE TABLE staff (uuid TEXT PRIMARY KEY, dn TEXT NOT NULL, name TEXT, mail TEXT, title TEXT,"
		"  department TEXT, location TEXT, manager_dn TEXT, cohort TEXT, seniority INTEGER, capacity INTEGER,"
		"  cdn TEXT);"
		"CREATE TABLE competence (uuid TEXT NOT NULL, area TEXT NOT NULL, level INTEGER NOT NULL,"
		"  PRIMARY KEY (uuid, area)) WITHOUT ROWID;"
		"CREATE TABLE membership (grp TEXT NOT NULL, uuid TEXT NOT NULL, PRIMARY KEY (grp, uuid)) WITHOUT ROWID;"
		"INSERT INTO staff (uuid, dn) VALUES ('a', 'uid=a'), ('b', 'uid=b'), ('c', 'uid=c');"
		"INSERT INTO competence VALUES ('a', 'digcomp.1', 4), ('a', 'digcomp.2', 2), ('a', 'leadership', 3),"
		"  ('b', 'digcomp.1', 1);"
		"PRAGMA user_version = 5;";
	static const char *const ids[] = {"digcomp.2", "strategy"};
	static const int values[] = {5, 1};
	char tmp[] = "/tmp/mentord-store.XXXXXX", path[64], *rows;
	struct store_person a = {.uuid = "a", .dn = "uid=a", .seniority = -1, .capacity = -1,
				 .level_ids = ids, .level_values = values, .n_levels = 2};
	sqlite3 *db;
	store *st;
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/state.db", tmp);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, older, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* read-only (mentorctl) it is refused until mentord upgrades it */
	ck_assert_int_eq(store_open(path, 1, &st), -1);
	ck_assert_int_eq(store_open(path, 0, &st), 0);
	rows = stored_levels(st);
	ck_assert_msg(strcmp(rows, "a|digcomp.1|4\na|digcomp.2|2\na|leadership|3\nb|digcomp.1|1\n") == 0, "%s", rows);
	free(rows);
	/* a person stored again has only the levels stored with them now */
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_staff_put(st, &a), 0);
	ck_assert_int_eq(store_commit(st), 0);
	rows = stored_levels(st);
	ck_assert_msg(strcmp(rows, "a|digcomp.2|5\na|strategy|1\nb|digcomp.1|1\n") == 0, "%s", rows);
	free(rows);
	store_close(st);
	ck_assert_int_eq(store_open(path, 1, &st), 0);
	store_close(st);
	ck_assert_int_eq(sh("rm -rf %s", tmp), 0);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("slapd");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, incremental_applies_adds_modifies_and_deletes);
	tcase_add_test(tc, rename_and_move_keep_the_person_and_the_pair);
	tcase_add_test(tc, present_phase_removes_whoever_is_not_listed);
	tcase_add_test(tc, refresh_required_or_refused_cookie_reads_everyone);
	tcase_add_test(tc, without_syncprov_every_cycle_is_a_paged_read);
	tcase_add_test(tc, periodic_full_read_replaces_the_stored_people);
	tcase_add_test(tc, failed_incremental_read_keeps_store_and_cookie);
	tcase_add_test(tc, cookie_kept_while_nothing_changes);
	tcase_add_test(tc, complete_read_keeps_the_first_of_two_entries_with_one_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("external");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, external_bind_over_ldapi_reads_and_writes_as_the_service_account);
	tcase_add_test(tc, external_bind_without_a_mapping_names_the_missing_authz_regexp);
	suite_add_tcase(s, tc);
	tc = tcase_create("daemon");
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, NULL, daemon_teardown);
	tcase_add_test(tc, daemon_applies_changes_to_the_roster_it_keeps);
	tcase_add_test(tc, daemon_rebuilds_the_roster_when_another_cycle_wrote_the_store);
	tcase_add_test(tc, daemon_reads_everyone_when_the_server_cannot_continue);
	suite_add_tcase(s, tc);
	tc = tcase_create("dn");
	tcase_add_test(tc, dn_canonical_form_matches_libldap);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, an_older_store_keeps_its_levels_in_the_staff_rows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(sync_suite());
}
