/*
 * mentord as a service, against a real slapd: the sd_notify sequence seen on
 * a NOTIFY_SOCKET the test binds itself, reload with a good and a bad
 * configuration, SIGUSR1 and `mentorctl run --now`, the watchdog during a
 * long cycle, SIGTERM in the middle of a sync (everything rolled back), the
 * cycle lock, the metrics file and the history.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/check_main.h"
#include "lib/testdir.h"
#include "lib/testutil.h"
#include "log.h"

/* Every message the daemon sent, in order. */
#define MAX_MSGS 4096
static char *msgs[MAX_MSGS];
static size_t n_msgs;
static int notify_fd = -1;
static pid_t daemon_pid;

/* Bind the datagram socket the daemon will notify. */
static void notify_open(char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(path, size, "%s/notify.sock", td.dir);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(notify_fd, 0);
	ck_assert_int_eq(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/* Read new messages until one starts with prefix (returns its index) or timeout_ms passes (-1). */
static long notify_wait(const char *prefix, int timeout_ms)
{
	struct pollfd pfd = {notify_fd, POLLIN, 0};
	char buf[4096];
	while (poll(&pfd, 1, timeout_ms) > 0) {
		ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = '\0';
		ck_assert_uint_lt(n_msgs, MAX_MSGS);
		msgs[n_msgs++] = strdup(buf);
		if (strncmp(buf, prefix, strlen(prefix)) == 0)
			return (long)n_msgs - 1;
	}
	return -1;
}

/* Index of the first message at or after from that starts with prefix, or -1. */
static long find_msg(size_t from, const char *prefix)
{
	for (size_t i = from; i < n_msgs; i++)
		if (strncmp(msgs[i], prefix, strlen(prefix)) == 0)
			return (long)i;
	return -1;
}

/* Start mentord -f with a notify socket (and a watchdog when watchdog_usec > 0). */
static void start_daemon(long watchdog_usec)
{
	char sock[4200], err[4200];
	notify_open(sock, sizeof(sock));
	snprintf(err, sizeof(err), "%s/daemon.err", td.dir);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		char wd[32], pid[32];
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", sock, 1);
		if (watchdog_usec > 0) {
			snprintf(wd, sizeof(wd), "%ld", watchdog_usec);
			snprintf(pid, sizeof(pid), "%ld", (long)getpid());
			setenv("WATCHDOG_USEC", wd, 1);
			setenv("WATCHDOG_PID", pid, 1);
		}
		execl(build_path("src/mentord"), "mentord", "-f", "-c", conf_path, (char *)NULL);
		_exit(127);
	}
}

/* Wait up to timeout_ms for the daemon to exit; its wait status, or -1 if it did not. */
static int wait_daemon(int timeout_ms)
{
	int status;
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
			daemon_pid = 0;
			return status;
		}
		usleep(10000);
	}
	return -1;
}

/* Stop the daemon if a test left it running, then the server. */
static void daemon_teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	for (size_t i = 0; i < n_msgs; i++)
		free(msgs[i]);
	n_msgs = 0;
	teardown();
}

/* Run mentorctl with args; output to DIR/ctl.out, errors to DIR/ctl.err. */
static int mentorctl(const char *args)
{
	return sh("%s -c %s %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"), conf_path, args,
		  td.dir, td.dir);
}

