/*
 * testdir: start and stop a throw-away slapd for Check tests by running
 * tests/lib/slapd-harness.sh, and make sure a test that dies half-way does
 * not leave a server behind: a small watcher process, forked at start, stops
 * the server and removes the directory once the starting process is gone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testdir.h"

#define HARNESS "/tests/lib/slapd-harness.sh"

/* Put the harness path into buf; 0 on success, -1 (with a message) if unknown. */
static int harness_path(char *buf, size_t size)
{
	const char *top = getenv("top_srcdir");

	if (!top || !*top) {
		fputs("testdir: top_srcdir is not set; run the test through `make check` "
		      "or export top_srcdir=/path/to/the/source/tree\n", stderr);
		return -1;
	}
	if ((size_t)snprintf(buf, size, "%s%s", top, HARNESS) >= size) {
		fprintf(stderr, "testdir: top_srcdir is too long: %s\n", top);
		return -1;
	}
	if (access(buf, R_OK) != 0) {
		fprintf(stderr, "testdir: cannot read the harness %s: %s\n", buf, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run "sh argv..." with stdout discarded (stderr kept for the test log); returns
 * the exit status, or -1 if it could not run or was killed. */
static int run_sh(char *const *argv)
{
	pid_t child, got;
	int status;

	fflush(NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "testdir: fork: %s\n", strerror(errno));
		return -1;
	}
	if (child == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execv("/bin/sh", argv);
		fprintf(stderr, "testdir: cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	while ((got = waitpid(child, &status, 0)) < 0 && errno == EINTR)
		;
	if (got < 0) {
		fprintf(stderr, "testdir: waitpid: %s\n", strerror(errno));
		return -1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "testdir: %s killed by signal %d\n", argv[1], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

/* Run "harness stop dir". */
static void harness_stop(const char *harness, const char *dir)
{
	char *argv[] = { "sh", (char *)harness, "stop", (char *)dir, NULL };

	if (run_sh(argv) != 0)
		fprintf(stderr, "testdir: stopping the slapd in %s failed\n", dir);
}

/* Remove path and everything below it, without following symbolic links. */
static int remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[8192];
	int rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub ||
		    remove_tree(sub) != 0)
			rc = -1;
	}
	closedir(d);
	if (rmdir(path) != 0)
		rc = -1;
	return rc;
}

/* Undo shell quoting ('...' and backslash) of an env-file value in place. */
static void shell_unquote(char *s)
{
	char *o = s;
	int quoted = 0;

	for (; *s; s++) {
		if (*s == '\'')
			quoted = !quoted;
		else if (!quoted && *s == '\\' && s[1])
			*o++ = *++s;
		else
			*o++ = *s;
	}
	*o = '\0';
}

/* Copy value into dst of size n; -1 if it does not fit. */
static int copy_value(char *dst, size_t n, const char *value)
{
	if (strlen(value) >= n)
		return -1;
	strcpy(dst, value);
	return 0;
}

/* Read SLAPD_URI, SLAPD_LDAPI, SLAPD_PORT, SLAPD_PID and SLAPD_SUFFIX from DIR/env into t. */
static int read_env(struct testdir *t)
{
	char path[4200], line[1024];
	FILE *f;
	int bad = 0;

	snprintf(path, sizeof path, "%s/env", t->dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "testdir: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		eq[strcspn(eq, "\n")] = '\0';
		shell_unquote(eq);
		if (strcmp(line, "SLAPD_URI") == 0)
			bad |= copy_value(t->uri, sizeof t->uri, eq);
		else if (strcmp(line, "SLAPD_LDAPI") == 0)
			bad |= copy_value(t->ldapi, sizeof t->ldapi, eq);
		else if (strcmp(line, "SLAPD_SUFFIX") == 0)
			bad |= copy_value(t->suffix, sizeof t->suffix, eq);
		else if (strcmp(line, "SLAPD_PORT") == 0)
			t->port = atoi(eq);
		else if (strcmp(line, "SLAPD_PID") == 0)
			t->pid = atol(eq);
	}
	fclose(f);
	if (bad || !t->uri[0] || !t->suffix[0] || t->port <= 0 || t->port > 65535 || t->pid <= 0) {
		fprintf(stderr, "testdir: %s lacks a valid SLAPD_URI, SLAPD_PORT, SLAPD_PID or SLAPD_SUFFIX\n",
			path);
		return -1;
	}
	return 0;
}

/* In the watcher: wait until the owner is gone, then stop the server and clean up. */
static void watch(const struct testdir *t, const char *harness)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The test's output may be a pipe whose reader died with the test. */
	signal(SIGPIPE, SIG_IGN);
	/* Own process group: survive Check's killpg of a timed-out test. */
	setpgid(0, 0);
	while (getppid() == (pid_t)t->owner)
		nanosleep(&pause, NULL);
	fprintf(stderr, "testdir: the test (pid %ld) ended without testdir_stop; "
		"stopping the slapd in %s\n", t->owner, t->dir);
	harness_stop(harness, t->dir);
	remove_tree(t->dir);
	_exit(0);
}

/* Fork the watcher; a test still works without one, so failure only warns. */
static void start_watcher(struct testdir *t, const char *harness)
{
	pid_t child;

	fflush(NULL);
	child = fork();
	if (child == 0)
		watch(t, harness);
	if (child < 0)
		fprintf(stderr, "testdir: cannot fork the watcher: %s\n", strerror(errno));
	else
		setpgid(child, child); /* as in the child: no race with a killpg */
	t->watcher = child > 0 ? (long)child : 0;
}

/* End the watcher: the owner does the clean-up itself. */
static void stop_watcher(struct testdir *t)
{
	if (t->watcher <= 0)
		return;
	kill((pid_t)t->watcher, SIGKILL);
	while (waitpid((pid_t)t->watcher, NULL, 0) < 0 && errno == EINTR)
		;
	t->watcher = 0;
}

/* Build "sh harness start dir ldifs..." in a new array the caller frees. */
static char **start_argv(const char *harness, const char *dir, const char *const *ldifs)
{
	size_t n = 0, i;
	char **argv;

	while (ldifs && ldifs[n])
		n++;
	argv = calloc(n + 5, sizeof *argv);
	if (!argv)
		return NULL;
	argv[0] = "sh";
	argv[1] = (char *)harness;
	argv[2] = "start";
	argv[3] = (char *)dir;
	for (i = 0; i < n; i++)
		argv[4 + i] = (char *)ldifs[i];
	return argv;
}

/* Make t->dir a new empty directory under $TMPDIR or /tmp. */
static int make_dir(struct testdir *t)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(t->dir, sizeof t->dir, "%s/mentord-slapd.XXXXXX", tmp) >= sizeof t->dir) {
		fprintf(stderr, "testdir: TMPDIR is too long: %s\n", tmp);
		t->dir[0] = '\0';
		return -1;
	}
	if (!mkdtemp(t->dir)) {
		fprintf(stderr, "testdir: cannot create a directory under %s: %s\n", tmp, strerror(errno));
		t->dir[0] = '\0';
		return -1;
	}
	return 0;
}

