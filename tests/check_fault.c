/*
 * Faults during a sync, against real slapd processes: the server killed
 * (SIGKILL, by its own pid) in the middle of a refresh or of a paged read,
 * a first URI whose port is closed, a server that stops answering
 * (SIGSTOP) part way, and a person who left the people base in a way the
 * cookie cannot show, removed by the periodic full read.
 * A failed read must change nothing, in the store or in the directory, and
 * the next cycle against the server started again must succeed.
 *
 * The test follows mentord's progress through the notifications it sends
 * to a NOTIFY_SOCKET the test binds (STATUS=syncing N every 256 entries),
 * so the fault lands after the first 256 entries, with most still to come.
 */
#include "config.h"

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/check_main.h"
#include "lib/testdir.h"
#include "lib/testutil.h"

#define PEOPLE "ou=people," SUFFIX

static int notify_fd = -1;
static pid_t mentord_pid;

/* Bind the datagram socket mentord will notify; its path goes to path. */
static void notify_open(char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(path, size, "%s/notify.sock", td.dir);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	unlink(path);
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(notify_fd, 0);
	ck_assert_int_eq(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/* Wait up to timeout_ms for a notification starting with prefix; 0 when it came, -1 if not. */
static int notify_wait(const char *prefix, int timeout_ms)
{
	struct pollfd pfd = {notify_fd, POLLIN, 0};
	char buf[4096];
	while (poll(&pfd, 1, timeout_ms) > 0) {
		ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		if (strncmp(buf, prefix, strlen(prefix)) == 0)
			return 0;
	}
	return -1;
}

/* Start mentord --once in the background, notifying the test; stderr to DIR/mentord.err. */
static void start_mentord(void)
{
	char sock[4200], err[4200];
	notify_open(sock, sizeof(sock));
	snprintf(err, sizeof(err), "%s/mentord.err", td.dir);
	mentord_pid = fork();
	ck_assert_int_ge(mentord_pid, 0);
	if (mentord_pid == 0) {
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", sock, 1);
		execl(build_path("src/mentord"), "mentord", "--once", "-c", conf_path, (char *)NULL);
		_exit(127);
	}
}

/* Read and drop the notifications waiting, as systemd would: a full queue blocks mentord's sd_notify. */
static void notify_drain(void)
{
	char buf[4096];
	while (notify_fd >= 0 && recv(notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Wait up to timeout_ms for mentord to exit; its exit code, or -1 if it did not exit. */
static int wait_mentord(int timeout_ms)
{
	int status;
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		notify_drain();
		if (waitpid(mentord_pid, &status, WNOHANG) == mentord_pid) {
			mentord_pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(10000);
	}
	return -1;
}

/* The pid of the running slapd, from the pid file it writes. */
static pid_t slapd_pid(void)
{
	char path[4200];
	long pid = 0;
	FILE *fp;
	snprintf(path, sizeof(path), "%s/slapd.pid", td.dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_int_eq(fscanf(fp, "%ld", &pid), 1);
	fclose(fp);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

/* Wait until process pid is gone (it is not our child: poll for it). */
static void wait_gone(pid_t pid)
{
	for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++)
		usleep(10000);
	ck_assert_msg(kill(pid, 0) != 0, "slapd %ld did not go away", (long)pid);
}

/* Start slapd again on the same port with the same configuration and database. */
static void slapd_restart(void)
{
	const char *slapd = getenv("SLAPD");
	int answered = 1;
	ck_assert_int_eq(sh("%s -d none -F %s/slapd.d -h %s </dev/null >>%s/slapd.log 2>&1 &",
			    slapd && *slapd ? slapd : "/usr/sbin/slapd", td.dir, td.uri, td.dir), 0);
	for (int i = 0; i < 300 && answered != 0; i++) {
		usleep(50000);
		answered = sh("ldapsearch -x -H %s -o nettimeout=1 -b '' -s base 1.1 >/dev/null 2>&1", td.uri);
	}
	ck_assert_msg(answered == 0, "slapd did not start again on %s; see %s/slapd.log", td.uri, td.dir);
}

/* Everything the store holds about people, pairs and the sync, in a stable order (caller frees). */
static char *store_dump(void)
{
	static const char *const queries[] = {
		"SELECT uuid, dn, name, mail, title, department, location, manager_dn, cohort, seniority,"
		" capacity, cdn FROM staff ORDER BY uuid",
		"SELECT uuid, area, level FROM competence ORDER BY uuid, area",
		"SELECT grp, uuid FROM membership ORDER BY grp, uuid",
		"SELECT mentor_uuid, mentee_uuid, dn, score, started FROM pairs ORDER BY 1, 2",
		"SELECT name, value FROM sync_state ORDER BY name",
	};
	char path[4200], *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/mentord.db", td.dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		sqlite3_stmt *stmt;
		ck_assert_int_eq(sqlite3_prepare_v2(db, queries[q], -1, &stmt, NULL), SQLITE_OK);
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(stmt); i++) {
				const unsigned char *v = sqlite3_column_text(stmt, i);
				fprintf(fp, "%s%s", i ? "|" : "", v ? (const char *)v : "NULL");
			}
			fputc('\n', fp);
		}
		sqlite3_finalize(stmt);
		fputs("--\n", fp);
	}
	sqlite3_close(db);
	fclose(fp);
	return out;
}

/* A count from the store. */
static long store_count(const char *sql)
{
	char path[4200];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	long n = -1;
	snprintf(path, sizeof(path), "%s/mentord.db", td.dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

/* Run SQL that changes the store. */
static void store_exec(const char *sql)
{
	char path[4200];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/mentord.db", td.dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* What the directory holds that a cycle may write: the newest entryCSN of the managed OU, and the people. */
static char *directory_state(void)
{
	LDAP *ld = admin();
	char *csn = managed_csn(ld), *out = NULL;
	ck_assert_int_gt(asprintf(&out, "%s %d pairs %d people", csn ? csn : "-",
				  count(ld, PAIRS_OU, "(objectClass=mentoringPair)"),
				  count(ld, PEOPLE, "(objectClass=inetOrgPerson)")), 0);
	free(csn);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return out;
}

static void fault_teardown(void)
{
	if (mentord_pid > 0) {
		kill(mentord_pid, SIGCONT);
		kill(mentord_pid, SIGKILL);
		waitpid(mentord_pid, NULL, 0);
		mentord_pid = 0;
	}
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	/* a stopped slapd would ignore the harness's SIGTERM until it is continued */
	if (td.dir[0]) {
		char path[4200];
		long pid;
		FILE *fp;
		snprintf(path, sizeof(path), "%s/slapd.pid", td.dir);
		if ((fp = fopen(path, "r"))) {
			if (fscanf(fp, "%ld", &pid) == 1 && pid > 1)
				kill((pid_t)pid, SIGCONT);
			fclose(fp);
		}
	}
	teardown();
}

/*
 * A cycle whose full read loses its server part way: SIGKILL slapd while
 * mentord is between two progress reports, and check that the cycle failed
 * and changed nothing; then the next cycle, against slapd started again on
 * the same port and database, succeeds.
 */
static void kill_during_full_read(int staff)
{
	char *store_before, *store_after, *dir_before, *dir_after;
	pid_t slapd;
	int rc;
	start_company(staff);
	ck_assert_int_eq(mentord("--once"), 0);
	/* every cycle reads everyone: the read that fails would replace all stored people */
	write_config(td.uri, SENIORS, "people = { full_sync_interval = 0; };");
	store_before = store_dump();
	dir_before = directory_state();
	slapd = slapd_pid();
	start_mentord();
	ck_assert_msg(notify_wait("STATUS=syncing 256", 120000) == 0, "mentord never reported syncing");
	ck_assert_int_eq(kill(slapd, SIGKILL), 0);
	wait_gone(slapd);
	rc = wait_mentord(120000);
	ck_assert_msg(rc == 1, "mentord exited with %d, not 1 (failed), after its server was killed", rc);
	ck_assert(output_has("mentord.err", "directory read failed; nothing changed"));
	ck_assert(!output_has("mentord.err", "cycle ok"));
	store_after = store_dump();
	ck_assert_str_eq(store_after, store_before);
	free(store_after);
	slapd_restart();
	dir_after = directory_state();
	ck_assert_str_eq(dir_after, dir_before);
	free(dir_after);
	/* the next cycle reads everyone from the restarted server */
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff"), staff);
	free(store_before);
	free(dir_before);
}

START_TEST(slapd_killed_during_a_refresh_changes_nothing)
{
	/* many more entries than the first progress report: the kill lands with most still to come */
	kill_during_full_read(20000);
	ck_assert(output_has("mentord.err", "(full)"));
}
END_TEST

START_TEST(slapd_killed_during_a_paged_read_changes_nothing)
{
	setenv("SYNCPROV", "none", 1);
	/* pages of 500 entries: the server sends the next only when asked, so the kill is always mid-read */
	kill_during_full_read(3000);
	ck_assert(output_has("mentord.err", "(full, paged)"));
	unsetenv("SYNCPROV");
}
END_TEST

/* A 127.0.0.1 port nothing listens on: bound once to get it, then closed. */
static int closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

START_TEST(closed_first_uri_fails_over_to_the_second)
{
	char uris[512], first[64];
	start_company(300);
	snprintf(first, sizeof(first), "ldap://127.0.0.1:%d/", closed_port());
	snprintf(uris, sizeof(uris), "%s\", \"%s", first, td.uri);
	write_config(uris, SENIORS, NULL);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(sh("grep -qF -- '%s: bind' %s/mentord.err", first, td.dir), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff"), 300);
}
END_TEST

/*
 * A server that stops answering part way through a full read (SIGSTOP, by
 * its pid): the cycle fails after directory.timeout (2 s here) with why,
 * and writes nothing. what is the line mentord logs for the silence.
 */
static void silent_during_full_read(int staff, const char *what)
{
	char *dir_before, *dir_after;
	struct timespec t0, t1;
	double seconds;
	pid_t slapd;
	int rc;
	start_company(staff);
	ck_assert_int_eq(sh("sed -i 's/timeout = 5;/timeout = 2;/' %s && grep -q 'timeout = 2;' %s", conf_path, conf_path), 0);
	dir_before = directory_state();
	slapd = slapd_pid();
	start_mentord();
	ck_assert_msg(notify_wait("STATUS=syncing 256", 120000) == 0, "mentord never reported syncing");
	ck_assert_int_eq(kill(slapd, SIGSTOP), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a generous bound: this only tells a failure from a hang, the timeout itself is 2 s */
	rc = wait_mentord(60000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "silent server: mentord gave up %.2f s after slapd stopped (timeout 2 s)\n", seconds);
	if (rc < 0)
		sh("sed 's/^/mentord.err: /' %s/mentord.err >&2", td.dir);
	ck_assert_msg(rc >= 0, "mentord still waits 60 s after its server stopped answering");
	ck_assert_int_eq(rc, 1);
	if (!output_has("mentord.err", what))
		sh("sed 's/^/mentord.err: /' %s/mentord.err >&2", td.dir);
	ck_assert_msg(output_has("mentord.err", what), "mentord did not log \"%s\"", what);
	ck_assert(output_has("mentord.err", "directory read failed; nothing changed"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff"), 0);
	ck_assert_int_eq(kill(slapd, SIGCONT), 0);
	dir_after = directory_state();
	ck_assert_str_eq(dir_after, dir_before);
	free(dir_after);
	free(dir_before);
}

START_TEST(silent_server_fails_a_refresh_within_the_timeout)
{
	silent_during_full_read(20000, "no answer from the server for 2 s");
}
END_TEST

START_TEST(silent_server_fails_a_paged_read_within_the_timeout)
{
	setenv("SYNCPROV", "none", 1);
	silent_during_full_read(3000, "timed out after 2 s");
	unsetenv("SYNCPROV");
}
END_TEST

START_TEST(person_moved_out_unseen_is_removed_by_the_full_read)
{
	char path[4200], cookie[256], update[512];
	FILE *fp;
	start_company(600);
	write_config(td.uri, SENIORS, "people = { base = \"" PEOPLE "\"; full_sync_interval = 3600; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "read 600 entries (full)"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff WHERE dn = 'uid=u000200," PEOPLE "'"), 1);
	/* moved out of the people base */
	ck_assert_int_eq(sh("printf 'dn: uid=u000200," PEOPLE "\\nchangetype: modrdn\\nnewrdn: uid=u000200\\n"
			    "deleteoldrdn: 0\\nnewsuperior: ou=services," SUFFIX "\\n' | "
			    "ldapmodify -x -H %s -D cn=admin," SUFFIX " -w secret >/dev/null", td.uri), 0);
	/*
	 * A cookie that already covers the move (as one from a server that lost
	 * its change log would): the changes since it do not show the person gone.
	 */
	ck_assert_int_eq(sh("ldapsearch -x -H %s -D cn=admin," SUFFIX " -w secret -b " PEOPLE " -E sync=ro"
			    " '(uid=u000001)' 1.1 | sed -n 's/^# cookie: //p' >%s/cookie", td.uri, td.dir), 0);
	snprintf(path, sizeof(path), "%s/cookie", td.dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(cookie, sizeof(cookie), fp));
	fclose(fp);
	cookie[strcspn(cookie, "\n'")] = '\0';
	ck_assert_int_gt((int)strlen(cookie), 10);
	snprintf(update, sizeof(update), "UPDATE sync_state SET value = '%s' WHERE name = 'cookie'", cookie);
	store_exec(update);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "read 0 entries (incremental)"));
	ck_assert(output_has("mentord.err", "0 people removed"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff WHERE dn = 'uid=u000200," PEOPLE "'"), 1);
	/* the daily full read (here: its interval passed) replaces the stored people and drops them */
	store_exec("UPDATE sync_state SET value = value - 3601 WHERE name = 'full_at'");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "read 599 entries (full)"));
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff WHERE dn LIKE 'uid=u000200,%'"), 0);
	ck_assert_int_eq(store_count("SELECT count(*) FROM staff"), 599);
	/* and the cookie of that read carries on */
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "read 0 entries (incremental)"));
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("slapd");
	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, fault_teardown);
	tcase_add_test(tc, slapd_killed_during_a_refresh_changes_nothing);
	tcase_add_test(tc, slapd_killed_during_a_paged_read_changes_nothing);
	tcase_add_test(tc, closed_first_uri_fails_over_to_the_second);
	tcase_add_test(tc, silent_server_fails_a_refresh_within_the_timeout);
	tcase_add_test(tc, silent_server_fails_a_paged_read_within_the_timeout);
	tcase_add_test(tc, person_moved_out_unseen_is_removed_by_the_full_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(fault_suite());
}