START_TEST(notify_sequence_reload_and_usr1)
{
	long ready, i;
	start_company(2000);
	start_daemon(0);
	ready = notify_wait("READY=1", 30000);
	ck_assert_int_ge(ready, 0);
	/* the first cycle runs before READY=1, telling what it does and extending the start-up timeout */
	ck_assert_int_eq(find_msg(0, "STATUS=starting a cycle"), 0);
	i = find_msg(0, "STATUS=syncing ");
	ck_assert_int_gt(i, 0);
	ck_assert_int_gt(find_msg(0, "EXTEND_TIMEOUT_USEC="), i);
	ck_assert_int_lt(find_msg(0, "EXTEND_TIMEOUT_USEC="), ready);
	ck_assert_int_lt(find_msg(0, "STATUS=idle"), 0);
	ck_assert_int_gt(find_msg((size_t)i, "STATUS=matching"), i);
	ck_assert_int_gt(find_msg((size_t)i, "STATUS=writing "), i);
	ck_assert_int_lt(find_msg((size_t)i, "STATUS=writing "), ready);
	ck_assert_int_gt(notify_wait("STATUS=idle; last cycle ", 5000), ready);
	/* a good reload */
	ck_assert_int_eq(sh("sed -i 's|^state = |daemon = { interval = 7200; };\\nstate = |' %s", conf_path), 0);
	kill(daemon_pid, SIGHUP);
	i = notify_wait("RELOADING=1", 5000);
	ck_assert_int_ge(i, 0);
	ck_assert_int_gt(notify_wait("READY=1", 5000), i);
	ck_assert(output_has("daemon.err", "reloaded"));
	/* a bad reload is refused, with file:line, and the daemon keeps going */
	ck_assert_int_eq(sh("echo 'bogus = 1;' >> %s", conf_path), 0);
	kill(daemon_pid, SIGHUP);
	i = notify_wait("RELOADING=1", 5000);
	ck_assert_int_ge(i, 0);
	ck_assert_int_gt(notify_wait("READY=1", 5000), i);
	ck_assert(output_has("daemon.err", "reload refused; keeping the running configuration"));
	ck_assert_int_eq(sh("grep -q \"mentord.conf:$(wc -l < %s): unknown key \\\"bogus\\\"\" %s/daemon.err", conf_path, td.dir), 0);
	/* SIGUSR1 runs a cycle with the configuration still in force */
	kill(daemon_pid, SIGUSR1);
	i = notify_wait("STATUS=starting a cycle", 5000);
	ck_assert_int_ge(i, 0);
	ck_assert_int_gt(notify_wait("STATUS=idle; last cycle ", 30000), i);
	ck_assert_int_eq(sh("grep -c 'cycle ok' %s/daemon.err | grep -qx 2", td.dir), 0);
	/* SIGTERM: STOPPING=1 and a clean exit */
	kill(daemon_pid, SIGTERM);
	ck_assert_int_ge(notify_wait("STOPPING=1", 5000), 0);
	int status = wait_daemon(10000);
	ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
	fprintf(stderr, "notify sequence:");
	for (size_t k = 0; k < n_msgs; k++)
		if (strncmp(msgs[k], "STATUS=syncing", 14) != 0 || k == (size_t)find_msg(0, "STATUS=syncing"))
			fprintf(stderr, " [%s]", msgs[k]);
	fputc('\n', stderr);
}
END_TEST

START_TEST(watchdog_pinged_during_a_long_cycle)
{
	long first, matching, pings = 0;
	start_company(20000);
	start_daemon(200000); /* 200 ms */
	ck_assert_int_ge(notify_wait("READY=1", 60000), 0);
	first = find_msg(0, "STATUS=syncing ");
	matching = find_msg(0, "STATUS=matching");
	ck_assert_int_gt(first, 0);
	ck_assert_int_gt(matching, first);
	for (long k = first; k < matching; k++)
		pings += strcmp(msgs[k], "WATCHDOG=1") == 0;
	fprintf(stderr, "watchdog: %ld pings during the sync of 20000 staff\n", pings);
	ck_assert_int_ge(pings, 2);
	kill(daemon_pid, SIGTERM);
	ck_assert_int_ge(wait_daemon(10000), 0);
}
END_TEST