int testdir_start(struct testdir *t, const char *const *ldifs)
{
	char harness[4200];
	char **argv;
	int status = -1;

	memset(t, 0, sizeof *t);
	t->owner = (long)getpid();
	if (harness_path(harness, sizeof harness) != 0 || make_dir(t) != 0)
		return -1;
	/* Watch before slapd exists, so there is no moment without clean-up. */
	start_watcher(t, harness);
	argv = start_argv(harness, t->dir, ldifs);
	if (argv) {
		status = run_sh(argv);
		free(argv);
	} else {
		fputs("testdir: out of memory\n", stderr);
	}
	if (status == 0 && read_env(t) == 0)
		return 0;
	fprintf(stderr, "testdir: FAILED to start slapd in %s (harness exit %d); "
		"the messages above say why\n", t->dir, status);
	stop_watcher(t);
	harness_stop(harness, t->dir);
	remove_tree(t->dir);
	t->dir[0] = '\0';
	return -1;
}

/* Without the harness: TERM slapd's pid if it still is slapd, wait up to 10 s. */
static void kill_slapd(const struct testdir *t)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	char path[64], comm[64] = "";
	FILE *f;
	int i;

	snprintf(path, sizeof path, "/proc/%ld/comm", t->pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(comm, sizeof comm, f))
			comm[0] = '\0';
		fclose(f);
	}
	if (strncmp(comm, "slapd", 5) != 0 || kill((pid_t)t->pid, SIGTERM) != 0)
		return;
	for (i = 0; i < 200 && kill((pid_t)t->pid, 0) == 0; i++)
		nanosleep(&pause, NULL);
}

void testdir_stop(struct testdir *t)
{
	char harness[4200];

	if (!t->dir[0])
		return;
	if (t->owner != (long)getpid()) {
		fprintf(stderr, "testdir: not stopping slapd %ld: started by pid %ld, not this one\n",
			t->pid, t->owner);
		return;
	}
	stop_watcher(t);
	if (harness_path(harness, sizeof harness) == 0)
		harness_stop(harness, t->dir);
	else
		kill_slapd(t);
	if (remove_tree(t->dir) != 0)
		fprintf(stderr, "testdir: could not remove all of %s\n", t->dir);
	t->dir[0] = '\0';
}