START_TEST(sigterm_during_sync_rolls_back)
{
	LDAP *ld;
	char *before, *after;
	struct timespec t0, t1;
	double seconds;
	int status;
	start_company(20000);
	/* every cycle reads all 20000 people, so the daemon's cycle is a long sync to interrupt */
	write_config(td.uri, SENIORS, "people = { full_sync_interval = 0; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	before = managed_csn(ld);
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("mv %s/ctl.out %s/pairs.before", td.dir, td.dir), 0);
	/* change the programme so that the interrupted cycle would have written something */
	ck_assert_int_eq(sh("m=$(ldapsearch -x -LLL -H %s -b %s -s base member | sed -n 's/^member: //p' | head -n 1) && "
			    "printf 'dn: %s\\nchangetype: modify\\ndelete: member\\nmember: %%s\\n' \"$m\" | "
			    "ldapmodify -x -H %s -D cn=admin," SUFFIX " -w secret >/dev/null",
			    td.uri, SENIORS, SENIORS, td.uri), 0);
	start_daemon(0);
	ck_assert_int_ge(notify_wait("STATUS=syncing 2", 60000), 0); /* a few thousand entries in */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kill(daemon_pid, SIGTERM);
	status = wait_daemon(10000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "SIGTERM during a sync of 20000 staff: exited after %.3f s\n", seconds);
	ck_assert_msg(status >= 0, "mentord did not exit within 10 s of SIGTERM");
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(output_has("daemon.err", "cycle stopped"));
	/* nothing written, the store as it was, the cycle recorded as stopped */
	after = managed_csn(ld);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("cmp -s %s/ctl.out %s/pairs.before", td.dir, td.dir), 0);
	ck_assert_int_eq(mentorctl("history --csv"), 0);
	ck_assert_int_eq(sh("sed -n 2p %s/ctl.out | grep -q ',stopped,'", td.dir), 0);
	free(before);
	free(after);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(mentorctl_run_asks_the_daemon)
{
	start_company(500);
	start_daemon(0);
	ck_assert_int_ge(notify_wait("READY=1", 30000), 0);
	ck_assert_int_eq(mentorctl("status"), 0);
	ck_assert(output_has("ctl.out", "daemon:       running (pid "));
	ck_assert(output_has("ctl.out", "next cycle at "));
	ck_assert_int_eq(mentorctl("run --now"), 0);
	ck_assert(output_has("ctl.err", "asked mentord (pid "));
	ck_assert(output_has("ctl.err", "cycle #2 ok"));
	kill(daemon_pid, SIGTERM);
	ck_assert_int_ge(wait_daemon(10000), 0);
	/* without a daemon, run works in the foreground */
	ck_assert_int_eq(mentorctl("run"), 0);
	ck_assert(output_has("ctl.err", "cycle ok"));
	ck_assert_int_eq(mentorctl("status"), 0);
	ck_assert(output_has("ctl.out", "daemon:       not running"));
	ck_assert_int_eq(mentorctl("history --csv"), 0);
	ck_assert_int_eq(sh("test $(wc -l < %s/ctl.out) -eq 4", td.dir), 0);
	ck_assert_int_eq(mentorctl("history -n 1 --json"), 0);
	ck_assert(output_has("ctl.out", "\"id\": 3"));
}
END_TEST

/*
 * Pairs another process stored while the daemon was idle are the pairs in
 * force for the daemon's next cycle, not the ones it kept in memory.
 */
START_TEST(pairs_stored_meanwhile_are_the_ones_in_force)
{
	long i;
	start_company(300);
	start_daemon(0);
	ck_assert_int_ge(notify_wait("READY=1", 30000), 0);
	ck_assert_int_ge(notify_wait("STATUS=idle; last cycle ", 5000), 0);
	/* forbid one pair (by the mails of mentor and mentee) and let a cycle of its own replace it */
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("sed -n 2p %s/ctl.out | awk -F, '{ print $2, $6 }' >%s/pair && test -s %s/pair", td.dir,
			    td.dir, td.dir), 0);
	ck_assert_int_eq(sh("%s -c %s forbid $(cat %s/pair) >/dev/null", build_path("src/mentorctl"), conf_path,
			    td.dir), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("mv %s/ctl.out %s/pairs.after", td.dir, td.dir), 0);
	ck_assert_int_ne(sh("grep -q \"^[^,]*,$(cut -d' ' -f1 %s/pair),[^,]*,[^,]*,[^,]*,$(cut -d' ' -f2 %s/pair),\" "
			    "%s/pairs.after", td.dir, td.dir, td.dir), 0);
	/* the daemon's next cycle starts from those pairs: nothing to change, nothing written */
	kill(daemon_pid, SIGUSR1);
	i = notify_wait("STATUS=starting a cycle", 5000);
	ck_assert_int_ge(i, 0);
	ck_assert_int_gt(notify_wait("STATUS=idle; last cycle ", 30000), i);
	ck_assert_int_eq(sh("grep 'cycle ok' %s/daemon.err | tail -n 1 | grep -q '(0 new, 0 ended, .*; 0 adds, 0 modifies, "
			    "0 deletes'", td.dir), 0);
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("cmp -s %s/ctl.out %s/pairs.after", td.dir, td.dir), 0);
}
END_TEST

START_TEST(one_cycle_at_a_time)
{
	char lock[4300];
	int fd;
	start_company(300);
	snprintf(lock, sizeof(lock), "%s/mentord.db.lock", td.dir);
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(mentord("--once"), 6);
	ck_assert(output_has("mentord.err", "another cycle is running"));
	ck_assert_int_eq(mentorctl("run"), 6);
	close(fd);
	ck_assert_int_eq(mentord("--once"), 0);
}
END_TEST

START_TEST(metrics_file_after_each_cycle)
{
	char extra[4300];
	start_company(300);
	snprintf(extra, sizeof(extra), "daemon = { metrics_file = \"%s/mentord.prom\"; };", td.dir);
	write_config(td.uri, SENIORS, extra);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.prom", "# TYPE mentord_cycle_duration_seconds gauge"));
	ck_assert(output_has("mentord.prom", "mentord_cycle_success 1"));
	ck_assert(output_has("mentord.prom", "mentord_staff 300"));
	ck_assert(output_has("mentord.prom", "mentord_participants{role=\"senior\"} "));
	ck_assert(output_has("mentord.prom", "mentord_cycles_failed 0"));
	ck_assert_int_eq(sh("grep -q '^mentord_last_success_timestamp_seconds [1-9]' %s/mentord.prom", td.dir), 0);
	/* a failed cycle shows up in the metrics */
	snprintf(extra, sizeof(extra), "daemon = { metrics_file = \"%s/mentord.prom\"; };", td.dir);
	write_config("ldap://127.0.0.1:1/", SENIORS, extra);
	ck_assert_int_eq(mentord("--once"), 3);
	ck_assert(output_has("mentord.prom", "mentord_cycle_success 0"));
	ck_assert(output_has("mentord.prom", "mentord_cycles_failed 1"));
	ck_assert(output_has("mentord.prom", "mentord_cycle_result 3"));
}
END_TEST

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Receive every datagram waiting on fd into one buffer (caller frees). */
static char *drain(int fd)
{
	char *all = calloc(1, 1), buf[65536];
	size_t len = 0;
	struct pollfd pfd = {fd, POLLIN, 0};
	while (poll(&pfd, 1, 500) > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		all = realloc(all, len + (size_t)n + 2);
		memcpy(all + len, buf, (size_t)n);
		len += (size_t)n;
		all[len++] = '\x1e'; /* record separator between datagrams */
		all[len] = '\0';
	}
	return all;
}

START_TEST(structured_journal_records)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	char err[4200], *records, *rec;
	int fd, status;
	pid_t pid;
	if (geteuid() != 0 || access(JOURNAL_SOCKET, F_OK) == 0) {
		fprintf(stderr, "skip structured_journal_records: %s\n", geteuid() != 0
			? "needs root to stand in for journald at " JOURNAL_SOCKET
			: "a journald already listens at " JOURNAL_SOCKET);
		return;
	}
	start_company(300);
	ck_assert_int_eq(sh("mkdir -p /run/systemd/journal"), 0);
	strcpy(sa.sun_path, JOURNAL_SOCKET);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(err, sizeof(err), "%s/journal-stream", td.dir);
	pid = fork();
	if (pid == 0) {
		char stream[64];
		int out = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		fstat(out, &st);
		snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		dup2(out, STDERR_FILENO);
		setenv("JOURNAL_STREAM", stream, 1);
		execl(build_path("src/mentord"), "mentord", "--once", "-c", conf_path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	records = drain(fd);
	close(fd);
	unlink(JOURNAL_SOCKET);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* nothing went to the stream itself: all records went to the journal */
	ck_assert_int_eq(stat(err, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	/* the cycle-done event, with its id, cycle number and priority */
	rec = strstr(records, "MESSAGE_ID=" LOG_MSGID_CYCLE_DONE "\n");
	ck_assert_msg(rec != NULL, "no cycle-done record in: %.2000s", records);
	ck_assert_ptr_nonnull(strstr(records, "MENTORD_CYCLE=1\n"));
	ck_assert_ptr_nonnull(strstr(records, "SYSLOG_IDENTIFIER=mentord\n"));
	/* a skipped value carries the DN and the phase it happened in */
	ck_assert_ptr_nonnull(strstr(records, "MENTORD_PHASE=sync\n"));
	ck_assert(strstr(records, "DN=uid=") != NULL);
	free(records);
}
END_TEST

START_TEST(bind_password_from_systemd_credential)
{
	start_company(300);
	/* the password file is wrong: only the credential can make the bind work */
	ck_assert_int_eq(sh("echo wrong-password > %s/bind.pw && mkdir -p %s/creds && "
			    "echo mentord-secret > %s/creds/bindpw", td.dir, td.dir, td.dir), 0);
	ck_assert_int_eq(mentord("--once"), 3);
	ck_assert(output_has("mentord.err", "bind cn=mentord,ou=services," SUFFIX ": Invalid credentials"));
	ck_assert_int_eq(sh("CREDENTIALS_DIRECTORY=%s/creds %s -c %s --once 2>%s/mentord.err", td.dir,
			    build_path("src/mentord"), conf_path, td.dir), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
}
END_TEST

START_TEST(dead_server_is_skipped_in_the_next_cycle)
{
	char uris[512];
	long i;
	start_company(300);
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:1/\", \"%s", td.uri);
	write_config(uris, SENIORS, NULL);
	start_daemon(0);
	ck_assert_int_ge(notify_wait("READY=1", 30000), 0);
	ck_assert(output_has("daemon.err", "ldap://127.0.0.1:1/: bind"));
	kill(daemon_pid, SIGUSR1);
	i = notify_wait("STATUS=starting a cycle", 5000);
	ck_assert_int_ge(i, 0);
	ck_assert_int_gt(notify_wait("STATUS=idle", 30000), i);
	/* the second cycle did not wait on the dead server, and still succeeded */
	ck_assert(output_has("daemon.err", "ldap://127.0.0.1:1/: skipped for now: 1 failed attempts in a row"));
	ck_assert_int_eq(sh("grep -c 'cycle ok' %s/daemon.err | grep -qx 2", td.dir), 0);
	ck_assert_int_eq(sh("grep -c '127.0.0.1:1/: bind' %s/daemon.err | grep -qx 1", td.dir), 0);
	kill(daemon_pid, SIGTERM);
	ck_assert_int_ge(wait_daemon(10000), 0);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("service");
	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, NULL, daemon_teardown);
	tcase_add_test(tc, notify_sequence_reload_and_usr1);
	tcase_add_test(tc, watchdog_pinged_during_a_long_cycle);
	tcase_add_test(tc, sigterm_during_sync_rolls_back);
	tcase_add_test(tc, mentorctl_run_asks_the_daemon);
	tcase_add_test(tc, pairs_stored_meanwhile_are_the_ones_in_force);
	tcase_add_test(tc, one_cycle_at_a_time);
	tcase_add_test(tc, metrics_file_after_each_cycle);
	tcase_add_test(tc, structured_journal_records);
	tcase_add_test(tc, bind_password_from_systemd_credential);
	tcase_add_test(tc, dead_server_is_skipped_in_the_next_cycle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(daemon_suite());
}
